// The typed dashboard widgets (modules/dashboard_widgets.ts): what each widget writes into the dashboard
// body, and the layout on CloudWatch's 24-column grid.
import assert from "node:assert/strict";
import { alarmStatus, dashboardBody, graph, text } from "../modules/dashboard_widgets.ts";

Deno.test("dashboardBody() lays widgets on the 24-column grid, wrapping rows", () => {
  // Text: 24 wide, 2 high; graphs: 8 wide unless told, 6 high. A 16-wide graph fits beside an 8-wide one.
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

Deno.test("graph() writes each line as namespace, metric, dimension pairs and its own options", () => {
  const widget = graph("us-east-2", {
    title: "t",
    lines: [
      {
        namespace: "N",
        metric: "M",
        dimensions: { A: "1", B: "2" },
        stat: "p99",
        label: "l",
        region: "us-east-1",
      },
      { namespace: "N", metric: "M2" },
    ],
    thresholds: [{ label: "target", value: 3 }],
  });
  assert.deepEqual(widget.properties.metrics, [
    ["N", "M", "A", "1", "B", "2", { stat: "p99", label: "l", region: "us-east-1" }],
    ["N", "M2", {}],
  ]);
  assert.deepEqual(widget.properties.annotations, { horizontal: [{ label: "target", value: 3 }] });
  assert.deepEqual(
    [widget.width, widget.properties.region, widget.properties.stat, widget.properties.period],
    [8, "us-east-2", "Average", 60],
    "the defaults: a third of a row, the widget's region, averages over one minute",
  );
  assert.equal(graph("us-east-2", { title: "t", lines: [] }).properties.annotations, undefined);
});

Deno.test("alarmStatus() lists the alarms it is given across a whole row", () => {
  const arns = ["arn:a", "arn:b"];
  const widget = alarmStatus("Alarms", arns);
  assert.equal(widget.width, 24);
  assert.deepEqual(widget.properties, { title: "Alarms", alarms: arns });
});
