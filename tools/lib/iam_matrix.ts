// The IAM matrix: role -> who may assume it -> actions -> resources, from the roles' trust policies,
// inline policies (aws_iam_role_policy and inline_policy blocks) and policy attachments (customer
// managed documents expanded, AWS managed policies by ARN). Wildcards are marked, never hidden.
import {
  asList,
  compareText,
  displayName,
  isWildcardAction,
  literal,
  parsePolicy,
  pointsTo,
  type PolicyStatement,
  readable,
  referencedResources,
  ResourceIndex,
  type StackResource,
} from "./stack_json.ts";

export interface IamRow {
  readonly role: string;
  readonly roleAddress: string;
  /** Principals of the trust policy: `lambda.amazonaws.com`, `AWS: arn:...`. */
  readonly trustedBy: readonly string[];
  /** Where the permissions come from: `inline <name>`, `managed <arn>`, `customer managed <name>`. */
  readonly source: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions: readonly string[];
  readonly wildcardActions: readonly string[];
  /** `Resource: "*"` (or NotResource / NotAction, which grant by exclusion). */
  readonly starResource: boolean;
  /** An AWS managed policy broad by name (full access, administrator, power user). */
  readonly broadManagedPolicy: boolean;
}

const BROAD_MANAGED_POLICY = /AdministratorAccess|PowerUserAccess|FullAccess/;

function trustOf(role: StackResource): string[] {
  const statements = parsePolicy(role.body.assume_role_policy);
  if (!statements) return [`(computed) ${readable(role.body.assume_role_policy)}`];
  return [
    ...new Set(
      statements.filter((statement) => statement.effect === "Allow").flatMap((statement) =>
        statement.principals.map((principal) => principal.replace(/^Service: /, ""))
      ),
    ),
  ];
}

function rowsOfDocument(
  role: StackResource,
  trustedBy: string[],
  source: string,
  document: unknown,
): IamRow[] {
  const statements = parsePolicy(document);
  if (!statements) {
    return [{
      role: displayName(role),
      roleAddress: role.address,
      trustedBy,
      source,
      effect: "?",
      actions: [`(computed) ${readable(document)}`],
      resources: [],
      conditions: [],
      wildcardActions: [],
      starResource: false,
      broadManagedPolicy: false,
    }];
  }
  return statements.map((statement: PolicyStatement) => {
    const actions = [...statement.actions, ...statement.notActions.map((action) => `NOT ${action}`)];
    const resources = [
      ...statement.resources.map(readable),
      ...statement.notResources.map((resource) => `NOT ${readable(resource)}`),
    ];
    return {
      role: displayName(role),
      roleAddress: role.address,
      trustedBy,
      source,
      effect: statement.effect,
      actions,
      resources,
      conditions: statement.conditionKeys,
      wildcardActions: statement.effect === "Allow"
        ? actions.filter((action) => isWildcardAction(action) || action.startsWith("NOT "))
        : [],
      starResource: statement.effect === "Allow" &&
        (statement.resources.includes("*") || statement.notResources.length > 0),
      broadManagedPolicy: false,
    };
  });
}

const ATTACHMENT_TYPES = ["aws_iam_role_policy_attachment"];

/** One row per statement (per managed policy ARN), roles by name. */
export function iamMatrix(index: ResourceIndex): IamRow[] {
  const rows: IamRow[] = [];
  const roles = [...index.ofType("aws_iam_role")].sort((a, b) =>
    compareText(displayName(a), displayName(b)) || compareText(a.address, b.address)
  );
  for (const role of roles) {
    const trustedBy = trustOf(role);
    const inline = index.pointingAt(role, ["aws_iam_role_policy"], "role")
      .map((policy) => ({
        name: literal(policy.body.name) ?? policy.logicalId,
        document: policy.body.policy,
      }));
    for (const block of asList(role.body.inline_policy)) {
      inline.push({ name: literal(block.name) ?? "inline", document: block.policy });
    }
    for (const policy of inline.sort((a, b) => compareText(a.name, b.name))) {
      rows.push(...rowsOfDocument(role, trustedBy, `inline ${policy.name}`, policy.document));
    }
    const attached = [
      ...index.pointingAt(role, ATTACHMENT_TYPES, "role").map((attachment) => attachment.body.policy_arn),
      ...index.ofType("aws_iam_policy_attachment")
        .filter((attachment) => asList(attachment.body.roles).some((value) => pointsTo(value, role)))
        .map((attachment) => attachment.body.policy_arn),
      ...asList(role.body.managed_policy_arns),
    ];
    const seen = new Set<string>();
    for (const arn of attached) {
      const key = readable(arn);
      if (seen.has(key)) continue;
      seen.add(key);
      const customer = referencedResources(arn, index, ["aws_iam_policy"])[0];
      if (customer) {
        rows.push(
          ...rowsOfDocument(
            role,
            trustedBy,
            `customer managed ${displayName(customer)}`,
            customer.body.policy,
          ),
        );
        continue;
      }
      rows.push({
        role: displayName(role),
        roleAddress: role.address,
        trustedBy,
        source: `managed ${key}`,
        effect: "Allow",
        actions: ["(as defined by the managed policy)"],
        resources: [],
        conditions: [],
        wildcardActions: [],
        starResource: false,
        broadManagedPolicy: BROAD_MANAGED_POLICY.test(key),
      });
    }
    if (rows.every((row) => row.roleAddress !== role.address)) {
      rows.push({
        role: displayName(role),
        roleAddress: role.address,
        trustedBy,
        source: "(no policies)",
        effect: "",
        actions: [],
        resources: [],
        conditions: [],
        wildcardActions: [],
        starResource: false,
        broadManagedPolicy: false,
      });
    }
  }
  return rows;
}
