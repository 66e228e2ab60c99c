// Dashboards in BOTH regions (the primary's may be unreachable during the outage they are needed for) and
// alarms that notify the SNS topic of their own region on ALARM and on OK: per region, its alarms
// (observability_alarms.ts), then its dashboard (observability_dashboard.ts), which lists them.
import { forEachRegion, type PerRegion } from "./providers.ts";
import type { StackContext } from "./stack_context.ts";
import type { AlertingOutputs } from "./alerting.ts";
import type { BudgetFigures, VantagePoint } from "./recovery_budget.ts";
import { createRegionAlarms } from "./observability_alarms.ts";
import { createDashboard } from "./observability_dashboard.ts";

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
  readonly alerting: AlertingOutputs;
  readonly signals: PerRegion<RegionSignals>;
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

/** The last concern of the stack: nothing is built on it, so it returns nothing. */
export function createObservability(ctx: StackContext, inputs: ObservabilityInputs): void {
  forEachRegion(ctx.regions, (region) => {
    createDashboard(ctx, region, inputs, createRegionAlarms(ctx, region, inputs));
  });
}
