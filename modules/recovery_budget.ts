// The recovery-time and recovery-point budget of an unplanned primary-region loss, derived from a
// synthesized stack (cdk.tf.json), not from the TypeScript configuration: what is checked is what ops apply.
// Every number names the attribute it comes from, or the documented AWS behaviour it assumes.

// deno-lint-ignore no-explicit-any
type Json = any;

export interface BudgetStep {
  readonly phase: "detect" | "decide" | "promote" | "connect";
  readonly step: string;
  readonly seconds: number;
  /** `resource.attribute` read from the stack, or `assumption: <source>`. */
  readonly source: string;
}

export interface ParallelPath {
  readonly path: string;
  /** Seconds after the failure when this path is done. */
  readonly doneAtSeconds: number;
  readonly source: string;
}

export interface RpoItem {
  readonly mechanism: string;
  readonly bound: string;
  readonly source: string;
}

export interface RecoveryBudget {
  readonly steps: readonly BudgetStep[];
  readonly parallel: readonly ParallelPath[];
  readonly totalSeconds: number;
  readonly targetSeconds: number;
  readonly withinTarget: boolean;
  /** Things that make the budget unachievable regardless of the numbers (missing automation). */
  readonly blockers: readonly string[];
  readonly rpo: readonly RpoItem[];
}

/** Logical ids the budget reads; tests assert each exists in the default stack. */
export const BUDGET_SOURCES = {
  probeSchedule: ["aws_cloudwatch_event_rule", "health_checks_secondary_app_health_schedule"],
  appChecker: ["aws_lambda_function", "health_checks_secondary_app_health"],
  unreachableAlarm: ["aws_cloudwatch_metric_alarm", "failover_secondary_primary_down_standby"],
  failoverTrigger: ["aws_cloudwatch_event_rule", "failover_secondary_trigger"],
  orchestrator: ["aws_lambda_function", "failover_secondary_failover"],
  recoveryAlarm: ["aws_cloudwatch_metric_alarm", "observability_secondary_recovery_time"],
  rpoLagAlarm: ["aws_cloudwatch_metric_alarm", "observability_secondary_rpo_lag"],
} as const;

/** AWS behaviour the budget assumes, with where it is stated. */
export const ASSUMPTIONS = {
  alarmEvaluationSeconds: {
    seconds: 30,
    source: "assumption: EMF metric extraction + CloudWatch alarm evaluation after the period closes",
  },
  eventDeliverySeconds: {
    seconds: 10,
    source: "assumption: EventBridge delivery + Lambda cold start (arm64, Node.js 22)",
  },
  auroraPromotionSeconds: {
    seconds: 60,
    source:
      'assumption: Aurora User Guide, global databases: a secondary is promoted for writes "in under a minute"',
  },
  writerEndpointDnsSeconds: { seconds: 5, source: "assumption: TTL of Aurora endpoint DNS records (5 s)" },
  aliasTtlSeconds: {
    seconds: 60,
    source: "assumption: Route 53 alias answers to an ALB carry the ALB's 60 s TTL",
  },
  route53AggregationSeconds: {
    seconds: 30,
    source: "assumption: Route 53 checker aggregation + calculated health check update",
  },
  warmPoolStartSeconds: {
    seconds: 90,
    source: "assumption: a stopped warm-pool instance starts and passes target health checks",
  },
  coldLaunchSeconds: { seconds: 300, source: "assumption: launch + boot + user data of a new instance" },
  s3RtcSeconds: {
    seconds: 900,
    source: "S3 Replication Time Control SLA: 99.99 % of objects within 15 minutes",
  },
} as const;

const byId = (stack: Json, [type, id]: readonly [string, string]): Json | undefined =>
  stack.resource?.[type]?.[id];

function rateSeconds(expression: string | undefined): number | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression ?? "");
  if (!match) return undefined;
  return Number(match[1]) * (match[2].startsWith("hour") ? 3600 : 60);
}

/** `${aws_x.name.attr}` -> [type, name]. */
function referenced(expression: unknown): [string, string] | undefined {
  const match = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(String(expression ?? ""));
  return match ? [match[1], match[2]] : undefined;
}

function primaryEndpointHealthCheck(stack: Json): { check: Json; id: string } | undefined {
  const records = Object.values(stack.resource?.aws_route53_record ?? {}) as Json[];
  const primaryRecord = records.find((record) =>
    [record.weighted_routing_policy].flat().some((policy: Json) => policy?.weight === 100)
  );
  let reference = referenced(primaryRecord?.health_check_id);
  for (let depth = 0; reference && depth < 3; depth++) {
    const check = byId(stack, reference);
    if (check?.type === "CALCULATED") {
      const endpoint = (check.child_healthchecks as string[] ?? [])
        .map(referenced)
        .find((child) =>
          child && ["HTTPS", "HTTP", "HTTPS_STR_MATCH", "HTTP_STR_MATCH"].includes(byId(stack, child)?.type)
        );
      reference = endpoint;
      continue;
    }
    if (check) return { check, id: reference[1] };
    break;
  }
  return undefined;
}

