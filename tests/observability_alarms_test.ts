// createRegionAlarms() (modules/observability_alarms.ts) in the synthesized stack: what each region alarms on,
// each alarm in the region whose metric it reads.
import assert from "node:assert/strict";
import { defaultStack, type Json, resources, resourcesIn, ROLES } from "./helpers.ts";

/** The observability alarms of one region, by key (`observability_<role>_<key>`). */
function alarmsOf(stack: Json, role: string): Record<string, Json> {
  const prefix = `observability_${role}_`;
  return Object.fromEntries(
    Object.entries(resources(stack, "aws_cloudwatch_metric_alarm"))
      .filter(([id]) => id.startsWith(prefix))
      .map(([id, alarm]) => [id.slice(prefix.length), alarm]),
  );
}

Deno.test("createRegionAlarms() alarms on RPO lag, recovery time, checkers, S3 replication and hosts", () => {
  const { stack, config } = defaultStack();
  const standby = alarmsOf(stack, "secondary");
  const rpo = standby.rpo_lag;
  assert.equal(rpo.metric_name, "AuroraGlobalDBRPOLag");
  assert.equal(rpo.threshold, config.objectives.rpoLagAlarmSeconds * 1000);
  assert.ok(rpo.threshold < config.objectives.rpoTargetSeconds * 1000);
  assert.equal(standby.recovery_time.threshold, config.objectives.rtoTargetSeconds);
  assert.equal(standby.failover_invoked.metric_name, "Invocations");
  for (const role of ROLES) {
    const alarms = alarmsOf(stack, role);
    for (
      const key of [
        "database_unhealthy",
        "app_unhealthy",
        "unhealthy_hosts",
        "replication_latency",
        "replication_failed",
      ]
    ) {
      assert.ok(alarms[key], `${role} ${key}`);
      assert.equal(alarms[key].provider, `aws.${role}`, `${role} ${key}: in its own region`);
    }
    assert.equal(alarms.replication_latency.threshold, config.objectives.replicationLatencyAlarmSeconds);
    assert.equal(alarms.database_unhealthy.evaluation_periods, config.objectives.checkerAlarmMinutes);
    assert.deepEqual(alarms.database_unhealthy.dimensions, { Region: config[role].region, Role: role });
  }
});

Deno.test("createRegionAlarms() watches every function in its own region: one Errors and one Throttles alarm each", () => {
  const { stack } = defaultStack();
  // The witness region has no topic: its prober's failures show up in the standby's "witness silent" alarm.
  for (const role of ROLES) {
    const functions = Object.values(resourcesIn(stack, "aws_lambda_function", role))
      .map((lambda) => lambda.function_name).sort();
    const alarms = Object.values(alarmsOf(stack, role));
    for (const metric of ["Errors", "Throttles"]) {
      const watched = alarms
        .filter((alarm) => alarm.namespace === "AWS/Lambda" && alarm.metric_name === metric)
        .map((alarm) => alarm.dimensions.FunctionName).sort();
      assert.deepEqual(watched, functions, `${role} ${metric}`);
    }
  }
});

Deno.test("createRegionAlarms() alarms on Aurora's lag only in the standby, where Aurora publishes it", () => {
  const { stack } = defaultStack();
  const auroraAlarms = (role: string) =>
    Object.values(alarmsOf(stack, role)).filter((alarm) => alarm.namespace === "AWS/RDS");
  assert.deepEqual(auroraAlarms("primary"), []);
  const standby = auroraAlarms("secondary");
  assert.deepEqual(standby.map((alarm) => alarm.metric_name).sort(), [
    "AuroraGlobalDBRPOLag",
    "AuroraGlobalDBReplicationLag",
  ]);
  for (const alarm of standby) {
    assert.deepEqual(alarm.dimensions, {
      DBClusterIdentifier: "${aws_rds_cluster.database_secondary.cluster_identifier}",
    });
  }
});
