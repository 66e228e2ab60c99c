// createDecisionAlarms() and createFenceAlarms() (modules/failover_alarms.ts) in the synthesized stack: the
// votes, the quorum over them, the "witness silent" page and the fence alarms Route 53 reads.
import assert from "node:assert/strict";
import { VOTES } from "../modules/failover_alarms.ts";
import { defaultStack, resource, synthWith } from "./helpers.ts";

const TOPIC = "${aws_sns_topic.alerting_secondary.arn}";
const alarmRef = (key: string) => `\${aws_cloudwatch_metric_alarm.failover_secondary_${key}.alarm_name}`;

Deno.test("createDecisionAlarms() votes: primary down from the standby and from the witness, 10 s periods, silence is no vote", () => {
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

Deno.test("createDecisionAlarms() votes on replication stalled as the standby's database checker sees it", () => {
  const { stack, config } = defaultStack();
  const alarm = resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_replication_stalled");
  assert.equal(alarm.metric_name, "ReplicationStalled");
  assert.deepEqual(alarm.dimensions, { Region: config.secondary.region, Role: "secondary" });
  assert.equal(alarm.comparison_operator, "GreaterThanOrEqualToThreshold");
  assert.equal(alarm.threshold, 1);
  assert.equal(alarm.period, 10);
  assert.equal(alarm.evaluation_periods, config.health.decisionPeriods);
  assert.equal(alarm.treat_missing_data, "notBreaching");
  assert.match(alarm.alarm_description, /Seen from one region only: not failing over/);
});

Deno.test("createDecisionAlarms() makes one alarm per vote, each following DECISION_PERIODS and named in the quorum", () => {
  const { stack, config } = defaultStack();
  const quorum = resource(stack, "aws_cloudwatch_composite_alarm", "failover_secondary_quorum");
  const fivePeriods = synthWith({ DECISION_PERIODS: "5" }).stack;
  for (const key of VOTES) {
    const alarm = resource(stack, "aws_cloudwatch_metric_alarm", `failover_secondary_${key}`);
    assert.equal(
      alarm.alarm_name,
      `dr-${key.replaceAll("_", "-")}-${config.secondary.region}-${config.environmentSuffix}`,
    );
    assert.ok(quorum.alarm_rule.includes(`ALARM("${alarmRef(key)}")`), `${key} votes in the quorum`);
    const slower = resource(fivePeriods, "aws_cloudwatch_metric_alarm", `failover_secondary_${key}`);
    assert.deepEqual([slower.evaluation_periods, slower.datapoints_to_alarm], [5, 5], key);
  }
  assert.equal(quorum.alarm_rule.match(/ALARM\(/g).length, VOTES.length, "the quorum reads the votes only");
});

Deno.test("createDecisionAlarms() decides by quorum: witness AND (standby OR replication stalled)", () => {
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

Deno.test("createDecisionAlarms() pages when the witness falls silent for 2 minutes", () => {
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

Deno.test("createFenceAlarms() keeps the fence in two standard-resolution alarms that survive gaps", () => {
  const { stack, config } = defaultStack();
  const fenced = resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_primary_fenced");
  const unfenced = resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_primary_unfenced");
  for (const alarm of [fenced, unfenced]) {
    assert.equal(alarm.metric_name, "PrimaryFenced");
    assert.deepEqual(alarm.dimensions, { Region: config.secondary.region, Role: "secondary" });
    assert.equal(alarm.period, 60, "Route 53 reads standard-resolution alarms only");
    assert.equal(alarm.evaluation_periods, 1);
    assert.equal(alarm.threshold, 1);
    assert.equal(alarm.treat_missing_data, "ignore", "a gap must neither open nor close the fence");
  }
  assert.equal(fenced.comparison_operator, "GreaterThanOrEqualToThreshold");
  assert.equal(unfenced.comparison_operator, "LessThanThreshold");
});
