import assert from "node:assert/strict";
import { dashboardBody, graph, text } from "../modules/observability.ts";
import { recoveryBudget } from "../modules/recovery_budget.ts";
import { defaultStack, resource, resources } from "./helpers.ts";

Deno.test("dashboardBody() lays widgets on the 24-column grid, wrapping rows", () => {
  const body = JSON.parse(
    dashboardBody([
      text("a"),
      graph("us-east-1", { title: "x", lines: [] }),
      graph("us-east-1", { title: "y", lines: [], width: 16 }),
      graph("us-east-1", { title: "z", lines: [] }),
    ]),
  );
  assert.deepEqual(body.widgets.map((widget: { x: number; y: number }) => [widget.x, widget.y]), [
    [0, 0],
    [0, 2],
    [8, 2],
    [0, 8],
  ]);
});

Deno.test("createObservability() builds a dashboard in each region with every section", () => {
  const { stack } = defaultStack();
  for (const role of ["primary", "secondary"] as const) {
    const dashboard = resource(stack, "aws_cloudwatch_dashboard", `observability_${role}_dashboard`);
    assert.equal(dashboard.provider, `aws.${role}`);
    const body = JSON.parse(dashboard.dashboard_body);
    const texts = body.widgets.filter((widget: { type: string }) => widget.type === "text")
      .map((widget: { properties: { markdown: string } }) => widget.properties.markdown).join("\n");
    for (
      const section of [
        "Recovery objectives",
        "Health",
        "Database",
        "Application",
        "Object replication",
        "Automation",
      ]
    ) {
      assert.ok(texts.includes(section), `${role} dashboard lacks ${section}`);
    }
    const metrics = JSON.stringify(body.widgets.map((widget: { properties: unknown }) => widget.properties));
    for (
      const metric of [
        "AuroraGlobalDBRPOLag",
        "RecoverySeconds",
        "PeerAppHealthy",
        "PrimaryFenced",
        "HealthCheckStatus",
        "CommitLatency",
        "HTTPCode_Target_5XX_Count",
        "WarmPoolWarmedCapacity",
        "ReplicationLatency",
        "Throttles",
      ]
    ) {
      assert.ok(metrics.includes(metric), `${role} dashboard lacks ${metric}`);
    }
  }
});

Deno.test("the dashboards draw the recovery budget of this very stack against the 300 s target", () => {
  const { stack } = defaultStack();
  const budget = recoveryBudget(stack);
  const body = JSON.parse(
    resource(stack, "aws_cloudwatch_dashboard", "observability_secondary_dashboard").dashboard_body,
  );
  const rto = body.widgets.find((widget: { properties: { title?: string } }) =>
    widget.properties.title?.startsWith("RTO")
  );
  assert.deepEqual(rto.properties.annotations.horizontal.map((line: { value: number }) => line.value), [
    300,
    budget.totalSeconds,
  ]);
});

Deno.test("every alarm notifies the topic of its own region on ALARM and OK, or through its composite", () => {
  const { stack } = defaultStack();
  const alarms = Object.entries(resources(stack, "aws_cloudwatch_metric_alarm"));
  const composites = Object.entries(resources(stack, "aws_cloudwatch_composite_alarm"));
  // Children of a composite alarm notify through it (its message names the triggering children).
  const children = new Set(
    composites.flatMap(([, composite]) =>
      [...composite.alarm_rule.matchAll(/aws_cloudwatch_metric_alarm\.([a-z0-9_]+)\.alarm_name/g)].map((m) =>
        m[1]
      )
    ),
  );
  // per region: 2 checkers + hosts + 2 S3 + 2 per function; standby: 4 more + the failover automation's 2
  const notifying = alarms.filter(([id]) => !children.has(id));
  assert.equal(notifying.length, (5 + 2 * 2) + (5 + 4 * 2 + 4) + 2, `${notifying.length} alarms`);
  for (const [id, alarm] of [...notifying, ...composites]) {
    const topic = `\${aws_sns_topic.alerting_${alarm.provider.replace("aws.", "")}.arn}`;
    assert.deepEqual(alarm.alarm_actions, [topic], id);
    assert.deepEqual(alarm.ok_actions, [topic], id);
    assert.ok(!alarm.extended_statistic, `${id}: Route 53 reads standard statistics only`);
  }
  for (const id of children) {
    assert.equal(resources(stack, "aws_cloudwatch_metric_alarm")[id].alarm_actions, undefined, id);
  }
});

Deno.test("createObservability() alarms on RPO lag, recovery time, checkers, S3 replication, hosts and every function", () => {
  const { stack, config } = defaultStack();
  const alarms = resources(stack, "aws_cloudwatch_metric_alarm");
  const rpo = alarms.observability_secondary_rpo_lag;
  assert.equal(rpo.metric_name, "AuroraGlobalDBRPOLag");
  assert.equal(rpo.threshold, config.objectives.rpoLagAlarmSeconds * 1000);
  assert.ok(rpo.threshold < config.objectives.rpoTargetSeconds * 1000);
  assert.equal(alarms.observability_secondary_recovery_time.threshold, config.objectives.rtoTargetSeconds);
  assert.equal(alarms.observability_secondary_failover_invoked.metric_name, "Invocations");
  for (const role of ["primary", "secondary"]) {
    for (
      const key of [
        "database_unhealthy",
        "app_unhealthy",
        "unhealthy_hosts",
        "replication_latency",
        "replication_failed",
      ]
    ) {
      assert.ok(alarms[`observability_${role}_${key}`], `${role} ${key}`);
    }
    assert.equal(alarms[`observability_${role}_replication_latency`].threshold, 900);
  }
  for (const lambda of Object.values(resources(stack, "aws_lambda_function"))) {
    for (const metric of ["Errors", "Throttles"]) {
      assert.ok(
        Object.values(alarms).some((alarm) =>
          alarm.metric_name === metric && alarm.dimensions.FunctionName === lambda.function_name
        ),
        `${lambda.function_name} ${metric}`,
      );
    }
  }
});
