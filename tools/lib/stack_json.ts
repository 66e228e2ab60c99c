// Reading a synthesized cdk.tf.json generically: resources with their provider's region, references
// between resources (`${aws_x.id.attr}`), blocks that cdktf emits as an object or a list, IAM documents.
// Pure functions over the parsed JSON; the hand-off tools (review, diagram, bundle) share them.

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
  /** The provider's alias (`primary` / `secondary`), empty when unknown. */
  readonly role: string;
  /** The provider's region, empty when unknown. */
  readonly region: string;
  readonly body: Json;
}

export interface Reference {
  readonly type: string;
  readonly logicalId: string;
  readonly attribute: string;
}

/** Byte-order comparison: the same order on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function providers(stack: Json): ProviderInfo[] {
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

/** Every managed resource, sorted by type then logical id. */
export function listResources(stack: Json): StackResource[] {
  const byKey = new Map(providers(stack).map((provider) => [provider.key, provider]));
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

/** A block cdktf emits as an object (at most one) or a list, as a list; absent = empty. */
export function asList(value: Json): Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The first item of a block (object or one-element list). */
export function first(value: Json): Json {
  return asList(value)[0];
}

const REFERENCE = /(?<![\w.])(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)\.([a-z_][a-z0-9_]*)/g;

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

/** Whether `value` references `target` (optionally through one of `attributes`). */
export function refersTo(value: Json, target: StackResource, attributes?: readonly string[]): boolean {
  return references(value).some((reference) =>
    reference.type === target.type && reference.logicalId === target.logicalId &&
    (attributes === undefined || attributes.includes(reference.attribute))
  );
}

/** Whether `value` designates `target`: a reference, or a literal equal to its name or ending in `:<name>` (ARN). */
export function pointsTo(value: Json, target: StackResource): boolean {
  if (refersTo(value, target)) return true;
  const text = literal(value);
  if (text === undefined) return false;
  const name = displayName(target);
  return text === name || text.endsWith(`:${name}`);
}

/** The resources of `types` that `value` references, in stack order, without duplicates. */
export function referencedResources(
  value: Json,
  index: ResourceIndex,
  types?: readonly string[],
): StackResource[] {
  const seen = new Set<string>();
  const result: StackResource[] = [];
  for (const reference of references(value)) {
    if (types && !types.includes(reference.type)) continue;
    const target = index.get(reference.type, reference.logicalId);
    if (!target || seen.has(target.address)) continue;
    seen.add(target.address);
    result.push(target);
  }
  return result;
}

/** Lookups over the resources of one stack. */
export class ResourceIndex {
  readonly all: readonly StackResource[];
  readonly providers: readonly ProviderInfo[];
  readonly #byAddress: Map<string, StackResource>;

  constructor(readonly stack: Json) {
    this.all = listResources(stack);
    this.providers = providers(stack);
    this.#byAddress = new Map(this.all.map((resource) => [resource.address, resource]));
  }

  get(type: string, logicalId: string): StackResource | undefined {
    return this.#byAddress.get(`${type}.${logicalId}`);
  }

  ofType(...types: string[]): StackResource[] {
    return this.all.filter((resource) => types.includes(resource.type));
  }

  /** Resources of `types` whose attribute `attribute` designates `target` (see `pointsTo`). */
  pointingAt(target: StackResource, types: readonly string[], attribute: string): StackResource[] {
    return this.all.filter((resource) =>
      types.includes(resource.type) && pointsTo(resource.body?.[attribute], target)
    );
  }
}

/** A value without interpolation, or undefined. */
export function literal(value: Json): string | undefined {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value === "string" && !value.includes("${") ? value : undefined;
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

/** A short readable form of an expression: `${aws_kms_key.kms_primary.arn}` -> `aws_kms_key.kms_primary.arn`. */
export function readable(value: Json): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") return JSON.stringify(value);
  return value.replace(/\$\{([^}]*)\}/g, "$1");
}

/** The stack's name from cdktf's metadata (`dr-<suffix>`), empty when absent. */
export function stackName(stack: Json): string {
  return stack?.["//"]?.metadata?.stackName ?? "";
}

export interface PolicyStatement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  readonly principals: readonly string[];
  readonly conditionKeys: readonly string[];
}

/**
 * The statements of an IAM document given as JSON text (as the stack writes them). Returns undefined when
 * the text is an expression (e.g. `${jsonencode(...)}`) that only Terraform can evaluate.
 */
export function parsePolicy(text: Json): PolicyStatement[] | undefined {
  let document: Json = text;
  if (typeof text === "string") {
    try {
      document = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (!document || typeof document !== "object") return undefined;
  return asList(document.Statement).map((statement: Json) => ({
    effect: statement.Effect ?? "Allow",
    actions: asList(statement.Action).map(String),
    notActions: asList(statement.NotAction).map(String),
    resources: asList(statement.Resource).map(String),
    notResources: asList(statement.NotResource).map(String),
    principals: principalList(statement.Principal),
    conditionKeys: Object.entries(statement.Condition ?? {}).flatMap(([operator, byKey]) =>
      Object.keys(byKey as object).map((key) => `${operator} ${key}`)
    ).sort(compareText),
  }));
}

function principalList(principal: Json): string[] {
  if (principal === undefined) return [];
  if (typeof principal === "string") return [principal];
  return Object.entries(principal).flatMap(([kind, values]) =>
    asList(values).map((value: Json) => `${kind}: ${value}`)
  ).sort(compareText);
}

/** An IAM action that grants more than one named action: `*`, `svc:*`, `svc:Get*`. */
export function isWildcardAction(action: string): boolean {
  return action.includes("*") || action.includes("?");
}
