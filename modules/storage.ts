// Artifact and configuration buckets, one per region, replicated both ways: versioned, SSE-KMS with the
// region's key (bucket keys), private, TLS-only, owner-enforced, old versions expired; each bucket
// replicates everything to the peer with Replication Time Control (15-minute SLA) and replication metrics,
// including delete markers, replica metadata changes and SSE-KMS objects (re-encrypted with the peer's key).
// Releases (`app/*`) are written only by the deploy role (modules/release.ts) and replicated only by the peer's
// replication role; every request is logged (S3 server access logs) into the region's log bucket.
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { makeBucketPrivate } from "./private_bucket.ts";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
import { S3BucketReplicationConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-replication-configuration/index.js";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { forEachRegion, type PerRegion, type RegionContext } from "./providers.ts";
import { artifactBucketName, logicalId, type RegionRole } from "./naming.ts";
import { assumeRolePolicy, policyDocument, type PolicyStatement } from "./policy.ts";
import type { KeyedStackContext } from "./stack_context.ts";
import { RELEASE_PREFIX } from "./release.ts";

export interface StorageInputs {
  /** Days a noncurrent object version is kept before it expires. */
  readonly noncurrentVersionDays: number;
  /** The only principal that may write releases (`app/*`): the deploy role of `make release`. */
  readonly deployRoleArn: string;
  /** Where each bucket's S3 server access logs go: the region's log bucket (its policy admits them). */
  readonly accessLogs: PerRegion<{ readonly bucketName: string; readonly prefix: string }>;
}

export interface RegionStorage {
  readonly bucketName: string;
  readonly bucketArn: string;
  /** Id of the rule replicating this bucket to the peer (the `RuleId` dimension of replication metrics). */
  readonly replicationRuleId: string;
  /** Role S3 assumes to replicate from this bucket to the peer's. */
  readonly replicationRoleArn: string;
}

export type StorageOutputs = PerRegion<RegionStorage>;

/** Replication Time Control and its metrics accept only 15 minutes. */
export const REPLICATION_TIME_MINUTES = 15;

const PEER: Readonly<Record<RegionRole, RegionRole>> = { primary: "secondary", secondary: "primary" };

export function replicationRuleId(peerRegion: string): string {
  return `replicate-to-${peerRegion}`;
}

/**
 * Object writes that could replace a release or its metadata (Service Authorization Reference, Amazon S3:
 * PutObject also authorizes CopyObject, POST uploads and every multipart step). Deletes stay allowed:
 * `force_destroy` must empty the bucket, and an instance keeps its installed release when the object is gone.
 */
export const RELEASE_WRITE_ACTIONS = [
  "s3:PutObject",
  "s3:PutObjectAcl",
  "s3:PutObjectVersionAcl",
  "s3:PutObjectTagging",
  "s3:PutObjectVersionTagging",
] as const;

/** What S3 replication writes a replica with (User Guide, "Setting up permissions for live replication"). */
export const REPLICA_WRITE_ACTIONS = ["s3:ReplicateObject", "s3:ReplicateTags"] as const;

interface ReleaseGuardInputs {
  readonly bucketArn: string;
  readonly deployRoleArn: string;
  readonly peerReplicationRoleArn: string;
}

/**
 * The bucket policy's guards of `app/*`: only the deploy role writes releases, only the peer's replication
 * role replicates them. Replication writes replicas with s3:ReplicateObject (not s3:PutObject), as the role
 * of the source bucket (`aws:PrincipalArn` is a role's ARN for its sessions), so the first deny leaves it
 * alone and the second admits exactly it.
 */
export function releaseGuards(inputs: ReleaseGuardInputs): PolicyStatement[] {
  const releases = `${inputs.bucketArn}/${RELEASE_PREFIX}*`;
  return [
    {
      Sid: "OnlyTheDeployRoleWritesReleases",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: [...RELEASE_WRITE_ACTIONS],
      Resource: releases,
      Condition: { ArnNotEquals: { "aws:PrincipalArn": inputs.deployRoleArn } },
    },
    {
      Sid: "OnlyThePeerReplicatesReleases",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: [...REPLICA_WRITE_ACTIONS],
      Resource: releases,
      Condition: { ArnNotEquals: { "aws:PrincipalArn": inputs.peerReplicationRoleArn } },
    },
  ];
}

export function createStorage(ctx: KeyedStackContext, inputs: StorageInputs): StorageOutputs {
  const buckets = forEachRegion(ctx.regions, (where) => createBucket(ctx, inputs, where));
  return forEachRegion(ctx.regions, (where) => {
    const source = buckets[where.role].bucket;
    const replicationRoleArn = createReplicationRole(ctx, where, buckets);
    return {
      bucketName: source.bucket,
      bucketArn: source.arn,
      replicationRuleId: createReplicationRule(ctx, where, buckets, replicationRoleArn),
      replicationRoleArn,
    };
  });
}

type Buckets = PerRegion<{ readonly bucket: S3Bucket; readonly versioning: S3BucketVersioningA }>;

const storageId = (role: RegionRole) => (key?: string) => logicalId("storage", role, key);

/** Role S3 assumes to replicate from the bucket of `region` to its peer. */
const replicationRoleName = (ctx: KeyedStackContext, region: string) =>
  ctx.name("iamRole", "s3-replication", region);

/** The region's bucket and its companions: versioning, encryption, privacy, policy, access logs, lifecycle. */
function createBucket(ctx: KeyedStackContext, inputs: StorageInputs, where: RegionContext) {
  const { scope } = ctx;
  const { provider, region, role } = where;
  const id = storageId(role);
  const bucket = new S3Bucket(scope, id("bucket"), {
    provider,
    bucket: artifactBucketName(ctx.suffix, ctx.accountId, region),
    forceDestroy: true,
  });
  const versioning = new S3BucketVersioningA(scope, id("versioning"), {
    provider,
    bucket: bucket.id,
    versioningConfiguration: { status: "Enabled" },
  });
  new S3BucketServerSideEncryptionConfigurationA(scope, id("encryption"), {
    provider,
    bucket: bucket.id,
    rule: [{
      applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: ctx.keys[role].keyArn },
      bucketKeyEnabled: true,
    }],
  });
  const publicAccessBlock = makeBucketPrivate(scope, { provider, bucketId: bucket.id, idOf: id });
  new S3BucketPolicy(scope, id("policy"), {
    provider,
    bucket: bucket.id,
    policy: policyDocument(bucketStatements(ctx, inputs, bucket.arn, where.peerRegion)),
    dependsOn: [publicAccessBlock],
  });
  new S3BucketLoggingA(scope, id("access_logging"), {
    provider,
    bucket: bucket.id,
    targetBucket: inputs.accessLogs[role].bucketName,
    targetPrefix: inputs.accessLogs[role].prefix,
  });
  new S3BucketLifecycleConfiguration(scope, id("lifecycle"), {
    provider,
    bucket: bucket.id,
    rule: [{
      id: "expire-noncurrent-versions",
      status: "Enabled",
      filter: [{}],
      noncurrentVersionExpiration: [{ noncurrentDays: inputs.noncurrentVersionDays }],
      expiration: [{ expiredObjectDeleteMarker: true }],
      abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
    }],
    dependsOn: [versioning],
  });
  return { bucket, versioning };
}

