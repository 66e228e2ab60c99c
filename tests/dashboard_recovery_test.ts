// recoveryWidgets() (modules/dashboard_recovery.ts): the recovery budget next to its targets, the measured
// phases next to the budget, readiness and detection, on explicit inputs and in the synthesized stack.
import assert from "node:assert/strict";
import { TerraformStack, Testing } from "cdktf";
import { recoveryWidgets } from "../modules/dashboard_recovery.ts";
import type { ObservabilityInputs } from "../modules/observability.ts";
import { type BudgetFigures, recoveryBudget } from "../modules/recovery_budget.ts";
import { loadConfig } from "../modules/config.ts";
import { createStackContext } from "../modules/stack_context.ts";
import { metricNamespace, METRICS } from "../handlers/lib/contract.ts";
import { defaultStack, type Json, resource, ROLES } from "./helpers.ts";

/** The context of a small stack with the default settings. */
const CTX = createStackContext(new TerraformStack(Testing.app(), "observability"), loadConfig({}));

/** Inputs of the small stack: the budget figures and the readiness period are the test's. */
function inputsWith(budget: BudgetFigures, readinessPeriodSeconds?: number): ObservabilityInputs {
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
  return {
    alerting: { primary: topic("primary"), secondary: topic("secondary") } as ObservabilityInputs["alerting"],
    signals: { primary: signals, secondary: signals },
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
    ...(readinessPeriodSeconds ? { readinessPeriodSeconds } : {}),
  };
}

/** The widgets of the secondary region's recovery section. */
function widgetsOf(inputs: ObservabilityInputs): Json[] {
  return recoveryWidgets(CTX, CTX.regions.secondary, inputs);
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
const objectivesText = (widgets: Json[]): string =>
  widgets.find((widget) => widget.properties.markdown?.startsWith("## Recovery objectives"))!.properties
    .markdown;

Deno.test("recoveryWidgets() shows both budget totals next to their targets", () => {
  const inputs = inputsWith(FIGURES);
  const widgets = widgetsOf(inputs);
  assert.deepEqual(annotationValues(titled(widgets, "Recovery budget vs targets")), [
    FIGURES.decisionTargetSeconds,
    FIGURES.decisionSeconds,
    FIGURES.firstWriteSeconds,
    inputs.rtoTargetSeconds,
  ]);
  assert.match(objectivesText(widgets), /decision 55 s of 60 s, first write 265 s of 300 s/);
});

Deno.test("recoveryWidgets() draws the measured failover phases next to the budget's figures", () => {
  const inputs = inputsWith(FIGURES);
  const phases = titled(widgetsOf(inputs), "Failover phases");
  assert.deepEqual(phases.metrics.map((line: string[]) => line[1]), [
    "FailoverDecisionSeconds",
    "FailoverWritableSeconds",
    "FailoverFullCapacitySeconds",
    "RecoverySeconds",
  ]);
  for (const line of phases.metrics) {
    assert.deepEqual(line.slice(2, 6), ["Region", CTX.regions.secondary.region, "Role", "secondary"]);
  }
  assert.deepEqual(annotationValues(phases), [
    FIGURES.phases.decision,
    FIGURES.phases.writable,
    FIGURES.phases.fullCapacity,
  ]);
});

Deno.test("recoveryWidgets() shows PrimaryProbeHealthy from every vantage point at 10 s, and replication", () => {
  const inputs = inputsWith(FIGURES);
  const detection = titled(widgetsOf(inputs), "Detection");
  assert.equal(detection.period, 10);
  assert.equal(
    detection.region,
    CTX.regions.secondary.region,
    "the witness writes its verdict into the standby region",
  );
  const lines = detection.metrics.map((line: Json[]) => line.slice(1, 6).join(" "));
  assert.deepEqual(lines, [
    ...inputs.probeVantagePoints.map((point) =>
      `PrimaryProbeHealthy Region ${point.region} Role ${point.role}`
    ),
    "ReplicationStalled Region us-east-2 Role secondary",
    "PrimaryFenced Region us-east-2 Role secondary",
  ]);
});

Deno.test("recoveryWidgets() with an incomplete budget draws only the targets and says so", () => {
  const inputs = inputsWith({ ...FIGURES, decisionSeconds: Number.NaN, firstWriteSeconds: Number.NaN });
  const widgets = widgetsOf(inputs);
  assert.deepEqual(annotationValues(titled(widgets, "Recovery budget vs targets")), [
    FIGURES.decisionTargetSeconds,
    inputs.rtoTargetSeconds,
  ]);
  assert.match(objectivesText(widgets), /budget incomplete: run `make rto`/);
});

Deno.test("recoveryWidgets() draws 'ready to fail over' right after the budget only when readiness runs", () => {
  const titles = (inputs: ObservabilityInputs) =>
    widgetsOf(inputs).map((widget) => widget.properties.title ?? "");
  assert.ok(!titles(inputsWith(FIGURES)).some((title) => title.startsWith("Ready to fail over")));
  const withReadiness = titles(inputsWith(FIGURES, 900));
  const budget = withReadiness.findIndex((title) => title.startsWith("Recovery budget vs targets"));
  assert.match(withReadiness[budget + 1], /^Ready to fail over/);
});

Deno.test("the dashboards draw the recovery budget of this very stack", () => {
  const { stack, config } = defaultStack();
  const budget = recoveryBudget(stack);
  const widgets = JSON.parse(
    resource(stack, "aws_cloudwatch_dashboard", "observability_secondary_dashboard").dashboard_body,
  ).widgets;
  const expected = [
    budget.decisionTargetSeconds,
    budget.decisionSeconds,
    budget.firstWriteSeconds,
    config.objectives.rtoTargetSeconds,
  ].filter(Number.isFinite);
  assert.deepEqual(annotationValues(titled(widgets, "Recovery budget vs targets")), expected);
});

Deno.test("both dashboards draw the readiness evaluation of this stack after the budget, one datapoint per run", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const body = JSON.parse(
      resource(stack, "aws_cloudwatch_dashboard", `observability_${role}_dashboard`).dashboard_body,
    );
    const titles = body.widgets.map((widget: Json) => widget.properties.title ?? "");
    const budget = titles.findIndex((title: string) => title.startsWith("Recovery budget vs targets"));
    const ready = body.widgets[budget + 1].properties;
    assert.match(ready.title, /^Ready to fail over/);
    assert.equal(ready.period, config.readiness.scheduleMinutes * 60);
    assert.equal(ready.region, config.secondary.region);
    assert.deepEqual(ready.metrics[0].slice(0, 6), [
      metricNamespace(config.environmentSuffix),
      METRICS.failoverReady,
      "Region",
      config.secondary.region,
      "Role",
      "secondary",
    ]);
  }
});
