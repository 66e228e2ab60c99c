import assert from "node:assert/strict";
import { App, TerraformStack } from "cdktf";
import { loadConfig } from "../modules/config.ts";
import { createRegionPair } from "../modules/providers.ts";
import { artifactBucketName } from "../modules/naming.ts";
import { createStorage, REPLICATION_TIME_MINUTES, replicationRuleId } from "../modules/storage.ts";
import { defaultStack, type Json, resolve, resource, resources, ROLES, synthWith } from "./helpers.ts";

const PEER = { primary: "secondary", secondary: "primary" } as const;

Deno.test("createStorage() makes one force-destroyable bucket per region, named by artifactBucketName()", () => {
  const { stack, config } = defaultStack();
  const storageBuckets = Object.keys(resources(stack, "aws_s3_bucket")).filter((name) =>
    name.startsWith("storage_")
  );
  assert.equal(storageBuckets.length, 2);
  for (const role of ROLES) {
    const bucket = resource(stack, "aws_s3_bucket", `storage_${role}_bucket`);
    assert.equal(bucket.provider, `aws.${role}`);
    assert.equal(bucket.bucket, artifactBucketName("dev", config.accountId, config[role].region));
    assert.equal(bucket.bucket, `artifacts-${config.accountId}-${config[role].region}-dev`);
    assert.equal(bucket.force_destroy, true);
  }
});

Deno.test("createStorage() versions, encrypts with the region's key (bucket keys), blocks public access, enforces ownership", () => {
  const { stack } = defaultStack();
  for (const role of ROLES) {
    const bucketId = `\${aws_s3_bucket.storage_${role}_bucket.id}`;
    const versioning = resource(stack, "aws_s3_bucket_versioning", `storage_${role}_versioning`);
    assert.equal(versioning.bucket, bucketId);
    assert.equal(versioning.versioning_configuration.status, "Enabled");
    const encryption = resource(
      stack,
      "aws_s3_bucket_server_side_encryption_configuration",
      `storage_${role}_encryption`,
    );
    assert.equal(encryption.bucket, bucketId);
    assert.deepEqual(encryption.rule, [{
      apply_server_side_encryption_by_default: {
        sse_algorithm: "aws:kms",
        kms_master_key_id: `\${aws_kms_key.kms_${role}.arn}`,
      },
      bucket_key_enabled: true,
    }]);
    const block = resource(stack, "aws_s3_bucket_public_access_block", `storage_${role}_public_access_block`);
    for (
      const flag of [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
      ]
    ) {
      assert.equal(block[flag], true, flag);
    }
    const ownership = resource(stack, "aws_s3_bucket_ownership_controls", `storage_${role}_ownership`);
    assert.equal(ownership.rule.object_ownership, "BucketOwnerEnforced");
  }
});

