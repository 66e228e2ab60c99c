import assert from "node:assert/strict";
import { defaultStack, type Json, resource, resources, synthWith } from "./helpers.ts";

const TOPIC = "${aws_sns_topic.alerting_secondary.arn}";
const alarmRef = (key: string) => `\${aws_cloudwatch_metric_alarm.failover_secondary_${key}.alarm_name}`;

function policyOf(stack: Json): Record<string, Json> {
  const policy = JSON.parse(
    resource(stack, "aws_iam_role_policy", "failover_secondary_failover_policy").policy,
  );
  return Object.fromEntries(policy.Statement.map((statement: { Sid: string }) => [statement.Sid, statement]));
}

Deno.test("createFailoverAutomation() votes: primary down from the standby and from the witness, 10 s periods, silence is no vote", () => {
  const { stack, config } = defaultStack();
  const votes = {
    primary_down_standby: { Region: config.secondary.region, Role: "secondary" },
    primary_down_witness: { Region: config.witness.region, Role: "witness" },
  };
  for (const [key, dimensions] of Object.entries(votes)) {
    const alarm = resource(stack, "aws_cloudwatch_metric_alarm", `failover_secondary_${key}`);
    assert.equal(alarm.provider, "aws.secondary", key);
    assert.equal(alarm.metric_name, "PrimaryProbeHealthy");
    assert.deepEqual(alarm.dimensions, dimensions);
    assert.equal(alarm.statistic, "Maximum", "one healthy probe in a period is no failure");
    assert.equal(alarm.comparison_operator, "LessThanThreshold");
    assert.equal(alarm.threshold, 1);
    assert.equal(alarm.period, 10);
    assert.equal(alarm.evaluation_periods, config.health.decisionPeriods);
    assert.equal(alarm.datapoints_to_alarm, config.health.decisionPeriods);
    assert.equal(alarm.treat_missing_data, "notBreaching", "a silent prober is never a vote");
    assert.deepEqual(alarm.alarm_actions, [TOPIC]);
    assert.deepEqual(alarm.ok_actions, [TOPIC]);
    assert.match(alarm.alarm_description, /Seen from one region only: not failing over/);
  }
});

Deno.test("createFailoverAutomation() votes on replication stalled as the standby's database checker sees it", () => {
  const { stack, config } = defaultStack();
  const alarm = resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_replication_stalled");
  assert.equal(alarm.metric_name, "ReplicationStalled");
  assert.deepEqual(alarm.dimensions, { Region: "us-east-2", Role: "secondary" });
  assert.equal(alarm.comparison_operator, "GreaterThanOrEqualToThreshold");
  assert.equal(alarm.threshold, 1);
  assert.equal(alarm.period, 10);
  assert.equal(alarm.evaluation_periods, config.health.decisionPeriods);
  assert.equal(alarm.treat_missing_data, "notBreaching");
  assert.match(alarm.alarm_description, /Seen from one region only: not failing over/);
  assert.equal(
    synthWith({ DECISION_PERIODS: "5" }).stack.resource.aws_cloudwatch_metric_alarm
      .failover_secondary_replication_stalled.datapoints_to_alarm,
    5,
  );
});

Deno.test("createFailoverAutomation() decides by quorum: witness AND (standby OR replication stalled)", () => {
  const { stack } = defaultStack();
  const quorum = resource(stack, "aws_cloudwatch_composite_alarm", "failover_secondary_quorum");
  assert.equal(quorum.provider, "aws.secondary");
  assert.equal(quorum.alarm_name, "dr-failover-quorum-us-east-2-dev");
  assert.equal(
    quorum.alarm_rule,
    `ALARM("${alarmRef("primary_down_witness")}") AND ` +
      `(ALARM("${alarmRef("primary_down_standby")}") OR ALARM("${alarmRef("replication_stalled")}"))`,
  );
  assert.deepEqual(quorum.alarm_actions, [TOPIC]);
  assert.deepEqual(quorum.ok_actions, [TOPIC]);
});

