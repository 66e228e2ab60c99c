// The event the quorum (composite) alarm sends when it enters ALARM, as CloudWatch documents it for composite
// alarms ("Alarm events and EventBridge", Composite Alarm tab): the same detail-type as a metric alarm, but
// `configuration.alarmRule` instead of metrics, and `state.reasonData` naming the triggering child alarms
// instead of evaluated datapoints. It must match the synthesized trigger rule and pass the orchestrator's
// event validation.
import assert from "node:assert/strict";
import { parseFailoverEvent } from "../handlers/failover.ts";
import { defaultStack, type Json, resource } from "./helpers.ts";

function quorumEvent(stack: Json, accountId: string): Json {
  const quorum = resource(stack, "aws_cloudwatch_composite_alarm", "failover_secondary_quorum");
  const arn = (name: string) => `arn:aws:cloudwatch:us-east-2:${accountId}:alarm:${name}`;
  const child = (key: string) =>
    resource(stack, "aws_cloudwatch_metric_alarm", `failover_secondary_${key}`).alarm_name;
  return {
    version: "0",
    id: "6f5e8c1a-2b1d-4c4e-9b7a-0c2d7e9f1a3b",
    "detail-type": "CloudWatch Alarm State Change",
    source: "aws.cloudwatch",
    account: accountId,
    time: "2025-01-15T12:00:52Z",
    region: "us-east-2",
    resources: [arn(quorum.alarm_name)],
    detail: {
      alarmName: quorum.alarm_name,
      state: {
        value: "ALARM",
        reason: `${
          arn(child("primary_down_standby"))
        } transitioned to ALARM at Wednesday 15 January, 2025 12:00:51 UTC`,
        reasonData: JSON.stringify({
          triggeringAlarms: ["primary_down_witness", "primary_down_standby"].map((key) => ({
            arn: arn(child(key)),
            state: { value: "ALARM", timestamp: "2025-01-15T12:00:51.254+0000" },
          })),
        }),
        timestamp: "2025-01-15T12:00:52.093+0000",
      },
      previousState: { value: "OK", reason: "", reasonData: "{}", timestamp: "2025-01-14T08:12:40.101+0000" },
      configuration: { alarmRule: quorum.alarm_rule, description: quorum.alarm_description },
    },
  };
}

Deno.test("the quorum alarm's state-change event matches the trigger rule and is accepted by the orchestrator", () => {
  const { stack, config } = defaultStack();
  const event = quorumEvent(stack, config.accountId);
  const pattern = JSON.parse(
    resource(stack, "aws_cloudwatch_event_rule", "failover_secondary_trigger").event_pattern,
  );
  assert.ok(pattern.source.includes(event.source));
  assert.ok(pattern["detail-type"].includes(event["detail-type"]));
  assert.deepEqual(pattern.resources, ["${aws_cloudwatch_composite_alarm.failover_secondary_quorum.arn}"]);
  assert.ok(pattern.detail.state.value.includes(event.detail.state.value));
  const request = parseFailoverEvent(event);
  assert.equal(request.kind, "alarm");
  assert.ok(request.kind === "alarm");
  assert.equal(request.alarmName, "dr-failover-quorum-us-east-2-dev");
  assert.equal(request.stateChangedAt, "2025-01-15T12:00:52.093+0000");
  // A composite's reasonData names its triggering children, not datapoints: the first failed period must be
  // read from the child alarms (cloudwatch:DescribeAlarms on DECISION_ALARM_NAMES).
  assert.equal(request.failingSince, undefined);
});
