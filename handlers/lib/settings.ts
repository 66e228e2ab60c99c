// The one validation model, for synth's settings (modules/config/) and every handler's environment: a table
// of fields, each { name, parse, message, rules }, plus cross-field rules. readSettings() checks a whole table
// against an environment and reports every problem at once, one line each, naming the field and the rule:
//   NAME="value": rule          NAME: is not set; rule          NAME="": is set but empty; ...
// Dependency-free but for contract.ts, so that both the CDKTF program and the Lambda bundles import it.
import { type LimitName, limitRule, withinLimit } from "./contract.ts";

export type Environment = Readonly<Record<string, string | undefined>>;
/** The text of each field read so far (the given value, else its fallback): what a fallback derives from. */
export type Texts = Readonly<Record<string, string>>;

/** A rule a parsed value keeps; `message` states it ("must be ..."). */
export interface Rule<T> {
  ok(value: T): boolean;
  readonly message: string;
}

/** One setting: its variable, how its text becomes a value, and the rules the value keeps. */
export interface Field<N extends string = string, T = unknown> {
  readonly name: N;
  /** Text to value, or undefined when the text breaks `message`. Never called with an empty text. */
  parse(text: string): T | undefined;
  readonly message: string;
  /** Further rules of the parsed value, each with its own message. */
  readonly rules?: readonly Rule<T>[];
  /** The contract.ts LIMITS entry this field enforces (a limit synth and a handler share). */
  readonly limit?: LimitName;
  /** Unset is allowed and gives undefined. An empty value is still an error. */
  readonly optional?: boolean;
  /** The text used when unset (synth's defaults); a function derives it from the fields before. */
  readonly fallback?: string | ((texts: Texts) => string);
  /** One line for the documentation. */
  readonly description?: string;
}

/** A field of synth's configuration: documented, so that docs/configuration.md is generated from it. */
export interface Setting extends Field {
  readonly description: string;
}

type Parsed<F extends Field> = Exclude<ReturnType<F["parse"]>, undefined>;
type ValueOf<F extends Field> = F extends { readonly optional: true } ? Parsed<F> | undefined : Parsed<F>;
/** The typed values of a table's fields, by variable name. */
export type Values<F extends readonly Field[]> = { readonly [K in F[number] as K["name"]]: ValueOf<K> };

/**
 * A rule over several fields, reported under `field`. It runs only when `field` and every field it `reads`
 * has a value that parsed and kept its own rules, so one bad value is reported once, not again by each rule
 * that uses it.
 */
export interface CrossRule<V> {
  readonly field: keyof V & string;
  readonly reads: readonly (keyof V & string)[];
  ok(values: V): boolean;
  readonly message: string | ((values: V) => string);
}

export interface Table<F extends readonly Field[]> {
  /** What the table describes, for the error's first line ("invalid <subject>:"). */
  readonly subject: string;
  readonly fields: F;
  readonly rules?: readonly CrossRule<Values<F>>[];
  /** Trim values first: they are typed by people (synth), not written by the stack. */
  readonly trim?: boolean;
}

/** Declares a table; the field names and value types are inferred for its cross rules and its values. */
export function settingsTable<const F extends readonly Field[]>(table: Table<F>): Table<F> {
  return table;
}

/** A table's problems, one line each, in field order (a field's own rules before its cross rules). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[], subject = "configuration") {
    super(`invalid ${subject}:\n  ${problems.join("\n  ")}`);
  }
}

interface Reading {
  readonly values: Record<string, unknown>;
  readonly problems: readonly string[];
}

/** The text a field falls back to when unset, given the texts of the fields before it. */
export function fallbackText(field: Field, texts: Texts): string | undefined {
  return typeof field.fallback === "function" ? field.fallback(texts) : field.fallback;
}

function emptyRule(field: Field, texts: Texts): string {
  const fallback = fallbackText(field, texts);
  if (fallback) return `is set but empty; unset it to use the default "${fallback}", or give a value`;
  if (field.optional && field.description) {
    return `is set but empty; unset it to use the default (${field.description}), or give a value`;
  }
  return `is set but empty; ${field.message}`;
}

