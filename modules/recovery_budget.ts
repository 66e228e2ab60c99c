// The recovery budget of an unplanned loss of the primary region, derived from a synthesized stack
// (cdk.tf.json), not from the TypeScript configuration: what is checked is what ops apply. Two totals:
//   time to decision     failure -> the quorum alarm fires (both vantage points see the primary down)
//   time to first write  failure -> the promoted standby cluster takes writes through the global endpoint
// Every number names the `type.id.attribute` it is read from, or the AWS document it comes from
// (recovery_sources.ts). A pure function of the JSON: `make rto`, REVIEW.md and the dashboards share it;
// recovery_budget_text.ts prints it.
import type { VantageRole } from "../handlers/lib/contract.ts";
import { AWS_FACTS, type AwsFactName, citeFact } from "./recovery_sources.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Failure -> decision, worst case (issue 10; the seed's "detects failures within 60 seconds"). */
export const DECISION_TARGET_SECONDS = 60;
/** RTO target when the orchestrator does not say (its RTO_TARGET_SECONDS default). */
const DEFAULT_RTO_TARGET_SECONDS = 300;

export interface BudgetStep {
  readonly step: string;
  /** NaN when the stack does not say (a blocker names why). */
  readonly seconds: number;
  /** `type.id.attribute` read from the stack, and/or `AWS: <label>` (cited under the table). */
  readonly source: string;
  readonly facts?: readonly AwsFactName[];
}

export interface ParallelPath {
  readonly path: string;
  /** Seconds after the failure when this path is done. */
  readonly doneAtSeconds: number;
  readonly source: string;
  readonly facts?: readonly AwsFactName[];
}

export interface RpoItem {
  readonly mechanism: string;
  readonly bound: string;
  readonly source: string;
}

/** A prober of the primary: where it runs (its metrics land in the standby region). */
export interface VantagePoint {
  readonly role: VantageRole;
  readonly region: string;
}

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

type Ref = readonly [type: string, id: string];

/** Logical ids the budget reads (the failover design of issue 10). */
export const BUDGET_SOURCES = {
  probers: {
    secondary: ["aws_lambda_function", "probes_secondary_primary_probe"],
    witness: ["aws_lambda_function", "probes_witness_primary_probe"],
  },
  probeSchedules: {
    secondary: ["aws_cloudwatch_event_rule", "probes_secondary_primary_probe_schedule"],
    witness: ["aws_cloudwatch_event_rule", "probes_witness_primary_probe_schedule"],
  },
  decisionAlarms: {
    secondary: ["aws_cloudwatch_metric_alarm", "failover_secondary_primary_down_standby"],
    witness: ["aws_cloudwatch_metric_alarm", "failover_secondary_primary_down_witness"],
  },
  replicationStalledAlarm: ["aws_cloudwatch_metric_alarm", "failover_secondary_replication_stalled"],
  quorumAlarm: ["aws_cloudwatch_composite_alarm", "failover_secondary_quorum"],
  failoverTrigger: ["aws_cloudwatch_event_rule", "failover_secondary_trigger"],
  orchestrator: ["aws_lambda_function", "failover_secondary_failover"],
  fenceAlarm: ["aws_cloudwatch_metric_alarm", "failover_secondary_primary_fenced"],
  rpoLagAlarm: ["aws_cloudwatch_metric_alarm", "observability_secondary_rpo_lag"],
} as const;

/** Every logical id above, flat (a test asserts each exists in the default stack). */
export function budgetSourceIds(): Ref[] {
  const { probers, probeSchedules, decisionAlarms, ...single } = BUDGET_SOURCES;
  return [
    ...Object.values(probers),
    ...Object.values(probeSchedules),
    ...Object.values(decisionAlarms),
    ...Object.values(single),
  ];
}

const VANTAGE_ROLES: readonly VantageRole[] = ["secondary", "witness"];

// ---------------------------------------------------------------------------------------------------
// Reading the JSON

const byId = (stack: Json, [type, id]: Ref): Json | undefined => stack.resource?.[type]?.[id];
const attribute = ([type, id]: Ref, name: string) => `${type}.${id}.${name}`;
const envOf = (resource: Json, name: string): number => {
  const value = resource?.environment?.variables?.[name];
  return value === undefined || value === "" ? Number.NaN : Number(value);
};

function rateSeconds(expression: string | undefined): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression ?? "");
  if (!match) return Number.NaN;
  return Number(match[1]) * (match[2].startsWith("hour") ? 3600 : 60);
}

