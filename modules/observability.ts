// Dashboards in BOTH regions (the primary's may be unreachable during the outage they are needed for) and
// alarms that notify the SNS topic of their own region on ALARM and on OK.
import { Construct } from "constructs";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard/index.js";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { forEachRegion, type PerRegion, type RegionContext, type RegionPair, ROLES } from "./providers.ts";
import { logicalId, physicalName } from "./naming.ts";
import type { AlertingOutputs } from "./alerting.ts";
import { METRICS } from "../handlers/lib/contract.ts";
import type { BudgetFigures, VantagePoint } from "./recovery_budget.ts";

/** What one region's dashboard and alarms look at. */
export interface RegionSignals {
  readonly clusterIdentifier: string;
  readonly bucketName: string;
  readonly peerBucketName: string;
  readonly replicationRuleId: string;
  readonly albArnSuffix: string;
  readonly targetGroupArnSuffix: string;
  readonly asgName: string;
  /** Lambda functions of the region: alarm key (`db_health`) and function name. */
  readonly functions: ReadonlyArray<{ readonly key: string; readonly functionName: string }>;
}

export interface ObservabilityInputs {
  readonly regions: RegionPair;
  readonly alerting: AlertingOutputs;
  readonly signals: PerRegion<RegionSignals>;
  readonly metricNamespace: string;
  readonly environmentSuffix: string;
  readonly orchestratorFunctionName: string;
  /** Route 53 health checks (their metrics exist only in us-east-1). */
  readonly route53HealthCheckIds: readonly string[];
  readonly rtoTargetSeconds: number;
  readonly rpoTargetSeconds: number;
  readonly rpoLagAlarmSeconds: number;
  /** The recovery budget of this stack (`make rto`): both totals and the figure of each measured phase. */
  readonly recoveryBudget: BudgetFigures;
  /** Where the primary's probers run (their PrimaryProbeHealthy lands in the standby region). */
  readonly probeVantagePoints: readonly VantagePoint[];
  /** Minutes a checker must fail before its alarm fires. */
  readonly checkerAlarmMinutes: number;
  /** S3 replication latency alarm threshold (the RTC SLA is 900 s). */
  readonly replicationLatencyAlarmSeconds: number;
  /** Period of the readiness evaluation (s): draws "ready to fail over" beside the recovery budget. */
  readonly readinessPeriodSeconds?: number;
}

// ---------------------------------------------------------------------------------------------------
// Typed dashboard widgets (CloudWatch dashboard body, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html)

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

