// Operator actions against a deployed stack: the failover drill (the orchestrator in dry-run mode) and the
// planned failback (Aurora switchover back to the primary, no data loss). Every target is a Terraform output
// read from the manifest written at synth (operator.json), never a guess; the AWS clients are injected.
import type { RdsApi } from "../../handlers/lib/aurora_global.ts";
import type { AutoScalingApi, FenceMetric, SsmApi } from "../../handlers/lib/aws_ports.ts";
import type { AlarmsApi } from "../../handlers/lib/decision_evidence.ts";
import { type FailbackContext, failbackSteps, type SnapshotApi } from "../../handlers/lib/failback_steps.ts";
import {
  type RunReport,
  runSteps,
  type Step,
  StepFailedError,
  type StepLog,
} from "../../handlers/lib/steps.ts";
import { METRICS } from "../../handlers/lib/contract.ts";
import { PLACEHOLDER_ACCOUNT_ID } from "../../modules/config.ts";
import { manifestOutputs } from "../../modules/operator_manifest.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

export interface StackTargets {
  readonly accountId: string;
  readonly primaryRegion: string;
  readonly secondaryRegion: string;
  readonly globalClusterId: string;
  readonly primaryClusterId: string;
  readonly primaryClusterArn: string;
  readonly secondaryAsgName: string;
  readonly standbyMinSize: number;
  readonly standbyDesiredCapacity: number;
  readonly activeRegionParameter: string;
  readonly orchestratorFunctionName: string;
  readonly secondaryTopicArn: string;
  readonly metricNamespace: string;
  /** The standby-region alarm Route 53's fence check reads (ALARM while the primary is fenced). */
  readonly fenceAlarmName: string;
  /** After the fence clears: Route 53's alarm-check evaluation plus resolver caches, before traffic has left. */
  readonly dnsSettleSeconds: number;
}

/** Route 53 answers for an alias to an ALB carry the ALB's 60 s TTL (Route 53 Developer Guide, alias records). */
const ALIAS_TTL_SECONDS = 60;
/** Route 53 re-reads a CloudWatch alarm's data for a CLOUDWATCH_METRIC health check about every 30 s (assumption). */
const ALARM_CHECK_SECONDS = 30;

/** Terraform outputs the tools read from the operator manifest (operator.json, written at synth). */
export const TARGET_OUTPUTS = {
  accountId: "aws_account_id",
  regions: "regions",
  globalClusterId: "database_global_cluster_id",
  primaryClusterId: "database_primary_cluster_id",
  primaryClusterArn: "database_primary_cluster_arn",
  secondaryAsgName: "compute_secondary_asg_name",
  standbyCapacity: "compute_secondary_standby_capacity",
  activeRegionParameter: "failover_active_region_parameter",
  orchestratorFunctionName: "failover_orchestrator_function_name",
  secondaryTopicArn: "alerting_secondary_topic_arn",
  metricNamespace: "metric_namespace",
  fenceAlarmName: "failover_fence_alarm_name",
} as const;

/** Reads the failover/failback targets from the operator manifest; names every missing output at once. */
export function stackTargets(manifest: Json): StackTargets {
  const { need, problems } = manifestOutputs(manifest, TARGET_OUTPUTS);
  const regions = need("regions") ?? {};
  const capacity = need("standbyCapacity") ?? {};
  const targets: StackTargets = {
    accountId: need("accountId"),
    primaryRegion: regions.primary,
    secondaryRegion: regions.secondary,
    globalClusterId: need("globalClusterId"),
    primaryClusterId: need("primaryClusterId"),
    primaryClusterArn: need("primaryClusterArn"),
    secondaryAsgName: need("secondaryAsgName"),
    standbyMinSize: Number(capacity.min_size),
    standbyDesiredCapacity: Number(capacity.desired_capacity),
    activeRegionParameter: need("activeRegionParameter"),
    orchestratorFunctionName: need("orchestratorFunctionName"),
    secondaryTopicArn: need("secondaryTopicArn"),
    metricNamespace: need("metricNamespace"),
    fenceAlarmName: need("fenceAlarmName"),
    dnsSettleSeconds: ALARM_CHECK_SECONDS + ALIAS_TTL_SECONDS,
  };
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return targets;
}