/** `${aws_x.name.attr}` -> [type, name]. */
function referenced(expression: unknown): Ref | undefined {
  const match = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(String(expression ?? ""));
  return match ? [match[1], match[2]] : undefined;
}

/** Whether an expression points at a resource: a `${type.id.…}` reference, or its literal `alarm_name`. */
function mentions(expression: unknown, stack: Json, ref: Ref): boolean {
  const text = typeof expression === "string" ? expression : JSON.stringify(expression ?? "");
  const name = byId(stack, ref)?.alarm_name;
  return text.includes(`${ref[0]}.${ref[1]}.`) ||
    (typeof name === "string" && !name.includes("${") && text.includes(name));
}

function providerRegion(stack: Json, provider: unknown): string {
  const alias = String(provider ?? "").replace(/^aws\./, "");
  const providers = [stack.provider?.aws ?? []].flat() as Json[];
  return providers.find((entry) => entry.alias === alias)?.region ?? "?";
}

const sum = (steps: readonly { seconds: number }[]) => steps.reduce((total, step) => total + step.seconds, 0);

// ---------------------------------------------------------------------------------------------------
// Time to decision

interface VantagePath {
  readonly vantage: VantagePoint;
  readonly steps: BudgetStep[];
}

/** Failure -> this vantage point's "primary down" alarm, or undefined when a piece is missing. */
function vantagePath(stack: Json, role: VantageRole, blockers: string[]): VantagePath | undefined {
  const proberRef = BUDGET_SOURCES.probers[role];
  const prober = byId(stack, proberRef);
  const alarmRef = BUDGET_SOURCES.decisionAlarms[role];
  const alarm = byId(stack, alarmRef);
  if (!prober || !alarm) return undefined;
  const scheduleRef = BUDGET_SOURCES.probeSchedules[role];
  const scheduleSeconds = rateSeconds(byId(stack, scheduleRef)?.schedule_expression);
  if (Number.isNaN(scheduleSeconds)) {
    blockers.push(`the ${role} prober has no rate() schedule (${scheduleRef[1]})`);
  }
  const interval = envOf(prober, "PROBE_INTERVAL_SECONDS");
  const probes = envOf(prober, "PROBES_PER_INVOCATION");
  // One invocation a minute runs `probes` probes `interval` apart: a short series leaves a gap until the next.
  const gap = scheduleSeconds - (probes - 1) * interval;
  const wait = gap > interval ? gap : interval;
  const periods = Number(alarm.datapoints_to_alarm ?? alarm.evaluation_periods);
  const period = Number(alarm.period);
  const evaluation: AwsFactName = period < 60 ? "highResolutionAlarmEvaluation" : "standardAlarmEvaluation";
  const vantage = { role, region: providerRegion(stack, prober.provider) };
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
      seconds: envOf(prober, "CHECK_TIMEOUT_MS") / 1000,
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
function missingVoter(stack: Json, role: VantageRole): string {
  return byId(stack, BUDGET_SOURCES.probers[role])
    ? `decision alarm ${BUDGET_SOURCES.decisionAlarms[role][1]}`
    : `prober ${BUDGET_SOURCES.probers[role][1]}`;
}

/** Blockers of the quorum: a vote that cannot happen makes automatic failover impossible. */
function quorumBlockers(stack: Json, paths: Partial<Record<VantageRole, VantagePath>>, blockers: string[]) {
  const impossible = (why: string) => blockers.push(`no quorum: automatic failover impossible (${why})`);
  if (!paths.witness) impossible(`no witness ${missingVoter(stack, "witness")}`);
  if (!paths.secondary && !byId(stack, BUDGET_SOURCES.replicationStalledAlarm)) {
    impossible(`no standby ${missingVoter(stack, "secondary")} and no replication-stall alarm`);
  } else if (!paths.secondary) {
    blockers.push(`no standby ${missingVoter(stack, "secondary")}: the standby's vote cannot be timed`);
  }
  const quorum = byId(stack, BUDGET_SOURCES.quorumAlarm);
  if (!quorum) impossible(`no quorum alarm ${BUDGET_SOURCES.quorumAlarm[1]}`);
  else if (!mentions(quorum.alarm_rule, stack, BUDGET_SOURCES.decisionAlarms.witness)) {
    impossible(`the rule of ${BUDGET_SOURCES.quorumAlarm[1]} does not require the witness vote`);
  }
  const trigger = byId(stack, BUDGET_SOURCES.failoverTrigger);
  if (!trigger) {
    blockers.push(`no EventBridge rule ${BUDGET_SOURCES.failoverTrigger[1]} starts the orchestrator`);
  } else if (quorum && !mentions(trigger.event_pattern, stack, BUDGET_SOURCES.quorumAlarm)) {
    blockers.push(`${BUDGET_SOURCES.failoverTrigger[1]} does not start on the quorum alarm`);
  }
}

function decisionPath(
  stack: Json,
  blockers: string[],
): { steps: BudgetStep[]; vantagePoints: VantagePoint[] } {
  const paths: Partial<Record<VantageRole, VantagePath>> = {};
  for (const role of VANTAGE_ROLES) paths[role] = vantagePath(stack, role, blockers);
  quorumBlockers(stack, paths, blockers);
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

// ---------------------------------------------------------------------------------------------------
// Time to first write

function orchestratorBlockers(stack: Json, orchestrator: Json, blockers: string[]): void {
  const id = BUDGET_SOURCES.orchestrator[1];
  if (!orchestrator) {
    blockers.push(`no failover orchestrator ${id}`);
    return;
  }
  if (orchestrator.environment?.variables?.AUTO_FAILOVER === "false") {
    blockers.push("AUTO_FAILOVER=false: promotion waits for a person");
  }
  for (const setting of ["AURORA_PROMOTION_SECONDS", "POLL_INTERVAL_SECONDS", "CHECK_TIMEOUT_MS"]) {
    if (Number.isNaN(envOf(orchestrator, setting))) {
      blockers.push(`${id} sets no ${setting}: its time is unknown`);
    }
  }
  const standbyInstances = Object.values(stack.resource?.aws_rds_cluster_instance ?? {})
    .filter((instance: Json) => instance.provider === "aws.secondary");
  if (standbyInstances.length === 0) {
    blockers.push("headless standby cluster: promotion would first have to create an instance (minutes)");
  }
}

function invokeConfigOf(stack: Json, functionRef: Ref): { id: string; body: Json } | undefined {
  const configs = Object.entries(stack.resource?.aws_lambda_function_event_invoke_config ?? {}) as [
    string,
    Json,
  ][];
  const found = configs.find(([, body]) => mentions(body.function_name, stack, functionRef));
  return found ? { id: found[0], body: found[1] } : undefined;
}

/** Decision -> first write; `actingAfter` steps pass before the orchestrator acts (capacity and promotion). */
function firstWritePath(stack: Json, blockers: string[]): { steps: BudgetStep[]; actingAfter: number } {
  const ref = BUDGET_SOURCES.orchestrator;
  const orchestrator = byId(stack, ref);
  orchestratorBlockers(stack, orchestrator, blockers);
  const invokeConfig = invokeConfigOf(stack, ref);
  // Without an invoke config Lambda's default applies: two retries.
  const retries = Number(invokeConfig?.body.maximum_retry_attempts ?? 2);
  const retrySource = invokeConfig
    ? `aws_lambda_function_event_invoke_config.${invokeConfig.id}.maximum_retry_attempts`
    : "no aws_lambda_function_event_invoke_config: Lambda's default of 2 retries";
  const steps: BudgetStep[] = [
    {
      step: "EventBridge delivers the quorum alarm's ALARM to the orchestrator",
      seconds: AWS_FACTS.eventBridgeDelivery.seconds,
      source: `${attribute(BUDGET_SOURCES.failoverTrigger, "event_pattern")}; ${
        citeFact("eventBridgeDelivery")
      }`,
      facts: ["eventBridgeDelivery"],
    },
    {
      step: "orchestrator cold start",
      seconds: AWS_FACTS.lambdaInit.seconds,
      source: citeFact("lambdaInit"),
      facts: ["lambdaInit"],
    },
    {
      step: "nothing started yet: one re-probe of the primary",
      seconds: envOf(orchestrator, "CHECK_TIMEOUT_MS") / 1000,
      source: attribute(ref, "environment.CHECK_TIMEOUT_MS"),
    },
    {
      step: "Aurora promotes the standby cluster (switchover, or failover with AllowDataLoss)",
      seconds: envOf(orchestrator, "AURORA_PROMOTION_SECONDS"),
      source: `${attribute(ref, "environment.AURORA_PROMOTION_SECONDS")} (a setting: drills override it); ${
        citeFact("auroraGlobalRto")
      }`,
      facts: ["auroraGlobalRto"],
    },
    {
      step: "the orchestrator sees the new writer at its next poll",
      seconds: envOf(orchestrator, "POLL_INTERVAL_SECONDS"),
      source: attribute(ref, "environment.POLL_INTERVAL_SECONDS"),
    },
    {
      step: retries >= 1
        ? "one failed attempt: Lambda retries it"
        : "no async retry configured (0 s; a failed attempt pages a person)",
      seconds: retries >= 1 ? AWS_FACTS.asyncRetry.seconds : 0,
      source: `${retrySource}; ${citeFact("asyncRetry")}`,
      facts: ["asyncRetry"],
    },
    {
      step: "the global writer endpoint's DNS follows the new writer",
      seconds: AWS_FACTS.auroraDnsTtl.seconds,
      source: citeFact("auroraDnsTtl"),
      facts: ["auroraDnsTtl"],
    },
  ];
  return { steps, actingAfter: 3 }; // delivery, cold start, re-probe
}

// ---------------------------------------------------------------------------------------------------
// Parallel paths: DNS and capacity

const ENDPOINT_CHECK_TYPES = ["HTTPS", "HTTP", "HTTPS_STR_MATCH", "HTTP_STR_MATCH"];

/** The checks behind the weight-100 record: Route 53's endpoint check and the fence's alarm check. */
function primaryRecordChecks(stack: Json): { endpoint?: [string, Json]; fenced: boolean } {
  const records = Object.values(stack.resource?.aws_route53_record ?? {}) as Json[];
  const primaryRecord = records.find((record) =>
    [record.weighted_routing_policy].flat().some((policy: Json) => policy?.weight === 100)
  );
  const top = referenced(primaryRecord?.health_check_id);
  const topCheck = top ? byId(stack, top) : undefined;
  const children = topCheck?.type === "CALCULATED"
    ? (topCheck.child_healthchecks as string[] ?? []).map(referenced).filter((ref): ref is Ref => !!ref)
    : top
    ? [top]
    : [];
  const checks = children.map((ref) => [ref[1], byId(stack, ref)] as [string, Json]).filter(([, body]) =>
    body
  );
  return {
    endpoint: checks.find(([, body]) => ENDPOINT_CHECK_TYPES.includes(body.type)),
    fenced: checks.some(([, body]) =>
      body.type === "CLOUDWATCH_METRIC" &&
      mentions(body.cloudwatch_alarm_name, stack, BUDGET_SOURCES.fenceAlarm)
    ),
  };
}

function dnsPaths(stack: Json, firstWriteSeconds: number, blockers: string[]): ParallelPath[] {
  const { endpoint, fenced } = primaryRecordChecks(stack);
  const paths: ParallelPath[] = [];
  if (!endpoint) blockers.push("the weight-100 record carries no Route 53 endpoint health check");
  else {
    const [id, check] = endpoint;
    paths.push({
      path: "DNS, Route 53's endpoint verdict: the primary's checks fail from Route 53's locations",
      doneAtSeconds: Number(check.request_interval) * Number(check.failure_threshold) +
        AWS_FACTS.route53RequestTimeout.seconds + AWS_FACTS.aliasTtl.seconds,
      source: `aws_route53_health_check.${id}.request_interval x failure_threshold; ${
        citeFact("route53RequestTimeout")
      }; ${citeFact("aliasTtl")}`,
      facts: ["route53RequestTimeout", "aliasTtl"],
    });
  }
  const fence = byId(stack, BUDGET_SOURCES.fenceAlarm);
  if (fenced && fence) {
    const evaluation: AwsFactName = Number(fence.period) < 60
      ? "highResolutionAlarmEvaluation"
      : "standardAlarmEvaluation";
    paths.push({
      path: "DNS, the fence: published at the first write, it keeps the primary out even if Route 53 sees it",
      doneAtSeconds: firstWriteSeconds + Number(fence.period) + AWS_FACTS[evaluation].seconds +
        AWS_FACTS.aliasTtl.seconds,
      source: `${attribute(BUDGET_SOURCES.fenceAlarm, "period")}; ${citeFact(evaluation)}; ${
        citeFact("aliasTtl")
      }`,
      facts: [evaluation, "aliasTtl"],
    });
  }
  return paths;
}

/** Full capacity: the orchestrator raises the standby group at once, in parallel with promotion. */
function capacityPath(stack: Json, actingAtSeconds: number, blockers: string[]): ParallelPath | undefined {
  const groups = Object.entries(stack.resource?.aws_autoscaling_group ?? {}) as [string, Json][];
  const standby = groups.find(([, group]) => group.provider === "aws.secondary");
  if (!standby) {
    blockers.push("no standby Auto Scaling group");
    return undefined;
  }
  const [id, group] = standby;
  if (Number(group.min_size) < 1) {
    blockers.push("standby Auto Scaling group has min_size 0: the weight-0 record has no healthy target");
  }
  const wanted = envOf(byId(stack, BUDGET_SOURCES.orchestrator), "FAILOVER_CAPACITY");
  const running = Number(group.desired_capacity ?? group.min_size);
  if (running >= wanted) {
    return {
      path: `capacity: the standby already runs ${running} of ${wanted} instance(s)`,
      doneAtSeconds: actingAtSeconds,
      source: `aws_autoscaling_group.${id}.desired_capacity; ${
        attribute(BUDGET_SOURCES.orchestrator, "environment.FAILOVER_CAPACITY")
      }`,
    };
  }
  const targetGroupRef = referenced([group.target_group_arns ?? []].flat()[0]);
  const health = [byId(stack, targetGroupRef ?? ["", ""])?.health_check ?? []].flat()[0];
  const healthy = Number(health?.healthy_threshold) * Number(health?.interval);
  return {
    path:
      `capacity: ${running} -> ${wanted} instance(s)${
        group.warm_pool ? " from the warm pool" : ""
      }, in service ` +
      "once booted (within the grace period) and healthy in the target group",
    doneAtSeconds: actingAtSeconds + Number(group.health_check_grace_period) + healthy,
    source: `aws_autoscaling_group.${id}.health_check_grace_period (bounds boot time); ${
      targetGroupRef ? `aws_lb_target_group.${targetGroupRef[1]}` : "target group"
    }.health_check healthy_threshold x interval`,
  };
}

// ---------------------------------------------------------------------------------------------------
// Recovery point

function recoveryPoint(stack: Json): RpoItem[] {
  const lagAlarm = byId(stack, BUDGET_SOURCES.rpoLagAlarm);
  const groups = (Object.entries(stack.resource?.aws_rds_cluster_parameter_group ?? {}) as [string, Json][])
    .sort(([a], [b]) => a < b ? -1 : 1);
  const guard =
    groups.flatMap(([id, group]) =>
      [group.parameter ?? []].flat().filter((parameter: Json) => parameter.name === "rds.global_db_rpo")
        .map((parameter: Json) => ({ id, value: parameter.value }))
    )[0];
  const primaryGroup = groups.find(([, group]) => group.provider === "aws.primary")?.[0];
  const replications = Object.keys(stack.resource?.aws_s3_bucket_replication_configuration ?? {}).sort();
  const rtcRules = (Object.values(stack.resource?.aws_s3_bucket_replication_configuration ?? {}) as Json[])
    .flatMap((configuration) => [configuration.rule ?? []].flat())
    .filter((rule: Json) =>
      [rule.destination].flat().some((destination: Json) =>
        [destination?.replication_time].flat()[0]?.status === "Enabled"
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
        replications.map((id) => `aws_s3_bucket_replication_configuration.${id}`).join(", ") ||
        "no replication"
      }: rule.destination.replication_time; ${citeFact("s3Rtc")}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------

export function recoveryBudget(stack: Json): RecoveryBudget {
  const blockers: string[] = [];
  const decision = decisionPath(stack, blockers);
  const firstWrite = firstWritePath(stack, blockers);
  const decisionSeconds = sum(decision.steps);
  const firstWriteSeconds = decisionSeconds + sum(firstWrite.steps);
  const dns = dnsPaths(stack, firstWriteSeconds, blockers);
  const capacity = capacityPath(
    stack,
    decisionSeconds + sum(firstWrite.steps.slice(0, firstWrite.actingAfter)),
    blockers,
  );
  const finiteDns = dns.map((path) => path.doneAtSeconds).filter(Number.isFinite);
  const dnsSeconds = finiteDns.length > 0 ? Math.min(...finiteDns) : Number.NaN;
  const target = envOf(byId(stack, BUDGET_SOURCES.orchestrator), "RTO_TARGET_SECONDS");
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
    rpo: recoveryPoint(stack),
    vantagePoints: decision.vantagePoints,
  };
}
