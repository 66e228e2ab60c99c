// The one reader of a synthesized stack: cdk.tf.json as written, or `stack.toTerraform()` during synth.
// Resources by type and logical id with their provider's alias and region, references between resources
// (`${aws_x.id.attr}`, or a literal name / ARN), outputs, variables and providers. Blocks that cdktf emits as an
// object or as a list are read with `asList` / `first`. Pure: main.ts, the recovery budget, the operator
// manifest, the hand-off tools and the tests all read the stack through it.

// deno-lint-ignore no-explicit-any
export type Json = any;

export interface ProviderInfo {
  /** `aws.<alias>`, the value resources carry in `provider`. */
  readonly key: string;
  readonly alias: string;
  readonly region: string;
  readonly defaultTags: Readonly<Record<string, string>>;
  readonly allowedAccountIds: readonly string[];
}

export interface StackResource {
  readonly type: string;
  readonly logicalId: string;
  /** `<type>.<logicalId>`, the Terraform address. */
  readonly address: string;
  /** The resource's `provider` (`aws.primary`), empty when it names none. */
  readonly provider: string;
  /** The provider's alias (`primary` / `secondary` / `witness`), empty when unknown. */
  readonly role: string;
  /** The provider's region, empty when unknown. */
  readonly region: string;
  readonly body: Json;
}

/** `${type.logicalId.attribute}` inside an expression. */
export interface Reference {
  readonly type: string;
  readonly logicalId: string;
  readonly attribute: string;
}

export interface StackOutput {
  readonly name: string;
  readonly description: string;
  /** As written: literals and `${...}` expressions. */
  readonly value: Json;
}

/** Byte-order comparison: the same order on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A block cdktf emits as an object (at most one) or a list, as a list; absent = empty. */
export function asList(value: Json): Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The first item of a block (object or one-element list). */
export function first(value: Json): Json {
  return asList(value)[0];
}

/** A value without interpolation, as text; undefined for an expression, an object or nothing. */
export function literal(value: Json): string | undefined {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value === "string" && !value.includes("${") ? value : undefined;
}

const REFERENCE = /(?<![\w.])(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)\.([a-z_][a-z0-9_]*)/g;
const WHOLE_REFERENCE = /^\$\{(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)\.([a-z_][a-z0-9_]*)\}$/;

/** The resource references inside every `${...}` expression of a value (strings, lists, objects). */
export function references(value: Json): Reference[] {
  const found: Reference[] = [];
  const visit = (item: Json) => {
    if (typeof item === "string") {
      if (!item.includes("${")) return;
      for (const match of item.matchAll(REFERENCE)) {
        found.push({ type: match[1], logicalId: match[2], attribute: match[3] });
      }
    } else if (Array.isArray(item)) {
      item.forEach(visit);
    } else if (item && typeof item === "object") {
      Object.values(item).forEach(visit);
    }
  };
  visit(value);
  return found;
}

/** The reference when the whole value is one (`${aws_x.id.attr}`), else undefined. */
export function referenceOf(value: Json): Reference | undefined {
  const match = typeof value === "string" ? WHOLE_REFERENCE.exec(value) : null;
  return match ? { type: match[1], logicalId: match[2], attribute: match[3] } : undefined;
}

const NAME_KEYS = [
  "name",
  "bucket",
  "function_name",
  "cluster_identifier",
  "global_cluster_identifier",
  "identifier",
  "alarm_name",
  "dashboard_name",
  "table_name",
];
/** Consulted after the Name tag: a prefix is only the start of the name AWS will give. */
const NAME_PREFIX_KEYS = ["name_prefix", "bucket_prefix"];

/** The physical name of a resource when it is a literal, else its logical id. */
export function displayName(resource: StackResource): string {
  for (const key of NAME_KEYS) {
    const value = literal(resource.body?.[key]);
    if (value) return value;
  }
  const tagged = literal(resource.body?.tags?.Name);
  if (tagged) return tagged;
  for (const key of NAME_PREFIX_KEYS) {
    const value = literal(resource.body?.[key]);
    if (value) return `${value}*`;
  }
  return resource.logicalId;
}

/** Whether `value` designates `target`: a reference, or a literal equal to its name or ending in `:<name>` (ARN). */
export function pointsTo(value: Json, target: StackResource): boolean {
  const referenced = references(value).some((reference) =>
    reference.type === target.type && reference.logicalId === target.logicalId
  );
  if (referenced) return true;
  const text = literal(value);
  if (text === undefined) return false;
  const name = displayName(target);
  return text === name || text.endsWith(`:${name}`);
}