/** The bucket policy: TLS only, and the release guards of `app/*`. */
function bucketStatements(
  ctx: KeyedStackContext,
  inputs: StorageInputs,
  bucketArn: string,
  peerRegion: string,
): PolicyStatement[] {
  return [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: { AWS: "*" },
      // A deny for every S3 action: no request without TLS, whoever makes it.
      Action: "s3:*",
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
    ...releaseGuards({
      bucketArn,
      deployRoleArn: inputs.deployRoleArn,
      // By name: the peer's role is made after both buckets (it names them).
      peerReplicationRoleArn: `arn:aws:iam::${ctx.accountId}:role/${replicationRoleName(ctx, peerRegion)}`,
    }),
  ];
}

/** The role S3 assumes to replicate the region's bucket to the peer's, and its policy; returns its ARN. */
function createReplicationRole(ctx: KeyedStackContext, where: RegionContext, buckets: Buckets): string {
  const { scope } = ctx;
  const { provider, region, role } = where;
  const id = storageId(role);
  const replicationRole = new IamRole(scope, id("replication_role"), {
    provider,
    name: replicationRoleName(ctx, region),
    assumeRolePolicy: assumeRolePolicy("s3.amazonaws.com", ctx.accountId),
  });
  new IamRolePolicy(scope, id("replication_policy"), {
    provider,
    name: ctx.policyName("replicate-to-peer", region),
    role: replicationRole.id,
    policy: policyDocument(replicationStatements(ctx, where, buckets)),
  });
  return replicationRole.arn;
}