interface Widget {
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

// ---------------------------------------------------------------------------------------------------

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

/** The last concern of the stack: nothing is built on it, so it returns nothing. */
export function createObservability(scope: Construct, inputs: ObservabilityInputs): void {
  forEachRegion(inputs.regions, (region) => {
    const alarmArns = regionAlarms(region, inputs).map((spec) => createAlarm(scope, region, inputs, spec));
    new CloudwatchDashboard(scope, logicalId("observability", region.role, "dashboard"), {
      provider: region.provider,
      dashboardName: physicalName("dashboard", "dr-recovery", inputs.environmentSuffix, region.region),
      dashboardBody: dashboardBody(regionDashboard(region, inputs, alarmArns)),
    });
  });
}

function createAlarm(
  scope: Construct,
  region: RegionContext,
  inputs: ObservabilityInputs,
  spec: AlarmSpec,
): string {
  const topicArn = inputs.alerting[region.role].topicArn;
  const name = physicalName(
    "alarm",
    `dr-${spec.key.replaceAll("_", "-")}`,
    inputs.environmentSuffix,
    region.region,
  );
  const alarm = new CloudwatchMetricAlarm(scope, logicalId("observability", region.role, spec.key), {
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

function regionAlarms(region: RegionContext, inputs: ObservabilityInputs): AlarmSpec[] {
  const signals = inputs.signals[region.role];
  const checker = { Region: region.region, Role: region.role };
  const minutes = inputs.checkerAlarmMinutes;
  const alarms: AlarmSpec[] = [
    {
      key: "database_unhealthy",
      description: `The database checker in ${region.region} failed for ${minutes} minute(s)`,
      namespace: inputs.metricNamespace,
      metric: METRICS.databaseHealthy,
      dimensions: checker,
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: 1,
      periods: minutes,
      treatMissingData: "breaching",
    },
    {
      key: "app_unhealthy",
      description:
        `The application checker found ${region.region}'s own load balancer unhealthy for ${minutes} minute(s)`,
      namespace: inputs.metricNamespace,
      metric: METRICS.appHealthy,
      dimensions: checker,
      statistic: "Minimum",
      comparison: "LessThanThreshold",
      threshold: 1,
      periods: minutes,
      treatMissingData: "breaching",
    },
    {
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
    },
    {
      key: "replication_latency",
      description:
        `Objects replicate to ${signals.peerBucketName} slower than the Replication Time Control threshold`,
      namespace: "AWS/S3",
      metric: "ReplicationLatency",
      dimensions: {
        SourceBucket: signals.bucketName,
        DestinationBucket: signals.peerBucketName,
        RuleId: signals.replicationRuleId,
      },
      statistic: "Maximum",
      comparison: "GreaterThanThreshold",
      threshold: inputs.replicationLatencyAlarmSeconds,
      periods: 1,
      treatMissingData: "notBreaching",
    },
    {
      key: "replication_failed",
      description: `An object failed to replicate to ${signals.peerBucketName}`,
      namespace: "AWS/S3",
      metric: "OperationsFailedReplication",
      dimensions: {
        SourceBucket: signals.bucketName,
        DestinationBucket: signals.peerBucketName,
        RuleId: signals.replicationRuleId,
      },
      statistic: "Sum",
      comparison: "GreaterThanThreshold",
      threshold: 0,
      periods: 1,
      treatMissingData: "notBreaching",
    },
    ...signals.functions.flatMap(({ key, functionName }): AlarmSpec[] =>
      (["Errors", "Throttles"] as const).map((metric) => ({
        key: `${key}_${metric.toLowerCase()}`,
        description: `${functionName}: ${metric.toLowerCase()}`,
        namespace: "AWS/Lambda",
        metric,
        dimensions: { FunctionName: functionName },
        statistic: "Sum",
        comparison: "GreaterThanThreshold",
        threshold: 0,
        periods: 1,
        treatMissingData: "notBreaching",
      }))
    ),
  ];
  if (region.role === "secondary") {
    alarms.push(
      {
        key: "rpo_lag",
        description:
          `Aurora global replication RPO lag above ${inputs.rpoLagAlarmSeconds} s (RPO target ${inputs.rpoTargetSeconds} s)`,
        namespace: "AWS/RDS",
        metric: "AuroraGlobalDBRPOLag",
        dimensions: { DBClusterIdentifier: signals.clusterIdentifier },
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: inputs.rpoLagAlarmSeconds * 1000,
        periods: 1,
        treatMissingData: "notBreaching",
      },
      {
        key: "replication_lag",
        description: `Aurora global replication lag above ${inputs.rpoLagAlarmSeconds} s`,
        namespace: "AWS/RDS",
        metric: "AuroraGlobalDBReplicationLag",
        dimensions: { DBClusterIdentifier: signals.clusterIdentifier },
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: inputs.rpoLagAlarmSeconds * 1000,
        periods: 1,
        treatMissingData: "notBreaching",
      },
      {
        key: "recovery_time",
        description:
          `A failover took longer than the ${inputs.rtoTargetSeconds} s RTO (RecoverySeconds, measured by the orchestrator)`,
        namespace: inputs.metricNamespace,
        metric: METRICS.recoverySeconds,
        dimensions: checker,
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
    );
  }
  return alarms;
}

const seconds = (value: number) => `${Math.round(value)} s`;

/** Horizontal lines for the figures the budget could compute (an incomplete stack yields NaN: not drawn). */
function knownThresholds(lines: ReadonlyArray<{ label: string; value: number }>) {
  return lines.filter((line) => Number.isFinite(line.value));
}

function budgetSummary(budget: BudgetFigures, rtoTargetSeconds: number): string {
  if (!Number.isFinite(budget.decisionSeconds) || !Number.isFinite(budget.firstWriteSeconds)) {
    return `budget incomplete: run \`make rto\` (targets: decision ${budget.decisionTargetSeconds} s, first write ${rtoTargetSeconds} s)`;
  }
  return `budget (\`make rto\`): decision ${
    seconds(budget.decisionSeconds)
  } of ${budget.decisionTargetSeconds} s, ` +
    `first write ${seconds(budget.firstWriteSeconds)} of ${rtoTargetSeconds} s`;
}

/** The budget's two totals next to their targets, and the measured phases next to the budget's figures. */
function budgetWidgets(
  standby: string,
  inputs: ObservabilityInputs,
  measured: (metric: string, label: string) => MetricLine,
): Widget[] {
  const budget = inputs.recoveryBudget;
  return [
    graph(standby, {
      title: "Recovery budget vs targets, measured (s)",
      stat: "Maximum",
      lines: [
        measured(METRICS.failoverDecisionSeconds, "measured: failure -> decision"),
        measured(METRICS.recoverySeconds, "measured: recovery"),
      ],
      thresholds: knownThresholds([
        { label: `decision target ${budget.decisionTargetSeconds} s`, value: budget.decisionTargetSeconds },
        { label: `decision budget ${seconds(budget.decisionSeconds)}`, value: budget.decisionSeconds },
        { label: `first-write budget ${seconds(budget.firstWriteSeconds)}`, value: budget.firstWriteSeconds },
        { label: `RTO target ${inputs.rtoTargetSeconds} s`, value: inputs.rtoTargetSeconds },
      ]),
    }),
    graph(standby, {
      title: "Failover phases: measured vs budget (s)",
      stat: "Maximum",
      lines: [
        measured(METRICS.failoverDecisionSeconds, "failure -> decision"),
        measured(METRICS.failoverWritableSeconds, "decision -> writable"),
        measured(METRICS.failoverFullCapacitySeconds, "writable -> full capacity"),
        measured(METRICS.recoverySeconds, "recovery"),
      ],
      thresholds: knownThresholds([
        { label: `budget: decision ${seconds(budget.phases.decision)}`, value: budget.phases.decision },
        { label: `budget: writable ${seconds(budget.phases.writable)}`, value: budget.phases.writable },
        {
          label: `budget: full capacity ${seconds(budget.phases.fullCapacity)}`,
          value: budget.phases.fullCapacity,
        },
      ]),
    }),
  ];
}

/** Objectives, RPO, the budget next to the targets, the measured phases next to the budget, detection. */
function recoveryWidgets(region: RegionContext, inputs: ObservabilityInputs): Widget[] {
  const standby = inputs.regions.secondary.region;
  const budget = inputs.recoveryBudget;
  const standbyCluster = inputs.signals.secondary.clusterIdentifier;
  // Everything failover measures lands in the standby region's CloudWatch, with the orchestrator's dimensions.
  const measured = (metric: string, label: string, role = "secondary", region = standby): MetricLine => ({
    namespace: inputs.metricNamespace,
    metric,
    dimensions: { Region: region, Role: role },
    label,
  });
  const [budgetWidget, ...phases] = budgetWidgets(standby, inputs, measured);
  const readiness = inputs.readinessPeriodSeconds
    ? [graph(standby, {
      title: "Ready to fail over (FailoverReady: 1 ready, 0 not; make readiness for why)",
      stat: "Minimum",
      periodSeconds: inputs.readinessPeriodSeconds,
      lines: [measured(METRICS.failoverReady, "ready to fail over")],
    })]
    : [];
  return [
    text(
      `## Recovery objectives - ${region.region} (${region.role})\nRTO target ${inputs.rtoTargetSeconds} s; ${
        budgetSummary(budget, inputs.rtoTargetSeconds)
      }; RPO target ${inputs.rpoTargetSeconds} s. Active region: SSM \`failover/active-region\`.`,
    ),
    graph(standby, {
      title: "RPO: Aurora global replication lag (standby cluster)",
      stat: "Maximum",
      lines: ["AuroraGlobalDBRPOLag", "AuroraGlobalDBReplicationLag"].map((metric) => ({
        namespace: "AWS/RDS",
        metric,
        dimensions: { DBClusterIdentifier: standbyCluster },
        label: metric === "AuroraGlobalDBRPOLag" ? "RPO lag (ms)" : "replication lag (ms)",
      })),
      thresholds: [
        { label: `RPO target ${inputs.rpoTargetSeconds} s`, value: inputs.rpoTargetSeconds * 1000 },
        { label: `alarm ${inputs.rpoLagAlarmSeconds} s`, value: inputs.rpoLagAlarmSeconds * 1000 },
      ],
    }),
    budgetWidget,
    ...readiness,
    ...phases,
    graph(standby, {
      title: "Detection: the primary's deep health from each vantage point (10 s), replication, fence",
      stat: "Minimum",
      periodSeconds: 10,
      width: 24,
      lines: [
        ...inputs.probeVantagePoints.map((point) =>
          measured(
            METRICS.primaryProbeHealthy,
            `primary healthy seen from ${point.role} (${point.region})`,
            point.role,
            point.region,
          )
        ),
        { ...measured(METRICS.replicationStalled, "replication stalled (standby checker)"), stat: "Maximum" },
        { ...measured(METRICS.primaryFenced, "primary fenced"), stat: "Maximum" },
      ],
    }),
  ];
}

function regionDashboard(
  region: RegionContext,
  inputs: ObservabilityInputs,
  alarmArns: readonly string[],
): Widget[] {
  const here = region.region;
  const standby = inputs.regions.secondary.region;
  const primary = inputs.regions.primary.region;
  const namespace = inputs.metricNamespace;
  const checker = (role: "primary" | "secondary", metric: string, label: string): MetricLine => ({
    namespace,
    metric,
    dimensions: { Region: inputs.regions[role].region, Role: role },
    label,
    region: inputs.regions[role].region,
  });
  const signals = inputs.signals;
  const lambdaLines = (metric: string): MetricLine[] =>
    ROLES.flatMap((role) =>
      signals[role].functions.map(({ functionName }) => ({
        namespace: "AWS/Lambda",
        metric,
        dimensions: { FunctionName: functionName },
        region: inputs.regions[role].region,
        label: functionName,
      }))
    );
  return [
    ...recoveryWidgets(region, inputs),
    text("## Health"),
    graph(here, {
      title: "Checkers: database healthy (0/1)",
      stat: "Minimum",
      lines: [
        checker("primary", METRICS.databaseHealthy, primary),
        checker("secondary", METRICS.databaseHealthy, standby),
      ],
    }),
    graph(here, {
      title: "Checkers: application healthy (0/1)",
      stat: "Minimum",
      lines: [
        checker("primary", METRICS.appHealthy, primary),
        checker("secondary", METRICS.appHealthy, standby),
      ],
    }),
    graph("us-east-1", {
      title: "Route 53 health checks (metrics live in us-east-1)",
      stat: "Minimum",
      lines: inputs.route53HealthCheckIds.map((id, index) => ({
        namespace: "AWS/Route53",
        metric: "HealthCheckStatus",
        dimensions: { HealthCheckId: id },
        label: `check ${index + 1}`,
      })),
    }),
    text("## Database"),
    ...ROLES.map((role) =>
      graph(inputs.regions[role].region, {
        title: `Aurora ${inputs.regions[role].region}: connections, CPU, commit latency`,
        lines: [
          {
            namespace: "AWS/RDS",
            metric: "DatabaseConnections",
            dimensions: { DBClusterIdentifier: signals[role].clusterIdentifier },
          },
          {
            namespace: "AWS/RDS",
            metric: "CPUUtilization",
            dimensions: { DBClusterIdentifier: signals[role].clusterIdentifier },
          },
          {
            namespace: "AWS/RDS",
            metric: "CommitLatency",
            dimensions: { DBClusterIdentifier: signals[role].clusterIdentifier },
          },
        ],
        width: 12,
      })
    ),
    text("## Application"),
    ...ROLES.map((role) => {
      const lb = { LoadBalancer: signals[role].albArnSuffix };
      const tg = {
        TargetGroup: signals[role].targetGroupArnSuffix,
        LoadBalancer: signals[role].albArnSuffix,
      };
      const asg = { AutoScalingGroupName: signals[role].asgName };
      return graph(inputs.regions[role].region, {
        title: `${inputs.regions[role].region}: requests, 5xx, latency, hosts, capacity`,
        stat: "Sum",
        lines: [
          { namespace: "AWS/ApplicationELB", metric: "RequestCount", dimensions: lb },
          { namespace: "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count", dimensions: lb },
          { namespace: "AWS/ApplicationELB", metric: "TargetResponseTime", dimensions: lb, stat: "p99" },
          { namespace: "AWS/ApplicationELB", metric: "HealthyHostCount", dimensions: tg, stat: "Minimum" },
          {
            namespace: "AWS/AutoScaling",
            metric: "GroupInServiceInstances",
            dimensions: asg,
            stat: "Average",
          },
          { namespace: "AWS/AutoScaling", metric: "GroupDesiredCapacity", dimensions: asg, stat: "Average" },
          {
            namespace: "AWS/AutoScaling",
            metric: "WarmPoolWarmedCapacity",
            dimensions: asg,
            stat: "Average",
          },
        ],
        width: 12,
      });
    }),
    text("## Object replication (S3 Replication Time Control)"),
    ...ROLES.map((role) => {
      const rule = {
        SourceBucket: signals[role].bucketName,
        DestinationBucket: signals[role].peerBucketName,
        RuleId: signals[role].replicationRuleId,
      };
      return graph(inputs.regions[role].region, {
        title: `${signals[role].bucketName} -> peer: latency, pending, failed`,
        stat: "Maximum",
        lines: [
          { namespace: "AWS/S3", metric: "ReplicationLatency", dimensions: rule },
          { namespace: "AWS/S3", metric: "OperationsPendingReplication", dimensions: rule },
          { namespace: "AWS/S3", metric: "OperationsFailedReplication", dimensions: rule, stat: "Sum" },
        ],
        thresholds: [{ label: "RTC 15 min", value: 900 }],
        width: 12,
      });
    }),
    text("## Automation (Lambda)"),
    graph(here, { title: "Errors", stat: "Sum", lines: lambdaLines("Errors") }),
    graph(here, { title: "Duration (p99 ms)", stat: "p99", lines: lambdaLines("Duration") }),
    graph(here, { title: "Throttles", stat: "Sum", lines: lambdaLines("Throttles") }),
    alarmStatus(`Alarms in ${here}`, alarmArns),
  ];
}
