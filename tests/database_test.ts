// createDatabase() (modules/database.ts): the global cluster, the master password variables, what it
// outputs; each region's member cluster is tested in database_member_test.ts.
import assert from "node:assert/strict";
import { loadConfig } from "../modules/config.ts";
import { forEachRegion } from "../modules/providers.ts";
import { createDatabase, MASTER_PASSWORD_VARIABLE } from "../modules/database.ts";
import { testContext } from "./stack_context_fixture.ts";
import { DATABASE_USERS } from "../handlers/lib/contract.ts";
import { defaultStack, PROJECT_ROOT, resolve, resource, resources, ROLES } from "./helpers.ts";

Deno.test("createDatabase() makes one encrypted, destroyable global cluster that owns the engine version", () => {
  const { stack, config } = defaultStack();
  const globals = resources(stack, "aws_rds_global_cluster");
  assert.deepEqual(Object.keys(globals), ["database_global"]);
  const global = globals.database_global;
  assert.equal(global.provider, "aws.primary");
  assert.equal(global.engine, "aurora-postgresql");
  assert.equal(global.engine_version, config.database.engineVersion);
  assert.equal(global.storage_encrypted, true);
  assert.equal(global.force_destroy, true);
  assert.equal(global.deletion_protection, false);
  assert.equal(global.global_cluster_identifier, "aurora-global-dev");
});

Deno.test("createDatabase() gives credentials only to the primary, write-only, from an ephemeral variable", () => {
  const { stack, config } = defaultStack();
  const primary = resource(stack, "aws_rds_cluster", "database_primary");
  assert.equal(primary.master_username, config.database.masterUsername);
  assert.equal(primary.database_name, config.database.databaseName);
  assert.equal(primary.master_password_wo, `\${var.${MASTER_PASSWORD_VARIABLE}}`);
  assert.equal(primary.master_password_wo_version, "${var.db_master_password_version}");
  assert.equal(primary.master_password, undefined);
  assert.equal(
    primary.manage_master_user_password,
    undefined,
    "RDS-managed secrets do not work for global clusters",
  );
  const secondary = resource(stack, "aws_rds_cluster", "database_secondary");
  for (const field of ["master_username", "master_password", "master_password_wo", "database_name"]) {
    assert.equal(secondary[field], undefined, `secondary must not set ${field}`);
  }
  const password = stack.variable[MASTER_PASSWORD_VARIABLE];
  assert.equal(password.ephemeral, true);
  assert.equal(password.sensitive, true);
  assert.equal(password.type, "string");
  assert.equal(password.default, undefined, "no default: the operator must supply it");
  assert.deepEqual(
    {
      type: stack.variable.db_master_password_version.type,
      default: stack.variable.db_master_password_version.default,
    },
    { type: "number", default: 1 },
  );
});

Deno.test("createDatabase() outputs the global writer endpoint and each member's identifiers and endpoints", () => {
  const config = loadConfig({});
  const ctx = testContext();
  const perRegion = <T>(make: (role: "primary" | "secondary") => T) =>
    forEachRegion(ctx.regions, ({ role }) => make(role));
  const outputs = createDatabase(ctx, {
    network: perRegion((role) => ({
      vpcId: `vpc-${role}`,
      vpcCidr: config[role].vpcCidr,
      availabilityZones: config[role].availabilityZones,
      publicSubnetIds: [],
      appSubnetIds: [],
      dataSubnetIds: [`subnet-${role}-a`, `subnet-${role}-b`],
      s3PrefixListId: `pl-s3-${role}`,
    })),
    securityGroups: perRegion((role) => ({
      albSecurityGroupId: "sg-alb",
      appSecurityGroupId: "sg-app",
      databaseSecurityGroupId: `sg-database-${role}`,
      databaseCheckerSecurityGroupId: "sg-checker",
    })),
    database: config.database,
  });
  const resolved = resolve(ctx.scope, outputs);
  assert.equal(resolved.globalWriterEndpoint, "${aws_rds_global_cluster.database_global.endpoint}");
  assert.equal(
    resolved.globalClusterIdentifier,
    "${aws_rds_global_cluster.database_global.global_cluster_identifier}",
  );
  // Each output field is the attribute of its own region's cluster.
  const attributeOf = {
    clusterArn: "arn",
    clusterIdentifier: "cluster_identifier",
    clusterResourceId: "cluster_resource_id",
    readerEndpoint: "reader_endpoint",
    clusterEndpoint: "endpoint",
  };
  for (const role of ROLES) {
    assert.deepEqual(
      resolved.clusters[role],
      Object.fromEntries(
        Object.entries(attributeOf).map(([field, attribute]) => [
          field,
          `\${aws_rds_cluster.database_${role}.${attribute}}`,
        ]),
      ),
    );
  }
  assert.deepEqual(
    [resolved.port, resolved.databaseName, resolved.masterUsername],
    [config.database.port, config.database.databaseName, config.database.masterUsername],
  );
  assert.equal(resolved.masterPassword.writeOnlyValue, "${var.db_master_password}");
  // The global writer endpoint leads to either cluster: each identity may connect to both.
  for (const [identity, user] of Object.entries(DATABASE_USERS)) {
    assert.deepEqual(
      resolved.connectArns[identity],
      ROLES.map((role) =>
        `arn:aws:rds-db:${config[role].region}:${config.accountId}:dbuser:` +
        `\${aws_rds_cluster.database_${role}.cluster_resource_id}/${user}`
      ),
      identity,
    );
  }
});

for (const target of ["plan", "apply", "destroy"]) {
  Deno.test(`make ${target} refuses clearly without TF_VAR_db_master_password`, () => {
    const result = new Deno.Command("make", {
      args: ["--no-print-directory", target],
      cwd: PROJECT_ROOT,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: Deno.env.get("HOME") ?? "/root",
        AWS_ACCOUNT_ID: "111122223333",
        AWS_PROFILE: "would-be-used",
        TF_PLUGIN_DIR: "/nonexistent",
      },
    }).outputSync();
    const stderr = new TextDecoder().decode(result.stderr);
    assert.notEqual(result.code, 0);
    assert.match(stderr, new RegExp(`^refusing to ${target}:\n  TF_VAR_db_master_password is not set`));
    assert.doesNotMatch(new TextDecoder().decode(result.stdout), /terraform|main\.ts/, "nothing ran");
  });
}
