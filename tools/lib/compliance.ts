// Tag compliance (provider default_tags, overrides, tags reaching autoscaled instances) and naming
// compliance (every physical name carries the environment suffix).
import { asList, type Json, type StackIndex } from "../../modules/stack_index.ts";
import { launchTemplateOf } from "./security_groups.ts";
import { code, flagged, readable, table, tableOr } from "./markdown.ts";
import { type Coverage, typesMatching } from "./coverage.ts";

/** Provider default tags do not reach instances: what launches them must carry the tags itself. */
export const INSTANCE_TAG_COVERAGE: Coverage = {
  claims: typesMatching(
    /^aws_(autoscaling_group|instance|launch_template|launch_configuration|spot_fleet_request|ec2_fleet)$/,
  ),
  leavesOut: {},
};

/** The tags every resource must carry through its provider's default_tags. */
export const REQUIRED_TAGS: readonly string[] = ["Environment", "DR-Role", "Cost-Center"];

export interface TagCompliance {
  readonly providers: ReadonlyArray<
    {
      readonly key: string;
      readonly region: string;
      readonly tags: Readonly<Record<string, string>>;
      readonly missing: readonly string[];
      readonly roleMismatch: boolean;
    }
  >;
  /** Resources whose provider is not one with the required default tags. */
  readonly untagged: readonly string[];
  /** Resources that override a required tag with another value. */
  readonly overrides: readonly string[];
  readonly autoscalingGroups: ReadonlyArray<
    {
      readonly address: string;
      readonly region: string;
      readonly propagated: Readonly<Record<string, string>>;
      readonly missing: readonly string[];
    }
  >;
}

export function tagCompliance(index: StackIndex): TagCompliance {
  const providers = index.providers.map((provider) => ({
    key: provider.key,
    region: provider.region,
    tags: provider.defaultTags,
    missing: REQUIRED_TAGS.filter((tag) => !provider.defaultTags[tag]),
    roleMismatch: provider.defaultTags["DR-Role"] !== undefined &&
      provider.defaultTags["DR-Role"] !== provider.alias,
  }));
  const compliant = new Set(providers.filter((provider) => provider.missing.length === 0).map((p) => p.key));
  const untagged = index.all.filter((resource) => !compliant.has(resource.provider)).map((resource) =>
    resource.address
  );
  const overrides = index.all.filter((resource) => {
    const defaults = index.providers.find((provider) => provider.key === resource.provider)?.defaultTags ??
      {};
    return REQUIRED_TAGS.some((tag) => {
      const value = resource.body?.tags?.[tag];
      return value !== undefined && value !== defaults[tag];
    });
  }).map((resource) => resource.address);
  const autoscalingGroups = index.ofType("aws_autoscaling_group").map((group) => {
    const propagated: Record<string, string> = {};
    for (const tag of asList(group.body.tag)) {
      if (tag.propagate_at_launch === true) propagated[tag.key] = `${readable(tag.value)} (ASG tag)`;
    }
    const template = launchTemplateOf(group, index);
    for (const spec of asList(template?.body.tag_specifications)) {
      if (spec.resource_type !== "instance") continue;
      for (const [key, value] of Object.entries(spec.tags ?? {})) {
        propagated[key] ??= `${readable(value)} (launch template)`;
      }
    }
    return {
      address: group.address,
      region: group.region,
      propagated,
      missing: REQUIRED_TAGS.filter((tag) => propagated[tag] === undefined),
    };
  });
  return { providers, untagged, overrides, autoscalingGroups };
}

/** Attributes that hold a physical name (the plan invariants check the same list). */
export const NAME_ATTRIBUTES = [
  "name",
  "name_prefix",
  "bucket",
  "bucket_prefix",
  "function_name",
  "cluster_identifier",
  "identifier",
  "global_cluster_identifier",
  "alarm_name",
  "dashboard_name",
  "table_name",
];

/** Names that live inside a parent which carries the suffix, or that are DNS names of the domain. */
export const SCOPED_NAME_TYPES: ReadonlySet<string> = new Set([
  "aws_route53_record",
  "aws_route53_zone",
]);

