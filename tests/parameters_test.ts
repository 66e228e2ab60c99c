import assert from "node:assert/strict";
import { createParameters } from "../modules/parameters.ts";
import { testContext } from "./stack_context_fixture.ts";
import {
  PARAMETER_KEYS,
  type ParameterKey,
  parameterName,
  parameterPrefix,
  RELEASE_UNPUBLISHED,
} from "../handlers/lib/contract.ts";
import { defaultStack, type Json, resolve, resources, resourcesIn, ROLES } from "./helpers.ts";

/** The parameters of one region by name. */
function parametersByName(stack: Json, role: "primary" | "secondary"): Record<string, Json> {
  return Object.fromEntries(
    Object.values(resourcesIn(stack, "aws_ssm_parameter", role)).map((body) => [body.name, body]),
  );
}

Deno.test("createParameters() writes every contract key in both regions, under /<app>/<suffix>", () => {
  const { stack, config } = defaultStack();
  const prefix = parameterPrefix(config.appName, config.environmentSuffix);
  assert.equal(prefix, "/txn/dev");
  const expected = (Object.keys(PARAMETER_KEYS) as ParameterKey[]).map((key) => parameterName(prefix, key))
    .sort();
  for (const role of ROLES) {
    assert.deepEqual(Object.keys(parametersByName(stack, role)).sort(), expected);
  }
  assert.equal(
    Object.keys(resources(stack, "aws_ssm_parameter")).length,
    ROLES.length * expected.length,
    "no parameter beyond the contract's keys",
  );
});

Deno.test("createParameters() stores each region's own values", () => {
  const { stack, config } = defaultStack();
  const prefix = parameterPrefix(config.appName, config.environmentSuffix);
  const peer = { primary: "secondary", secondary: "primary" } as const;
  for (const role of ROLES) {
    const byName = parametersByName(stack, role);
    const value = (key: ParameterKey) => byName[parameterName(prefix, key)].value;
    assert.equal(value("writerEndpoint"), "${aws_rds_global_cluster.database_global.endpoint}");
    assert.equal(value("readerEndpoint"), `\${aws_rds_cluster.database_${role}.reader_endpoint}`);
    assert.equal(value("port"), String(config.database.port));
    assert.equal(value("databaseName"), config.database.databaseName);
    assert.equal(value("masterUsername"), config.database.masterUsername);
    assert.equal(value("regionRole"), role);
    assert.equal(value("peerRegion"), config[peer[role]].region);
    assert.equal(value("artifactBucket"), `\${aws_s3_bucket.storage_${role}_bucket.bucket}`);
    assert.equal(value("peerArtifactBucket"), `\${aws_s3_bucket.storage_${peer[role]}_bucket.bucket}`);
    for (const body of Object.values(byName)) {
      if (body.type === "String") assert.equal(body.value_wo, undefined);
    }
    // Values the failover automation rewrites; Terraform must not revert them.
    for (const key of ["writerEndpoint", "activeRegion"] as const) {
      assert.deepEqual(byName[parameterName(prefix, key)].lifecycle, { ignore_changes: ["value"] }, key);
    }
  }
});

Deno.test("createParameters() keeps the password a SecureString under the region's key, written write-only", () => {
  const { stack, config } = defaultStack();
  const name = parameterName(parameterPrefix(config.appName, config.environmentSuffix), "masterPassword");
  for (const role of ROLES) {
    const secureStrings = Object.values(resourcesIn(stack, "aws_ssm_parameter", role))
      .filter((body) => body.type === "SecureString");
    assert.deepEqual(secureStrings.map((body) => body.name), [name]);
    const [password] = secureStrings;
    assert.equal(password.key_id, `\${aws_kms_key.kms_${role}.arn}`);
    assert.equal(password.value_wo, "${var.db_master_password}");
    assert.equal(password.value_wo_version, "${var.db_master_password_version}");
    assert.equal(password.value, undefined);
    assert.equal(password.insecure_value, undefined);
  }
});

