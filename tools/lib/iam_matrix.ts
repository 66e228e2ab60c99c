// The IAM matrix: role -> who may assume it -> actions -> resources, from the roles' trust policies, inline
// policies (aws_iam_role_policy), AWS managed policy attachments (by ARN) and service-linked roles (whose
// permissions AWS defines). Wildcards are marked, never hidden.
import {
  asList,
  compareText,
  displayName,
  type Json,
  literal,
  type StackIndex,
  type StackResource,
} from "../../modules/stack_index.ts";
import { type Coverage, typesMatching } from "./coverage.ts";
import { readable } from "./markdown.ts";

export const IAM_COVERAGE: Coverage = {
  claims: typesMatching(/^aws_iam_/),
  leavesOut: {
    aws_iam_instance_profile: "hands its role to EC2 instances: the role's rows are the permissions",
  },
};

export interface IamRow {
  readonly role: string;
  readonly roleAddress: string;
  /** Principals of the trust policy: `lambda.amazonaws.com`, `AWS: arn:...`. */
  readonly trustedBy: readonly string[];
  /** Where the permissions come from: `inline <name>`, `managed <arn>`, `service-linked`. */
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

type RowOf = Pick<IamRow, "role" | "roleAddress" | "trustedBy">;

/** A row that states where permissions come from without listing statements. */
function summaryRow(of: RowOf, source: string, actions: string[], broad = false): IamRow {
  return {
    ...of,
    source,
    effect: actions.length ? "Allow" : "",
    actions,
    resources: [],
    conditions: [],
    wildcardActions: [],
    starResource: false,
    broadManagedPolicy: broad,
  };
}

function rowsOfDocument(of: RowOf, source: string, document: unknown): IamRow[] {
  const statements = parsePolicy(document);
  if (!statements) return [{ ...summaryRow(of, source, [`(computed) ${readable(document)}`]), effect: "?" }];
  return statements.map((statement: PolicyStatement) => {
    const actions = [...statement.actions, ...statement.notActions.map((action) => `NOT ${action}`)];
    const resources = [
      ...statement.resources.map(readable),
      ...statement.notResources.map((resource) => `NOT ${readable(resource)}`),
    ];
    return {
      ...of,
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

function roleRows(role: StackResource, index: StackIndex): IamRow[] {
  const of: RowOf = { role: displayName(role), roleAddress: role.address, trustedBy: trustOf(role) };
  const rows: IamRow[] = [];
  const inline = index.pointingAt(role, ["aws_iam_role_policy"], "role")
    .map((policy) => ({ name: literal(policy.body.name) ?? policy.logicalId, document: policy.body.policy }))
    .sort((a, b) => compareText(a.name, b.name));
  for (const policy of inline) rows.push(...rowsOfDocument(of, `inline ${policy.name}`, policy.document));
  const managed = new Set(
    index.pointingAt(role, ["aws_iam_role_policy_attachment"], "role")
      .map((attachment) => readable(attachment.body.policy_arn)),
  );
  for (const arn of managed) {
    rows.push(
      summaryRow(
        of,
        `managed ${arn}`,
        ["(as defined by the managed policy)"],
        BROAD_MANAGED_POLICY.test(arn),
      ),
    );
  }
  return rows.length ? rows : [summaryRow(of, "(no policies)", [])];
}

/** A service-linked role: AWS names it, trusts the service and defines its policy. */
function serviceLinkedRow(role: StackResource): IamRow {
  const service = readable(role.body.aws_service_name);
  const suffix = literal(role.body.custom_suffix);
  return summaryRow(
    {
      role: `service-linked role of ${service}${suffix ? ` (${suffix})` : ""}`,
      roleAddress: role.address,
      trustedBy: [service],
    },
    "service-linked",
    ["(as defined by AWS for the service)"],
  );
}

/** One row per statement (per managed policy ARN), roles by name; service-linked roles last. */
export function iamMatrix(index: StackIndex): IamRow[] {
  const roles = [...index.ofType("aws_iam_role")].sort((a, b) =>
    compareText(displayName(a), displayName(b)) || compareText(a.address, b.address)
  );
  return [
    ...roles.flatMap((role) => roleRows(role, index)),
    ...index.ofType("aws_iam_service_linked_role").map(serviceLinkedRow),
  ];
}
