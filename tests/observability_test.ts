// createObservability() (modules/observability.ts) in the synthesized stack: per region its alarms and one
// dashboard; every alarm of the stack notifies the topic of its own region. The parts: dashboard_widgets_test,
// dashboard_recovery_test, observability_alarms_test, observability_dashboard_test.
import assert from "node:assert/strict";
import { defaultStack, resources, resourcesIn, ROLES } from "./helpers.ts";

Deno.test("createObservability() makes one dashboard per region, in that region", () => {
  const { stack } = defaultStack();
  for (const role of ROLES) {
    assert.deepEqual(Object.keys(resourcesIn(stack, "aws_cloudwatch_dashboard", role)), [
      `observability_${role}_dashboard`,
    ]);
  }
  assert.deepEqual(resourcesIn(stack, "aws_cloudwatch_dashboard", "witness"), {});
});

Deno.test("every alarm notifies the topic of its own region on ALARM and OK, or through its composite", () => {
  const { stack } = defaultStack();
  const alarms = Object.entries(resources(stack, "aws_cloudwatch_metric_alarm"));
  const composites = Object.entries(resources(stack, "aws_cloudwatch_composite_alarm"));
  // Children named in a composite's rule may stay silent: the composite's message names the triggering ones.
  const children = new Set(
    composites.flatMap(([, composite]) =>
      [...composite.alarm_rule.matchAll(/aws_cloudwatch_metric_alarm\.([a-z0-9_]+)\.alarm_name/g)].map((m) =>
        m[1]
      )
    ),
  );
  const silent = alarms.filter(([, alarm]) => alarm.alarm_actions === undefined).map(([id]) => id);
  assert.ok(
    silent.length > 0 && silent.every((id) => children.has(id)),
    `silent, not in a composite: ${silent}`,
  );
  for (const [id, alarm] of [...alarms.filter(([id]) => !silent.includes(id)), ...composites]) {
    const topic = `\${aws_sns_topic.alerting_${alarm.provider.replace("aws.", "")}.arn}`;
    assert.deepEqual(alarm.alarm_actions, [topic], id);
    assert.deepEqual(alarm.ok_actions, [topic], id);
    assert.ok(!alarm.extended_statistic, `${id}: Route 53 reads standard statistics only`);
  }
  assert.ok(alarms.every(([, alarm]) => alarm.provider !== "aws.witness"), "the witness region has no topic");
});
