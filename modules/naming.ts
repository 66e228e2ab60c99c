// One place for every name: Terraform logical ids and AWS physical names (with their length limits).

import type { RegionRole } from "../handlers/lib/contract.ts";
export type { RegionRole };

/** The role of an aliased provider: one side of the pair, or the witness region outside it. */
export type ProviderRole = RegionRole | "witness";

/** AWS name-length limits for the kinds of names this stack generates. */
export const NAME_LIMITS = {
  alb: 32,
  targetGroup: 32,
  s3Bucket: 63,
  rdsIdentifier: 63,
  lambda: 64,
  iamRole: 64,
  iamInstanceProfile: 128,
  iamRolePolicy: 128,
  eventRule: 64,
  launchTemplate: 128,
  autoScalingGroup: 255,
  securityGroup: 255,
  snsTopic: 256,
  kmsAlias: 256,
  logGroup: 512,
  dbSubnetGroup: 255,
  parameterGroup: 255,
  alarm: 255,
  dashboard: 255,
  dynamodbTable: 255,
  sqsQueue: 80,
  generic: 255,
} as const;

export type NameKind = keyof typeof NAME_LIMITS;

/** The name whose prefix leaves the least room for the suffix (ALB names: 32 characters). */
const TIGHTEST_NAME = { kind: "alb" as NameKind, base: "alb" };

/** Longest environment suffix for which every generated name in both regions fits its AWS limit. */
export function maxSuffixLength(regions: readonly string[]): number {
  const longestRegion = Math.max(...regions.map((region) => region.length));
  return NAME_LIMITS[TIGHTEST_NAME.kind] - `${TIGHTEST_NAME.base}--`.length - longestRegion;
}

/**
 * Physical name `<base>[-<region>]-<suffix>`, checked against the AWS limit of its kind.
 * Throws (at synth time) rather than letting AWS reject the name at apply time.
 */
export function physicalName(kind: NameKind, base: string, suffix: string, region?: string): string {
  const name = [base, region, suffix].filter((part) => part !== undefined && part !== "").join("-");
  const limit = NAME_LIMITS[kind];
  if (name.length > limit) {
    throw new Error(`name "${name}" (${kind}) is ${name.length} characters; AWS allows ${limit}`);
  }
  return name;
}

/**
 * Name of an inline role policy (`aws_iam_role_policy`): `<base>[-<region>]-<suffix>` like every other name,
 * although IAM only needs it unique within its role, so that the suffix rule has no exception.
 */
export function rolePolicyName(base: string, suffix: string, region?: string): string {
  return physicalName("iamRolePolicy", base, suffix, region);
}

/** Terraform logical id `<concern>_<role>[_<key>]`: stable, readable, keyed by name or AZ, never by index. */
export function logicalId(concern: string, role?: ProviderRole | "global", key?: string): string {
  return [concern, role, key].filter((part) => part !== undefined && part !== "").join("_");
}

/** Globally unique artifact bucket of one region (account id makes it unique). */
export function artifactBucketName(suffix: string, accountId: string, region: string): string {
  return physicalName("s3Bucket", `artifacts-${accountId}`, suffix, region);
}

/** ARN of the artifact bucket of one region (S3 bucket ARNs carry neither region nor account). */
export function artifactBucketArn(suffix: string, accountId: string, region: string): string {
  return `arn:aws:s3:::${artifactBucketName(suffix, accountId, region)}`;
}
