// IAM policy documents as typed data. Values may hold string tokens (ARNs of resources in this stack);
// never list tokens: pass each ARN as its own string.

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: "Allow" | "Deny";
  readonly Principal?: Readonly<Record<string, string | readonly string[]>>;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<
    Record<string, Readonly<Record<string, string | readonly string[] | boolean>>>
  >;
}

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((statement) => ({ Effect: "Allow", ...statement })),
  });
}

/** Trust policy for exactly one AWS service, optionally restricted to callers of this account. */
export function assumeRolePolicy(service: string, sourceAccount?: string): string {
  return policyDocument([{
    Action: "sts:AssumeRole",
    Principal: { Service: service },
    ...(sourceAccount ? { Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } } } : {}),
  }]);
}

/** Key-usage actions a service role needs on a customer-managed key (no wildcards). */
export const KMS_USE_ACTIONS = [
  "kms:Decrypt",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:DescribeKey",
] as const;
