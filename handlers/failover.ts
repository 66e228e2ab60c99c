// Failover orchestrator, in the standby region. Started by EventBridge when the quorum alarm (the primary down
// as seen from the witness region AND from the standby region) enters ALARM, or directly with
// { "drill": true } (dry run) or { "manual": true, "reason": "..." }.
// A state machine over observed state: it reads the global cluster first and continues whatever an earlier
// attempt started; only when nothing has started does it re-probe the primary. Then the failover steps
// (handlers/lib/failover_steps.ts) under a DynamoDB lock, the timeline to SNS, the measured phases as metrics.
// This file is the Lambda entry point and its production wiring; the orchestrator is in
// handlers/lib/failover_orchestrator.ts.

import process from "node:process";
import { RDS } from "@aws-sdk/client-rds";
import { AutoScaling } from "@aws-sdk/client-auto-scaling";
import { SSM } from "@aws-sdk/client-ssm";
import { SNS } from "@aws-sdk/client-sns";
import { CloudWatch } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { type FailoverConfig, loadFailoverConfig } from "./lib/failover_config.ts";
import type { FailoverReport } from "./lib/failover_report.ts";
import { DynamoDbLockStore } from "./lib/failover_lock.ts";
import { createFailoverHandler } from "./lib/failover_orchestrator.ts";
import type { LambdaContext, MetricSink } from "./lib/failover_runtime.ts";
import type { StepLog } from "./lib/steps.ts";

export { loadFailoverConfig } from "./lib/failover_config.ts";
export { parseFailoverEvent } from "./lib/failover_event.ts";
export { formatNotification } from "./lib/failover_report.ts";
export { createFailoverHandler } from "./lib/failover_orchestrator.ts";
export type { FailoverConfig } from "./lib/failover_config.ts";
export type { FailoverOutcome, FailoverReport } from "./lib/failover_report.ts";
export type {
  FailoverDeps,
  LambdaContext,
  MetricSink,
  MetricUnitName,
  SnsApi,
} from "./lib/failover_runtime.ts";

/** EMF through Powertools: exactly the contract's Region/Role dimensions (no `service`), Step when given. */
export function emfMetricSink(metrics: Metrics, region: string, role: string): MetricSink {
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ Region: region, Role: role });
  return {
    emit(name, unit, value, step) {
      if (step !== undefined) metrics.addDimension("Step", step);
      metrics.addMetric(name, unit === "Seconds" ? MetricUnit.Seconds : MetricUnit.Count, value);
      // One EMF document per metric: each carries its own dimension set and is out before any failure.
      metrics.publishStoredMetrics();
    },
  };
}

export function powertoolsLog(logger: Logger): StepLog {
  return {
    info: (message, attributes) => attributes ? logger.info(message, attributes) : logger.info(message),
    warn: (message, attributes) => attributes ? logger.warn(message, attributes) : logger.warn(message),
    error: (message, attributes) => attributes ? logger.error(message, attributes) : logger.error(message),
  };
}

/** Every AWS call is bounded; retries are ours (visible in the timeline), not the SDK's. */
export const AWS_CLIENT_OPTIONS = {
  maxAttempts: 1,
  // Recent SDKs only warn on requestTimeout unless throwOnRequestTimeout is set.
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
} as const;

/** The primary region may be gone: one short attempt, then the orchestrator decides without it. */
const PRIMARY_REGION_CLIENT_OPTIONS = {
  maxAttempts: 1,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 4_000, throwOnRequestTimeout: true },
} as const;

/** The handler's AWS clients: the standby region's, plus short-lived ones for the primary region. */
export function awsClients(config: FailoverConfig) {
  const local = { region: config.region, ...AWS_CLIENT_OPTIONS };
  const primary = { region: config.primaryRegion, ...PRIMARY_REGION_CLIENT_OPTIONS };
  return {
    rds: new RDS(local),
    primaryRds: new RDS(primary),
    autoScaling: new AutoScaling(local),
    ssm: new SSM(local),
    primarySsm: new SSM(primary),
    sns: new SNS(local),
    alarms: new CloudWatch(local),
    lockStore: new DynamoDbLockStore(
      new DynamoDBClient({ region: config.region, requestHandler: AWS_CLIENT_OPTIONS.requestHandler }),
      config.idempotencyTable,
    ),
  };
}

function productionHandler() {
  const config = loadFailoverConfig(process.env);
  const logger = new Logger({
    serviceName: "failover-orchestrator",
    persistentKeys: { check: "failover", region: config.region, role: "secondary" },
  });
  return createFailoverHandler({
    config,
    ...awsClients(config),
    metrics: emfMetricSink(
      new Metrics({ namespace: config.metricNamespace, serviceName: "failover-orchestrator" }),
      config.region,
      "secondary",
    ),
    log: powertoolsLog(logger),
  });
}

// In Lambda the environment is validated at cold start (an init error names every bad variable); tests
// import this module without a Lambda environment and build handlers with createFailoverHandler.
let handleEvent: ReturnType<typeof createFailoverHandler> | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? productionHandler()
  : undefined;

/** Lambda entry point. */
export async function handler(event: unknown, context: LambdaContext): Promise<FailoverReport> {
  handleEvent ??= productionHandler();
  return await handleEvent(event, context);
}
