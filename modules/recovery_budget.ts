// The recovery budget of an unplanned loss of the primary region, derived from a synthesized stack
// (cdk.tf.json), not from the TypeScript configuration: what is checked is what ops apply. Two totals:
//   time to decision     failure -> the quorum alarm fires (both vantage points see the primary down)
//   time to first write  failure -> the promoted standby cluster takes writes through the global endpoint
// Every number names the `type.id.attribute` it is read from, or the AWS document it comes from
// (recovery_sources.ts). A pure function of the JSON: `make rto`, REVIEW.md and the dashboards share it;
// recovery_budget_text.ts prints it. The steps: recovery_decision.ts, recovery_action.ts.
import { AWS_FACTS, citeFact } from "./recovery_sources.ts";
import {
  attribute,
  bodyOf,
  BUDGET_SOURCES,
  type BudgetStep,
  envOf,
  type ParallelPath,
  type RpoItem,
  sum,
  type VantagePoint,
} from "./recovery_inputs.ts";
import { decisionPath } from "./recovery_decision.ts";
import { capacityPath, dnsPaths, firstWritePath } from "./recovery_action.ts";
import { asList, first, type Json, type StackIndex, stackIndex } from "./stack_index.ts";

export { BUDGET_SOURCES, budgetSourceIds } from "./recovery_inputs.ts";
export type { BudgetStep, ParallelPath, RpoItem, VantagePoint } from "./recovery_inputs.ts";

/** Failure -> decision, worst case (issue 10; the seed's "detects failures within 60 seconds"). */
export const DECISION_TARGET_SECONDS = 60;
/** RTO target when the orchestrator does not say (its RTO_TARGET_SECONDS default). */
const DEFAULT_RTO_TARGET_SECONDS = 300;

/** The budget's figure for each phase the orchestrator measures (dashboards draw them side by side). */
export interface PhaseBudget {
  /** FailoverDecisionSeconds: first failed probe -> decision. */
  readonly decision: number;
  /** FailoverWritableSeconds: decision -> writable. */
  readonly writable: number;
  /** FailoverFullCapacitySeconds: writable -> full capacity. */
  readonly fullCapacity: number;
}

/** What the dashboards draw of the budget (a RecoveryBudget is one). */
export type BudgetFigures = Pick<
  RecoveryBudget,
  "decisionSeconds" | "decisionTargetSeconds" | "firstWriteSeconds" | "phases"
>;

export interface RecoveryBudget {
  /** Failure -> decision; the slower vantage point's path. */
  readonly decisionSteps: readonly BudgetStep[];
  /** Decision -> first write. */
  readonly firstWriteSteps: readonly BudgetStep[];
  readonly decisionSeconds: number;
  readonly decisionTargetSeconds: number;
  /** Failure -> first write. */
  readonly firstWriteSeconds: number;
  /** RTO_TARGET_SECONDS of the orchestrator. */
  readonly targetSeconds: number;
  readonly parallel: readonly ParallelPath[];
  /** When DNS answers with the standby (the faster of Route 53's endpoint verdict and the fence). */
  readonly dnsSeconds: number;
  readonly phases: PhaseBudget;
  /** Both targets hold, DNS moves within the RTO, and nothing blocks automatic failover. */
  readonly withinTarget: boolean;
  /** Things that make the budget unachievable regardless of the numbers (missing or disabled automation). */
  readonly blockers: readonly string[];
  readonly rpo: readonly RpoItem[];
  readonly vantagePoints: readonly VantagePoint[];
}

/** What bounds the data lost: the lag alarm, the commit guard, S3 Replication Time Control. */
function recoveryPoint(index: StackIndex): RpoItem[] {
  const lagAlarm = bodyOf(index, BUDGET_SOURCES.rpoLagAlarm);
  const groups = index.ofType("aws_rds_cluster_parameter_group");
  const guard =
    groups.flatMap((group) =>
      asList(group.body.parameter).filter((parameter: Json) => parameter.name === "rds.global_db_rpo")
        .map((parameter: Json) => ({ id: group.logicalId, value: parameter.value }))
    )[0];
  const primaryGroup = groups.find((group) => group.provider === "aws.primary")?.logicalId;
  const replications = index.ofType("aws_s3_bucket_replication_configuration");
  const rtcRules = replications
    .flatMap((configuration) => asList(configuration.body.rule))
    .filter((rule: Json) =>
      asList(rule.destination).some((destination: Json) =>
        first(destination?.replication_time)?.status === "Enabled"
      )
    );
  return [
    {
      mechanism: "Aurora global replication lag alarm (standby cluster)",
      bound: lagAlarm
        ? `alarm above ${Number(lagAlarm.threshold) / 1000} s of ${lagAlarm.metric_name}`
        : "not alarmed",
      source: attribute(BUDGET_SOURCES.rpoLagAlarm, "threshold"),
    },
    {
      mechanism: "commit guard rds.global_db_rpo (primary cluster parameter group)",
      bound: guard
        ? `commits block when no secondary is within ${guard.value} s`
        : "off (writes never block)",
      // A real address: the group's logical id, then the argument.
      source: `aws_rds_cluster_parameter_group.${guard?.id ?? primaryGroup ?? "(none)"}.parameter`,
    },
    {
      mechanism: "S3 Replication Time Control (objects, both directions)",
      bound: rtcRules.length >= 2
        ? `${AWS_FACTS.s3Rtc.seconds} s SLA (${rtcRules.length} rules)`
        : "not enabled in both directions",
      source: `${
        replications.map((configuration) => configuration.address).join(", ") ||
        "no replication"
      }: rule.destination.replication_time; ${citeFact("s3Rtc")}`,
    },
  ];
}

export function recoveryBudget(stack: Json | StackIndex): RecoveryBudget {
  const index = stackIndex(stack);
  const blockers: string[] = [];
  const decision = decisionPath(index, blockers);
  const firstWrite = firstWritePath(index, blockers);
  const decisionSeconds = sum(decision.steps);
  const firstWriteSeconds = decisionSeconds + sum(firstWrite.steps);
  const dns = dnsPaths(index, firstWriteSeconds, blockers);
  const capacity = capacityPath(
    index,
    decisionSeconds + sum(firstWrite.steps.slice(0, firstWrite.actingAfter)),
    blockers,
  );
  const finiteDns = dns.map((path) => path.doneAtSeconds).filter(Number.isFinite);
  const dnsSeconds = finiteDns.length > 0 ? Math.min(...finiteDns) : Number.NaN;
  const target = envOf(bodyOf(index, BUDGET_SOURCES.orchestrator), "RTO_TARGET_SECONDS");
  const targetSeconds = Number.isNaN(target) ? DEFAULT_RTO_TARGET_SECONDS : target;
  return {
    decisionSteps: decision.steps,
    firstWriteSteps: firstWrite.steps,
    decisionSeconds,
    decisionTargetSeconds: DECISION_TARGET_SECONDS,
    firstWriteSeconds,
    targetSeconds,
    parallel: capacity ? [...dns, capacity] : dns,
    dnsSeconds,
    phases: {
      decision: decisionSeconds,
      writable: firstWriteSeconds - decisionSeconds,
      fullCapacity: capacity ? Math.max(0, capacity.doneAtSeconds - firstWriteSeconds) : Number.NaN,
    },
    // NaN compares false: an unknown figure is never "within".
    withinTarget: blockers.length === 0 && decisionSeconds <= DECISION_TARGET_SECONDS &&
      firstWriteSeconds <= targetSeconds && dnsSeconds <= targetSeconds,
    blockers,
    rpo: recoveryPoint(index),
    vantagePoints: decision.vantagePoints,
  };
}