export interface NameCheck {
  readonly address: string;
  readonly attribute: string;
  readonly value: string;
}

export interface NamingCompliance {
  readonly suffix: string;
  readonly checked: readonly NameCheck[];
  readonly violations: readonly NameCheck[];
  /** Names computed by Terraform (interpolations): not checkable here. */
  readonly computed: readonly NameCheck[];
}

export function namingCompliance(index: StackIndex, suffix: string): NamingCompliance {
  const carries = new RegExp(`(^|[-/_.])${suffix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[-/_.])`);
  const checked: NameCheck[] = [];
  const computed: NameCheck[] = [];
  for (const resource of index.all) {
    if (SCOPED_NAME_TYPES.has(resource.type)) continue;
    const candidates: Array<[string, Json]> = [
      ...NAME_ATTRIBUTES.map((attribute): [string, Json] => [attribute, resource.body?.[attribute]]),
      ["tags.Name", resource.body?.tags?.Name],
    ];
    for (const [attribute, value] of candidates) {
      // A whole-value reference names another resource (a bucket's versioning -> the bucket), not this one.
      if (typeof value !== "string" || /^\$\{[^}]*\}$/.test(value)) continue;
      (value.includes("${") ? computed : checked).push({ address: resource.address, attribute, value });
    }
  }
  return {
    suffix,
    checked,
    violations: suffix ? checked.filter((name) => !carries.test(name.value)) : [],
    computed,
  };
}

export function complianceSection(index: StackIndex, suffix: string): string {
  const tags = tagCompliance(index);
  const names = namingCompliance(index, suffix);
  const providerRows = tags.providers.map((provider) => [
    code(provider.key),
    provider.region,
    ...REQUIRED_TAGS.map((tag) => provider.tags[tag] ?? flagged("missing")),
    provider.missing.length === 0 && !provider.roleMismatch ? "yes" : flagged("no"),
  ]);
  return [
    "## Tag compliance",
    "",
    `Every resource is tagged through its provider's \`default_tags\` (${REQUIRED_TAGS.join(", ")}).`,
    "",
    tableOr(
      ["provider", "region", ...REQUIRED_TAGS, "compliant"],
      providerRows,
      flagged("No AWS providers."),
    ),
    "",
    tags.untagged.length === 0
      ? `All ${index.all.length} resources use a provider with the required default tags.`
      : `${flagged(`${tags.untagged.length} resource(s) without a compliant provider`)}: ${
        tags.untagged.map(code).join(", ")
      }`,
    "",
    tags.overrides.length === 0
      ? "No resource overrides a required tag."
      : `${flagged("Resources overriding a required tag")}: ${tags.overrides.map(code).join(", ")}`,
    "",
    "Autoscaling groups (provider default tags do not reach their instances; ASG tags with " +
    "`propagate_at_launch` or launch-template tag specifications do):",
    "",
    tableOr(
      ["autoscaling group", "region", ...REQUIRED_TAGS, "compliant"],
      tags.autoscalingGroups.map((group) => [
        code(group.address),
        group.region,
        ...REQUIRED_TAGS.map((tag) => group.propagated[tag] ?? flagged("missing")),
        group.missing.length === 0 ? "yes" : flagged("no"),
      ]),
      "No autoscaling groups.",
    ),
    "",
    "## Naming compliance",
    "",
    `Every physical name carries the environment suffix ${code(names.suffix)} ` +
    "(DNS names and policies scoped inside a named role are exempt).",
    "",
    names.violations.length === 0
      ? `${names.checked.length} names checked: all carry the suffix.`
      : `${flagged(`${names.violations.length} of ${names.checked.length} names lack the suffix`)}:\n\n${
        table(
          ["resource", "attribute", "value"],
          names.violations.map((name) => [code(name.address), name.attribute, code(name.value)]),
        )
      }`,
    ...(names.computed.length
      ? [
        "",
        `Computed by Terraform (not checked here): ${
          names.computed.map((name) => `${code(name.address)} ${name.attribute}`).join(", ")
        }.`,
      ]
      : []),
  ].join("\n");
}