function providersOf(stack: Json): ProviderInfo[] {
  return asList(stack?.provider?.aws).map((block: Json) => {
    const alias = typeof block.alias === "string" ? block.alias : "";
    return {
      key: alias ? `aws.${alias}` : "aws",
      alias,
      region: typeof block.region === "string" ? block.region : "",
      defaultTags: Object.assign({}, ...asList(block.default_tags).map((entry: Json) => entry?.tags ?? {})),
      allowedAccountIds: asList(block.allowed_account_ids).map(String),
    };
  }).sort((a, b) => compareText(a.key, b.key));
}

function resourcesOf(stack: Json, providers: readonly ProviderInfo[]): StackResource[] {
  const byKey = new Map(providers.map((provider) => [provider.key, provider]));
  const result: StackResource[] = [];
  for (const [type, byId] of Object.entries(stack?.resource ?? {})) {
    for (const [logicalId, body] of Object.entries(byId as Record<string, Json>)) {
      const provider = typeof body?.provider === "string" ? body.provider : "";
      const info = byKey.get(provider);
      result.push({
        type,
        logicalId,
        address: `${type}.${logicalId}`,
        provider,
        role: info?.alias ?? "",
        region: info?.region ?? "",
        body,
      });
    }
  }
  return result.sort((a, b) => compareText(a.type, b.type) || compareText(a.logicalId, b.logicalId));
}

const byName = <T>(entries: [string, T][]) => entries.sort(([a], [b]) => compareText(a, b));

/** Lookups over one stack; every list is sorted (type, then logical id / name): JSON order never matters. */
export class StackIndex {
  readonly providers: readonly ProviderInfo[];
  /** Every managed resource, by type then logical id. */
  readonly all: readonly StackResource[];
  readonly #byType = new Map<string, StackResource[]>();
  readonly #byAddress = new Map<string, StackResource>();

  constructor(readonly stack: Json) {
    this.providers = providersOf(stack);
    this.all = resourcesOf(stack, this.providers);
    for (const resource of this.all) {
      this.#byAddress.set(resource.address, resource);
      const list = this.#byType.get(resource.type) ?? [];
      list.push(resource);
      this.#byType.set(resource.type, list);
    }
  }

  /** The stack's name from cdktf's metadata (`dr-<suffix>`), empty when absent. */
  get name(): string {
    return this.stack?.["//"]?.metadata?.stackName ?? "";
  }

  /** The resource types present, sorted. */
  get types(): string[] {
    return [...this.#byType.keys()];
  }

  get(type: string, logicalId: string): StackResource | undefined {
    return this.#byAddress.get(`${type}.${logicalId}`);
  }

  ofType(...types: string[]): StackResource[] {
    return [...new Set(types)].sort(compareText).flatMap((type) => this.#byType.get(type) ?? []);
  }

  /** The provider of an alias (`primary`, `secondary`, `witness`). */
  provider(alias: string): ProviderInfo | undefined {
    return this.providers.find((provider) => provider.alias === alias);
  }

  /** The resources (of `types`) that `value` references, in reference order, without duplicates. */
  referenced(value: Json, types?: readonly string[]): StackResource[] {
    const found = new Set<StackResource>();
    for (const reference of references(value)) {
      if (types && !types.includes(reference.type)) continue;
      const target = this.#byAddress.get(`${reference.type}.${reference.logicalId}`);
      if (target) found.add(target);
    }
    return [...found];
  }

  /** Resources of `types` whose argument `attribute` designates `target` (see `pointsTo`). */
  pointingAt(target: StackResource, types: readonly string[], attribute: string): StackResource[] {
    return this.ofType(...types).filter((resource) => pointsTo(resource.body?.[attribute], target));
  }

  /** The stack's outputs, by name. */
  get outputs(): StackOutput[] {
    return byName(Object.entries<Json>(this.stack?.output ?? {})).map(([name, body]) => ({
      name,
      description: body?.description ?? "",
      value: body?.value,
    }));
  }

  /** The `terraform` block: required version and providers, backend. */
  get settings(): Json {
    return this.stack?.terraform ?? {};
  }

  /** The declared input variables, by name: [name, block]. */
  get variables(): [string, Json][] {
    return byName(Object.entries<Json>(this.stack?.variable ?? {}));
  }
}

/** An index of `stack`, or `stack` itself when it already is one. */
export function stackIndex(stack: Json | StackIndex): StackIndex {
  return stack instanceof StackIndex ? stack : new StackIndex(stack);
}

/** Indexes the text of a cdk.tf.json (throws when it is not JSON). */
export function parseStack(text: string): StackIndex {
  return new StackIndex(JSON.parse(text));
}

/** Reads and indexes a cdk.tf.json (throws when it is missing or not JSON). */
export function loadStack(path: string): StackIndex {
  return parseStack(Deno.readTextFileSync(path));
}
