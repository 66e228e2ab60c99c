// The orchestrator's environment (set by modules/failover_automation.ts), validated once per container as a
// table of rules: every problem is reported at once, naming the variable and its rule. Numeric limits come
// from contract.ts LIMITS, the same ones synth enforces, so a value synth accepts never fails here.

import { HANDLER_ENV, type LimitName, limitRule, withinLimit } from "./contract.ts";

export interface FailoverConfig {
  /** The region the function runs in (AWS_REGION): the standby, the one failed over to. */
  readonly region: string;
  readonly parameterPrefix: string;
  readonly metricNamespace: string;
  readonly checkTimeoutMs: number;
  /** The primary's deep-health URL (the orchestrator's own probe before anything has started). */
  readonly peerHealthUrl: string;
  readonly globalClusterId: string;
  readonly primaryRegion: string;
  readonly primaryClusterArn: string;
  readonly primaryClusterId: string;
  readonly secondaryClusterArn: string;
  readonly secondaryClusterId: string;
  readonly secondaryAsgName: string;
  readonly failoverCapacity: number;
  readonly topicArn: string;
  readonly idempotencyTable: string;
  readonly autoFailover: boolean;
  readonly rtoTargetSeconds: number;
  /** The budget's assumed promotion time: the notification compares the measured time with it. */
  readonly auroraPromotionSeconds: number;
  readonly pollIntervalSeconds: number;
  /** The alarms that vote in the decision (standby region): read for the evidence and the detection time. */
  readonly decisionAlarmNames: readonly string[];
  /** Application host name: TLS SNI and Host of the primary probe (its ALB's certificate is for this name). */
  readonly appHostname?: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid failover orchestrator environment:\n  ${problems.join("\n  ")}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const CLUSTER_ARN = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):[0-9]{12}:cluster:([a-zA-Z][a-zA-Z0-9-]{0,62})$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]$/;
const ALARM_NAMES = /^[^,\s][^,]{0,254}(,[^,\s][^,]{0,254})*$/;
const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

interface EnvRule {
  readonly variable: string;
  readonly rule: string;
  readonly ok: (value: string, env: Env) => boolean;
  /** Unset is fine (the value is optional). */
  readonly optional?: boolean;
}

const limit = (variable: string, name: LimitName): EnvRule => ({
  variable,
  rule: limitRule(name),
  ok: (v) => /^[0-9]+$/.test(v) && withinLimit(name, Number(v)),
});

