// Settings of detection and recovery: checker timeouts, the failover decision, the recovery objectives and
// their alarms, the readiness schedule. Every limit a handler also enforces is `limited()`: contract.ts LIMITS.
import {
  type CrossRule,
  flag,
  limited,
  type Setting,
  type Values,
  wholeNumber,
} from "../../handlers/lib/settings.ts";

export interface HealthConfig {
  /** Timeout of every external call a checker or prober makes (a probe ends before the next starts). */
  readonly checkTimeoutMs: number;
  /** Consecutive failed 10 s periods before a vantage point (standby, witness, replication) votes "down". */
  readonly decisionPeriods: number;
  /** Replication counts as stalled when the standby sees the primary's data older than this. */
  readonly replicationStallSeconds: number;
  readonly autoFailover: boolean;
}

export interface ObjectivesConfig {
  readonly rtoTargetSeconds: number;
  /** Assumed Aurora promotion time of the standby cluster (the budget's figure; measure it in drills). */
  readonly auroraPromotionSeconds: number;
  readonly rpoTargetSeconds: number;
  /** Replication-lag alarm threshold; must stay under the RPO target. */
  readonly rpoLagAlarmSeconds: number;
  /** Minutes a checker must fail before its (notification) alarm fires. */
  readonly checkerAlarmMinutes: number;
  /** S3 replication latency alarm (the Replication Time Control SLA is 900 s). */
  readonly replicationLatencyAlarmSeconds: number;
}

export interface ReadinessSettings {
  /** Minutes between two scheduled readiness evaluations (also the period of the readiness alarms). */
  readonly scheduleMinutes: number;
}

/** Readiness runs take up to 3 minutes and alarm on 2 periods, which CloudWatch caps at one day together. */
export const READINESS_SCHEDULE_RANGE_MINUTES = { min: 5, max: 720 } as const;

const { min: readinessMin, max: readinessMax } = READINESS_SCHEDULE_RANGE_MINUTES;

export const RECOVERY_FIELDS = [
  {
    name: "CHECK_TIMEOUT_MS",
    ...limited("checkTimeoutMs"),
    fallback: "5000",
    description: "checker call timeout",
  },
  {
    name: "DECISION_PERIODS",
    ...limited("decisionPeriods"),
    fallback: "3",
    description: "failed 10 s periods before a vantage point votes down",
  },
  // Aurora replicates "typically in under a second"; 10 s is ten times that, one probe interval (a single
  // missed lag calculation between two samples is no stall), and keeps stall + DECISION_PERIODS x 10 s
  // inside the 60 s decision target.
  {
    name: "REPLICATION_STALL_SECONDS",
    ...limited("replicationStallSeconds"),
    fallback: "10",
    description: "replication older than this counts as stalled",
  },
  { name: "AUTO_FAILOVER", ...flag, fallback: "true", description: "promote without a person" },
  {
    name: "RTO_TARGET_SECONDS",
    ...limited("rtoTargetSeconds"),
    fallback: "300",
    description: "recovery-time objective",
  },
  // Aurora User Guide, "Disaster recovery and Amazon Aurora global databases": "RTO can be in the order of
  // minutes"; 120 s is the smallest reading of "minutes" and twice the "under a minute" AWS advertises.
  {
    name: "AURORA_PROMOTION_SECONDS",
    ...limited("auroraPromotionSeconds"),
    fallback: "120",
    description: "assumed Aurora promotion time (measure in drills)",
  },
  {
    name: "RPO_TARGET_SECONDS",
    ...wholeNumber(1, 86400),
    fallback: "60",
    description: "recovery-point objective",
  },
  {
    name: "RPO_LAG_ALARM_SECONDS",
    ...limited("rpoLagAlarmSeconds"),
    fallback: "30",
    description: "replication-lag alarm",
  },
  {
    name: "CHECKER_ALARM_MINUTES",
    ...wholeNumber(1, 60),
    fallback: "2",
    description: "failed minutes before a checker alarm",
  },
  {
    name: "S3_REPLICATION_LATENCY_ALARM_SECONDS",
    ...wholeNumber(60, 86400),
    fallback: "900",
    description: "S3 replication latency alarm",
  },
  {
    name: "READINESS_SCHEDULE_MINUTES",
    ...wholeNumber(
      readinessMin,
      readinessMax,
      `must be a whole number from ${readinessMin} to ${readinessMax}: one run (up to 3 minutes) ends before ` +
        "the next starts, and the alarm's two evaluation periods fit CloudWatch's one-day limit",
    ),
    fallback: "30",
    description: "minutes between readiness evaluations",
  },
] as const satisfies readonly Setting[];

type RecoveryValues = Values<typeof RECOVERY_FIELDS>;

export const RECOVERY_RULES: readonly CrossRule<RecoveryValues>[] = [
  {
    field: "RPO_LAG_ALARM_SECONDS",
    reads: ["RPO_TARGET_SECONDS"],
    ok: (v) => v.RPO_LAG_ALARM_SECONDS < v.RPO_TARGET_SECONDS,
    message: "must be below RPO_TARGET_SECONDS",
  },
];

export function healthConfig(v: RecoveryValues): HealthConfig {
  return {
    checkTimeoutMs: v.CHECK_TIMEOUT_MS,
    decisionPeriods: v.DECISION_PERIODS,
    replicationStallSeconds: v.REPLICATION_STALL_SECONDS,
    autoFailover: v.AUTO_FAILOVER,
  };
}

export function objectivesConfig(v: RecoveryValues): ObjectivesConfig {
  return {
    rtoTargetSeconds: v.RTO_TARGET_SECONDS,
    auroraPromotionSeconds: v.AURORA_PROMOTION_SECONDS,
    rpoTargetSeconds: v.RPO_TARGET_SECONDS,
    rpoLagAlarmSeconds: v.RPO_LAG_ALARM_SECONDS,
    checkerAlarmMinutes: v.CHECKER_ALARM_MINUTES,
    replicationLatencyAlarmSeconds: v.S3_REPLICATION_LATENCY_ALARM_SECONDS,
  };
}
