// Custom metrics as CloudWatch Embedded Metric Format lines on stdout (Powertools Metrics serializes them):
// no PutMetricData call, no IAM permission, no VPC endpoint. Dimensions are exactly Region and Role.
import process from "node:process";
import { MetricResolution, Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRIC_DIMENSIONS, METRICS, type RegionRole } from "./contract.ts";

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
export type Unit = "Count" | "Milliseconds";

/** Where a check records its metrics; `flush()` emits them (one EMF document per flush). */
export interface MetricsSink {
  /** `high`: stored at 1 s resolution (metrics that 10 s alarm periods read). */
  add(name: MetricName, unit: Unit, value: number, resolution?: "high"): void;
  /** `timestampMs`: when the values were observed (default: now). */
  flush(timestampMs?: number): void;
}

export interface EmfSinkOptions {
  readonly namespace: string;
  readonly region: string;
  readonly role: RegionRole;
  /** Receives each EMF document (one JSON line). Default: stdout, as the Lambda log stream reads it. */
  readonly write?: (line: string) => void;
}

const UNITS: Record<Unit, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
};

export function emfMetricsSink(options: EmfSinkOptions): MetricsSink {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const metrics = new Metrics({ namespace: options.namespace });
  // Powertools adds a `service` dimension by default; the alarms expect exactly METRIC_DIMENSIONS.
  metrics.clearDefaultDimensions();
  const dimensions: Record<(typeof METRIC_DIMENSIONS)[number], string> = {
    Region: options.region,
    Role: options.role,
  };
  metrics.setDefaultDimensions(dimensions);
  let stored = 0;
  return {
    add(name, unit, value, resolution) {
      metrics.addMetric(
        name,
        UNITS[unit],
        value,
        resolution === "high" ? MetricResolution.High : MetricResolution.Standard,
      );
      stored++;
    },
    flush(timestampMs) {
      if (stored === 0) return;
      metrics.setTimestamp(timestampMs ?? Date.now());
      write(JSON.stringify(metrics.serializeMetrics()));
      metrics.clearMetrics();
      stored = 0;
    },
  };
}