export function recoveryBudget(stack: Json): RecoveryBudget {
  const blockers: string[] = [];
  const require = <T>(value: T | undefined, what: string): T | undefined => {
    if (value === undefined) blockers.push(what);
    return value;
  };
  const name = (source: readonly [string, string], attribute: string) =>
    `${source[0]}.${source[1]}.${attribute}`;

  const schedule = byId(stack, BUDGET_SOURCES.probeSchedule);
  const probeInterval = require(rateSeconds(schedule?.schedule_expression), "no standby probe schedule");
  const appChecker = byId(stack, BUDGET_SOURCES.appChecker);
  const probeTimeout = Number(appChecker?.environment?.variables?.CHECK_TIMEOUT_MS ?? NaN) / 1000;
  const alarm = byId(stack, BUDGET_SOURCES.unreachableAlarm);
  require(alarm, "no 'primary down' decision alarm in the standby region");
  const failedPeriods = Number(alarm?.datapoints_to_alarm ?? alarm?.evaluation_periods ?? NaN);
  const period = Number(alarm?.period ?? NaN);
  require(
    byId(stack, BUDGET_SOURCES.failoverTrigger),
    "no EventBridge rule starts the failover orchestrator",
  );
  const orchestrator = require(byId(stack, BUDGET_SOURCES.orchestrator), "no failover orchestrator");
  const reprobeTimeout = Number(orchestrator?.environment?.variables?.CHECK_TIMEOUT_MS ?? NaN) / 1000;
  if (orchestrator?.environment?.variables?.AUTO_FAILOVER === "false") {
    blockers.push("AUTO_FAILOVER=false: promotion waits for a person");
  }
  const standbyInstances = Object.values(stack.resource?.aws_rds_cluster_instance ?? {})
    .filter((instance: Json) => instance.provider === "aws.secondary");
  const headless = standbyInstances.length === 0;

  const steps: BudgetStep[] = [
    {
      phase: "detect",
      step: "primary fails just after a healthy probe: wait for the next probe",
      seconds: probeInterval ?? Infinity,
      source: name(BUDGET_SOURCES.probeSchedule, "schedule_expression"),
    },
    {
      phase: "detect",
      step: "the failing probe runs into its timeout",
      seconds: probeTimeout,
      source: name(BUDGET_SOURCES.appChecker, "environment.CHECK_TIMEOUT_MS"),
    },
    {
      phase: "detect",
      step: `alarm needs ${failedPeriods} failed period(s) of ${period} s`,
      seconds: failedPeriods * period,
      source: name(BUDGET_SOURCES.unreachableAlarm, "datapoints_to_alarm x period"),
    },
    {
      phase: "detect",
      step: "metric extraction and alarm evaluation",
      seconds: ASSUMPTIONS.alarmEvaluationSeconds.seconds,
      source: ASSUMPTIONS.alarmEvaluationSeconds.source,
    },
    {
      phase: "decide",
      step: "EventBridge starts the orchestrator",
      seconds: ASSUMPTIONS.eventDeliverySeconds.seconds,
      source: ASSUMPTIONS.eventDeliverySeconds.source,
    },
    {
      phase: "decide",
      step: "orchestrator re-probes the primary before acting",
      seconds: reprobeTimeout,
      source: name(BUDGET_SOURCES.orchestrator, "environment.CHECK_TIMEOUT_MS"),
    },
    {
      phase: "promote",
      step: headless
        ? "Aurora failover (standby cluster is headless: an instance must be created first)"
        : "Aurora managed failover (AllowDataLoss)",
      seconds: ASSUMPTIONS.auroraPromotionSeconds.seconds +
        (headless ? ASSUMPTIONS.coldLaunchSeconds.seconds * 2 : 0),
      source: ASSUMPTIONS.auroraPromotionSeconds.source,
    },
    {
      phase: "connect",
      step: "global writer endpoint follows the new writer",
      seconds: ASSUMPTIONS.writerEndpointDnsSeconds.seconds,
      source: ASSUMPTIONS.writerEndpointDnsSeconds.source,
    },
  ];
  const criticalPath = steps.reduce(
    (sum, step) => sum + (Number.isFinite(step.seconds) ? step.seconds : Infinity),
    0,
  );

  const parallel: ParallelPath[] = [];
  const endpoint = primaryEndpointHealthCheck(stack);
  if (require(endpoint, "the weight-100 record carries no endpoint health check")) {
    const detection = Number(endpoint!.check.request_interval) * Number(endpoint!.check.failure_threshold);
    parallel.push({
      path: "DNS: Route 53 marks the primary unhealthy and resolvers drop the cached answer",
      doneAtSeconds: detection + ASSUMPTIONS.route53AggregationSeconds.seconds +
        ASSUMPTIONS.aliasTtlSeconds.seconds,
      source: `aws_route53_health_check.${
        endpoint!.id
      }.request_interval x failure_threshold; ${ASSUMPTIONS.route53AggregationSeconds.source}; ${ASSUMPTIONS.aliasTtlSeconds.source}`,
    });
  }
  const standbyGroup = (Object.values(stack.resource?.aws_autoscaling_group ?? {}) as Json[])
    .find((group) => group.provider === "aws.secondary");
  if (require(standbyGroup, "no standby Auto Scaling group")) {
    const serving = Number(standbyGroup.min_size) >= 1;
    if (!serving) {
      blockers.push("standby Auto Scaling group has min_size 0: the weight-0 record has no healthy target");
    }
    const warm = standbyGroup.warm_pool !== undefined;
    const start = warm ? ASSUMPTIONS.warmPoolStartSeconds : ASSUMPTIONS.coldLaunchSeconds;
    parallel.push({
      path: `capacity: standby already serving ${standbyGroup.min_size} instance(s); full capacity ${
        warm ? "from the warm pool" : "by cold launches"
      } after promotion`,
      doneAtSeconds: criticalPath + start.seconds,
      source: `aws_autoscaling_group (secondary).min_size${warm ? ", warm_pool" : ""}; ${start.source}`,
    });
  }

  const recoveryAlarm = byId(stack, BUDGET_SOURCES.recoveryAlarm);
  const targetSeconds = Number(recoveryAlarm?.threshold ?? 300);
  const dnsDone = parallel.find((path) => path.path.startsWith("DNS"))?.doneAtSeconds ?? Infinity;
  const totalSeconds = blockers.length > 0 ? Infinity : Math.max(criticalPath, dnsDone);

  const rpo: RpoItem[] = [];
  const lagAlarm = byId(stack, BUDGET_SOURCES.rpoLagAlarm);
  rpo.push({
    mechanism: "Aurora global replication lag alarm (standby cluster)",
    bound: lagAlarm
      ? `alarm above ${Number(lagAlarm.threshold) / 1000} s of ${lagAlarm.metric_name}`
      : "not alarmed",
    source: name(BUDGET_SOURCES.rpoLagAlarm, "threshold"),
  });
  const guard = (Object.values(stack.resource?.aws_rds_cluster_parameter_group ?? {}) as Json[])
    .flatMap((group) => [group.parameter ?? []].flat())
    .find((parameter: Json) => parameter.name === "rds.global_db_rpo");
  rpo.push({
    mechanism: "commit guard rds.global_db_rpo (primary cluster parameter group)",
    bound: guard ? `commits block when no secondary is within ${guard.value} s` : "off (writes never block)",
    source: "aws_rds_cluster_parameter_group.parameter",
  });
  const rtcRules = (Object.values(stack.resource?.aws_s3_bucket_replication_configuration ?? {}) as Json[])
    .flatMap((configuration) => [configuration.rule ?? []].flat())
    .filter((rule: Json) =>
      [rule.destination].flat().some((destination: Json) =>
        [destination?.replication_time].flat()[0]?.status === "Enabled"
      )
    );
  rpo.push({
    mechanism: "S3 Replication Time Control (objects, both directions)",
    bound: rtcRules.length >= 2
      ? `${ASSUMPTIONS.s3RtcSeconds.seconds} s SLA (${rtcRules.length} rules)`
      : "not enabled in both directions",
    source:
      `aws_s3_bucket_replication_configuration.rule.destination.replication_time; ${ASSUMPTIONS.s3RtcSeconds.source}`,
  });

  return {
    steps,
    parallel,
    totalSeconds,
    targetSeconds,
    withinTarget: blockers.length === 0 && totalSeconds <= targetSeconds,
    blockers,
    rpo,
  };
}

