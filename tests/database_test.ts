import assert from "node:assert/strict";
import { App, TerraformStack } from "cdktf";
import { loadConfig } from "../modules/config.ts";
import { createRegionPair } from "../modules/providers.ts";
import {
  clusterParameterGroupFamily,
  createDatabase,
  INSTANCE_COUNT,
  MASTER_PASSWORD_VARIABLE,
} from "../modules/database.ts";
import {
  defaultStack,
  type Json,
  PROJECT_ROOT,
  resolve,
  resource,
  resources,
  resourcesIn,
  ROLES,
  synthWith,
} from "./helpers.ts";

function parameterValues(group: Json): Record<string, string> {
  return Object.fromEntries(
    group.parameter.map((parameter: { name: string; value: string }) => [parameter.name, parameter.value]),
  );
}

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

Deno.test("createDatabase() encrypts each member with its own region's key and keeps backups for PITR", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const cluster = resource(stack, "aws_rds_cluster", `database_${role}`);
    assert.equal(cluster.provider, `aws.${role}`);
    assert.equal(
      cluster.global_cluster_identifier,
      "${aws_rds_global_cluster.database_global.global_cluster_identifier}",
    );
    assert.equal(cluster.storage_encrypted, true);
    assert.equal(cluster.kms_key_id, `\${aws_kms_key.kms_${role}.arn}`);
    assert.equal(cluster.backup_retention_period, config.database.backupRetentionDays);
    assert.ok(cluster.backup_retention_period >= 1);
    assert.equal(cluster.preferred_backup_window, config.database.backupWindow);
    assert.equal(cluster.copy_tags_to_snapshot, true);
    assert.equal(cluster.skip_final_snapshot, true);
    assert.equal(cluster.deletion_protection, false);
    assert.equal(cluster.iam_database_authentication_enabled, true);
    assert.deepEqual(cluster.enabled_cloudwatch_logs_exports, ["postgresql"]);
    assert.equal(cluster.port, config.database.port);
  }
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

Deno.test("createDatabase() joins the secondary after the primary's writer and ignores failover drift", () => {
  const { stack } = defaultStack();
  const secondary = resource(stack, "aws_rds_cluster", "database_secondary");
  assert.ok(secondary.depends_on.includes("aws_rds_cluster_instance.database_primary_instance_us-east-1a"));
  for (const role of ROLES) {
    const cluster = resource(stack, "aws_rds_cluster", `database_${role}`);
    assert.deepEqual([...cluster.lifecycle.ignore_changes].sort(), [
      "engine_version",
      "global_cluster_identifier",
      "replication_source_identifier",
    ]);
    for (const instance of Object.values(resourcesIn(stack, "aws_rds_cluster_instance", role))) {
      assert.deepEqual(instance.lifecycle.ignore_changes, ["engine_version"]);
      assert.equal(instance.auto_minor_version_upgrade, false);
    }
  }
});

Deno.test("createDatabase() puts writer and reader in different AZs and never leaves the standby headless", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const instances = resourcesIn(stack, "aws_rds_cluster_instance", role);
    const zones = config[role].availabilityZones.slice(0, INSTANCE_COUNT[role]);
    assert.deepEqual(Object.keys(instances).sort(), zones.map((zone) => `database_${role}_instance_${zone}`));
    assert.equal(
      new Set(Object.values(instances).map((instance) => instance.availability_zone)).size,
      zones.length,
    );
    const expectedClass = role === "primary"
      ? config.database.primaryInstanceClass
      : config.database.secondaryInstanceClass;
    for (const instance of Object.values(instances)) {
      assert.equal(instance.cluster_identifier, `\${aws_rds_cluster.database_${role}.id}`);
      assert.equal(instance.instance_class, expectedClass);
      assert.doesNotMatch(
        instance.instance_class,
        /^db\.t/,
        "burstable classes cannot join a global database",
      );
      assert.equal(instance.publicly_accessible, false);
    }
  }
  assert.ok(INSTANCE_COUNT.primary >= 2 && INSTANCE_COUNT.secondary >= 1);
  const writer = resource(stack, "aws_rds_cluster_instance", "database_primary_instance_us-east-1a");
  const reader = resource(stack, "aws_rds_cluster_instance", "database_primary_instance_us-east-1b");
  assert.ok(writer.promotion_tier < reader.promotion_tier);
});

