// createFailoverAutomation() (modules/failover_automation.ts) in the synthesized stack: the trigger on the
// quorum alarm, the orchestrator, its lock table, environment and permissions.
import assert from "node:assert/strict";
import { VOTES } from "../modules/failover_alarms.ts";
import { defaultStack, type Json, resource, resources, synthWith } from "./helpers.ts";

function policyOf(stack: Json): Record<string, Json> {
  const policy = JSON.parse(
    resource(stack, "aws_iam_role_policy", "failover_secondary_failover_policy").policy,
  );
  return Object.fromEntries(policy.Statement.map((statement: { Sid: string }) => [statement.Sid, statement]));
}

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
  assert.equal(env.AURORA_PROMOTION_SECONDS, String(config.objectives.auroraPromotionSeconds));
  assert.equal(env.POLL_INTERVAL_SECONDS, "10");
  assert.deepEqual(
    env.DECISION_ALARM_NAMES.split(","),
    VOTES.map((key) =>
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
  assert.deepEqual(
    bySid.ReadDecisionAlarms.Resource,
    VOTES.map((key) => `\${aws_cloudwatch_metric_alarm.failover_secondary_${key}.arn}`),
    "the votes only",
  );
  assert.match(bySid.RaiseStandbyCapacity.Resource, /aws_autoscaling_group\..*secondary.*\.arn/);
});
