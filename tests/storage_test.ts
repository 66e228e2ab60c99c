import assert from "node:assert/strict";
import { artifactBucketName } from "../modules/naming.ts";
import { createStorage, RELEASE_WRITE_ACTIONS, replicationRuleId } from "../modules/storage.ts";
import { ARTIFACT_KEY } from "../modules/app_service/user_data.ts";
import { RELEASE_PREFIX } from "../modules/release.ts";
import { testContext } from "./stack_context_fixture.ts";
import { defaultStack, type Json, resolve, resource, resources, ROLES, synthWith } from "./helpers.ts";

const PEER = { primary: "secondary", secondary: "primary" } as const;

Deno.test("createStorage() makes one force-destroyable bucket per region, named by artifactBucketName()", () => {
  const { stack, config } = defaultStack();
  const storageBuckets = Object.keys(resources(stack, "aws_s3_bucket")).filter((name) =>
    name.startsWith("storage_")
  );
  assert.deepEqual(
    storageBuckets.sort(),
    ROLES.map((role) => `storage_${role}_bucket`).sort(),
    "one per region",
  );
  for (const role of ROLES) {
    const bucket = resource(stack, "aws_s3_bucket", `storage_${role}_bucket`);
    assert.equal(bucket.provider, `aws.${role}`);
    assert.equal(bucket.bucket, artifactBucketName("dev", config.accountId, config[role].region));
    assert.equal(bucket.bucket, `artifacts-${config.accountId}-${config[role].region}-dev`);
    assert.equal(bucket.force_destroy, true);
  }
});

// Public access and ownership: stack_test.ts checks every bucket of the stack.
Deno.test("createStorage() versions and encrypts with the region's key (bucket keys)", () => {
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
  }
});

/** The artifact bucket policy of one region, statements by Sid. */
function bucketPolicy(stack: Json, role: "primary" | "secondary"): Record<string, Json> {
  const policy = JSON.parse(resource(stack, "aws_s3_bucket_policy", `storage_${role}_policy`).policy);
  return Object.fromEntries(policy.Statement.map((statement: Json) => [statement.Sid, statement]));
}

