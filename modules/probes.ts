// Probers of the primary from two independent vantage points: the standby region and the witness region
// outside the pair. Each runs handlers/primary_probe.ts once a minute (six probes, one per 10 s boundary)
// and writes its verdicts into the standby region's CloudWatch, where the decision alarms read them.
// Nothing here depends on the witness: if its region or prober fails, only its own vote is missing.
import type { ProviderContext } from "./providers.ts";
import { logicalId } from "./naming.ts";
import type { RegionKey } from "./kms.ts";
import type { KeyedStackContext } from "./stack_context.ts";
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
  readonly code: HandlerCode;
  /** The witness region's own key (kms.ts createWitnessKey); the standby prober uses the region key. */
  readonly witnessKey: RegionKey;
  readonly alerting: AlertingOutputs;
  /** Deep-health URL of the primary's load balancer. */
  readonly primaryHealthUrl: string;
  /** Public application host name (TLS SNI and Host header of the probes). */
  readonly appHostname: string;
  readonly checkTimeoutMs: number;
}

/** One vantage point: where its prober runs (the Region dimension of its metrics) and its function. */
export interface VantagePoint {
  readonly region: string;
  readonly functionName: string;
}

export type ProbesOutputs = Readonly<Record<VantageRole, VantagePoint>>;

/** How often a prober runs; each run covers its minute with PROBES_PER_INVOCATION probes. */
const PROBE_SCHEDULE = "rate(1 minute)";

export function createProbes(ctx: KeyedStackContext, inputs: ProbesInputs): ProbesOutputs {
  const vantage = (
    context: ProviderContext & { role: VantageRole },
    key: RegionKey,
    failureTopicArn?: string,
  ) => createProber(ctx, inputs, context, key, failureTopicArn);
  return {
    secondary: vantage(
      { ...ctx.regions.secondary, role: "secondary" },
      ctx.keys.secondary,
      inputs.alerting.secondary.topicArn,
    ),
    // No topic in the witness region: the standby's "witness silent" alarm watches this prober instead.
    witness: vantage(ctx.witness, inputs.witnessKey),
  };
}

function createProber(
  ctx: KeyedStackContext,
  inputs: ProbesInputs,
  region: ProviderContext & { role: VantageRole },
  key: RegionKey,
  failureTopicArn: string | undefined,
): VantagePoint {
  const standbyRegion = ctx.regions.secondary.region;
  const prober = createLambdaFunction(ctx, {
    region,
    concern: "probes",
    name: "primary-probe",
    code: inputs.code,
    keyArn: key.keyArn,
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
      Condition: { StringEquals: { "cloudwatch:namespace": ctx.metricNamespace } },
    }],
    environment: {
      [HANDLER_ENV.regionRole]: region.role,
      [HANDLER_ENV.metricNamespace]: ctx.metricNamespace,
      [HANDLER_ENV.metricRegion]: standbyRegion,
      [HANDLER_ENV.checkTimeoutMs]: String(inputs.checkTimeoutMs),
      [HANDLER_ENV.primaryHealthUrl]: inputs.primaryHealthUrl,
      [HANDLER_ENV.appHostname]: inputs.appHostname,
      [HANDLER_ENV.probeIntervalSeconds]: String(PROBE_INTERVAL_SECONDS),
      [HANDLER_ENV.probesPerInvocation]: String(PROBES_PER_INVOCATION),
      POWERTOOLS_SERVICE_NAME: "dr-primary-probe",
    },
  });
  invokeOnEvent(ctx, {
    region,
    ruleId: logicalId("probes", region.role, "primary_probe_schedule"),
    ruleName: ctx.name("eventRule", "dr-primary-probe", region.region),
    description: `Runs ${prober.functionName} every minute (${PROBES_PER_INVOCATION} probes, ` +
      `${PROBE_INTERVAL_SECONDS} s apart)`,
    when: { scheduleExpression: PROBE_SCHEDULE },
    functionArn: prober.functionArn,
  });
  return { region: region.region, functionName: prober.functionName };
}
