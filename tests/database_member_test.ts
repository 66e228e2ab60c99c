// createMember() (modules/database_member.ts) in the synthesized stack: each region's member cluster of the
// global database, its instances, subnets, parameters, logs and monitoring.
import assert from "node:assert/strict";
import { clusterParameterGroupFamily, INSTANCE_COUNT } from "../modules/database_member.ts";
import { defaultStack, type Json, resource, resources, resourcesIn, ROLES, synthWith } from "./helpers.ts";

function parameterValues(group: Json): Record<string, string> {
  return Object.fromEntries(
    group.parameter.map((parameter: { name: string; value: string }) => [parameter.name, parameter.value]),
  );
}

Deno.test("createMember() encrypts each member with its own region's key and keeps backups for PITR", () => {
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

Deno.test("createMember() joins the secondary after the primary's writer and ignores failover drift", () => {
  const { stack, config } = defaultStack();
  const secondary = resource(stack, "aws_rds_cluster", "database_secondary");
  const writer = `database_primary_instance_${config.primary.availabilityZones[0]}`;
  assert.ok(secondary.depends_on.includes(`aws_rds_cluster_instance.${writer}`));
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

Deno.test("createMember() puts writer and reader in different AZs and never leaves the standby headless", () => {
  const { stack, config } = defaultStack();
  assert.ok(INSTANCE_COUNT.primary >= 2 && INSTANCE_COUNT.secondary >= 1);
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
    // The first zone's instance is the writer: every other instance ranks after it for promotion.
    const [writer, ...readers] = zones.map((zone) => instances[`database_${role}_instance_${zone}`]);
    for (const reader of readers) assert.ok(writer.promotion_tier < reader.promotion_tier);
  }
});

Deno.test("createMember() uses the data subnets and the one database security group of firewall.ts", () => {
  const { stack, config } = defaultStack();
  assert.deepEqual(
    Object.keys(resources(stack, "aws_security_group")).filter((id) => id.includes("database")),
    ROLES.map((role) => `firewall_${role}_database`),
    "one database security group per region",
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

Deno.test("clusterParameterGroupFamily() is the engine and the major version", () => {
  assert.equal(clusterParameterGroupFamily("16.6"), "aurora-postgresql16");
  assert.equal(clusterParameterGroupFamily("15.10"), "aurora-postgresql15");
});

Deno.test("createMember() forces TLS on both members and sets no RPO guard by default", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const group = resource(stack, "aws_rds_cluster_parameter_group", `database_${role}_cluster_parameters`);
    assert.equal(group.family, clusterParameterGroupFamily(config.database.engineVersion));
    assert.deepEqual(parameterValues(group), { "rds.force_ssl": "1" });
    assert.equal(
      resource(stack, "aws_rds_cluster", `database_${role}`).db_cluster_parameter_group_name,
      `\${aws_rds_cluster_parameter_group.database_${role}_cluster_parameters.name}`,
    );
  }
});

Deno.test("createMember() sets the rds.global_db_rpo commit guard only in the primary's parameter group", () => {
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

Deno.test("createMember() exports PostgreSQL logs to encrypted log groups created before the clusters", () => {
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

Deno.test("createMember() monitors every instance: Performance Insights with the region's key, enhanced monitoring", () => {
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
      assert.equal(instance.performance_insights_retention_period, 7, "the default: the free tier");
      assert.equal(instance.monitoring_interval, 60, "the default granularity");
      assert.equal(instance.monitoring_role_arn, `\${aws_iam_role.database_${role}_monitoring_role.arn}`);
      assert.ok(instance.depends_on.includes(`aws_iam_role_policy.database_${role}_monitoring_policy`));
    }
  }
});

Deno.test("createMember() adds Serverless v2 scaling only when an instance class is db.serverless", () => {
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
    { min_capacity: 2, max_capacity: 16 },
    "the default capacity range",
  );
  for (const instance of Object.values(resourcesIn(stack, "aws_rds_cluster_instance", "secondary"))) {
    assert.equal(instance.instance_class, "db.serverless");
  }
});
