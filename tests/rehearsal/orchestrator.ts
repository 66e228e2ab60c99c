// The failover orchestrator's wiring for the rehearsal: the production handler (createFailoverHandler) with
// real AWS SDK v3 clients pointed at the emulator, configured from the environment the stack deployed on
// the function. The one place to adapt when the handler's dependencies change.
import { RDS } from "@aws-sdk/client-rds";
import { AutoScaling } from "@aws-sdk/client-auto-scaling";
import { SSM } from "@aws-sdk/client-ssm";
import { SNS } from "@aws-sdk/client-sns";
import { CloudWatch } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type FailoverDeps, loadFailoverConfig } from "../../handlers/failover.ts";
import { DynamoDbLockStore } from "../../handlers/lib/failover_lock.ts";
import { HANDLER_ENV } from "../../handlers/lib/contract.ts";
import type { StepLog } from "../../handlers/lib/steps.ts";
import { emulatorClientOptions } from "./clients.ts";

export interface RehearsalOrchestratorOptions {
  readonly endpoint: string;
  /** The function's region (AWS_REGION in Lambda). */
  readonly region: string;
  /** The function's environment variables as deployed (Lambda GetFunctionConfiguration). */
  readonly environment: Readonly<Record<string, string>>;
  /** Replaces PEER_HEALTH_URL: the primary's deep-health endpoint, served on loopback by the rehearsal. */
  readonly peerHealthUrl: string;
  readonly log: StepLog;
  /** The primary region (its RDS and Parameter Store, reached through `primaryEndpoint`). */
  readonly primaryRegion: string;
  /** Where the primary region's APIs answer: the emulator, or a dead loopback port for a lost region. */
  readonly primaryEndpoint?: string;
  /** Caps every wait (Aurora polling, backoff): the emulator settles in reads, not in time. */
  readonly maxSleepMs?: number;
}

export interface RehearsalOrchestrator {
  readonly deps: FailoverDeps;
  /** Waits for the metric data the handler emitted (PutMetricData to the emulator); throws if one failed. */
  settled(): Promise<void>;
}

/**
 * The handler's dependencies against the emulator. Metrics, which Lambda turns into CloudWatch data from the
 * handler's EMF log lines, are sent with PutMetricData to the function's region under the same namespace
 * and dimensions (Region, Role, and Step when given), so the fence and step metrics land where AWS puts them.
 */
export function rehearsalFailoverDeps(options: RehearsalOrchestratorOptions): RehearsalOrchestrator {
  const config = loadFailoverConfig({
    ...options.environment,
    AWS_REGION: options.region,
    [HANDLER_ENV.peerHealthUrl]: options.peerHealthUrl,
  });
  const client = emulatorClientOptions(options.endpoint, options.region);
  const primary = emulatorClientOptions(options.primaryEndpoint ?? options.endpoint, options.primaryRegion);
  const cloudWatch = new CloudWatch(client);
  const maxSleepMs = options.maxSleepMs ?? 200;
  const pending: Promise<unknown>[] = [];
  const role = options.environment[HANDLER_ENV.regionRole];
  const deps: FailoverDeps = {
    config,
    rds: new RDS(client),
    primaryRds: new RDS(primary),
    autoScaling: new AutoScaling(client),
    ssm: new SSM(client),
    primarySsm: new SSM(primary),
    sns: new SNS(client),
    alarms: cloudWatch,
    lockStore: new DynamoDbLockStore(new DynamoDBClient(client), config.idempotencyTable),
    metrics: {
      emit(name, unit, value, step) {
        pending.push(cloudWatch.putMetricData({
          Namespace: config.metricNamespace,
          MetricData: [{
            MetricName: name,
            Unit: unit,
            Value: value,
            Dimensions: [
              { Name: "Region", Value: options.region },
              { Name: "Role", Value: role },
              ...(step === undefined ? [] : [{ Name: "Step", Value: step }]),
            ],
          }],
        }));
      },
    },
    log: options.log,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, maxSleepMs))),
  };
  return {
    deps,
    settled: async () => {
      const results = await Promise.allSettled(pending.splice(0));
      const failed = results.find((result) => result.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
  };
}
