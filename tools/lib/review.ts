// REVIEW.md: the stack explained to a reviewer who never saw the code, generated from the synthesized
// JSON only. Sections are tables of findings; anything that needs a person's judgement is bold + marked.
import { compareText, type Json, literal, type StackIndex, stackIndex } from "../../modules/stack_index.ts";
import { dataStores } from "./data_stores.ts";
import type { Finding } from "./store_findings.ts";
import { iamMatrix } from "./iam_matrix.ts";
import { entryPointsSection } from "./entry_points.ts";
import { complianceSection } from "./compliance.ts";
import { recoverySection } from "./recovery.ts";
import { code, flagged, readable, table, tableOr } from "./markdown.ts";
import { recoveryBudget } from "../../modules/recovery_budget.ts";
import { formatBudget } from "../../modules/recovery_budget_text.ts";

export interface ReviewOptions {
  /** The environment suffix every name must carry; default: from the stack name `dr-<suffix>`. */
  readonly environmentSuffix?: string;
}

/** Services whose resources are global although made with a regional provider. */
const GLOBAL_TYPE = /^aws_(iam_|route53_(?!resolver)|rds_global_cluster$|cloudfront_|organizations_|shield_)/;

export function isGlobalType(type: string): boolean {
  return GLOBAL_TYPE.test(type);
}

function regionHeading(index: StackIndex): string[] {
  return index.providers.map((provider) => `${provider.region} (${provider.alias})`);
}

// ---------------------------------------------------------------------------------------------------
// Resources per region and type

export interface TypeCount {
  readonly type: string;
  readonly global: boolean;
  /** Count per provider key (`aws.primary`), plus `""` for resources without a known provider. */
  readonly byProvider: Readonly<Record<string, number>>;
  readonly total: number;
}

export function resourceCounts(index: StackIndex): TypeCount[] {
  const counts = new Map<string, Record<string, number>>();
  for (const resource of index.all) {
    const byProvider = counts.get(resource.type) ?? {};
    const key = resource.role ? resource.provider : "";
    byProvider[key] = (byProvider[key] ?? 0) + 1;
    counts.set(resource.type, byProvider);
  }
  return [...counts.entries()].map(([type, byProvider]) => ({
    type,
    global: isGlobalType(type),
    byProvider,
    total: Object.values(byProvider).reduce((sum, count) => sum + count, 0),
  })).sort((a, b) => compareText(a.type, b.type));
}

function countsSection(index: StackIndex): string {
  const counts = resourceCounts(index);
  const keys = index.providers.map((provider) => provider.key);
  const unknown = counts.some((count) => count.byProvider[""]);
  const headers = ["type", ...regionHeading(index), ...(unknown ? ["no provider"] : []), "total"];
  const rows = counts.map((count) => [
    `${code(count.type)}${count.global ? " (global)" : ""}`,
    ...keys.map((key) => String(count.byProvider[key] ?? 0)),
    ...(unknown ? [String(count.byProvider[""] ?? 0)] : []),
    String(count.total),
  ]);
  const totals = [
    "**total**",
    ...keys.map((key) => String(counts.reduce((sum, count) => sum + (count.byProvider[key] ?? 0), 0))),
    ...(unknown ? [String(counts.reduce((sum, count) => sum + (count.byProvider[""] ?? 0), 0))] : []),
    String(index.all.length),
  ];
  return [
    "## Resources per region and type",
    "",
    "Global services (IAM, Route 53, the Aurora global cluster) are made with the primary provider and counted there.",
    "",
    table(headers, [...rows, totals]),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------
// Data stores

function findingText(finding: Finding): string {
  return finding.concern ? flagged(finding.text) : finding.text;
}

function dataStoreSection(index: StackIndex): string {
  const stores = dataStores(index);
  return [
    "## Data stores",
    "",
    tableOr(
      ["store", "kind", "region", "encryption", "backup / PITR", "replication"],
      stores.map((store) => [
        `${store.name}\n${code(store.address)}`,
        store.kind,
        store.region,
        findingText(store.encryption),
        findingText(store.backup),
        findingText(store.replication),
      ]),
      "No data stores in the stack.",
    ),
    "",
    "### KMS keys",
    "",
    tableOr(
      ["key", "region", "rotation", "deletion window", "description"],
      index.ofType("aws_kms_key").map((key) => [
        code(key.address),
        key.region,
        key.body.enable_key_rotation === true ? "yes" : flagged("no"),
        `${readable(key.body.deletion_window_in_days ?? 30)} days`,
        literal(key.body.description) ?? "",
      ]),
      "No customer-managed KMS keys.",
    ),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------
// IAM

function iamSection(index: StackIndex): string {
  const rows = iamMatrix(index);
  const wildcards = rows.filter((row) =>
    row.wildcardActions.length || row.starResource || row.broadManagedPolicy
  );
  const summary = wildcards.length === 0
    ? "No wildcard action, no `*` resource, no broad managed policy."
    : `${flagged(`${wildcards.length} statement(s) with a wildcard`)}: ${
      [...new Set(wildcards.map((row) => row.role))].join(", ")
    }. AWS requires \`Resource: "*"\` for some actions (e.g. cloudwatch:PutMetricData, ec2:CreateNetworkInterface); check each.`;
  const actionText = (row: (typeof rows)[number]) =>
    row.actions.map((action) => row.wildcardActions.includes(action) ? flagged(code(action)) : code(action))
      .join(
        "\n",
      );
  const resourceText = (row: (typeof rows)[number]) =>
    row.resources.map((resource) =>
      row.starResource && (resource === "*" || resource.startsWith("NOT "))
        ? flagged(code(resource))
        : code(resource)
    ).join("\n");
  return [
    "## IAM matrix",
    "",
    summary,
    "",
    tableOr(
      ["role", "trusted by", "policy", "effect", "actions", "resources", "conditions"],
      rows.map((row) => [
        row.role,
        row.trustedBy.join("\n"),
        row.broadManagedPolicy ? flagged(row.source) : row.source,
        row.effect,
        actionText(row),
        resourceText(row),
        row.conditions.join("\n"),
      ]),
      "No IAM roles in the stack.",
    ),
  ].join("\n");
}

export function environmentSuffixOf(stack: Json | StackIndex, options: ReviewOptions = {}): string {
  return options.environmentSuffix ?? stackIndex(stack).name.replace(/^dr-/, "");
}

// ---------------------------------------------------------------------------------------------------

export function renderReview(stack: Json | StackIndex, options: ReviewOptions = {}): string {
  const index = stackIndex(stack);
  const regions = index.providers.map((provider) => `${provider.region} (${provider.alias})`).join(", ");
  const header = [
    `# Review: ${index.name || "stack"}`,
    "",
    `Generated from the synthesized \`cdk.tf.json\` by \`make review\`: ${index.all.length} resources in ` +
    `${regions || "no region"}. Items marked ${flagged("like this")} need a reviewer's judgement.`,
  ].join("\n");
  return [
    header,
    countsSection(index),
    entryPointsSection(index),
    dataStoreSection(index),
    iamSection(index),
    complianceSection(index, environmentSuffixOf(index, options)),
    recoverySection(index, formatBudget(recoveryBudget(index))),
  ].join("\n\n") + "\n";
}