/** Why the tools must not run here: placeholder account, or no credentials in the environment. */
export function credentialProblems(
  env: Readonly<Record<string, string | undefined>>,
  targets: Pick<StackTargets, "accountId">,
): string[] {
  const problems: string[] = [];
  if (targets.accountId === PLACEHOLDER_ACCOUNT_ID) {
    problems.push(
      `the stack targets the placeholder account ${PLACEHOLDER_ACCOUNT_ID}: synthesize with AWS_ACCOUNT_ID set`,
    );
  }
  const sources = [
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  ];
  if (!sources.some((name) => env[name])) {
    problems.push(`no AWS credentials in the environment (one of ${sources.join(", ")})`);
  }
  return problems;
}

/** The SDK found no usable credentials: what to set, in one line, instead of a stack trace. */
export class CredentialsUnavailableError extends Error {
  override readonly name = "CredentialsUnavailableError";
}

/** Error names of the SDK's credential and token providers (profile missing, SSO expired, ...). */
const CREDENTIAL_ERRORS = ["CredentialsProviderError", "TokenProviderError", "ProviderError"];

/**
 * Resolves the SDK's credential chain once, before any AWS call, so that credentials that do not resolve
 * stop the tool with one line naming what to set.
 */
export async function requireCredentials(
  credentials: () => Promise<unknown>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  try {
    await credentials();
  } catch (error) {
    if (!(error instanceof Error) || !CREDENTIAL_ERRORS.includes(error.name)) throw error;
    const profile = env.AWS_PROFILE
      ? `AWS_PROFILE=${env.AWS_PROFILE} names no usable profile in ${env.AWS_CONFIG_FILE ?? "~/.aws/config"}`
      : "no credential source resolved";
    throw new CredentialsUnavailableError(
      `cannot resolve AWS credentials (${profile}: ${error.message.split("\n")[0]}); set AWS_PROFILE to a ` +
        "configured profile (aws configure list-profiles), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Drill

export interface LambdaApi {
  invoke(input: { FunctionName: string; InvocationType: "RequestResponse"; Payload: Uint8Array }): Promise<{
    FunctionError?: string;
    Payload?: Uint8Array;
  }>;
}

/** Invokes the orchestrator in the standby region with `{ "drill": true }` and returns its report. */
export async function runDrill(lambda: LambdaApi, targets: StackTargets): Promise<Json> {
  const response = await lambda.invoke({
    FunctionName: targets.orchestratorFunctionName,
    InvocationType: "RequestResponse",
    Payload: new TextEncoder().encode(JSON.stringify({ drill: true })),
  });
  const text = new TextDecoder().decode(response.Payload ?? new Uint8Array());
  if (response.FunctionError) {
    throw new Error(`the drill failed in ${targets.orchestratorFunctionName}: ${text}`);
  }
  return JSON.parse(text);
}

// ---------------------------------------------------------------------------------------------------
// Failback

export interface SnsApi {
  publish(input: { TopicArn: string; Subject: string; Message: string }): Promise<unknown>;
}

export interface FailbackDeps {
  readonly rds: RdsApi;
  /** The primary region's RDS (the old primary's unplanned-failover snapshot lives there). */
  readonly snapshots: SnapshotApi;
  /** The standby region's CloudWatch (the fence alarm). */
  readonly alarms: AlarmsApi;
  readonly autoScaling: AutoScalingApi;
  readonly ssm: { readonly primary: SsmApi; readonly secondary: SsmApi };
  readonly fence: FenceMetric;
  readonly sns: SnsApi;
  /** Asks the operator; resolves true to go on. */
  readonly confirm: (question: string) => Promise<boolean>;
  readonly log: StepLog;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface FailbackOptions {
  /** Skip every confirmation prompt. */
  readonly yes: boolean;
  /** Dry run: state checks only, no change. */
  readonly dryRun?: boolean;
  /** How long the Aurora switchover may take. */
  readonly switchoverTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  /** Overrides the stack's DNS settle time (tests, rehearsals). */
  readonly dnsSettleSeconds?: number;
}

export class DeclinedError extends Error {
  override readonly name = "DeclinedError";
}

/** Each mutating step asks before it runs (the state check has already shown what it would change). */
function confirmed<C>(steps: readonly Step<C>[], confirm: (question: string) => Promise<boolean>): Step<C>[] {
  return steps.map((step) => ({
    ...step,
    async run(ctx, io) {
      if (!(await confirm(`${step.name}: ${step.action}. Proceed?`))) {
        throw new DeclinedError(`the operator declined ${step.name}`);
      }
      return await step.run(ctx, io);
    },
  }));
}

export async function runFailback(
  deps: FailbackDeps,
  targets: StackTargets,
  options: FailbackOptions,
): Promise<RunReport> {
  const ctx: FailbackContext = {
    targets: {
      globalClusterId: targets.globalClusterId,
      primaryClusterArn: targets.primaryClusterArn,
      primaryClusterId: targets.primaryClusterId,
      primaryRegion: targets.primaryRegion,
      secondaryRegion: targets.secondaryRegion,
      secondaryAsgName: targets.secondaryAsgName,
      standbyMinSize: targets.standbyMinSize,
      standbyDesiredCapacity: targets.standbyDesiredCapacity,
      activeRegionParameter: targets.activeRegionParameter,
      fenceAlarmName: targets.fenceAlarmName,
      dnsSettleSeconds: options.dnsSettleSeconds ?? targets.dnsSettleSeconds,
      switchoverDeadlineAt: deps.now() + (options.switchoverTimeoutMs ?? 15 * 60_000),
      pollIntervalMs: options.pollIntervalMs ?? 15_000,
    },
    rds: deps.rds,
    snapshots: deps.snapshots,
    alarms: deps.alarms,
    autoScaling: deps.autoScaling,
    ssm: deps.ssm,
    fence: deps.fence,
  };
  const steps = options.yes ? failbackSteps() : confirmed(failbackSteps(), deps.confirm);
  const runOptions = { dryRun: options.dryRun ?? false, sleep: deps.sleep, now: deps.now, log: deps.log };
  let report: RunReport;
  try {
    report = await runSteps(steps, ctx, runOptions);
  } catch (error) {
    if (!(error instanceof StepFailedError)) throw error;
    report = error.report;
  }
  if (!report.dryRun) {
    const outcome = report.ok ? "completed" : `STOPPED at ${report.failedStep}`;
    await deps.sns.publish({
      TopicArn: targets.secondaryTopicArn,
      Subject: `DR failback to ${targets.primaryRegion} ${outcome}`.slice(0, 100),
      Message: formatRunReport(report),
    });
  }
  return report;
}

export function formatRunReport(report: RunReport): string {
  const lines = report.steps.map((step) =>
    `${step.status.padEnd(12)} ${step.step.padEnd(18)} ${
      (step.durationMs / 1000).toFixed(1).padStart(6)
    } s  ${step.detail}` +
    (step.error ? `  [${step.error.name}: ${step.error.message}]` : "") +
    step.notes.map((note) => `\n${" ".repeat(14)}note: ${note}`).join("")
  );
  const verdict = report.dryRun
    ? "dry run: nothing changed"
    : report.ok
    ? "completed"
    : `stopped at ${report.failedStep}`;
  return [...lines, `${verdict} (${(report.durationMs / 1000).toFixed(1)} s)`].join("\n");
}

/** The fence metric written from outside Lambda (EMF works only inside it). */
export function cloudWatchFence(
  cloudWatch: { putMetricData(input: Json): Promise<unknown> },
  targets: StackTargets,
): FenceMetric {
  return {
    emit: async (value) => {
      await cloudWatch.putMetricData({
        Namespace: targets.metricNamespace,
        MetricData: [{
          MetricName: METRICS.primaryFenced,
          Value: value,
          Unit: "Count",
          Dimensions: [{ Name: "Region", Value: targets.secondaryRegion }, {
            Name: "Role",
            Value: "secondary",
          }],
        }],
      });
    },
  };
}
