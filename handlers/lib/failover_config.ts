// The orchestrator's environment (set by modules/failover_automation.ts), validated once per container as a
// settings.ts table: every problem is reported at once, naming the variable and its rule. Numeric limits come
// from contract.ts LIMITS, the same ones synth enforces, so a value synth accepts never fails here.

import { HANDLER_ENV } from "./contract.ts";
import { CHECK_TIMEOUT_MS, REGION_ENV } from "./input.ts";
import {
  type CrossRule,
  type Environment,
  flag,
  limited,
  matching,
  oneOf,
  readSettings,
  settingsTable,
  type Values,
} from "./settings.ts";

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

const CLUSTER_ARN = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):[0-9]{12}:cluster:([a-zA-Z][a-zA-Z0-9-]{0,62})$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$/;
/** An AWS region name (the orchestrator's and readiness's own rule). */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]$/;
const ALARM_NAMES = /^[^,\s][^,]{0,254}(,[^,\s][^,]{0,254})*$/;
const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

function isHttpUrl(value: string): boolean {
  try {
    return ["https:", "http:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const clusterRegion = (arn: string) => CLUSTER_ARN.exec(arn)?.[1];
const clusterId = (arn: string) => CLUSTER_ARN.exec(arn)?.[2];
const PRIMARY_REGION_RULE = "must be a region other than this function's (AWS_REGION)";
const PRIMARY_ARN_RULE = `must be an RDS cluster ARN in ${HANDLER_ENV.primaryRegion}`;
const SECONDARY_ARN_RULE = "must be an RDS cluster ARN in this function's region (AWS_REGION)";
const idRule = (arnVariable: string) => `must be the cluster identifier at the end of ${arnVariable}`;

/** The orchestrator's variables, in report order. The readiness function receives them all, verbatim. */
export const FAILOVER_FIELDS = [
  {
    name: REGION_ENV,
    ...matching(REGION_PATTERN, "must be an AWS region name (the Lambda runtime sets it)"),
  },
  {
    name: HANDLER_ENV.regionRole,
    ...oneOf(["secondary"], 'must be "secondary": the orchestrator runs in the standby region'),
  },
  {
    name: HANDLER_ENV.parameterPrefix,
    ...matching(/^\/.*[^/]$/, 'must start with "/" and not end with "/"'),
  },
  {
    name: HANDLER_ENV.metricNamespace,
    ...matching(/^[A-Za-z0-9._/#:-]{1,255}$/, "must be a non-empty CloudWatch namespace"),
  },
  CHECK_TIMEOUT_MS,
  {
    name: HANDLER_ENV.peerHealthUrl,
    ...matching(isHttpUrl, "must be an http(s) URL of the primary's deep-health path"),
  },
  {
    name: HANDLER_ENV.globalClusterId,
    ...matching(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, "must be an Aurora global cluster identifier"),
  },
  { name: HANDLER_ENV.primaryRegion, ...matching(REGION_PATTERN, PRIMARY_REGION_RULE) },
  { name: HANDLER_ENV.primaryClusterArn, ...matching(CLUSTER_ARN, PRIMARY_ARN_RULE) },
  {
    name: HANDLER_ENV.primaryClusterId,
    ...matching(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, idRule(HANDLER_ENV.primaryClusterArn)),
  },
  { name: HANDLER_ENV.secondaryClusterArn, ...matching(CLUSTER_ARN, SECONDARY_ARN_RULE) },
  {
    name: HANDLER_ENV.secondaryClusterId,
    ...matching(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, idRule(HANDLER_ENV.secondaryClusterArn)),
  },
  {
    name: HANDLER_ENV.secondaryAsgName,
    ...matching(/^[^:]{1,255}$/, "must be an Auto Scaling group name"),
  },
  { name: HANDLER_ENV.failoverCapacity, ...limited("failoverCapacity") },
  { name: HANDLER_ENV.topicArn, ...matching(TOPIC_ARN, "must be an SNS topic ARN") },
  {
    name: HANDLER_ENV.idempotencyTable,
    ...matching(/^[a-zA-Z0-9_.-]{3,255}$/, "must be a DynamoDB table name"),
  },
  { name: HANDLER_ENV.autoFailover, ...flag },
  { name: HANDLER_ENV.rtoTargetSeconds, ...limited("rtoTargetSeconds") },
  { name: HANDLER_ENV.auroraPromotionSeconds, ...limited("auroraPromotionSeconds") },
  { name: HANDLER_ENV.pollIntervalSeconds, ...limited("pollIntervalSeconds") },
  {
    name: HANDLER_ENV.decisionAlarmNames,
    ...matching(ALARM_NAMES, "must be a comma-separated list of CloudWatch alarm names"),
  },
  {
    name: HANDLER_ENV.appHostname,
    ...matching(HOSTNAME, "must be a lowercase DNS name (or unset)"),
    optional: true,
  },
] as const;

type FailoverValues = Values<typeof FAILOVER_FIELDS>;

export const FAILOVER_RULES: readonly CrossRule<FailoverValues>[] = [
  {
    field: HANDLER_ENV.primaryRegion,
    reads: [REGION_ENV],
    ok: (v) => v[HANDLER_ENV.primaryRegion] !== v[REGION_ENV],
    message: PRIMARY_REGION_RULE,
  },
  {
    field: HANDLER_ENV.primaryClusterArn,
    reads: [HANDLER_ENV.primaryRegion],
    ok: (v) => clusterRegion(v[HANDLER_ENV.primaryClusterArn]) === v[HANDLER_ENV.primaryRegion],
    message: PRIMARY_ARN_RULE,
  },
  {
    field: HANDLER_ENV.primaryClusterId,
    reads: [HANDLER_ENV.primaryClusterArn],
    ok: (v) => clusterId(v[HANDLER_ENV.primaryClusterArn]) === v[HANDLER_ENV.primaryClusterId],
    message: idRule(HANDLER_ENV.primaryClusterArn),
  },
  {
    field: HANDLER_ENV.secondaryClusterArn,
    reads: [REGION_ENV],
    ok: (v) => clusterRegion(v[HANDLER_ENV.secondaryClusterArn]) === v[REGION_ENV],
    message: SECONDARY_ARN_RULE,
  },
  {
    field: HANDLER_ENV.secondaryClusterId,
    reads: [HANDLER_ENV.secondaryClusterArn],
    ok: (v) => clusterId(v[HANDLER_ENV.secondaryClusterArn]) === v[HANDLER_ENV.secondaryClusterId],
    message: idRule(HANDLER_ENV.secondaryClusterArn),
  },
];

export const FAILOVER_TABLE = settingsTable({
  subject: "failover orchestrator environment",
  fields: FAILOVER_FIELDS,
  rules: FAILOVER_RULES,
});

/** The typed configuration from the table's values (readiness builds it from its own, larger table). */
export function failoverConfigOf(v: FailoverValues): FailoverConfig {
  return {
    region: v[REGION_ENV],
    parameterPrefix: v[HANDLER_ENV.parameterPrefix],
    metricNamespace: v[HANDLER_ENV.metricNamespace],
    checkTimeoutMs: v[HANDLER_ENV.checkTimeoutMs],
    peerHealthUrl: v[HANDLER_ENV.peerHealthUrl],
    globalClusterId: v[HANDLER_ENV.globalClusterId],
    primaryRegion: v[HANDLER_ENV.primaryRegion],
    primaryClusterArn: v[HANDLER_ENV.primaryClusterArn],
    primaryClusterId: v[HANDLER_ENV.primaryClusterId],
    secondaryClusterArn: v[HANDLER_ENV.secondaryClusterArn],
    secondaryClusterId: v[HANDLER_ENV.secondaryClusterId],
    secondaryAsgName: v[HANDLER_ENV.secondaryAsgName],
    failoverCapacity: v[HANDLER_ENV.failoverCapacity],
    topicArn: v[HANDLER_ENV.topicArn],
    idempotencyTable: v[HANDLER_ENV.idempotencyTable],
    autoFailover: v[HANDLER_ENV.autoFailover],
    rtoTargetSeconds: v[HANDLER_ENV.rtoTargetSeconds],
    auroraPromotionSeconds: v[HANDLER_ENV.auroraPromotionSeconds],
    pollIntervalSeconds: v[HANDLER_ENV.pollIntervalSeconds],
    decisionAlarmNames: v[HANDLER_ENV.decisionAlarmNames].split(","),
    ...(v[HANDLER_ENV.appHostname] ? { appHostname: v[HANDLER_ENV.appHostname] } : {}),
  };
}

/** Reads and validates the environment; throws ConfigError listing every problem. */
export function loadFailoverConfig(env: Environment): FailoverConfig {
  return failoverConfigOf(readSettings(FAILOVER_TABLE, env));
}
