// The alarms of one region (logical ids `observability_<role>_<key>`), each notifying the SNS topic of its own
// region on ALARM and on OK: the checkers, the serving tier, object replication, every Lambda function, and in
// the standby region the database's RPO, the measured recovery time and any run of the orchestrator.
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import type { RegionContext } from "./providers.ts";
import { logicalId } from "./naming.ts";
import type { StackContext } from "./stack_context.ts";
import type { ObservabilityInputs, RegionSignals } from "./observability.ts";
import { METRICS } from "../handlers/lib/contract.ts";

/** One alarm on one-minute periods; the alarm is named `dr-<key in kebab case>-<region>-<suffix>`. */
interface AlarmSpec {
  readonly key: string;
  readonly description: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: "Average" | "Minimum" | "Maximum" | "Sum";
  readonly comparison: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold";
  readonly threshold: number;
  readonly periods: number;
  readonly treatMissingData: "breaching" | "notBreaching" | "missing";
}

/** Creates the region's alarms; returns their ARNs in the order the dashboard lists them. */
export function createRegionAlarms(
  ctx: StackContext,
  region: RegionContext,
  inputs: ObservabilityInputs,
): string[] {
  return regionAlarms(ctx, region, inputs).map((spec) => createAlarm(ctx, region, inputs, spec));
}

/** Every alarm of a region, tier by tier; the standby adds the data tier's RPO and the recovery alarms. */
function regionAlarms(ctx: StackContext, region: RegionContext, inputs: ObservabilityInputs): AlarmSpec[] {
  return [
    ...checkerAlarms(ctx, region, inputs),
    servingAlarm(region, inputs),
    ...objectReplicationAlarms(region, inputs),
    ...functionAlarms(region, inputs),
    ...(region.role === "secondary" ? recoveryAlarms(ctx, region, inputs) : []),
  ];
}

function createAlarm(
  ctx: StackContext,
  region: RegionContext,
  inputs: ObservabilityInputs,
  spec: AlarmSpec,
): string {
  const topicArn = inputs.alerting[region.role].topicArn;
  const name = ctx.name("alarm", `dr-${spec.key.replaceAll("_", "-")}`, region.region);
  const alarm = new CloudwatchMetricAlarm(ctx.scope, logicalId("observability", region.role, spec.key), {
    provider: region.provider,
    alarmName: name,
    alarmDescription: spec.description,
    namespace: spec.namespace,
    metricName: spec.metric,
    dimensions: spec.dimensions,
    statistic: spec.statistic,
    period: 60,
    evaluationPeriods: spec.periods,
    datapointsToAlarm: spec.periods,
    comparisonOperator: spec.comparison,
    threshold: spec.threshold,
    treatMissingData: spec.treatMissingData,
    alarmActions: [topicArn],
    okActions: [topicArn],
  });
  return alarm.arn;
}

/** Anything above zero in one minute. */
const anyIn = (
  spec: Pick<AlarmSpec, "key" | "description" | "namespace" | "metric" | "dimensions">,
): AlarmSpec => ({
  ...spec,
  statistic: "Sum",
  comparison: "GreaterThanThreshold",
  threshold: 0,
  periods: 1,
  treatMissingData: "notBreaching",
});

/** The region's own checkers: a silent checker counts as a failing one. */
function checkerAlarms(ctx: StackContext, region: RegionContext, inputs: ObservabilityInputs): AlarmSpec[] {
  const minutes = inputs.checkerAlarmMinutes;
  const failing = (key: string, metric: string, description: string): AlarmSpec => ({
    key,
    description: `${description} for ${minutes} minute(s)`,
    namespace: ctx.metricNamespace,
    metric,
    dimensions: { Region: region.region, Role: region.role },
    statistic: "Minimum",
    comparison: "LessThanThreshold",
    threshold: 1,
    periods: minutes,
    treatMissingData: "breaching",
  });
  return [
    failing("database_unhealthy", METRICS.databaseHealthy, `The database checker in ${region.region} failed`),
    failing(
      "app_unhealthy",
      METRICS.appHealthy,
      `The application checker found ${region.region}'s own load balancer unhealthy`,
    ),
  ];
}