/** The budget as the table `make rto` prints. */
export function formatBudget(budget: RecoveryBudget): string {
  const lines = ["Recovery-time budget (unplanned loss of the primary region, worst case)", ""];
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  lines.push(row(["phase", "step", "seconds", "source"]), row(["---", "---", "---:", "---"]));
  let elapsed = 0;
  for (const step of budget.steps) {
    elapsed += step.seconds;
    lines.push(row([step.phase, step.step, `${step.seconds} (t+${elapsed})`, step.source]));
  }
  lines.push("", "Parallel paths:");
  for (const path of budget.parallel) {
    lines.push(`- ${path.path}: done at t+${path.doneAtSeconds} s (${path.source})`);
  }
  for (const path of budget.parallel) {
    if (path.path.startsWith("capacity") && path.doneAtSeconds > budget.targetSeconds) {
      lines.push(
        `- note: full capacity arrives after the ${budget.targetSeconds} s target; until then the standby serves with what is running`,
      );
    }
  }
  for (const blocker of budget.blockers) lines.push(`- BLOCKER: ${blocker}`);
  const verdict = budget.withinTarget ? "within" : "EXCEEDS";
  lines.push("", `Total: ${budget.totalSeconds} s ${verdict} the ${budget.targetSeconds} s RTO target`, "");
  lines.push("Recovery point:");
  for (const item of budget.rpo) lines.push(`- ${item.mechanism}: ${item.bound} (${item.source})`);
  return lines.join("\n");
}
