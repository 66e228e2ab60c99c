// A prober's verdicts as high-resolution CloudWatch metrics, one PutMetricData call per probe, sent at once
// into METRIC_REGION (the standby region): the witness prober's own region is not where the decision is
// taken, so Embedded Metric Format (which lands in the function's own region) cannot carry its vote.
import { CloudWatch, type CloudWatchClientConfig, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { METRICS, type VantageRole } from "./contract.ts";
import { withTimeout } from "./errors.ts";

/** One probe's result, timestamped with the probe's start. */
export interface ProbeDatum {
  readonly timestampMs: number;
  readonly healthy: boolean;
  /** Set whenever the primary answered (any status). */
  readonly latencyMs?: number;
}

export interface ProbePublisher {
  /** Rejects when CloudWatch did not take the datapoints within the call's timeout. */
  publish(datum: ProbeDatum): Promise<void>;
}

export interface CloudWatchPublisherOptions {
  readonly namespace: string;
  /** Where the metrics go: the standby region. */
  readonly metricRegion: string;
  /** Dimensions: the prober's own region and its vantage role. */
  readonly region: string;
  readonly role: VantageRole;
  readonly timeoutMs: number;
  /** Overrides of the client configuration (tests: a local endpoint and static credentials). */
  readonly clientConfig?: CloudWatchClientConfig;
}

// The SDK's own request timeout fires first and closes the connection; the deadline is the backstop.
const DEADLINE_GRACE_MS = 1000;

export function cloudWatchPublisher(options: CloudWatchPublisherOptions): ProbePublisher {
  const client = new CloudWatch({
    region: options.metricRegion,
    // One attempt: a retry would run into the next probe; a missing datapoint is no vote, never a wrong one.
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: options.timeoutMs,
      requestTimeout: options.timeoutMs,
      throwOnRequestTimeout: true,
    },
    ...options.clientConfig,
  });
  const dimensions = [{ Name: "Region", Value: options.region }, { Name: "Role", Value: options.role }];
  return {
    async publish(datum) {
      const point = (MetricName: string, Value: number, Unit: "Count" | "Milliseconds"): MetricDatum => ({
        MetricName,
        Dimensions: dimensions,
        Timestamp: new Date(datum.timestampMs),
        Value,
        Unit,
        // High resolution: the decision alarms evaluate 10 s periods.
        StorageResolution: 1,
      });
      const data = [point(METRICS.primaryProbeHealthy, datum.healthy ? 1 : 0, "Count")];
      if (datum.latencyMs !== undefined) {
        data.push(point(METRICS.primaryProbeLatencyMs, datum.latencyMs, "Milliseconds"));
      }
      await withTimeout(
        `PutMetricData into ${options.metricRegion}`,
        options.timeoutMs + DEADLINE_GRACE_MS,
        client.putMetricData({ Namespace: options.namespace, MetricData: data }),
      );
    },
  };
}