Deno.test("createFailoverAutomation() pages when the witness falls silent for 2 minutes", () => {
  const { stack, config } = defaultStack();
  const silent = resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_witness_silent");
  assert.equal(silent.metric_name, "PrimaryProbeHealthy");
  assert.deepEqual(silent.dimensions, { Region: config.witness.region, Role: "witness" });
  assert.equal(silent.statistic, "SampleCount");
  assert.equal(silent.period * silent.evaluation_periods, 120);
  assert.equal(silent.comparison_operator, "LessThanThreshold");
  assert.equal(silent.treat_missing_data, "breaching", "nothing published is exactly what it detects");
  assert.deepEqual(silent.alarm_actions, [TOPIC]);
  assert.match(silent.alarm_description, /automatic failover cannot happen without its vote/);
});

Deno.test("createFailoverAutomation() keeps the fence in two standard-resolution alarms that survive gaps", () => {
  const { stack } = defaultStack();
  const fenced = resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_primary_fenced");
  const unfenced = resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_primary_unfenced");
  for (const alarm of [fenced, unfenced]) {
    assert.equal(alarm.metric_name, "PrimaryFenced");
    assert.deepEqual(alarm.dimensions, { Region: "us-east-2", Role: "secondary" });
    assert.equal(alarm.period, 60, "Route 53 reads standard-resolution alarms only");
    assert.equal(alarm.evaluation_periods, 1);
    assert.equal(alarm.threshold, 1);
    assert.equal(alarm.treat_missing_data, "ignore", "a gap must neither open nor close the fence");
  }
  assert.equal(fenced.comparison_operator, "GreaterThanOrEqualToThreshold");
  assert.equal(unfenced.comparison_operator, "LessThanThreshold");
});

Deno.test("createFailoverAutomation() starts the orchestrator only on the quorum alarm's ALARM state", () => {
  const { stack } = defaultStack();
  const rule = resource(stack, "aws_cloudwatch_event_rule", "failover_secondary_trigger");
  assert.equal(rule.provider, "aws.secondary");
  const pattern = JSON.parse(rule.event_pattern);
  assert.deepEqual(pattern, {
    source: ["aws.cloudwatch"],
    "detail-type": ["CloudWatch Alarm State Change"],
    resources: ["${aws_cloudwatch_composite_alarm.failover_secondary_quorum.arn}"],
    detail: { state: { value: ["ALARM"] } },
  });
  const target = resource(stack, "aws_cloudwatch_event_target", "failover_secondary_trigger_target");
  assert.equal(target.arn, "${aws_lambda_function.failover_secondary_failover.arn}");
  const permission = resource(stack, "aws_lambda_permission", "failover_secondary_trigger_invoke");
  assert.equal(permission.source_arn, "${aws_cloudwatch_event_rule.failover_secondary_trigger.arn}");
  assert.equal(permission.provider, "aws.secondary");
  const rules = Object.values(resources(stack, "aws_cloudwatch_event_rule")) as Json[];
  const triggers = rules.filter((candidate) => candidate.event_pattern?.includes("Alarm State Change"));
  assert.equal(triggers.length, 1, "no child alarm starts anything");
});

