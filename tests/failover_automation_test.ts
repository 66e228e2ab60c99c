import assert from "node:assert/strict";
import { defaultStack, resource, resources, synthWith } from "./helpers.ts";

Deno.test("createFailoverAutomation() alarms on the standby's view of the primary, missing data breaching", () => {
  const { stack, config } = defaultStack();
  const alarm = resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_primary_unreachable");
  assert.equal(alarm.provider, "aws.secondary");
  assert.equal(alarm.metric_name, "PeerAppHealthy");
  assert.deepEqual(alarm.dimensions, { Region: "us-east-2", Role: "secondary" });
  assert.equal(alarm.treat_missing_data, "breaching");
  assert.equal(alarm.evaluation_periods, config.health.primaryUnreachableMinutes);
  assert.equal(alarm.datapoints_to_alarm, config.health.primaryUnreachableMinutes);
  assert.deepEqual(alarm.alarm_actions, ["${aws_sns_topic.alerting_secondary.arn}"]);
  assert.deepEqual(alarm.ok_actions, ["${aws_sns_topic.alerting_secondary.arn}"]);
  const fenced = resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_primary_fenced");
  assert.equal(fenced.metric_name, "PrimaryFenced");
  assert.equal(fenced.treat_missing_data, "ignore", "a gap must not open the fence");
});

Deno.test("createFailoverAutomation() starts the orchestrator when the alarm enters ALARM", () => {
  const { stack } = defaultStack();
  const rule = resource(stack, "aws_cloudwatch_event_rule", "failover_secondary_trigger");
  assert.equal(rule.provider, "aws.secondary");
  const pattern = JSON.parse(rule.event_pattern);
  assert.deepEqual(pattern.resources, [
    "${aws_cloudwatch_metric_alarm.failover_secondary_primary_unreachable.arn}",
  ]);
  assert.deepEqual(pattern.detail.state.value, ["ALARM"]);
  const target = resource(stack, "aws_cloudwatch_event_target", "failover_secondary_trigger_target");
  assert.equal(target.arn, "${aws_lambda_function.failover_secondary_failover.arn}");
  const permission = resource(stack, "aws_lambda_permission", "failover_secondary_trigger_invoke");
  assert.equal(permission.source_arn, "${aws_cloudwatch_event_rule.failover_secondary_trigger.arn}");
  assert.equal(permission.provider, "aws.secondary");
});

Deno.test("createFailoverAutomation() runs one orchestrator at a time in the standby region", () => {
  const { stack, config } = defaultStack();
  const orchestrator = resource(stack, "aws_lambda_function", "failover_secondary_failover");
  assert.equal(orchestrator.provider, "aws.secondary");
  assert.equal(orchestrator.reserved_concurrent_executions, 1);
  const env = orchestrator.environment.variables;
  assert.equal(env.FAILOVER_CAPACITY, String(config.compute.primaryDesiredCapacity));
  assert.equal(env.AUTO_FAILOVER, "true");
  assert.equal(env.IDEMPOTENCY_TABLE, "dr-failover-lock-us-east-2-dev");
  const table = resource(stack, "aws_dynamodb_table", "failover_secondary_lock_table");
  assert.equal(table.server_side_encryption.enabled, true);
  assert.equal(table.point_in_time_recovery.enabled, true);
  assert.equal(table.ttl.attribute_name, "expiration");
  assert.equal(
    synthWith({ AUTO_FAILOVER: "false" }).stack.resource.aws_lambda_function.failover_secondary_failover
      .environment.variables.AUTO_FAILOVER,
    "false",
  );
});

Deno.test("createFailoverAutomation() lets the orchestrator act only on the global cluster, the standby ASG and active-region", () => {
  const { stack } = defaultStack();
  const policy = JSON.parse(
    resource(stack, "aws_iam_role_policy", "failover_secondary_failover_policy").policy,
  );
  const bySid = Object.fromEntries(
    policy.Statement.map((statement: { Sid: string }) => [statement.Sid, statement]),
  );
  assert.ok(
    bySid.PromoteSecondaryCluster.Resource.includes(
      "arn:aws:rds::123456789012:global-cluster:${aws_rds_global_cluster.database_global.id}",
    ) ||
      bySid.PromoteSecondaryCluster.Resource.some((arn: string) =>
        arn.startsWith("arn:aws:rds::123456789012:global-cluster:")
      ),
  );
  assert.deepEqual(bySid.FailoverParameters.Resource, [
    "arn:aws:ssm:us-east-2:123456789012:parameter/txn/dev/failover/active-region",
    "arn:aws:ssm:us-east-2:123456789012:parameter/txn/dev/database/writer-endpoint",
  ]);
  assert.match(bySid.RaiseStandbyCapacity.Resource, /aws_autoscaling_group\..*secondary.*\.arn/);
});

Deno.test("the primary record's calculated health check includes both standby alarms", () => {
  const { stack } = defaultStack();
  const alarmChecks = Object.values(resources(stack, "aws_route53_health_check"))
    .filter((check) => check.type === "CLOUDWATCH_METRIC");
  // References (not copies of the names): Terraform creates each check after its alarm.
  assert.deepEqual(
    alarmChecks.map((check) => check.cloudwatch_alarm_name).sort(),
    [
      "${aws_cloudwatch_metric_alarm.failover_secondary_primary_fenced.alarm_name}",
      "${aws_cloudwatch_metric_alarm.failover_secondary_primary_unreachable.alarm_name}",
    ],
  );
  assert.ok(alarmChecks.every((check) => check.cloudwatch_alarm_region === "us-east-2"));
});