Deno.test("createStorage() denies every request without TLS", () => {
  const { stack } = defaultStack();
  for (const role of ROLES) {
    const policy = JSON.parse(resource(stack, "aws_s3_bucket_policy", `storage_${role}_policy`).policy);
    assert.equal(policy.Statement.length, 1);
    const arn = `\${aws_s3_bucket.storage_${role}_bucket.arn}`;
    assert.deepEqual(policy.Statement[0], {
      Effect: "Deny",
      Sid: "DenyInsecureTransport",
      Principal: { AWS: "*" },
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  }
});

Deno.test("createStorage() expires noncurrent versions after S3_NONCURRENT_VERSION_DAYS", () => {
  const { stack } = synthWith({ S3_NONCURRENT_VERSION_DAYS: "45" });
  for (const role of ROLES) {
    const lifecycle = resource(stack, "aws_s3_bucket_lifecycle_configuration", `storage_${role}_lifecycle`);
    assert.equal(lifecycle.rule.length, 1);
    const [rule] = lifecycle.rule;
    assert.equal(rule.status, "Enabled");
    assert.deepEqual(rule.filter, [{}]);
    assert.deepEqual(rule.noncurrent_version_expiration, [{ noncurrent_days: 45 }]);
    assert.deepEqual(rule.abort_incomplete_multipart_upload, [{ days_after_initiation: 7 }]);
    assert.deepEqual(rule.expiration, [{ expired_object_delete_marker: true }]);
    assert.deepEqual(lifecycle.depends_on, [`aws_s3_bucket_versioning.storage_${role}_versioning`]);
  }
});

Deno.test("createStorage() replicates each bucket to its peer: V2 rule, RTC and metrics at 15 minutes, deletes, metadata, SSE-KMS", () => {
  const { stack, config } = defaultStack();
  assert.equal(REPLICATION_TIME_MINUTES, 15);
  assert.equal(Object.keys(resources(stack, "aws_s3_bucket_replication_configuration")).length, 2);
  for (const role of ROLES) {
    const peer = PEER[role];
    const replication = resource(
      stack,
      "aws_s3_bucket_replication_configuration",
      `storage_${role}_replication`,
    );
    assert.equal(replication.provider, `aws.${role}`);
    assert.equal(replication.bucket, `\${aws_s3_bucket.storage_${role}_bucket.id}`);
    assert.equal(replication.role, `\${aws_iam_role.storage_${role}_replication_role.arn}`);
    assert.deepEqual([...replication.depends_on].sort(), [
      "aws_s3_bucket_versioning.storage_primary_versioning",
      "aws_s3_bucket_versioning.storage_secondary_versioning",
    ]);
    assert.deepEqual(replication.rule, [{
      id: replicationRuleId(config[peer].region),
      status: "Enabled",
      priority: 1,
      filter: {},
      delete_marker_replication: { status: "Enabled" },
      source_selection_criteria: {
        sse_kms_encrypted_objects: { status: "Enabled" },
        replica_modifications: { status: "Enabled" },
      },
      destination: {
        bucket: `\${aws_s3_bucket.storage_${peer}_bucket.arn}`,
        storage_class: "STANDARD",
        encryption_configuration: { replica_kms_key_id: `\${aws_kms_key.kms_${peer}.arn}` },
        replication_time: { status: "Enabled", time: { minutes: 15 } },
        metrics: { status: "Enabled", event_threshold: { minutes: 15 } },
      },
    }]);
  }
});

Deno.test("createStorage() gives each direction its own role: trusted by S3 only, exact buckets, source and destination keys", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const peer = PEER[role];
    const iamRole = resource(stack, "aws_iam_role", `storage_${role}_replication_role`);
    assert.equal(iamRole.name, `s3-replication-${config[role].region}-dev`);
    const trust = JSON.parse(iamRole.assume_role_policy);
    assert.deepEqual(trust.Statement.map((statement: Json) => statement.Principal), [{
      Service: "s3.amazonaws.com",
    }]);
    assert.deepEqual(trust.Statement[0].Condition, {
      StringEquals: { "aws:SourceAccount": config.accountId },
    });

    const policy = JSON.parse(
      resource(stack, "aws_iam_role_policy", `storage_${role}_replication_policy`).policy,
    );
    const bySid = Object.fromEntries(policy.Statement.map((statement: Json) => [statement.Sid, statement]));
    const source = `\${aws_s3_bucket.storage_${role}_bucket.arn}`;
    const destination = `\${aws_s3_bucket.storage_${peer}_bucket.arn}`;
    assert.equal(bySid.ReadSourceConfiguration.Resource, source);
    assert.equal(bySid.ReadSourceVersions.Resource, `${source}/*`);
    assert.equal(bySid.WriteReplicas.Resource, `${destination}/*`);
    assert.deepEqual(bySid.WriteReplicas.Action, [
      "s3:ReplicateObject",
      "s3:ReplicateDelete",
      "s3:ReplicateTags",
    ]);
    assert.deepEqual(bySid.DecryptSourceObjects, {
      Effect: "Allow",
      Sid: "DecryptSourceObjects",
      Action: "kms:Decrypt",
      Resource: `\${aws_kms_key.kms_${role}.arn}`,
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${config[role].region}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [source, `${source}/*`] },
      },
    });
    assert.deepEqual(bySid.EncryptReplicas, {
      Effect: "Allow",
      Sid: "EncryptReplicas",
      Action: "kms:Encrypt",
      Resource: `\${aws_kms_key.kms_${peer}.arn}`,
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${config[peer].region}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [destination, `${destination}/*`] },
      },
    });
    for (const statement of policy.Statement) {
      for (const arn of [statement.Resource].flat()) assert.notEqual(arn, "*");
      for (const action of [statement.Action].flat()) assert.ok(!action.includes("*"), action);
    }
  }
});

Deno.test("createStorage() outputs bucket names and ARNs, rule ids and role ARNs per region", () => {
  const config = loadConfig({});
  const stack = new TerraformStack(new App({ outdir: Deno.makeTempDirSync() }), "outputs");
  const outputs = createStorage(stack, {
    regions: createRegionPair(stack, config),
    keys: {
      primary: { keyArn: "arn:key:primary", keyId: "p", aliasName: "alias/p" },
      secondary: { keyArn: "arn:key:secondary", keyId: "s", aliasName: "alias/s" },
    },
    accountId: config.accountId,
    environmentSuffix: "dev",
    noncurrentVersionDays: 30,
  });
  assert.deepEqual(resolve(stack, outputs), {
    primary: {
      bucketName: "${aws_s3_bucket.storage_primary_bucket.bucket}",
      bucketArn: "${aws_s3_bucket.storage_primary_bucket.arn}",
      replicationRuleId: "replicate-to-us-east-2",
      replicationRoleArn: "${aws_iam_role.storage_primary_replication_role.arn}",
    },
    secondary: {
      bucketName: "${aws_s3_bucket.storage_secondary_bucket.bucket}",
      bucketArn: "${aws_s3_bucket.storage_secondary_bucket.arn}",
      replicationRuleId: "replicate-to-us-east-1",
      replicationRoleArn: "${aws_iam_role.storage_secondary_replication_role.arn}",
    },
  });
});