Deno.test("createDatabase() uses the data subnets and the one database security group of security_groups.ts", () => {
  const { stack, config } = defaultStack();
  assert.equal(
    Object.keys(resources(stack, "aws_security_group")).filter((id) => id.includes("database")).length,
    2,
  );
  for (const role of ROLES) {
    const cluster = resource(stack, "aws_rds_cluster", `database_${role}`);
    assert.deepEqual(cluster.vpc_security_group_ids, [`\${aws_security_group.firewall_${role}_database.id}`]);
    assert.equal(cluster.db_subnet_group_name, `\${aws_db_subnet_group.database_${role}_subnets.name}`);
    const subnets = resource(stack, "aws_db_subnet_group", `database_${role}_subnets`);
    assert.deepEqual(
      subnets.subnet_ids,
      config[role].availabilityZones.map((zone) => `\${aws_subnet.network_${role}_data_${zone}.id}`),
    );
  }
});

Deno.test("createDatabase() forces TLS on both members and sets no RPO guard by default", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const group = resource(stack, "aws_rds_cluster_parameter_group", `database_${role}_cluster_parameters`);
    assert.equal(group.family, clusterParameterGroupFamily(config.database.engineVersion));
    assert.equal(group.family, "aurora-postgresql16");
    assert.deepEqual(parameterValues(group), { "rds.force_ssl": "1" });
    assert.equal(
      resource(stack, "aws_rds_cluster", `database_${role}`).db_cluster_parameter_group_name,
      `\${aws_rds_cluster_parameter_group.database_${role}_cluster_parameters.name}`,
    );
  }
});

Deno.test("createDatabase() sets the rds.global_db_rpo commit guard only in the primary's parameter group", () => {
  const { stack } = synthWith({ DB_RPO_GUARD_SECONDS: "30", DB_ENGINE_VERSION: "15.10" });
  const primary = resource(stack, "aws_rds_cluster_parameter_group", "database_primary_cluster_parameters");
  const secondary = resource(
    stack,
    "aws_rds_cluster_parameter_group",
    "database_secondary_cluster_parameters",
  );
  assert.deepEqual(parameterValues(primary), { "rds.force_ssl": "1", "rds.global_db_rpo": "30" });
  assert.deepEqual(parameterValues(secondary), { "rds.force_ssl": "1" });
  assert.equal(primary.family, "aurora-postgresql15");
});

Deno.test("createDatabase() exports PostgreSQL logs to encrypted log groups created before the clusters", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const cluster = resource(stack, "aws_rds_cluster", `database_${role}`);
    const logGroup = resource(stack, "aws_cloudwatch_log_group", `database_${role}_postgresql_logs`);
    assert.equal(logGroup.name, `/aws/rds/cluster/${cluster.cluster_identifier}/postgresql`);
    assert.equal(logGroup.kms_key_id, `\${aws_kms_key.kms_${role}.arn}`);
    assert.equal(logGroup.retention_in_days, config.logRetentionDays);
    assert.ok(cluster.depends_on.includes(`aws_cloudwatch_log_group.database_${role}_postgresql_logs`));
  }
});

Deno.test("createDatabase() monitors every instance: Performance Insights with the region's key, enhanced monitoring", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const roleBody = resource(stack, "aws_iam_role", `database_${role}_monitoring_role`);
    const trust = JSON.parse(roleBody.assume_role_policy);
    assert.equal(trust.Statement.length, 1);
    assert.deepEqual(trust.Statement[0].Principal, { Service: "monitoring.rds.amazonaws.com" });
    assert.deepEqual(trust.Statement[0].Condition, {
      StringEquals: { "aws:SourceAccount": config.accountId },
    });
    const policy = JSON.parse(
      resource(stack, "aws_iam_role_policy", `database_${role}_monitoring_policy`).policy,
    );
    const region = config[role].region;
    const logGroup = `arn:aws:logs:${region}:${config.accountId}:log-group:RDSOSMetrics`;
    assert.deepEqual(policy.Statement.map((statement: Json) => statement.Resource), [
      logGroup,
      `${logGroup}:log-stream:*`,
    ]);
    for (const instance of Object.values(resourcesIn(stack, "aws_rds_cluster_instance", role))) {
      assert.equal(instance.performance_insights_enabled, true);
      assert.equal(instance.performance_insights_kms_key_id, `\${aws_kms_key.kms_${role}.arn}`);
      assert.equal(instance.performance_insights_retention_period, 7);
      assert.equal(instance.monitoring_interval, 60);
      assert.equal(instance.monitoring_role_arn, `\${aws_iam_role.database_${role}_monitoring_role.arn}`);
      assert.ok(instance.depends_on.includes(`aws_iam_role_policy.database_${role}_monitoring_policy`));
    }
  }
});