function servingAlarm(region: RegionContext, inputs: ObservabilityInputs): AlarmSpec {
  const signals = inputs.signals[region.role];
  return {
    key: "unhealthy_hosts",
    description: "Targets of the load balancer are failing their health checks",
    namespace: "AWS/ApplicationELB",
    metric: "UnHealthyHostCount",
    dimensions: { TargetGroup: signals.targetGroupArnSuffix, LoadBalancer: signals.albArnSuffix },
    statistic: "Maximum",
    comparison: "GreaterThanThreshold",
    threshold: 0,
    periods: 2,
    treatMissingData: "notBreaching",
  };
}

/** The dimensions of a region's S3 replication metrics (its bucket towards the peer's). */
export function replicationRule(signals: RegionSignals): Record<string, string> {
  return {
    SourceBucket: signals.bucketName,
    DestinationBucket: signals.peerBucketName,
    RuleId: signals.replicationRuleId,
  };
}

/** S3 Replication Time Control of the region's bucket towards its peer. */
function objectReplicationAlarms(region: RegionContext, inputs: ObservabilityInputs): AlarmSpec[] {
  const signals = inputs.signals[region.role];
  const rule = replicationRule(signals);
  return [
    {
      key: "replication_latency",
      description:
        `Objects replicate to ${signals.peerBucketName} slower than the Replication Time Control threshold`,
      namespace: "AWS/S3",
      metric: "ReplicationLatency",
      dimensions: rule,
      statistic: "Maximum",
      comparison: "GreaterThanThreshold",
      threshold: inputs.replicationLatencyAlarmSeconds,
      periods: 1,
      treatMissingData: "notBreaching",
    },
    anyIn({
      key: "replication_failed",
      description: `An object failed to replicate to ${signals.peerBucketName}`,
      namespace: "AWS/S3",
      metric: "OperationsFailedReplication",
      dimensions: rule,
    }),
  ];
}

/** Errors and throttles of every function of the region. */
function functionAlarms(region: RegionContext, inputs: ObservabilityInputs): AlarmSpec[] {
  return inputs.signals[region.role].functions.flatMap(({ key, functionName }) =>
    (["Errors", "Throttles"] as const).map((metric) =>
      anyIn({
        key: `${key}_${metric.toLowerCase()}`,
        description: `${functionName}: ${metric.toLowerCase()}`,
        namespace: "AWS/Lambda",
        metric,
        dimensions: { FunctionName: functionName },
      })
    )
  );
}

/** Standby only: Aurora's replication lag (published for the secondary cluster), recovery time, failovers. */
function recoveryAlarms(ctx: StackContext, region: RegionContext, inputs: ObservabilityInputs): AlarmSpec[] {
  const lagAbove = (key: string, metric: string, description: string): AlarmSpec => ({
    key,
    description,
    namespace: "AWS/RDS",
    metric,
    dimensions: { DBClusterIdentifier: inputs.signals[region.role].clusterIdentifier },
    statistic: "Maximum",
    comparison: "GreaterThanThreshold",
    threshold: inputs.rpoLagAlarmSeconds * 1000,
    periods: 1,
    treatMissingData: "notBreaching",
  });
  const lag = `${inputs.rpoLagAlarmSeconds} s`;
  return [
    lagAbove(
      "rpo_lag",
      "AuroraGlobalDBRPOLag",
      `Aurora global replication RPO lag above ${lag} (RPO target ${inputs.rpoTargetSeconds} s)`,
    ),
    lagAbove("replication_lag", "AuroraGlobalDBReplicationLag", `Aurora global replication lag above ${lag}`),
    {
      key: "recovery_time",
      description:
        `A failover took longer than the ${inputs.rtoTargetSeconds} s RTO (RecoverySeconds, measured by the orchestrator)`,
      namespace: ctx.metricNamespace,
      metric: METRICS.recoverySeconds,
      dimensions: { Region: region.region, Role: region.role },
      statistic: "Maximum",
      comparison: "GreaterThanThreshold",
      threshold: inputs.rtoTargetSeconds,
      periods: 1,
      treatMissingData: "notBreaching",
    },
    {
      key: "failover_invoked",
      description: "The failover orchestrator ran (always worth a look)",
      namespace: "AWS/Lambda",
      metric: "Invocations",
      dimensions: { FunctionName: inputs.orchestratorFunctionName },
      statistic: "Sum",
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      periods: 1,
      treatMissingData: "notBreaching",
    },
  ];
}
