// Environment variables that look like settings but are none: a misspelt name is otherwise ignored and the
// default used without a word (`ENVIROMENT_SUFFIX=prod make synth` would build dev). Warnings, not errors:
// the environment also holds variables of other tools. The known names come from the settings table, so a
// setting added there is covered here too.
import { SETTINGS } from "./config.ts";

/** Names this close (Damerau-Levenshtein) to a setting are taken for a misspelling of it. */
export const MAX_TYPO_DISTANCE = 2;

/**
 * Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions.
 * Exact up to `atMost`; beyond it, some number above `atMost` (most pairs part within a few rows).
 */
export function editDistance(a: string, b: string, atMost = Infinity): number {
  // Three rows of the table at a time (a transposition looks two rows up): no table to allocate.
  let twoUp = new Uint32Array(b.length + 1);
  let up = Uint32Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Uint32Array(b.length + 1);
  let upMin = 0;
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let cell = Math.min(up[j] + 1, row[j - 1] + 1, up[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        cell = Math.min(cell, twoUp[j - 2] + 1);
      }
      row[j] = cell;
      rowMin = Math.min(rowMin, cell);
    }
    // A cell comes from its own row, the row above or the one above that: once two rows in a row are past
    // the bound, so is every later row.
    if (rowMin > atMost && upMin > atMost) return rowMin;
    [twoUp, up, row] = [up, row, twoUp];
    upMin = rowMin;
  }
  return up[b.length];
}

/** First words shared by at least two settings (`DB_`, `ROUTE53_`, `PRIMARY_`, ...). */
export function settingPrefixes(names: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const name of names) {
    const word = name.split("_")[0];
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts].filter(([, count]) => count >= 2).map(([word]) => `${word}_`);
}

function nearest(
  name: string,
  known: readonly string[],
  atMost: number,
): { setting: string; distance: number } {
  return known
    .map((setting) => ({ setting, distance: editDistance(name, setting, atMost) }))
    .reduce((best, candidate) => candidate.distance < best.distance ? candidate : best);
}

/** One line per unknown variable that looks like a setting, naming the setting it most likely means. */
export function settingWarnings(env: Readonly<Record<string, string | undefined>>): string[] {
  const known = SETTINGS.map((setting) => setting.name);
  const prefixes = settingPrefixes(known);
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (known.includes(name)) continue;
    const upper = name.toUpperCase();
    if (known.includes(upper)) {
      warnings.push(`${name} is not a setting (names are upper case): did you mean ${upper}?`);
      continue;
    }
    // Short names need a closer match: two edits turn most four-letter words into each other.
    const limit = name.length >= 6 ? MAX_TYPO_DISTANCE : 1;
    const prefixed = prefixes.some((prefix) => upper.startsWith(prefix));
    // Only a prefixed name is told its nearest setting at any distance. Any other (PATH, HOME, ...) matters
    // only within the limit: settings whose length differs by more are farther (a distance is at least
    // that difference), and no distance is needed beyond it. Full distances cost ~0.1 s of every synth.
    const candidates = prefixed
      ? known
      : known.filter((setting) => Math.abs(setting.length - upper.length) <= limit);
    if (candidates.length === 0) continue;
    const guess = nearest(upper, candidates, prefixed ? Infinity : limit);
    if (guess.distance <= limit) {
      warnings.push(`${name} is not a setting and is ignored: did you mean ${guess.setting}?`);
    } else if (prefixed) {
      warnings.push(
        `${name} is not a setting and is ignored (nearest: ${guess.setting}; see docs/configuration.md)`,
      );
    }
  }
  return warnings;
}
