// Time to decision: failure -> the quorum alarm fires (both vantage points see the primary down). The slower
// vantage point decides; a vote that cannot happen is a blocker.
import type { VantageRole } from "../handlers/lib/contract.ts";
import { AWS_FACTS, type AwsFactName, citeFact } from "./recovery_sources.ts";
import {
  attribute,
  bodyOf,
  BUDGET_SOURCES,
  type BudgetStep,
  envOf,
  mentions,
  rateSeconds,
  resourceOf,
  sum,
  type VantagePoint,
} from "./recovery_inputs.ts";
import type { StackIndex } from "./stack_index.ts";

const VANTAGE_ROLES: readonly VantageRole[] = ["secondary", "witness"];

interface VantagePath {
  readonly vantage: VantagePoint;
  readonly steps: BudgetStep[];
}

/** Failure -> this vantage point's "primary down" alarm, or undefined when a piece is missing. */
function vantagePath(index: StackIndex, role: VantageRole, blockers: string[]): VantagePath | undefined {
  const proberRef = BUDGET_SOURCES.probers[role];
  const prober = resourceOf(index, proberRef);
  const alarmRef = BUDGET_SOURCES.decisionAlarms[role];
  const alarm = bodyOf(index, alarmRef);
  if (!prober || !alarm) return undefined;
  const scheduleRef = BUDGET_SOURCES.probeSchedules[role];
  const scheduleSeconds = rateSeconds(bodyOf(index, scheduleRef)?.schedule_expression);
  if (Number.isNaN(scheduleSeconds)) {
    blockers.push(`the ${role} prober has no rate() schedule (${scheduleRef[1]})`);
  }
  const interval = envOf(prober.body, "PROBE_INTERVAL_SECONDS");
  const probes = envOf(prober.body, "PROBES_PER_INVOCATION");
  // One invocation a minute runs `probes` probes `interval` apart: a short series leaves a gap until the next.
  const gap = scheduleSeconds - (probes - 1) * interval;
  const wait = gap > interval ? gap : interval;
  const periods = Number(alarm.datapoints_to_alarm ?? alarm.evaluation_periods);
  const period = Number(alarm.period);
  const evaluation: AwsFactName = period < 60 ? "highResolutionAlarmEvaluation" : "standardAlarmEvaluation";
  const vantage = { role, region: prober.region || "?" };
  const steps: BudgetStep[] = [
    {
      step: `primary fails just after a healthy probe: the next probe from the ${
        role === "secondary" ? "standby" : "witness"
      } (${vantage.region})`,
      seconds: wait,
      source: attribute(proberRef, "environment.PROBE_INTERVAL_SECONDS") +
        (gap > interval
          ? `; gap between invocations: ${
            attribute(scheduleRef, "schedule_expression")
          }, PROBES_PER_INVOCATION`
          : ""),
    },
    {
      step: "the failing probe runs into its timeout",
      seconds: envOf(prober.body, "CHECK_TIMEOUT_MS") / 1000,
      source: attribute(proberRef, "environment.CHECK_TIMEOUT_MS"),
    },
    {
      step: `"primary down" needs ${periods} failed period(s) of ${period} s`,
      seconds: periods * period,
      source: attribute(alarmRef, "datapoints_to_alarm x period"),
    },
    {
      step: "the alarm's next evaluation",
      seconds: AWS_FACTS[evaluation].seconds,
      source: citeFact(evaluation),
      facts: [evaluation],
    },
  ];
  return { vantage, steps };
}

/** The piece a vantage point lacks: its prober, else its decision alarm. */
function missingVoter(index: StackIndex, role: VantageRole): string {
  return bodyOf(index, BUDGET_SOURCES.probers[role])
    ? `decision alarm ${BUDGET_SOURCES.decisionAlarms[role][1]}`
    : `prober ${BUDGET_SOURCES.probers[role][1]}`;
}

/** Blockers of the quorum: a vote that cannot happen makes automatic failover impossible. */
function quorumBlockers(
  index: StackIndex,
  paths: Partial<Record<VantageRole, VantagePath>>,
  blockers: string[],
): void {
  const impossible = (why: string) => blockers.push(`no quorum: automatic failover impossible (${why})`);
  if (!paths.witness) impossible(`no witness ${missingVoter(index, "witness")}`);
  if (!paths.secondary && !bodyOf(index, BUDGET_SOURCES.replicationStalledAlarm)) {
    impossible(`no standby ${missingVoter(index, "secondary")} and no replication-stall alarm`);
  } else if (!paths.secondary) {
    blockers.push(`no standby ${missingVoter(index, "secondary")}: the standby's vote cannot be timed`);
  }
  const quorum = bodyOf(index, BUDGET_SOURCES.quorumAlarm);
  if (!quorum) impossible(`no quorum alarm ${BUDGET_SOURCES.quorumAlarm[1]}`);
  else if (!mentions(quorum.alarm_rule, index, BUDGET_SOURCES.decisionAlarms.witness)) {
    impossible(`the rule of ${BUDGET_SOURCES.quorumAlarm[1]} does not require the witness vote`);
  }
  const trigger = bodyOf(index, BUDGET_SOURCES.failoverTrigger);
  if (!trigger) {
    blockers.push(`no EventBridge rule ${BUDGET_SOURCES.failoverTrigger[1]} starts the orchestrator`);
  } else if (quorum && !mentions(trigger.event_pattern, index, BUDGET_SOURCES.quorumAlarm)) {
    blockers.push(`${BUDGET_SOURCES.failoverTrigger[1]} does not start on the quorum alarm`);
  }
}

/** Failure -> decision, and the vantage points that can vote. */
export function decisionPath(
  index: StackIndex,
  blockers: string[],
): { steps: BudgetStep[]; vantagePoints: VantagePoint[] } {
  const paths: Partial<Record<VantageRole, VantagePath>> = {};
  for (const role of VANTAGE_ROLES) paths[role] = vantagePath(index, role, blockers);
  quorumBlockers(index, paths, blockers);
  const available = VANTAGE_ROLES.flatMap((role) => paths[role] ? [paths[role]!] : []);
  // The quorum needs both votes: the slower vantage point decides when it fires.
  const slower = available.reduce<VantagePath | undefined>(
    (worst, path) => !worst || sum(path.steps) > sum(worst.steps) ? path : worst,
    undefined,
  );
  const composite: BudgetStep = {
    step: "the quorum alarm follows its children: witness AND (standby OR replication stalled)",
    seconds: AWS_FACTS.compositeAlarmEvaluation.seconds,
    source: `${attribute(BUDGET_SOURCES.quorumAlarm, "alarm_rule")}; ${citeFact("compositeAlarmEvaluation")}`,
    facts: ["compositeAlarmEvaluation"],
  };
  const detection: BudgetStep[] = slower?.steps ??
    [{ step: "no prober of the primary: detection cannot be timed", seconds: Number.NaN, source: "-" }];
  return { steps: [...detection, composite], vantagePoints: available.map((path) => path.vantage) };
}
