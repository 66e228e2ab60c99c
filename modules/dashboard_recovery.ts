// The dashboard's first section, the same in both regions: the recovery objectives, the RPO, the recovery
// budget of this stack next to its targets, readiness, the measured failover phases next to the budget, and
// detection. Everything failover measures lands in the standby region's CloudWatch.
import type { RegionContext } from "./providers.ts";
import type { StackContext } from "./stack_context.ts";
import type { ObservabilityInputs } from "./observability.ts";
import type { BudgetFigures } from "./recovery_budget.ts";
import { graph, type MetricLine, text, type Widget } from "./dashboard_widgets.ts";
import { METRICS } from "../handlers/lib/contract.ts";

/** A metric the orchestrator or a prober publishes in the standby region (`Region`, `Role` dimensions). */
type Measured = (metric: string, label: string, role?: string, region?: string) => MetricLine;

/** Objectives, RPO, the budget next to the targets, readiness, the measured phases, detection. */
export function recoveryWidgets(
  ctx: StackContext,
  region: RegionContext,
  inputs: ObservabilityInputs,
): Widget[] {
  const standby = ctx.regions.secondary.region;
  const measured: Measured = (metric, label, role = "secondary", region = standby) => ({
    namespace: ctx.metricNamespace,
    metric,
    dimensions: { Region: region, Role: role },
    label,
  });
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
        budgetSummary(inputs.recoveryBudget, inputs.rtoTargetSeconds)
      }; RPO target ${inputs.rpoTargetSeconds} s. Active region: SSM \`failover/active-region\`.`,
    ),
    rpoWidget(standby, inputs),
    budgetWidget(standby, inputs, measured),
    ...readiness,
    phasesWidget(standby, inputs.recoveryBudget, measured),
    detectionWidget(standby, inputs, measured),
  ];
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

/** Aurora publishes both lags for the secondary cluster, in milliseconds. */
function rpoWidget(standby: string, inputs: ObservabilityInputs): Widget {
  return graph(standby, {
    title: "RPO: Aurora global replication lag (standby cluster)",
    stat: "Maximum",
    lines: [["AuroraGlobalDBRPOLag", "RPO lag (ms)"], [
      "AuroraGlobalDBReplicationLag",
      "replication lag (ms)",
    ]]
      .map(([metric, label]) => ({
        namespace: "AWS/RDS",
        metric,
        dimensions: { DBClusterIdentifier: inputs.signals.secondary.clusterIdentifier },
        label,
      })),
    thresholds: [
      { label: `RPO target ${inputs.rpoTargetSeconds} s`, value: inputs.rpoTargetSeconds * 1000 },
      { label: `alarm ${inputs.rpoLagAlarmSeconds} s`, value: inputs.rpoLagAlarmSeconds * 1000 },
    ],
  });
}

/** The budget's two totals next to their targets, and what was measured. */
function budgetWidget(standby: string, inputs: ObservabilityInputs, measured: Measured): Widget {
  const budget = inputs.recoveryBudget;
  return measuredAgainst(standby, "Recovery budget vs targets, measured (s)", [
    measured(METRICS.failoverDecisionSeconds, "measured: failure -> decision"),
    measured(METRICS.recoverySeconds, "measured: recovery"),
  ], [
    { label: `decision target ${budget.decisionTargetSeconds} s`, value: budget.decisionTargetSeconds },
    { label: `decision budget ${seconds(budget.decisionSeconds)}`, value: budget.decisionSeconds },
    { label: `first-write budget ${seconds(budget.firstWriteSeconds)}`, value: budget.firstWriteSeconds },
    { label: `RTO target ${inputs.rtoTargetSeconds} s`, value: inputs.rtoTargetSeconds },
  ]);
}

/** The measured phases next to the budget's figure of each. */
function phasesWidget(standby: string, budget: BudgetFigures, measured: Measured): Widget {
  const phase = (label: string, value: number) => ({ label: `budget: ${label} ${seconds(value)}`, value });
  return measuredAgainst(standby, "Failover phases: measured vs budget (s)", [
    measured(METRICS.failoverDecisionSeconds, "failure -> decision"),
    measured(METRICS.failoverWritableSeconds, "decision -> writable"),
    measured(METRICS.failoverFullCapacitySeconds, "writable -> full capacity"),
    measured(METRICS.recoverySeconds, "recovery"),
  ], [
    phase("decision", budget.phases.decision),
    phase("writable", budget.phases.writable),
    phase("full capacity", budget.phases.fullCapacity),
  ]);
}

/** Measured maxima (the standby's metrics) drawn against the figures they should stay under. */
function measuredAgainst(
  standby: string,
  title: string,
  lines: Parameters<typeof graph>[1]["lines"],
  thresholds: Parameters<typeof knownThresholds>[0],
): Widget {
  return graph(standby, { title, stat: "Maximum", lines, thresholds: knownThresholds(thresholds) });
}

/** The decision's signals at the probes' own 10 s resolution, and the fence. */
function detectionWidget(standby: string, inputs: ObservabilityInputs, measured: Measured): Widget {
  return graph(standby, {
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
  });
}