function read(table: Table<readonly Field[]>, env: Environment): Reading {
  const texts: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const problems = new Map<string, string[]>(table.fields.map((field) => [field.name, []]));
  const report = (name: string, rule: string) => {
    const text = texts[name];
    problems.get(name)!.push(
      text === undefined ? `${name}: is not set; ${rule}` : `${name}="${text}": ${rule}`,
    );
  };
  const failed = new Set<string>();
  for (const field of table.fields) {
    const given = env[field.name];
    const text = given === undefined ? fallbackText(field, texts) : table.trim ? given.trim() : given;
    if (given !== undefined && text === "") {
      problems.get(field.name)!.push(`${field.name}="${given}": ${emptyRule(field, texts)}`);
      // The default stands in for the fields that derive theirs from this one.
      const fallback = fallbackText(field, texts);
      if (fallback !== undefined) texts[field.name] = fallback;
      failed.add(field.name);
      continue;
    }
    if (text === undefined) {
      if (!field.optional) {
        report(field.name, field.message);
        failed.add(field.name);
      }
      continue;
    }
    texts[field.name] = text;
    const value = field.parse(text);
    const broken = value === undefined
      ? [field.message]
      : (field.rules ?? []).filter((rule) => !rule.ok(value)).map((rule) => rule.message);
    for (const rule of broken) report(field.name, rule);
    if (broken.length > 0) failed.add(field.name);
    else values[field.name] = value;
  }
  for (const rule of table.rules ?? []) {
    if ([rule.field, ...rule.reads].some((name) => failed.has(name))) continue;
    if (!rule.ok(values)) {
      report(rule.field, typeof rule.message === "string" ? rule.message : rule.message(values));
    }
  }
  return { values, problems: [...problems.values()].flat() };
}

/** Every problem of `env` against the table, at once; [] when it is valid. */
export function settingProblems(table: Table<readonly Field[]>, env: Environment): string[] {
  return [...read(table, env).problems];
}

/** The table's values read from `env`; throws ConfigError listing every problem. */
export function readSettings<const F extends readonly Field[]>(table: Table<F>, env: Environment): Values<F> {
  const { values, problems } = read(table as Table<readonly Field[]>, env);
  if (problems.length > 0) throw new ConfigError(problems, table.subject);
  return values as Values<F>;
}

/** The problems that name one of `names` (each problem starts with its field's name). */
export function problemsAbout(problems: readonly string[], names: readonly string[]): string[] {
  return problems.filter((problem) =>
    names.some((name) => problem.startsWith(`${name}=`) || problem.startsWith(`${name}:`))
  );
}

// Parsers: the parse and message of a field, spread into it (`{ name, ...wholeNumber(1, 35), ... }`).
export type Parser<T> = Pick<Field<string, T>, "parse" | "message" | "limit">;

/** The text itself, when `test` accepts it. */
export function matching(test: RegExp | ((text: string) => boolean), message: string): Parser<string> {
  const ok = typeof test === "function" ? test : (text: string) => test.test(text);
  return { parse: (text) => ok(text) ? text : undefined, message };
}

/** One of a fixed set of words. */
export function oneOf<const T extends string>(choices: readonly T[], message: string): Parser<T> {
  return { parse: (text) => choices.find((choice) => choice === text), message };
}

/** `true` or `false`. */
export const flag: Parser<boolean> = {
  parse: (text) => text === "true" ? true : text === "false" ? false : undefined,
  message: "must be true or false",
};

const isWholeNumber = (text: string) => /^\d+$/.test(text);

/** A whole number inside [min, max]. */
export function wholeNumber(
  min: number,
  max: number,
  message = `must be a whole number from ${min} to ${max}`,
): Parser<number> {
  return {
    parse: (text) =>
      isWholeNumber(text) && Number(text) >= min && Number(text) <= max ? Number(text) : undefined,
    message,
  };
}

/** A whole number inside a limit shared by synth and a handler (contract.ts LIMITS), with its rule text. */
export function limited(limit: LimitName): Parser<number> {
  return {
    parse: (text) => isWholeNumber(text) && withinLimit(limit, Number(text)) ? Number(text) : undefined,
    message: limitRule(limit),
    limit,
  };
}

/** A comma-separated list (blank items dropped) whose items `ok` accepts. */
export function listOf(
  ok: (items: readonly string[]) => boolean,
  message: string,
): Parser<readonly string[]> {
  return {
    parse: (text) => {
      const items = text.split(",").map((item) => item.trim()).filter((item) => item !== "");
      return ok(items) ? items : undefined;
    },
    message,
  };
}
