// Probers of the primary from two independent vantage points: the standby region and the witness region
// outside the pair. Each runs handlers/primary_probe.ts once a minute (six probes, one per 10 s boundary)
// and writes its verdicts into the standby region's CloudWatch, where the decision alarms read them.
// Nothing here depends on the witness: if its region or prober fails, only its own vote is missing.
import { Construct } from "constructs";
import type { ProviderContext, RegionPair, WitnessContext } from "./providers.ts";
import { logicalId, physicalName } from "./naming.ts";
import type { RegionKey } from "./kms.ts";
import type { AlertingOutputs } from "./alerting.ts";
import { createLambdaFunction, type HandlerCode, invokeOnEvent } from "./lambda_function.ts";
import {
  HANDLER_ENV,
  PROBE_INTERVAL_SECONDS,
  PROBES_PER_INVOCATION,
  samplerLambdaTimeoutSeconds,
  type VantageRole,
} from "../handlers/lib/contract.ts";

export interface ProbesInputs {
  readonly regions: RegionPair;
  readonly witness: WitnessContext;
  readonly code: HandlerCode;
  /** The standby region's key, and the witness region's own. */
  readonly keys: { readonly secondary: RegionKey; readonly witness: RegionKey };
  readonly alerting: AlertingOutputs;
  /** Deep-health URL of the primary's load balancer. */
  readonly primaryHealthUrl: string;
  /** Public application host name (TLS SNI and Host header of the probes). */
  readonly appHostname: string;
  readonly metricNamespace: string;
  readonly checkTimeoutMs: number;
  readonly accountId: string;
  readonly environmentSuffix: string;
  readonly logRetentionDays: number;
}

/** One vantage point: where its prober runs (the Region dimension of its metrics) and its function. */
export interface VantagePoint {
  readonly region: string;
  readonly functionName: string;
}

export type ProbesOutputs = Readonly<Record<VantageRole, VantagePoint>>;

/** How often a prober runs; each run covers its minute with PROBES_PER_INVOCATION probes. */
const PROBE_SCHEDULE = "rate(1 minute)";

export function createProbes(scope: Construct, inputs: ProbesInputs): ProbesOutputs {
  const vantage = (context: ProviderContext & { role: VantageRole }, failureTopicArn?: string) =>
    createProber(scope, inputs, context, failureTopicArn);
  return {
    secondary: vantage(
      { ...inputs.regions.secondary, role: "secondary" },
      inputs.alerting.secondary.topicArn,
    ),
    // No topic in the witness region: the standby's "witness silent" alarm watches this prober instead.
    witness: vantage(inputs.witness),
  };
}

function createProber(
  scope: Construct,
  inputs: ProbesInputs,
  region: ProviderContext & { role: VantageRole },
  failureTopicArn: string | undefined,
): VantagePoint {
  const standbyRegion = inputs.regions.secondary.region;
  const prober = createLambdaFunction(scope, {
    region,
    concern: "probes",
    name: "primary-probe",
    code: inputs.code,
    environmentSuffix: inputs.environmentSuffix,
    accountId: inputs.accountId,
    keyArn: inputs.keys[region.role].keyArn,
    logRetentionDays: inputs.logRetentionDays,
    ...(failureTopicArn ? { failureTopicArn } : {}),
    timeoutSeconds: samplerLambdaTimeoutSeconds("primary_probe", inputs.checkTimeoutMs),
    // A run lasts a little over its minute: the next scheduled one may start before it ends.
    reservedConcurrency: 2,
    // A probe retried late is worthless: the next scheduled run replaces it.
    maximumRetryAttempts: 0,
    maximumEventAgeSeconds: 60,
    statements: [{
      Sid: "PublishProbeResults",
      Action: ["cloudwatch:PutMetricData"],
      // PutMetricData supports no resource-level permissions; the condition keeps it to our namespace.
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": inputs.metricNamespace } },
    }],
    environment: {
      [HANDLER_ENV.regionRole]: region.role,
      [HANDLER_ENV.metricNamespace]: inputs.metricNamespace,
      [HANDLER_ENV.metricRegion]: standbyRegion,
      [HANDLER_ENV.checkTimeoutMs]: String(inputs.checkTimeoutMs),
      [HANDLER_ENV.primaryHealthUrl]: inputs.primaryHealthUrl,
      [HANDLER_ENV.appHostname]: inputs.appHostname,
      [HANDLER_ENV.probeIntervalSeconds]: String(PROBE_INTERVAL_SECONDS),
      [HANDLER_ENV.probesPerInvocation]: String(PROBES_PER_INVOCATION),
      POWERTOOLS_SERVICE_NAME: "dr-primary-probe",
    },
  });
  invokeOnEvent(scope, {
    region,
    ruleId: logicalId("probes", region.role, "primary_probe_schedule"),
    ruleName: physicalName("eventRule", "dr-primary-probe", inputs.environmentSuffix, region.region),
    description: `Runs ${prober.functionName} every minute (${PROBES_PER_INVOCATION} probes, ` +
      `${PROBE_INTERVAL_SECONDS} s apart)`,
    when: { scheduleExpression: PROBE_SCHEDULE },
    functionArn: prober.functionArn,
  });
  return { region: region.region, functionName: prober.functionName };
}
