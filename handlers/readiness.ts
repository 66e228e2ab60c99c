// Failover readiness, evaluated in the standby region every READINESS_SCHEDULE_MINUTES: would a failover
// started now succeed within the budget? The failover orchestrator's own dry run ({ "drill": true }, run in
// process with its real code and configuration) plus the checks of lib/readiness_checks.ts and
// lib/readiness_signals.ts. Publishes FailoverReady (1/0) overall and per check (Check dimension) as EMF and
// changes nothing: every port it hands the dry run refuses to mutate, and its role may only describe/read.
// This file is the Lambda entry point and its production wiring; the evaluation is in
// handlers/lib/readiness_evaluation.ts.

import process from "node:process";
import { RDS } from "@aws-sdk/client-rds";
import { AutoScaling } from "@aws-sdk/client-auto-scaling";
import { EC2 } from "@aws-sdk/client-ec2";
import { SSM } from "@aws-sdk/client-ssm";
import { CloudWatch } from "@aws-sdk/client-cloudwatch";
import { DynamoDB } from "@aws-sdk/client-dynamodb";
import { Lambda } from "@aws-sdk/client-lambda";
import { EventBridge } from "@aws-sdk/client-eventbridge";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { AWS_CLIENT_OPTIONS, powertoolsLog } from "./failover.ts";
import { METRICS, READINESS_CHECK_DIMENSION } from "./lib/contract.ts";
import { loadReadinessConfig } from "./lib/readiness_config.ts";
import { type ReadinessPorts, readOnlyPorts } from "./lib/readiness_ports.ts";
import {
  createReadinessHandler,
  type ReadinessMetricSink,
  type ReadinessReport,
} from "./lib/readiness_evaluation.ts";

export { loadReadinessConfig } from "./lib/readiness_config.ts";
export { drillOutcome } from "./lib/readiness_dry_run.ts";
export {
  createReadinessHandler,
  evaluateReadiness,
  formatReadiness,
  publishReadiness,
} from "./lib/readiness_evaluation.ts";
export type { ReadinessConfig } from "./lib/readiness_config.ts";
export type {
  CheckResult,
  ReadinessDeps,
  ReadinessMetricSink,
  ReadinessReport,
} from "./lib/readiness_evaluation.ts";

/** EMF through Powertools: Region/Role of the standby (no `service`), plus Check for a per-check datapoint. */
export function emfReadinessSink(metrics: Metrics, region: string): ReadinessMetricSink {
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ Region: region, Role: "secondary" });
  return {
    emit(value, check) {
      if (check !== undefined) metrics.addDimension(READINESS_CHECK_DIMENSION, check);
      metrics.addMetric(METRICS.failoverReady, MetricUnit.Count, value);
      // One EMF document per datapoint: each carries its own dimension set.
      metrics.publishStoredMetrics();
    },
  };
}

/** The standby region's clients, bounded like the orchestrator's, behind read-only ports. */
export function standbyPorts(region: string): ReadinessPorts {
  const options = { region, ...AWS_CLIENT_OPTIONS };
  return readOnlyPorts({
    rds: new RDS(options),
    autoScaling: new AutoScaling(options),
    ec2: new EC2(options),
    ssm: new SSM(options),
    cloudWatch: new CloudWatch(options),
    dynamodb: new DynamoDB(options),
    lambda: new Lambda(options),
    events: new EventBridge(options),
  });
}

function productionHandler() {
  const config = loadReadinessConfig(process.env);
  const region = config.failover.region;
  const logger = new Logger({
    serviceName: "failover-readiness",
    persistentKeys: { check: "readiness", region, role: "secondary" },
  });
  return createReadinessHandler({
    config,
    ports: standbyPorts(region),
    metrics: emfReadinessSink(
      new Metrics({ namespace: config.failover.metricNamespace, serviceName: "failover-readiness" }),
      region,
    ),
    log: powertoolsLog(logger),
  });
}

// Validated at cold start (an init error names every bad variable). Importing failover.ts also builds the
// orchestrator's own, unused, handler from the same environment: it fails exactly when this one would.
let handleEvent: ReturnType<typeof createReadinessHandler> | undefined = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? productionHandler()
  : undefined;

/** Lambda entry point. */
export async function handler(event: unknown): Promise<ReadinessReport> {
  handleEvent ??= productionHandler();
  return await handleEvent(event);
}
