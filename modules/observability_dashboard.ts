// One region's dashboard (logical id `observability_<role>_dashboard`), section by section: recovery
// (dashboard_recovery.ts), health, database, application, object replication, automation, then the state of
// the region's alarms. Both regions show both regions' metrics: either may be the one still reachable.
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard/index.js";
import { type RegionContext, ROLES } from "./providers.ts";
import { logicalId, type RegionRole } from "./naming.ts";
import type { StackContext } from "./stack_context.ts";
import type { ObservabilityInputs } from "./observability.ts";
import { replicationRule } from "./observability_alarms.ts";
import {
  alarmStatus,
  dashboardBody,
  graph,
  type MetricLine,
  text,
  type Widget,
} from "./dashboard_widgets.ts";
import { recoveryWidgets } from "./dashboard_recovery.ts";
import { METRICS } from "../handlers/lib/contract.ts";

export function createDashboard(
  ctx: StackContext,
  region: RegionContext,
  inputs: ObservabilityInputs,
  alarmArns: readonly string[],
): void {
  new CloudwatchDashboard(ctx.scope, logicalId("observability", region.role, "dashboard"), {
    provider: region.provider,
    dashboardName: ctx.name("dashboard", "dr-recovery", region.region),
    dashboardBody: dashboardBody([
      ...recoveryWidgets(ctx, region, inputs),
      ...healthWidgets(ctx, region.region, inputs),
      ...databaseWidgets(ctx, inputs),
      ...applicationWidgets(ctx, inputs),
      ...objectReplicationWidgets(ctx, inputs),
      ...automationWidgets(ctx, region.region, inputs),
      alarmStatus(`Alarms in ${region.region}`, alarmArns),
    ]),
  });
}

/** Both regions' checkers, and Route 53's health checks (their metrics exist only in us-east-1). */
function healthWidgets(ctx: StackContext, here: string, inputs: ObservabilityInputs): Widget[] {
  const checkers = (metric: string): MetricLine[] =>
    ROLES.map((role) => ({
      namespace: ctx.metricNamespace,
      metric,
      dimensions: { Region: ctx.regions[role].region, Role: role },
      label: ctx.regions[role].region,
      region: ctx.regions[role].region,
    }));
  return [
    text("## Health"),
    graph(here, {
      title: "Checkers: database healthy (0/1)",
      stat: "Minimum",
      lines: checkers(METRICS.databaseHealthy),
    }),
    graph(here, {
      title: "Checkers: application healthy (0/1)",
      stat: "Minimum",
      lines: checkers(METRICS.appHealthy),
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
  ];
}

/** One graph per region, drawn from that region's CloudWatch. */
function perRegion(ctx: StackContext, draw: (role: RegionRole, region: string) => Widget): Widget[] {
  return ROLES.map((role) => draw(role, ctx.regions[role].region));
}

function databaseWidgets(ctx: StackContext, inputs: ObservabilityInputs): Widget[] {
  return [
    text("## Database"),
    ...perRegion(ctx, (role, region) =>
      graph(region, {
        title: `Aurora ${region}: connections, CPU, commit latency`,
        lines: ["DatabaseConnections", "CPUUtilization", "CommitLatency"].map((metric) => ({
          namespace: "AWS/RDS",
          metric,
          dimensions: { DBClusterIdentifier: inputs.signals[role].clusterIdentifier },
        })),
        width: 12,
      })),
  ];
}

function applicationWidgets(ctx: StackContext, inputs: ObservabilityInputs): Widget[] {
  return [
    text("## Application"),
    ...perRegion(ctx, (role, region) => {
      const signals = inputs.signals[role];
      const lb = { LoadBalancer: signals.albArnSuffix };
      const tg = { TargetGroup: signals.targetGroupArnSuffix, LoadBalancer: signals.albArnSuffix };
      const asg = (metric: string): MetricLine => ({
        namespace: "AWS/AutoScaling",
        metric,
        dimensions: { AutoScalingGroupName: signals.asgName },
        stat: "Average",
      });
      return graph(region, {
        title: `${region}: requests, 5xx, latency, hosts, capacity`,
        stat: "Sum",
        lines: [
          { namespace: "AWS/ApplicationELB", metric: "RequestCount", dimensions: lb },
          { namespace: "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count", dimensions: lb },
          { namespace: "AWS/ApplicationELB", metric: "TargetResponseTime", dimensions: lb, stat: "p99" },
          { namespace: "AWS/ApplicationELB", metric: "HealthyHostCount", dimensions: tg, stat: "Minimum" },
          asg("GroupInServiceInstances"),
          asg("GroupDesiredCapacity"),
          asg("WarmPoolWarmedCapacity"),
        ],
        width: 12,
      });
    }),
  ];
}

function objectReplicationWidgets(ctx: StackContext, inputs: ObservabilityInputs): Widget[] {
  return [
    text("## Object replication (S3 Replication Time Control)"),
    ...perRegion(ctx, (role, region) => {
      const signals = inputs.signals[role];
      const rule = replicationRule(signals);
      return graph(region, {
        title: `${signals.bucketName} -> peer: latency, pending, failed`,
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
  ];
}

/** Every function of both regions, one line each. */
function automationWidgets(ctx: StackContext, here: string, inputs: ObservabilityInputs): Widget[] {
  const lambdaLines = (metric: string): MetricLine[] =>
    ROLES.flatMap((role) =>
      inputs.signals[role].functions.map(({ functionName }) => ({
        namespace: "AWS/Lambda",
        metric,
        dimensions: { FunctionName: functionName },
        region: ctx.regions[role].region,
        label: functionName,
      }))
    );
  return [
    text("## Automation (Lambda)"),
    graph(here, { title: "Errors", stat: "Sum", lines: lambdaLines("Errors") }),
    graph(here, { title: "Duration (p99 ms)", stat: "p99", lines: lambdaLines("Duration") }),
    graph(here, { title: "Throttles", stat: "Sum", lines: lambdaLines("Throttles") }),
  ];
}