Deno.test("createStorage() denies every request without TLS", () => {
  const { stack } = defaultStack();
  for (const role of ROLES) {
    const arn = `\${aws_s3_bucket.storage_${role}_bucket.arn}`;
    assert.deepEqual(bucketPolicy(stack, role).DenyInsecureTransport, {
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
  assert.deepEqual(
    Object.keys(resources(stack, "aws_s3_bucket_replication_configuration")).sort(),
    ROLES.map((role) => `storage_${role}_replication`).sort(),
    "one direction per region",
  );
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
    const [rule, ...others] = replication.rule;
    assert.deepEqual(others, [], "one rule: everything goes to the one peer");
    assert.equal(rule.id, replicationRuleId(config[peer].region), "the RuleId the dashboards read");
    assert.equal(rule.status, "Enabled");
    assert.deepEqual(rule.filter, {}, "an empty filter (V2 schema) selects every object");
    assert.equal(rule.delete_marker_replication.status, "Enabled", "deletes reach the peer");
    assert.equal(
      rule.source_selection_criteria.sse_kms_encrypted_objects.status,
      "Enabled",
      "SSE-KMS objects",
    );
    assert.equal(rule.source_selection_criteria.replica_modifications.status, "Enabled", "both ways");
    const { destination } = rule;
    assert.equal(destination.bucket, `\${aws_s3_bucket.storage_${peer}_bucket.arn}`);
    assert.deepEqual(destination.encryption_configuration, {
      replica_kms_key_id: `\${aws_kms_key.kms_${peer}.arn}`,
    }, "replicas are encrypted with the peer region's key");
    // Replication Time Control and its metrics accept 15 minutes only (S3 User Guide, "Meeting compliance
    // requirements with S3 RTC").
    assert.deepEqual(destination.replication_time, { status: "Enabled", time: { minutes: 15 } });
    assert.deepEqual(destination.metrics, { status: "Enabled", event_threshold: { minutes: 15 } });
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
    // Each key only for its own action, through S3 in its own region, for objects of its own bucket.
    const keyUses = [
      { sid: "DecryptSourceObjects", action: "kms:Decrypt", keyRole: role, bucket: source },
      { sid: "EncryptReplicas", action: "kms:Encrypt", keyRole: peer, bucket: destination },
    ];
    for (const { sid, action, keyRole, bucket } of keyUses) {
      const statement = bySid[sid];
      assert.equal(statement.Action, action, sid);
      assert.equal(statement.Resource, `\${aws_kms_key.kms_${keyRole}.arn}`, sid);
      assert.deepEqual(statement.Condition.StringEquals, {
        "kms:ViaService": `s3.${config[keyRole].region}.amazonaws.com`,
      }, sid);
      // Bucket keys: the encryption context is the bucket ARN; without them the object ARN.
      assert.deepEqual(statement.Condition.StringLike, {
        "kms:EncryptionContext:aws:s3:arn": [bucket, `${bucket}/*`],
      }, sid);
    }
    for (const statement of policy.Statement) {
      for (const arn of [statement.Resource].flat()) assert.notEqual(arn, "*");
      for (const action of [statement.Action].flat()) assert.ok(!action.includes("*"), action);
    }
  }
});

Deno.test("createStorage() outputs bucket names and ARNs, rule ids and role ARNs per region", () => {
  const ctx = testContext();
  const outputs = createStorage(ctx, {
    noncurrentVersionDays: 30,
    deployRoleArn: "arn:aws:iam::123456789012:role/release-deploy-dev",
    accessLogs: {
      primary: { bucketName: "logs-primary", prefix: "s3-access/" },
      secondary: { bucketName: "logs-secondary", prefix: "s3-access/" },
    },
  });
  assert.deepEqual(resolve(ctx.scope, outputs), {
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

/**
 * What the bucket policy decides for a write by `principalArn` (an IAM role's ARN, as `aws:PrincipalArn` holds
 * it for the role's sessions) to `key`: "deny" when a Deny statement matches, else "iam" (IAM decides). Covers
 * the statement shapes this policy uses (Resource prefix wildcards, ArnNotEquals on aws:PrincipalArn).
 */
function bucketPolicyDecision(
  policy: Record<string, Json>,
  action: string,
  principalArn: string,
  key: string,
) {
  const denies = Object.values(policy).filter((statement) =>
    statement.Effect === "Deny" && [statement.Action].flat().includes(action) &&
    [statement.Resource].flat().some((resource: string) => {
      const objectPattern = resource.split("/").slice(1).join("/");
      return resource.includes("/") && key.startsWith(objectPattern.replace(/\*$/, ""));
    }) &&
    // The TLS deny only bites without TLS; every request here uses TLS.
    statement.Condition?.Bool?.["aws:SecureTransport"] === undefined &&
    statement.Condition?.ArnNotEquals?.["aws:PrincipalArn"] !== principalArn
  );
  return denies.length > 0 ? "deny" : "iam";
}

Deno.test("createStorage(): only the deploy role may write releases (app/*); replication and other keys unaffected", () => {
  const { stack, config } = defaultStack();
  assert.ok(ARTIFACT_KEY.startsWith(RELEASE_PREFIX), "the key instances read is a release key");
  const deployRole = "${aws_iam_role.release_global_deploy_role.arn}";
  const account = config.accountId;
  for (const role of ROLES) {
    const peer = PEER[role];
    const policy = bucketPolicy(stack, role);
    const guard = policy.OnlyTheDeployRoleWritesReleases;
    assert.deepEqual(guard, {
      Effect: "Deny",
      Sid: "OnlyTheDeployRoleWritesReleases",
      Principal: { AWS: "*" },
      Action: [...RELEASE_WRITE_ACTIONS],
      Resource: `\${aws_s3_bucket.storage_${role}_bucket.arn}/app/*`,
      Condition: { ArnNotEquals: { "aws:PrincipalArn": deployRole } },
    });
    for (const action of [guard.Action, policy.OnlyThePeerReplicatesReleases.Action].flat()) {
      assert.ok(!/Delete/.test(action), `${action}: deletes stay allowed (force_destroy empties the bucket)`);
    }
    const peerReplication = `arn:aws:iam::${account}:role/s3-replication-${config[peer].region}-dev`;
    const ownReplication = `arn:aws:iam::${account}:role/s3-replication-${config[role].region}-dev`;
    const administrator = `arn:aws:iam::${account}:role/Administrator`;
    const instanceRole = `arn:aws:iam::${account}:role/app-instance-${config[role].region}-dev`;
    const decide = (action: string, principal: string, key = ARTIFACT_KEY) =>
      bucketPolicyDecision(policy, action, principal, key);
    assert.equal(decide("s3:PutObject", deployRole), "iam");
    for (const principal of [administrator, instanceRole, peerReplication, `arn:aws:iam::${account}:root`]) {
      for (const action of RELEASE_WRITE_ACTIONS) assert.equal(decide(action, principal), "deny", principal);
      assert.equal(
        decide("s3:PutObject", principal, "config/settings.json"),
        "iam",
        "other keys: IAM decides",
      );
    }
    // S3 replication writes replicas with s3:ReplicateObject, as the source bucket's replication role.
    assert.equal(decide("s3:ReplicateObject", peerReplication), "iam");
    assert.equal(decide("s3:ReplicateDelete", peerReplication), "iam");
    for (const principal of [administrator, deployRole, ownReplication]) {
      assert.equal(decide("s3:ReplicateObject", principal), "deny", `${principal} replicating into ${role}`);
    }
    assert.equal(
      resource(stack, "aws_iam_role", `storage_${peer}_replication_role`).name,
      peerReplication.split("/").pop(),
      "the admitted replicator is the peer's replication role",
    );
  }
});

Deno.test("createStorage() logs every request to each bucket (S3 server access logs) into its region's log bucket", () => {
  const { stack } = defaultStack();
  for (const role of ROLES) {
    const logging = resource(stack, "aws_s3_bucket_logging", `storage_${role}_access_logging`);
    assert.equal(logging.provider, `aws.${role}`);
    assert.equal(logging.bucket, `\${aws_s3_bucket.storage_${role}_bucket.id}`);
    // Named through the log bucket's policy: logging is switched on only once S3 may deliver there.
    assert.equal(logging.target_bucket, `\${aws_s3_bucket_policy.edge_${role}_log_policy.bucket}`);
    assert.equal(logging.target_prefix, "s3-access/");
    assert.equal(
      logging.target_grant,
      undefined,
      "the log bucket enforces bucket-owner ownership: no grants",
    );
  }
});
