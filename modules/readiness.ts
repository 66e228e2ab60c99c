// Failover readiness in the standby region: a scheduled evaluation (handlers/readiness.ts: the orchestrator's
// dry run plus checks) that publishes FailoverReady per check and overall; an alarm per check (no actions) and
// one on the overall verdict, each "not ready for two evaluations in a row"; and a composite "failover not
// ready" alarm over them that notifies the standby topic (its notification names the triggering children,
// so the message names the failing checks). The function may only describe and read.
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { CloudwatchCompositeAlarm } from "@cdktf/provider-aws/lib/cloudwatch-composite-alarm/index.js";
import { logicalId } from "./naming.ts";
import type { KeyedStackContext, StackContext } from "./stack_context.ts";
import type { AlertingOutputs } from "./alerting.ts";
import { createLambdaFunction, type HandlerCode, invokeOnEvent } from "./lambda_function.ts";
import type { PolicyStatement } from "./policy.ts";
import { READ_STANDBY_CAPACITY } from "./failover_automation.ts";
import {
  HANDLER_ENV,
  METRICS,
  PARAMETER_KEYS,
  type ParameterKey,
  parameterName,
  READINESS_CHECK_DIMENSION,
  READINESS_CHECK_NAMES,
  READINESS_CHECKS,
  type ReadinessCheckName,
} from "../handlers/lib/contract.ts";

export interface ReadinessInputs {
  readonly code: HandlerCode;
  readonly alerting: AlertingOutputs;
  /** The failover orchestrator's environment, verbatim: its dry run is evaluated with this configuration. */
  readonly orchestratorEnvironment: Readonly<Record<string, string>>;
  readonly orchestratorFunctionName: string;
  /** The EventBridge rule that starts the orchestrator (must stay enabled). */
  readonly triggerRuleName: string;
  readonly lockTableName: string;
  /** Alarms that vote in the failover decision (standby region): none may be INSUFFICIENT_DATA. */
  readonly decisionAlarmNames: readonly string[];
  /** Standby-region alarm in ALARM while PrimaryFenced >= 1. */
  readonly fenceAlarmName: string;
  /** Region of the witness prober (outside the pair). */
  readonly witnessRegion: string;
  readonly parameterPrefix: string;
  readonly globalClusterIdentifier: string;
  readonly secondaryClusterIdentifier: string;
  /** Public SSM parameter of the AMI (EC2 resolves it for the launch-template check). */
  readonly amiParameter: string;
  /** The RPO alarm's threshold: lag above it fails the replication-lag check. */
  readonly rpoLagAlarmSeconds: number;
  /** Minutes between evaluations; also the period of the readiness alarms. Default 30 in config. */
  readonly scheduleMinutes: number;
}

export interface ReadinessOutputs {
  readonly functionName: string;
  /** The composite alarm that notifies the standby topic. */
  readonly notReadyAlarmArn: string;
  /** The FailoverReady alarm and the per-check alarms (children of the composite). */
  readonly readinessAlarmArns: readonly string[];
  /** The evaluation period (s): FailoverReady has one datapoint per period. */
  readonly periodSeconds: number;
}

/** A run's upper bound: the dry run's probe and the checks' reads, each bounded and retried. */
export const READINESS_TIMEOUT_SECONDS = 180;
/** "Not ready for two evaluations in a row." */
export const NOT_READY_EVALUATIONS = 2;

export function createReadiness(ctx: KeyedStackContext, inputs: ReadinessInputs): ReadinessOutputs {
  const periodSeconds = inputs.scheduleMinutes * 60;
  const fn = createEvaluation(ctx, inputs, periodSeconds);
  const alarms = readinessAlarms(ctx, periodSeconds);
  return {
    functionName: fn.functionName,
    notReadyAlarmArn: createNotReadyAlarm(ctx, inputs, alarms),
    readinessAlarmArns: alarms.map((alarm) => alarm.arn),
    periodSeconds,
  };
}

