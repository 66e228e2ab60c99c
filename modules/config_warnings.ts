// Environment variables that look like settings but are none: a misspelt name is otherwise ignored and the
// default used without a word (`ENVIROMENT_SUFFIX=prod make synth` would build dev). Warnings, not errors:
// the environment also holds variables of other tools. The known names come from the settings table, so a
// setting added there is covered here too.
import { SETTINGS } from "./config.ts";

/** Names this close (Damerau-Levenshtein) to a setting are taken for a misspelling of it. */
export const MAX_TYPO_DISTANCE = 2;

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
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

function nearest(name: string, known: readonly string[]): { setting: string; distance: number } {
  return known
    .map((setting) => ({ setting, distance: editDistance(name, setting) }))
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
    const guess = nearest(upper, known);
    // Short names need a closer match: two edits turn most four-letter words into each other.
    const limit = name.length >= 6 ? MAX_TYPO_DISTANCE : 1;
    if (guess.distance <= limit) {
      warnings.push(`${name} is not a setting and is ignored: did you mean ${guess.setting}?`);
    } else if (prefixes.some((prefix) => upper.startsWith(prefix))) {
      warnings.push(
        `${name} is not a setting and is ignored (nearest: ${guess.setting}; see docs/configuration.md)`,
      );
    }
  }
  return warnings;
}
