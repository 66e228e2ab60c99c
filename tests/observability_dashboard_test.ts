// createDashboard() (modules/observability_dashboard.ts) in the synthesized stack: one dashboard per region,
// every section, both regions' metrics each from its own region, and the region's alarms.
import assert from "node:assert/strict";
import { defaultStack, type Json, resource, resources, ROLES } from "./helpers.ts";

const bodyOf = (stack: Json, role: string) =>
  JSON.parse(resource(stack, "aws_cloudwatch_dashboard", `observability_${role}_dashboard`).dashboard_body);

Deno.test("createDashboard() builds a dashboard in each region with every section", () => {
  const { stack } = defaultStack();
  for (const role of ROLES) {
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
        // PrimaryProbeHealthy: one line per prober the budget finds (dashboard_recovery_test.ts)
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

Deno.test("createDashboard() draws each region's database, application and replication from that region", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const graphs = bodyOf(stack, role).widgets.filter((widget: Json) => widget.type === "metric");
    for (const other of ROLES) {
      const region = config[other].region;
      for (const title of [`Aurora ${region}:`, `${region}: requests`]) {
        const widget = graphs.find((candidate: Json) => candidate.properties.title.startsWith(title));
        assert.equal(widget?.properties.region, region, `${role} dashboard: ${title}`);
      }
    }
    const replication = graphs.filter((widget: Json) => widget.properties.title.includes(" -> peer:"));
    assert.deepEqual(
      replication.map((widget: Json) => widget.properties.region),
      ROLES.map((other) => config[other].region),
      `${role} dashboard: each bucket's replication from its own region`,
    );
  }
});

Deno.test("createDashboard() ends with the state of every alarm of its region", () => {
  const { stack } = defaultStack();
  for (const role of ROLES) {
    const widgets = bodyOf(stack, role).widgets;
    const status = widgets[widgets.length - 1];
    assert.equal(status.type, "alarm");
    const own = Object.keys(resources(stack, "aws_cloudwatch_metric_alarm"))
      .filter((id) => id.startsWith(`observability_${role}_`))
      .map((id) => `\${aws_cloudwatch_metric_alarm.${id}.arn}`);
    assert.deepEqual([...status.properties.alarms].sort(), own.sort());
  }
});