/** The readiness function, with the orchestrator's environment, and its schedule. */
function createEvaluation(ctx: KeyedStackContext, inputs: ReadinessInputs, periodSeconds: number) {
  const standby = ctx.regions.secondary;
  const fn = createLambdaFunction(ctx, {
    region: standby,
    concern: "readiness",
    name: "readiness",
    code: inputs.code,
    keyArn: ctx.keys.secondary.keyArn,
    failureTopicArn: inputs.alerting.secondary.topicArn,
    timeoutSeconds: READINESS_TIMEOUT_SECONDS,
    reservedConcurrency: 1,
    // The next scheduled run is the retry: a late duplicate would only publish a stale verdict.
    maximumRetryAttempts: 0,
    maximumEventAgeSeconds: Math.min(periodSeconds, 21_600),
    statements: readinessStatements(ctx, inputs, standby.region),
    environment: {
      ...inputs.orchestratorEnvironment,
      [HANDLER_ENV.witnessRegion]: inputs.witnessRegion,
      [HANDLER_ENV.orchestratorFunctionName]: inputs.orchestratorFunctionName,
      [HANDLER_ENV.failoverTriggerRule]: inputs.triggerRuleName,
      [HANDLER_ENV.fenceAlarmName]: inputs.fenceAlarmName,
      [HANDLER_ENV.rpoLagAlarmSeconds]: String(inputs.rpoLagAlarmSeconds),
      POWERTOOLS_SERVICE_NAME: "dr-readiness",
    },
  });
  invokeOnEvent(ctx, {
    region: standby,
    ruleId: logicalId("readiness", standby.role, "schedule"),
    ruleName: ctx.name("eventRule", "dr-readiness", standby.region),
    description: `Evaluates failover readiness every ${inputs.scheduleMinutes} minutes`,
    when: { scheduleExpression: `rate(${inputs.scheduleMinutes} minutes)` },
    functionArn: fn.functionArn,
  });
  return fn;
}

/** The one readiness alarm that notifies: any child in ALARM; returns its ARN. */
function createNotReadyAlarm(
  ctx: StackContext,
  inputs: ReadinessInputs,
  children: readonly CloudwatchMetricAlarm[],
): string {
  const { provider, region, role } = ctx.regions.secondary;
  const topicArn = inputs.alerting.secondary.topicArn;
  return new CloudwatchCompositeAlarm(ctx.scope, logicalId("readiness", role, "not_ready"), {
    provider,
    alarmName: ctx.name("alarm", "dr-failover-not-ready", region),
    alarmDescription:
      `Failover to ${region} is NOT READY (or readiness was not evaluated) for ${NOT_READY_EVALUATIONS} ` +
      "evaluations in a row. The triggering children name the failing checks (dr-readiness-<check>); " +
      "run `make readiness` for each check's evidence.",
    // Names by reference: Terraform creates the children first.
    alarmRule: children.map((alarm) => `ALARM("${alarm.alarmName}")`).join(" OR "),
    alarmActions: [topicArn],
    okActions: [topicArn],
  }).arn;
}

/** FailoverReady overall (a silent evaluation counts as not ready), then one alarm per check. */
function readinessAlarms(ctx: StackContext, periodSeconds: number): CloudwatchMetricAlarm[] {
  const { provider, region, role } = ctx.regions.secondary;
  const alarm = (key: string, name: string, description: string, check?: ReadinessCheckName) =>
    new CloudwatchMetricAlarm(ctx.scope, logicalId("readiness", role, key), {
      provider,
      alarmName: ctx.name("alarm", name, region),
      alarmDescription: description,
      namespace: ctx.metricNamespace,
      metricName: METRICS.failoverReady,
      dimensions: { Region: region, Role: role, ...(check ? { [READINESS_CHECK_DIMENSION]: check } : {}) },
      statistic: "Minimum",
      period: periodSeconds,
      evaluationPeriods: NOT_READY_EVALUATIONS,
      datapointsToAlarm: NOT_READY_EVALUATIONS,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      // Overall: no evaluation is no evidence of readiness. Per check: a skipped run changes nothing.
      treatMissingData: check ? "ignore" : "breaching",
    });
  return [
    alarm(
      "failover_ready",
      "dr-failover-ready",
      `FailoverReady was 0, or missing, for ${NOT_READY_EVALUATIONS} evaluations in a row`,
    ),
    ...READINESS_CHECK_NAMES.map((check) =>
      alarm(
        `check_${check.replaceAll("-", "_")}`,
        `dr-readiness-${check}`,
        `Readiness check ${check} failed ${NOT_READY_EVALUATIONS} evaluations in a row: ${
          READINESS_CHECKS[check]
        }`,
        check,
      )
    ),
  ];
}