Deno.test("createFailoverAutomation() runs one orchestrator at a time and tells it the decision and the primary", () => {
  const { stack, config } = defaultStack();
  const orchestrator = resource(stack, "aws_lambda_function", "failover_secondary_failover");
  assert.equal(orchestrator.provider, "aws.secondary");
  assert.equal(orchestrator.reserved_concurrent_executions, 1);
  const env = orchestrator.environment.variables;
  assert.equal(env.FAILOVER_CAPACITY, String(config.compute.primaryDesiredCapacity));
  assert.equal(env.AUTO_FAILOVER, "true");
  assert.equal(env.IDEMPOTENCY_TABLE, "dr-failover-lock-us-east-2-dev");
  assert.equal(env.PRIMARY_REGION, "us-east-1");
  assert.equal(env.PRIMARY_CLUSTER_ARN, "${aws_rds_cluster.database_primary.arn}");
  assert.equal(env.PRIMARY_CLUSTER_ID, "${aws_rds_cluster.database_primary.cluster_identifier}");
  assert.equal(env.AURORA_PROMOTION_SECONDS, "120");
  assert.equal(env.POLL_INTERVAL_SECONDS, "10");
  assert.deepEqual(
    env.DECISION_ALARM_NAMES.split(","),
    ["primary_down_standby", "primary_down_witness", "replication_stalled"].map((key) =>
      resource(stack, "aws_cloudwatch_metric_alarm", `failover_secondary_${key}`).alarm_name
    ),
  );
  const table = resource(stack, "aws_dynamodb_table", "failover_secondary_lock_table");
  assert.equal(table.server_side_encryption.enabled, true);
  assert.equal(table.point_in_time_recovery.enabled, true);
  assert.equal(table.ttl.attribute_name, "expiration");
  const custom = synthWith({ AUTO_FAILOVER: "false", AURORA_PROMOTION_SECONDS: "240" }).stack.resource
    .aws_lambda_function.failover_secondary_failover.environment.variables;
  assert.equal(custom.AUTO_FAILOVER, "false");
  assert.equal(custom.AURORA_PROMOTION_SECONDS, "240");
});

Deno.test("createFailoverAutomation() lets the orchestrator change the writer, never detach a cluster", () => {
  const { stack } = defaultStack();
  const bySid = policyOf(stack);
  const actions = Object.values(bySid).flatMap((statement) => [statement.Action].flat());
  assert.ok(!actions.includes("rds:RemoveFromGlobalCluster"), "detach-and-promote makes two writers");
  const clusters = ["${aws_rds_cluster.database_primary.arn}", "${aws_rds_cluster.database_secondary.arn}"];
  assert.deepEqual(bySid.PromoteSecondaryCluster.Action, [
    "rds:FailoverGlobalCluster",
    "rds:SwitchoverGlobalCluster",
    "rds:DescribeGlobalClusters",
  ]);
  assert.match(bySid.PromoteSecondaryCluster.Resource[0], /^arn:aws:rds::123456789012:global-cluster:/);
  assert.deepEqual(bySid.PromoteSecondaryCluster.Resource.slice(1), clusters);
  assert.deepEqual(bySid.ReadClusters, {
    Effect: "Allow",
    Sid: "ReadClusters",
    Action: ["rds:DescribeDBClusters"],
    Resource: clusters,
  });
  assert.deepEqual(
    bySid.FailoverParameters.Resource,
    "arn:aws:ssm:us-east-2:123456789012:parameter/txn/dev/failover/active-region",
    "active region only: no writer-endpoint rewrite any more",
  );
  assert.deepEqual(
    bySid.FencePrimaryInstances,
    {
      Sid: "FencePrimaryInstances",
      Effect: "Allow",
      Action: ["ssm:PutParameter"],
      Resource: "arn:aws:ssm:us-east-1:123456789012:parameter/txn/dev/failover/active-region",
    },
    "the primary region's copy: written only, where reachable",
  );
  assert.deepEqual(bySid.ReadDecisionAlarms.Action, ["cloudwatch:DescribeAlarms"]);
  assert.deepEqual(bySid.ReadDecisionAlarms.Resource, [
    "${aws_cloudwatch_metric_alarm.failover_secondary_primary_down_standby.arn}",
    "${aws_cloudwatch_metric_alarm.failover_secondary_primary_down_witness.arn}",
    "${aws_cloudwatch_metric_alarm.failover_secondary_replication_stalled.arn}",
  ]);
  assert.match(bySid.RaiseStandbyCapacity.Resource, /aws_autoscaling_group\..*secondary.*\.arn/);
});