function isHttpUrl(value: string): boolean {
  try {
    return ["https:", "http:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const clusterIn = (regionVariable: string) => (v: string, env: Env) =>
  CLUSTER_ARN.exec(v)?.[1] === env[regionVariable];
const idOf = (arnVariable: string) => (v: string, env: Env) =>
  CLUSTER_ARN.exec(env[arnVariable] ?? "")?.[2] === v;

// One row per variable; every problem is reported at once.
export const ENV_RULES: readonly EnvRule[] = [
  { variable: "AWS_REGION", rule: "must be set (the Lambda runtime sets it)", ok: (v) => REGION.test(v) },
  {
    variable: HANDLER_ENV.regionRole,
    rule: 'must be "secondary": the orchestrator runs in the standby region',
    ok: (v) => v === "secondary",
  },
  {
    variable: HANDLER_ENV.parameterPrefix,
    rule: 'must start with "/" and not end with "/"',
    ok: (v) => /^\/.*[^/]$/.test(v),
  },
  {
    variable: HANDLER_ENV.metricNamespace,
    rule: "must be a non-empty CloudWatch namespace",
    ok: (v) => /^[A-Za-z0-9._/#:-]{1,255}$/.test(v),
  },
  limit(HANDLER_ENV.checkTimeoutMs, "checkTimeoutMs"),
  {
    variable: HANDLER_ENV.peerHealthUrl,
    rule: "must be an http(s) URL of the primary's deep-health path",
    ok: isHttpUrl,
  },
  {
    variable: HANDLER_ENV.globalClusterId,
    rule: "must be an Aurora global cluster identifier",
    ok: (v) => /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/.test(v),
  },
  {
    variable: HANDLER_ENV.primaryRegion,
    rule: "must be a region other than this function's (AWS_REGION)",
    ok: (v, env) => REGION.test(v) && v !== env.AWS_REGION,
  },
  {
    variable: HANDLER_ENV.primaryClusterArn,
    rule: `must be an RDS cluster ARN in ${HANDLER_ENV.primaryRegion}`,
    ok: clusterIn(HANDLER_ENV.primaryRegion),
  },
  {
    variable: HANDLER_ENV.primaryClusterId,
    rule: `must be the cluster identifier at the end of ${HANDLER_ENV.primaryClusterArn}`,
    ok: idOf(HANDLER_ENV.primaryClusterArn),
  },
  {
    variable: HANDLER_ENV.secondaryClusterArn,
    rule: "must be an RDS cluster ARN in this function's region (AWS_REGION)",
    ok: clusterIn("AWS_REGION"),
  },
  {
    variable: HANDLER_ENV.secondaryClusterId,
    rule: `must be the cluster identifier at the end of ${HANDLER_ENV.secondaryClusterArn}`,
    ok: idOf(HANDLER_ENV.secondaryClusterArn),
  },
  {
    variable: HANDLER_ENV.secondaryAsgName,
    rule: "must be an Auto Scaling group name",
    ok: (v) => /^[^:]{1,255}$/.test(v),
  },
  limit(HANDLER_ENV.failoverCapacity, "failoverCapacity"),
  { variable: HANDLER_ENV.topicArn, rule: "must be an SNS topic ARN", ok: (v) => TOPIC_ARN.test(v) },
  {
    variable: HANDLER_ENV.idempotencyTable,
    rule: "must be a DynamoDB table name",
    ok: (v) => /^[a-zA-Z0-9_.-]{3,255}$/.test(v),
  },
  {
    variable: HANDLER_ENV.autoFailover,
    rule: 'must be "true" or "false"',
    ok: (v) => v === "true" || v === "false",
  },
  limit(HANDLER_ENV.rtoTargetSeconds, "rtoTargetSeconds"),
  limit(HANDLER_ENV.auroraPromotionSeconds, "auroraPromotionSeconds"),
  limit(HANDLER_ENV.pollIntervalSeconds, "pollIntervalSeconds"),
  {
    variable: HANDLER_ENV.decisionAlarmNames,
    rule: "must be a comma-separated list of CloudWatch alarm names",
    ok: (v) => ALARM_NAMES.test(v),
  },
  {
    variable: HANDLER_ENV.appHostname,
    rule: "must be a lowercase DNS name (or unset)",
    ok: (v) => HOSTNAME.test(v),
    optional: true,
  },
];

/** Reads and validates the environment; throws ConfigError listing every problem. */
export function loadFailoverConfig(env: Env): FailoverConfig {
  const problems = ENV_RULES.flatMap(({ variable, rule, ok, optional }) => {
    const value = env[variable];
    if (value === undefined || value === "") return optional ? [] : [`${variable} is not set: ${rule}`];
    return ok(value, env) ? [] : [`${variable}="${value}": ${rule}`];
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const get = (variable: string) => env[variable] as string;
  const appHostname = env[HANDLER_ENV.appHostname];
  return {
    region: get("AWS_REGION"),
    parameterPrefix: get(HANDLER_ENV.parameterPrefix),
    metricNamespace: get(HANDLER_ENV.metricNamespace),
    checkTimeoutMs: Number(get(HANDLER_ENV.checkTimeoutMs)),
    peerHealthUrl: get(HANDLER_ENV.peerHealthUrl),
    globalClusterId: get(HANDLER_ENV.globalClusterId),
    primaryRegion: get(HANDLER_ENV.primaryRegion),
    primaryClusterArn: get(HANDLER_ENV.primaryClusterArn),
    primaryClusterId: get(HANDLER_ENV.primaryClusterId),
    secondaryClusterArn: get(HANDLER_ENV.secondaryClusterArn),
    secondaryClusterId: get(HANDLER_ENV.secondaryClusterId),
    secondaryAsgName: get(HANDLER_ENV.secondaryAsgName),
    failoverCapacity: Number(get(HANDLER_ENV.failoverCapacity)),
    topicArn: get(HANDLER_ENV.topicArn),
    idempotencyTable: get(HANDLER_ENV.idempotencyTable),
    autoFailover: get(HANDLER_ENV.autoFailover) === "true",
    rtoTargetSeconds: Number(get(HANDLER_ENV.rtoTargetSeconds)),
    auroraPromotionSeconds: Number(get(HANDLER_ENV.auroraPromotionSeconds)),
    pollIntervalSeconds: Number(get(HANDLER_ENV.pollIntervalSeconds)),
    decisionAlarmNames: get(HANDLER_ENV.decisionAlarmNames).split(","),
    ...(appHostname ? { appHostname } : {}),
  };
}