/** Describe and read only, each action on the resources it reads; "*" only where AWS has no resource level. */
function readinessStatements(ctx: StackContext, inputs: ReadinessInputs, region: string): PolicyStatement[] {
  const account = ctx.accountId;
  const parameterArn = (name: string) => `arn:aws:ssm:${region}:${account}:parameter${name}`;
  const alarmArn = (name: string) => `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;
  // The master password is break-glass: nothing that runs routinely reads it, readiness included.
  const contractParameters = (Object.keys(PARAMETER_KEYS) as ParameterKey[])
    .filter((key) => key !== "masterPassword")
    .map((key) => parameterArn(parameterName(inputs.parameterPrefix, key)));
  return [
    {
      Sid: "ReadGlobalDatabase",
      Action: ["rds:DescribeGlobalClusters"],
      Resource: `arn:aws:rds::${account}:global-cluster:${inputs.globalClusterIdentifier}`,
    },
    {
      Sid: "ReadStandbyCluster",
      Action: ["rds:DescribeDBClusters"],
      Resource: `arn:aws:rds:${region}:${account}:cluster:${inputs.secondaryClusterIdentifier}`,
    },
    {
      Sid: "ReadStandbyInstances",
      Action: ["rds:DescribeDBInstances"],
      // Found by the db-cluster-id filter (an instance added by hand counts too): the region's instances.
      Resource: `arn:aws:rds:${region}:${account}:db:*`,
    },
    READ_STANDBY_CAPACITY,
    {
      Sid: "ReadLaunchTemplate",
      Action: ["ec2:DescribeLaunchTemplateVersions", "ec2:DescribeImages"],
      Resource: "*", // EC2 Describe actions support no resource-level permissions
    },
    {
      Sid: "ResolveAmiParameter",
      Action: ["ssm:GetParameters"],
      // EC2 resolves the launch template's `resolve:ssm:` image with the caller's permissions.
      Resource: `arn:aws:ssm:${region}::parameter${inputs.amiParameter}`,
    },
    { Sid: "ReadParameters", Action: ["ssm:GetParameters"], Resource: contractParameters },
    {
      Sid: "ReadActiveRegion",
      Action: ["ssm:GetParameter"],
      Resource: parameterArn(parameterName(inputs.parameterPrefix, "activeRegion")),
    },
    {
      Sid: "ReadAlarms",
      Action: ["cloudwatch:DescribeAlarms"],
      Resource: [...inputs.decisionAlarmNames, inputs.fenceAlarmName].map(alarmArn),
    },
    {
      Sid: "ReadMetrics",
      Action: ["cloudwatch:GetMetricData"],
      Resource: "*", // GetMetricData supports no resource-level permissions
    },
    {
      Sid: "ReadLockTable",
      Action: ["dynamodb:DescribeTable"],
      Resource: `arn:aws:dynamodb:${region}:${account}:table/${inputs.lockTableName}`,
    },
    {
      Sid: "ReadOrchestrator",
      Action: ["lambda:GetFunctionConfiguration", "lambda:GetFunctionConcurrency"],
      Resource: `arn:aws:lambda:${region}:${account}:function:${inputs.orchestratorFunctionName}`,
    },
    {
      Sid: "ReadTrigger",
      Action: ["events:DescribeRule"],
      Resource: `arn:aws:events:${region}:${account}:rule/${inputs.triggerRuleName}`,
    },
  ];
}