Deno.test("createDatabase() adds Serverless v2 scaling only when an instance class is db.serverless", () => {
  assert.equal(
    resource(defaultStack().stack, "aws_rds_cluster", "database_primary").serverlessv2_scaling_configuration,
    undefined,
  );
  const { stack } = synthWith({ DB_SECONDARY_INSTANCE_CLASS: "db.serverless" });
  assert.equal(
    resource(stack, "aws_rds_cluster", "database_primary").serverlessv2_scaling_configuration,
    undefined,
  );
  assert.deepEqual(
    resource(stack, "aws_rds_cluster", "database_secondary").serverlessv2_scaling_configuration,
    {
      min_capacity: 2,
      max_capacity: 16,
    },
  );
  for (const instance of Object.values(resourcesIn(stack, "aws_rds_cluster_instance", "secondary"))) {
    assert.equal(instance.instance_class, "db.serverless");
  }
});

Deno.test("createDatabase() outputs the global writer endpoint and each member's identifiers and endpoints", () => {
  const config = loadConfig({});
  const stack = new TerraformStack(new App({ outdir: Deno.makeTempDirSync() }), "outputs");
  const regions = createRegionPair(stack, config);
  const perRegion = <T>(make: (role: "primary" | "secondary") => T) => ({
    primary: make("primary"),
    secondary: make("secondary"),
  });
  const outputs = createDatabase(stack, {
    regions,
    network: perRegion((role) => ({
      vpcId: `vpc-${role}`,
      vpcCidr: config[role].vpcCidr,
      availabilityZones: config[role].availabilityZones,
      publicSubnetIds: [],
      appSubnetIds: [],
      dataSubnetIds: [`subnet-${role}-a`, `subnet-${role}-b`],
    })),
    securityGroups: perRegion((role) => ({
      albSecurityGroupId: "sg-alb",
      appSecurityGroupId: "sg-app",
      databaseSecurityGroupId: `sg-database-${role}`,
      databaseCheckerSecurityGroupId: "sg-checker",
    })),
    keys: perRegion((role) => ({ keyArn: `arn:key:${role}`, keyId: role, aliasName: `alias/${role}` })),
    database: config.database,
    accountId: config.accountId,
    environmentSuffix: "dev",
    logRetentionDays: 30,
  });
  const resolved = resolve(stack, outputs);
  assert.equal(resolved.globalWriterEndpoint, "${aws_rds_global_cluster.database_global.endpoint}");
  assert.equal(
    resolved.globalClusterIdentifier,
    "${aws_rds_global_cluster.database_global.global_cluster_identifier}",
  );
  assert.deepEqual(resolved.clusters.secondary, {
    clusterArn: "${aws_rds_cluster.database_secondary.arn}",
    clusterIdentifier: "${aws_rds_cluster.database_secondary.cluster_identifier}",
    clusterResourceId: "${aws_rds_cluster.database_secondary.cluster_resource_id}",
    readerEndpoint: "${aws_rds_cluster.database_secondary.reader_endpoint}",
    clusterEndpoint: "${aws_rds_cluster.database_secondary.endpoint}",
  });
  assert.equal(
    resolved.clusters.primary.readerEndpoint,
    "${aws_rds_cluster.database_primary.reader_endpoint}",
  );
  assert.deepEqual(
    [resolved.port, resolved.databaseName, resolved.masterUsername],
    [config.database.port, config.database.databaseName, config.database.masterUsername],
  );
  assert.equal(resolved.masterPassword.writeOnlyValue, "${var.db_master_password}");
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