Deno.test("createParameters() starts active-region at the primary region and leaves later updates to failover", () => {
  const { stack, config } = defaultStack();
  const name = parameterName(parameterPrefix(config.appName, config.environmentSuffix), "activeRegion");
  for (const role of ROLES) {
    const activeRegion = parametersByName(stack, role)[name];
    assert.equal(activeRegion.type, "String");
    assert.equal(activeRegion.value, config.primary.region);
    assert.deepEqual(activeRegion.lifecycle.ignore_changes, ["value"]);
  }
  const automationOwned = [
    name,
    parameterName(parameterPrefix(config.appName, config.environmentSuffix), "writerEndpoint"),
    parameterName(parameterPrefix(config.appName, config.environmentSuffix), "releaseDigest"),
  ];
  const others = Object.values(resources(stack, "aws_ssm_parameter")).filter((body) =>
    !automationOwned.includes(body.name)
  );
  assert.ok(others.every((body) => body.lifecycle === undefined), "Terraform owns every other value");
});

Deno.test("createParameters() pins no release at first (`none`) and leaves the digest to make release", () => {
  const { stack, config } = defaultStack();
  const name = parameterName(parameterPrefix(config.appName, config.environmentSuffix), "releaseDigest");
  assert.equal(name, "/txn/dev/app/release-sha256");
  assert.equal(RELEASE_UNPUBLISHED, "none");
  for (const role of ROLES) {
    const digest: Json = parametersByName(stack, role)[name];
    assert.equal(digest.type, "String", "a digest is no secret");
    assert.equal(digest.value, RELEASE_UNPUBLISHED);
    assert.deepEqual(digest.lifecycle, { ignore_changes: ["value"] }, "an apply never unpins a release");
  }
});

Deno.test("createParameters() outputs the prefix and, per region, the active-region parameter and the path ARN", () => {
  const ctx = testContext({ APP_NAME: "pay", ENVIRONMENT_SUFFIX: "qa", AWS_ACCOUNT_ID: "111122223333" });
  const cluster = (role: string) => ({
    clusterArn: `arn:cluster:${role}`,
    clusterIdentifier: `aurora-${role}`,
    clusterResourceId: `cluster-${role}`,
    readerEndpoint: `reader.${role}.example`,
    clusterEndpoint: `writer.${role}.example`,
  });
  const bucket = (role: string) => ({
    bucketName: `bucket-${role}`,
    bucketArn: `arn:aws:s3:::bucket-${role}`,
    replicationRuleId: `rule-${role}`,
    replicationRoleArn: `arn:role:${role}`,
  });
  const outputs = createParameters(ctx, {
    database: {
      globalClusterIdentifier: "aurora-global-qa",
      globalWriterEndpoint: "global.example",
      port: 5432,
      databaseName: "transactions",
      masterUsername: "txn_admin",
      clusters: { primary: cluster("primary"), secondary: cluster("secondary") },
      connectArns: { app: [], checker: [] },
      masterPassword: { writeOnlyValue: "${var.db_master_password}", version: 1 },
    },
    storage: { primary: bucket("primary"), secondary: bucket("secondary") },
    appName: "pay",
  });
  const resolved = resolve(ctx.scope, outputs);
  assert.equal(resolved.prefix, "/pay/qa");
  assert.deepEqual(resolved.regions.secondary, {
    activeRegionParameterName: "/pay/qa/failover/active-region",
    activeRegionParameterArn: "${aws_ssm_parameter.parameters_secondary_active_region.arn}",
    releaseDigestParameterName: "/pay/qa/app/release-sha256",
    releaseDigestParameterArn: "${aws_ssm_parameter.parameters_secondary_release_digest.arn}",
    parameterPathArn: "arn:aws:ssm:us-east-2:111122223333:parameter/pay/qa/*",
  });
  assert.equal(
    resolved.regions.primary.parameterPathArn,
    "arn:aws:ssm:us-east-1:111122223333:parameter/pay/qa/*",
  );
  const synthesized = JSON.parse(JSON.stringify(ctx.scope.toTerraform()));
  const reader = Object.values(synthesized.resource.aws_ssm_parameter as Record<string, Json>)
    .find((body) => body.name === "/pay/qa/database/reader-endpoint" && body.provider === "aws.secondary");
  assert.equal(reader.value, "reader.secondary.example");
});
