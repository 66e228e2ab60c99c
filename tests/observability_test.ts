import assert from "node:assert/strict";
import { App, TerraformStack } from "cdktf";
import {
  createObservability,
  dashboardBody,
  graph,
  type ObservabilityInputs,
  text,
} from "../modules/observability.ts";
import { type BudgetFigures, recoveryBudget } from "../modules/recovery_budget.ts";
import { createRegionPair } from "../modules/providers.ts";
import { loadConfig } from "../modules/config.ts";
import { defaultStack, type Json, resource, resources } from "./helpers.ts";

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
        "FailoverDecisionSeconds",
        "FailoverWritableSeconds",
        "FailoverFullCapacitySeconds",
        // PrimaryProbeHealthy: one line per prober the budget finds (tested on explicit inputs below)
        "ReplicationStalled",
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

/** The secondary region's dashboard widgets of a small stack made with the given budget figures. */
function dashboardWith(budget: BudgetFigures): Json[] {
  const stack = new TerraformStack(new App({ outdir: Deno.makeTempDirSync() }), "observability");
  const regions = createRegionPair(stack, loadConfig({}));
  const topic = (role: string) => ({ topicArn: `arn:aws:sns:${role}`, topicName: role });
  const signals = {
    clusterIdentifier: "cluster",
    bucketName: "bucket",
    peerBucketName: "peer",
    replicationRuleId: "rule",
    albArnSuffix: "app/alb/1",
    targetGroupArnSuffix: "targetgroup/tg/1",
    asgName: "asg",
    functions: [],
  };
  const inputs: ObservabilityInputs = {
    regions,
    alerting: { primary: topic("primary"), secondary: topic("secondary") } as ObservabilityInputs["alerting"],
    signals: { primary: signals, secondary: signals },
    metricNamespace: "TransactionDR/test",
    environmentSuffix: "test",
    orchestratorFunctionName: "orchestrator",
    route53HealthCheckIds: [],
    rtoTargetSeconds: 300,
    rpoTargetSeconds: 60,
    rpoLagAlarmSeconds: 30,
    recoveryBudget: budget,
    probeVantagePoints: [{ role: "secondary", region: "us-east-2" }, {
      role: "witness",
      region: "us-west-2",
    }],
    checkerAlarmMinutes: 2,
    replicationLatencyAlarmSeconds: 900,
  };
  createObservability(stack, inputs);
  const dashboard = stack.toTerraform().resource.aws_cloudwatch_dashboard.observability_secondary_dashboard;
  return JSON.parse(dashboard.dashboard_body).widgets;
}

const FIGURES: BudgetFigures = {
  decisionSeconds: 55,
  decisionTargetSeconds: 60,
  firstWriteSeconds: 265,
  phases: { decision: 55, writable: 210, fullCapacity: 125 },
};

const titled = (widgets: Json[], prefix: string) =>
  widgets.find((widget) => widget.properties.title?.startsWith(prefix))!.properties;
const annotationValues = (properties: Json) =>
  (properties.annotations?.horizontal ?? []).map((line: { value: number }) => line.value);

Deno.test("the recovery-budget widget shows both totals next to their targets", () => {
  const widgets = dashboardWith(FIGURES);
  assert.deepEqual(annotationValues(titled(widgets, "Recovery budget vs targets")), [60, 55, 265, 300]);
  const objectives = widgets.find((widget) =>
    widget.properties.markdown?.startsWith("## Recovery objectives")
  )!;
  assert.match(objectives.properties.markdown, /decision 55 s of 60 s, first write 265 s of 300 s/);
});

Deno.test("the phases widget draws the measured failover phases next to the budget's figures", () => {
  const phases = titled(dashboardWith(FIGURES), "Failover phases");
  assert.deepEqual(phases.metrics.map((line: string[]) => line[1]), [
    "FailoverDecisionSeconds",
    "FailoverWritableSeconds",
    "FailoverFullCapacitySeconds",
    "RecoverySeconds",
  ]);
  for (const line of phases.metrics) {
    assert.deepEqual(line.slice(2, 6), ["Region", "us-east-2", "Role", "secondary"]);
  }
  assert.deepEqual(annotationValues(phases), [55, 210, 125]);
});

Deno.test("the detection widget shows PrimaryProbeHealthy from both vantage points at 10 s, and replication", () => {
  const detection = titled(dashboardWith(FIGURES), "Detection");
  assert.equal(detection.period, 10);
  assert.equal(detection.region, "us-east-2", "the witness writes its verdict into the standby region");
  const lines = detection.metrics.map((line: Json[]) => line.slice(1, 6).join(" "));
  assert.deepEqual(lines, [
    "PrimaryProbeHealthy Region us-east-2 Role secondary",
    "PrimaryProbeHealthy Region us-west-2 Role witness",
    "ReplicationStalled Region us-east-2 Role secondary",
    "PrimaryFenced Region us-east-2 Role secondary",
  ]);
});

Deno.test("an incomplete budget draws only the targets and says so", () => {
  const widgets = dashboardWith({ ...FIGURES, decisionSeconds: Number.NaN, firstWriteSeconds: Number.NaN });
  assert.deepEqual(annotationValues(titled(widgets, "Recovery budget vs targets")), [60, 300]);
  const objectives = widgets.find((widget) =>
    widget.properties.markdown?.startsWith("## Recovery objectives")
  )!;
  assert.match(objectives.properties.markdown, /budget incomplete: run `make rto`/);
});

Deno.test("the dashboards draw the recovery budget of this very stack", () => {
  const { stack } = defaultStack();
  const budget = recoveryBudget(stack);
  const widgets = JSON.parse(
    resource(stack, "aws_cloudwatch_dashboard", "observability_secondary_dashboard").dashboard_body,
  ).widgets;
  const expected = [60, budget.decisionSeconds, budget.firstWriteSeconds, 300].filter(Number.isFinite);
  assert.deepEqual(annotationValues(titled(widgets, "Recovery budget vs targets")), expected);
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
    // The witness prober's failures show up in the standby region as its "witness silent" alarm.
    if (lambda.provider === "aws.witness") continue;
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
