// The readiness evaluation's environment: the failover orchestrator's own variables, verbatim (its dry run is
// evaluated with exactly the configuration the orchestrator runs with), plus what only readiness reads. Both
// tables are checked and every problem is reported at once, naming the variable and its rule.

import { HANDLER_ENV } from "./contract.ts";
import { ConfigError, type FailoverConfig, loadFailoverConfig } from "./failover_config.ts";

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

export class ReadinessConfigError extends Error {
  override readonly name = "ReadinessConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid readiness environment:\n  ${problems.join("\n  ")}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]$/;

interface EnvRule {
  readonly variable: string;
  readonly rule: string;
  readonly ok: (value: string, env: Env) => boolean;
}

export const READINESS_ENV_RULES: readonly EnvRule[] = [
  {
    variable: HANDLER_ENV.witnessRegion,
    rule: "must be a region other than the standby (AWS_REGION) and the primary (PRIMARY_REGION)",
    ok: (v, env) => REGION.test(v) && v !== env.AWS_REGION && v !== env[HANDLER_ENV.primaryRegion],
  },
  {
    variable: HANDLER_ENV.orchestratorFunctionName,
    rule: "must be a Lambda function name",
    ok: (v) => /^[a-zA-Z0-9_-]{1,64}$/.test(v),
  },
  {
    variable: HANDLER_ENV.failoverTriggerRule,
    rule: "must be an EventBridge rule name",
    ok: (v) => /^[\.\-_A-Za-z0-9]{1,64}$/.test(v),
  },
  {
    variable: HANDLER_ENV.fenceAlarmName,
    rule: "must be a CloudWatch alarm name",
    ok: (v) => /^[^,\s][^,]{0,254}$/.test(v),
  },
  {
    variable: HANDLER_ENV.rpoLagAlarmSeconds,
    rule: "must be a whole number of seconds from 1 to 86400",
    ok: (v) => /^[0-9]+$/.test(v) && Number(v) >= 1 && Number(v) <= 86400,
  },
];

/** The problems of readiness's own variables (the orchestrator's are checked by loadFailoverConfig). */
export function readinessEnvProblems(env: Env): string[] {
  return READINESS_ENV_RULES.flatMap(({ variable, rule, ok }) => {
    const value = env[variable];
    if (value === undefined || value === "") return [`${variable} is not set: ${rule}`];
    return ok(value, env) ? [] : [`${variable}="${value}": ${rule}`];
  });
}

/** Reads and validates the environment; throws ReadinessConfigError listing every problem of both tables. */
export function loadReadinessConfig(env: Env): ReadinessConfig {
  let failover: FailoverConfig | undefined;
  const problems: string[] = [];
  try {
    failover = loadFailoverConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  problems.push(...readinessEnvProblems(env));
  if (problems.length > 0 || !failover) throw new ReadinessConfigError(problems);
  const get = (variable: string) => env[variable] as string;
  return {
    failover,
    witnessRegion: get(HANDLER_ENV.witnessRegion),
    orchestratorFunctionName: get(HANDLER_ENV.orchestratorFunctionName),
    failoverTriggerRule: get(HANDLER_ENV.failoverTriggerRule),
    fenceAlarmName: get(HANDLER_ENV.fenceAlarmName),
    rpoLagAlarmSeconds: Number(get(HANDLER_ENV.rpoLagAlarmSeconds)),
  };
}
