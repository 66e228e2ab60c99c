// A standby region that is ready to take over, as the readiness evaluation sees it (fake_readiness.ts on one
// call log), a real HTTP "primary" on loopback for the dry run's probe, and a fixed clock. Tests break one
// thing at a time and look at which checks fail.
import { type CheckResult, evaluateReadiness, loadReadinessConfig } from "../handlers/readiness.ts";
import { METRICS, PARAMETER_KEYS, type ParameterKey, parameterName } from "../handlers/lib/contract.ts";
import type { StepLog } from "../handlers/lib/steps.ts";
import { ACTIVE_PARAM, CallLog, CLOCK_START, PRIMARY_REGION, REGION } from "./fake_aws.ts";
import { DECISION_ALARMS, testEnv } from "./failover_world.ts";
import {
  FakeCloudWatch,
  FakeDynamoDbTables,
  FakeEc2,
  FakeEvents,
  FakeLambda,
  ReadinessAutoScaling,
  ReadinessRds,
  ReadinessSsm,
} from "./fake_readiness.ts";

export const WITNESS_REGION = "us-west-2";
export const ORCHESTRATOR = "dr-failover-us-east-2-dev";
export const TRIGGER_RULE = "dr-failover-trigger-us-east-2-dev";
export const FENCE_ALARM = "dr-primary-fenced-us-east-2-dev";
export const LOCK_TABLE = "failover-lock-dev";
export const NAMESPACE = "TransactionDR/dev";
export const PREFIX = "/txn/dev";

export function readinessEnv(peerHealthUrl: string, overrides: Record<string, string> = {}) {
  return testEnv(peerHealthUrl, {
    WITNESS_REGION,
    ORCHESTRATOR_FUNCTION_NAME: ORCHESTRATOR,
    FAILOVER_TRIGGER_RULE: TRIGGER_RULE,
    FENCE_ALARM_NAME: FENCE_ALARM,
    RPO_LAG_ALARM_SECONDS: "30",
    ...overrides,
  });
}

/** Every contract parameter of the standby region, with the standby's own values. */
function standbyParameters(): Record<string, string> {
  const values: Partial<Record<ParameterKey, string>> = {
    regionRole: "secondary",
    activeRegion: PRIMARY_REGION,
  };
  return Object.fromEntries(
    (Object.keys(PARAMETER_KEYS) as ParameterKey[]).map((
      key,
    ) => [parameterName(PREFIX, key), values[key] ?? `v-${key}`]),
  );
}

export const probeDimensions = (role: "witness" | "secondary") => ({
  Region: role === "witness" ? WITNESS_REGION : REGION,
  Role: role,
});

export function readinessWorld(peerHealthUrl: string, envOverrides: Record<string, string> = {}) {
  const log = new CallLog();
  const logs: Array<{ level: string; message: string; attributes?: Record<string, unknown> }> = [];
  const aws = {
    rds: new ReadinessRds(log),
    autoScaling: new ReadinessAutoScaling(log),
    ec2: new FakeEc2(log),
    ssm: new ReadinessSsm(log, "ssm", standbyParameters()),
    cloudWatch: new FakeCloudWatch(log),
    dynamodb: new FakeDynamoDbTables(log),
    lambda: new FakeLambda(log),
    events: new FakeEvents(log),
  };
  aws.autoScaling.group = { min: 1, desired: 1, max: 6 };
  for (const [vote, name] of Object.entries(DECISION_ALARMS)) {
    aws.cloudWatch.set(
      name,
      vote === "replication" ? METRICS.replicationStalled : METRICS.primaryProbeHealthy,
      "OK",
    );
  }
  aws.cloudWatch.set(FENCE_ALARM, METRICS.primaryFenced, "OK");
  const cluster = { DBClusterIdentifier: "txn-secondary-dev" };
  aws.cloudWatch.setSeries("AuroraGlobalDBRPOLag", cluster, [800, 900, 750]);
  aws.cloudWatch.setSeries("AuroraGlobalDBReplicationLag", cluster, [120, 130]);
  for (const role of ["witness", "secondary"] as const) {
    aws.cloudWatch.setSeries(METRICS.primaryProbeHealthy, probeDimensions(role), [6, 6, 6, 6, 6, 6, 6]);
  }
  aws.cloudWatch.setSeries(METRICS.primaryFenced, probeDimensions("secondary"), [0, 0, 0]);
  aws.dynamodb.tables.set(LOCK_TABLE, "ACTIVE");
  aws.lambda.functions.set(ORCHESTRATOR, { state: "Active", reserved: 1 });
  aws.events.rules.set(TRIGGER_RULE, "ENABLED");

  const stepLog: StepLog = {
    info: (message, attributes) => logs.push({ level: "info", message, attributes }),
    warn: (message, attributes) => logs.push({ level: "warn", message, attributes }),
    error: (message, attributes) => logs.push({ level: "error", message, attributes }),
  };
  const config = loadReadinessConfig(readinessEnv(peerHealthUrl, envOverrides));
  const deps = {
    config,
    ports: aws,
    log: stepLog,
    now: () => CLOCK_START,
    sleep: () => Promise.resolve(),
    random: () => 0.5,
  };
  const evaluate = () => evaluateReadiness(deps);
  return { log, logs, aws, config, deps, evaluate, activeRegionParameter: ACTIVE_PARAM };
}

export const byCheck = (checks: readonly CheckResult[]) =>
  Object.fromEntries(checks.map((result) => [result.check, result]));