/** Read the source's versions, write replicas to the peer, and the KMS calls of both (via S3 only). */
function replicationStatements(
  ctx: KeyedStackContext,
  where: RegionContext,
  buckets: Buckets,
): PolicyStatement[] {
  const { region, role, peerRegion } = where;
  const source = buckets[role].bucket;
  const destination = buckets[PEER[role]].bucket;
  return [
    {
      Sid: "ReadSourceConfiguration",
      Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
      Resource: source.arn,
    },
    {
      Sid: "ReadSourceVersions",
      Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
      Resource: `${source.arn}/*`,
    },
    {
      Sid: "WriteReplicas",
      Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
      Resource: `${destination.arn}/*`,
    },
    {
      Sid: "DecryptSourceObjects",
      Action: "kms:Decrypt",
      Resource: ctx.keys[role].keyArn,
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` },
        StringLike: s3EncryptionContext(source.arn),
      },
    },
    {
      Sid: "EncryptReplicas",
      Action: "kms:Encrypt",
      Resource: ctx.keys[PEER[role]].keyArn,
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${peerRegion}.amazonaws.com` },
        StringLike: s3EncryptionContext(destination.arn),
      },
    },
  ];
}

/** The rule replicating everything to the peer under Replication Time Control; returns the rule's id. */
function createReplicationRule(
  ctx: KeyedStackContext,
  where: RegionContext,
  buckets: Buckets,
  replicationRoleArn: string,
): string {
  const { role, peerRegion } = where;
  const ruleId = replicationRuleId(peerRegion);
  new S3BucketReplicationConfigurationA(ctx.scope, storageId(role)("replication"), {
    provider: where.provider,
    bucket: buckets[role].bucket.id,
    role: replicationRoleArn,
    rule: [{
      id: ruleId,
      status: "Enabled",
      priority: 1,
      filter: {},
      deleteMarkerReplication: { status: "Enabled" },
      sourceSelectionCriteria: {
        sseKmsEncryptedObjects: { status: "Enabled" },
        replicaModifications: { status: "Enabled" },
      },
      destination: {
        bucket: buckets[PEER[role]].bucket.arn,
        storageClass: "STANDARD",
        encryptionConfiguration: { replicaKmsKeyId: ctx.keys[PEER[role]].keyArn },
        replicationTime: { status: "Enabled", time: { minutes: REPLICATION_TIME_MINUTES } },
        metrics: { status: "Enabled", eventThreshold: { minutes: REPLICATION_TIME_MINUTES } },
      },
    }],
    // Both directions need both buckets versioned; depending on both avoids ordering failures.
    dependsOn: [buckets.primary.versioning, buckets.secondary.versioning],
  });
  return ruleId;
}

/** The KMS encryption context S3 sends for a bucket's objects: the bucket ARN with bucket keys, else the object's. */
export function s3EncryptionContext(bucketArn: string) {
  return { "kms:EncryptionContext:aws:s3:arn": [bucketArn, `${bucketArn}/*`] };
}
