// Typed CloudWatch dashboard widgets and their layout on the 24-column grid (dashboard body:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).

/** [namespace, metric, dimension name, value, ...] plus rendering options. */
export interface MetricLine {
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly stat?: string;
  readonly label?: string;
  /** Metric of another region (Route 53 lives in us-east-1). */
  readonly region?: string;
}

export interface GraphSpec {
  readonly title: string;
  readonly lines: readonly MetricLine[];
  /** Horizontal target / budget lines. */
  readonly thresholds?: ReadonlyArray<{ readonly label: string; readonly value: number }>;
  readonly stat?: string;
  readonly periodSeconds?: number;
  readonly width?: number;
}

export interface Widget {
  readonly type: "metric" | "text" | "alarm";
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

export function graph(region: string, spec: GraphSpec): Widget {
  return {
    type: "metric",
    width: spec.width ?? 8,
    height: 6,
    properties: {
      title: spec.title,
      region,
      view: "timeSeries",
      stat: spec.stat ?? "Average",
      period: spec.periodSeconds ?? 60,
      metrics: spec.lines.map((line) => [
        line.namespace,
        line.metric,
        ...Object.entries(line.dimensions ?? {}).flat(),
        {
          ...(line.stat ? { stat: line.stat } : {}),
          ...(line.label ? { label: line.label } : {}),
          ...(line.region ? { region: line.region } : {}),
        },
      ]),
      ...(spec.thresholds
        ? {
          annotations: {
            horizontal: spec.thresholds.map((threshold) => ({
              label: threshold.label,
              value: threshold.value,
            })),
          },
        }
        : {}),
    },
  };
}

export function text(markdown: string): Widget {
  return { type: "text", width: 24, height: 2, properties: { markdown } };
}

export function alarmStatus(title: string, alarmArns: readonly string[]): Widget {
  return { type: "alarm", width: 24, height: 3, properties: { title, alarms: [...alarmArns] } };
}

/** Places widgets left to right on the 24-column grid, wrapping rows. */
export function dashboardBody(widgets: readonly Widget[]): string {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const placed = widgets.map((widget) => {
    if (x + widget.width > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const positioned = { ...widget, x, y };
    x += widget.width;
    rowHeight = Math.max(rowHeight, widget.height);
    return positioned;
  });
  return JSON.stringify({ widgets: placed });
}
