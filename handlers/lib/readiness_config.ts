// The readiness evaluation's environment: the failover orchestrator's own variables, verbatim (its dry run is
// evaluated with exactly the configuration the orchestrator runs with), plus what only readiness reads. One
// settings.ts table of both: every problem is reported at once, naming the variable and its rule.

import { HANDLER_ENV } from "./contract.ts";
import {
  FAILOVER_FIELDS,
  FAILOVER_RULES,
  type FailoverConfig,
  failoverConfigOf,
  REGION_PATTERN,
} from "./failover_config.ts";
import { REGION_ENV } from "./input.ts";
import {
  type CrossRule,
  type Environment,
  limited,
  matching,
  problemsAbout,
  readSettings,
  settingProblems,
  settingsTable,
  type Values,
} from "./settings.ts";

export interface ReadinessConfig {
  /** The orchestrator's configuration (the dry run and most checks read their targets from it). */
  readonly failover: FailoverConfig;
  /** Where the witness prober runs (the Region dimension of its PrimaryProbeHealthy datapoints). */
  readonly witnessRegion: string;
  readonly orchestratorFunctionName: string;
  readonly failoverTriggerRule: string;
  readonly fenceAlarmName: string;
  /** The RPO alarm's threshold: replication lag above it fails the lag check. */
  readonly rpoLagAlarmSeconds: number;
}

const WITNESS_RULE = "must be a region other than the standby (AWS_REGION) and the primary (PRIMARY_REGION)";

/** Readiness's own variables (after the orchestrator's). */
const OWN_FIELDS = [
  { name: HANDLER_ENV.witnessRegion, ...matching(REGION_PATTERN, WITNESS_RULE) },
  {
    name: HANDLER_ENV.orchestratorFunctionName,
    ...matching(/^[a-zA-Z0-9_-]{1,64}$/, "must be a Lambda function name"),
  },
  {
    name: HANDLER_ENV.failoverTriggerRule,
    ...matching(/^[\.\-_A-Za-z0-9]{1,64}$/, "must be an EventBridge rule name"),
  },
  {
    name: HANDLER_ENV.fenceAlarmName,
    ...matching(/^[^,\s][^,]{0,254}$/, "must be a CloudWatch alarm name"),
  },
  { name: HANDLER_ENV.rpoLagAlarmSeconds, ...limited("rpoLagAlarmSeconds") },
] as const;

const READINESS_FIELDS = [...FAILOVER_FIELDS, ...OWN_FIELDS] as const;

const WITNESS_REGION_RULE: CrossRule<Values<typeof READINESS_FIELDS>> = {
  field: HANDLER_ENV.witnessRegion,
  reads: [REGION_ENV, HANDLER_ENV.primaryRegion],
  ok: (v) => ![v[REGION_ENV], v[HANDLER_ENV.primaryRegion]].includes(v[HANDLER_ENV.witnessRegion]),
  message: WITNESS_RULE,
};

export const READINESS_TABLE = settingsTable({
  subject: "readiness environment",
  fields: READINESS_FIELDS,
  rules: [...FAILOVER_RULES, WITNESS_REGION_RULE],
});

/** The problems of readiness's own variables (the orchestrator's are the failover table's). */
export function readinessEnvProblems(env: Environment): string[] {
  return problemsAbout(settingProblems(READINESS_TABLE, env), OWN_FIELDS.map((field) => field.name));
}

/** Reads and validates the environment; throws ConfigError listing every problem of both tables. */
export function loadReadinessConfig(env: Environment): ReadinessConfig {
  const v = readSettings(READINESS_TABLE, env);
  return {
    failover: failoverConfigOf(v),
    witnessRegion: v[HANDLER_ENV.witnessRegion],
    orchestratorFunctionName: v[HANDLER_ENV.orchestratorFunctionName],
    failoverTriggerRule: v[HANDLER_ENV.failoverTriggerRule],
    fenceAlarmName: v[HANDLER_ENV.fenceAlarmName],
    rpoLagAlarmSeconds: v[HANDLER_ENV.rpoLagAlarmSeconds],
  };
}
