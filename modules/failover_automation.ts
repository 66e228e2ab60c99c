// Failover without a person, on data planes only, all in the standby region: the decision and fence alarms
// (failover_alarms.ts); the EventBridge rule that starts the orchestrator when the quorum alarm fires; the
// orchestrator itself (Aurora promotion, capacity, active region, fence, notification, measured phases),
// guarded by a DynamoDB lock table.
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { logicalId } from "./naming.ts";
import type { KeyedStackContext, StackContext } from "./stack_context.ts";
import { createLambdaFunction, type HandlerCode, invokeOnEvent } from "./lambda_function.ts";
import type { FenceAlarms } from "./failover_dns.ts";
import { KMS_USE_ACTIONS, type PolicyStatement } from "./policy.ts";
import {
  createDecisionAlarms,
  createFenceAlarms,
  type Decision,
  type FailoverAlarmsInputs,
} from "./failover_alarms.ts";
import { HANDLER_ENV, parameterName } from "../handlers/lib/contract.ts";

/** The alarms' inputs (alerting, probes, decision periods) and these. */
export interface FailoverAutomationInputs extends FailoverAlarmsInputs {
  readonly code: HandlerCode;
  readonly parameterPrefix: string;
  readonly globalClusterIdentifier: string;
  readonly primaryClusterArn: string;
  readonly primaryClusterIdentifier: string;
  readonly secondaryClusterArn: string;
  readonly secondaryClusterIdentifier: string;
  readonly secondaryAsgName: string;
  readonly secondaryAsgArn: string;
  /** Standby capacity after failover (the primary's desired capacity). */
  readonly failoverCapacity: number;
  /** Deep-health URL of the primary's load balancer (the orchestrator re-probes it before acting). */
  readonly primaryHealthUrl: string;
  readonly appHostname: string;
  readonly checkTimeoutMs: number;
  readonly autoFailover: boolean;
  /** Bounds how long the orchestrator waits for Aurora. */
  readonly rtoTargetSeconds: number;
  /** Assumed Aurora promotion time: the orchestrator's expectation and the budget's figure. */
  readonly auroraPromotionSeconds: number;
}

export interface FailoverAutomationOutputs {
  /** The fence alarms Route 53 reads (the only alarms it may read). */
  readonly fence: FenceAlarms;
  readonly orchestratorFunctionName: string;
  /** The orchestrator's environment: the readiness evaluation runs its dry run with exactly this. */
  readonly orchestratorEnvironment: Readonly<Record<string, string>>;
  /** The EventBridge rule that starts the orchestrator. */
  readonly triggerRuleName: string;
  readonly lockTableName: string;
  /** The alarms that vote in the decision (standby region): DECISION_ALARM_NAMES of the orchestrator. */
  readonly decisionAlarmNames: readonly string[];
}

/** How the orchestrator reads the standby's capacity (the readiness evaluation's dry run reads it too). */
export const READ_STANDBY_CAPACITY: PolicyStatement = {
  Sid: "ReadStandbyCapacity",
  Action: ["autoscaling:DescribeAutoScalingGroups"],
  Resource: "*", // Describe actions of Auto Scaling support no resource-level permissions
};

/** Seconds between two reads of the global cluster while the orchestrator waits for Aurora. */
const POLL_INTERVAL_SECONDS = 10;

export function createFailoverAutomation(
  ctx: KeyedStackContext,
  inputs: FailoverAutomationInputs,
): FailoverAutomationOutputs {
  const decision = createDecisionAlarms(ctx, inputs);
  const fence = createFenceAlarms(ctx, inputs);
  const lockTable = createLockTable(ctx);
  const environment = orchestratorEnvironment(ctx, inputs, decision, lockTable.name);
  const orchestrator = createLambdaFunction(ctx, {
    region: ctx.regions.secondary,
    concern: "failover",
    name: "failover",
    code: inputs.code,
    keyArn: ctx.keys.secondary.keyArn,
    failureTopicArn: inputs.alerting.secondary.topicArn,
    // The orchestrator waits for Aurora up to the RTO target, and keeps 30 s to notify.
    timeoutSeconds: 900,
    reservedConcurrency: 1,
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 900,
    statements: orchestratorStatements(ctx, inputs, decision, lockTable.arn),
    environment,
  });
  return {
    fence,
    orchestratorFunctionName: orchestrator.functionName,
    orchestratorEnvironment: environment,
    triggerRuleName: createTrigger(ctx, decision, orchestrator.functionArn),
    lockTableName: lockTable.name,
    decisionAlarmNames: decision.voteNames,
  };
}

/** Lets one orchestrator run at a time (the idempotency records of the handler). */
function createLockTable(ctx: KeyedStackContext): { name: string; arn: string } {
  const standby = ctx.regions.secondary;
  const name = ctx.name("dynamodbTable", "dr-failover-lock", standby.region);
  const table = new DynamodbTable(ctx.scope, logicalId("failover", standby.role, "lock_table"), {
    provider: standby.provider,
    name,
    billingMode: "PAY_PER_REQUEST",
    hashKey: "id",
    attribute: [{ name: "id", type: "S" }],
    ttl: { attributeName: "expiration", enabled: true },
    serverSideEncryption: { enabled: true, kmsKeyArn: ctx.keys.secondary.keyArn },
    pointInTimeRecovery: { enabled: true },
  });
  return { name, arn: table.arn };
}

/** Starts the orchestrator when the quorum alarm enters ALARM; returns the rule's name. */
function createTrigger(ctx: StackContext, decision: Decision, functionArn: string): string {
  const standby = ctx.regions.secondary;
  const ruleName = ctx.name("eventRule", "dr-failover-trigger", standby.region);
  invokeOnEvent(ctx, {
    region: standby,
    ruleId: logicalId("failover", standby.role, "trigger"),
    ruleName,
    description: `Starts the failover orchestrator when the quorum alarm ${decision.quorumName} enters ALARM`,
    when: {
      // Composite alarms send the same "CloudWatch Alarm State Change" events as metric alarms.
      eventPattern: JSON.stringify({
        source: ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        resources: [decision.quorumArn],
        detail: { state: { value: ["ALARM"] } },
      }),
    },
    functionArn,
  });
  return ruleName;
}

function orchestratorStatements(
  ctx: KeyedStackContext,
  inputs: FailoverAutomationInputs,
  decision: Decision,
  lockTableArn: string,
): PolicyStatement[] {
  const region = ctx.regions.secondary.region;
  const globalClusterArn = `arn:aws:rds::${ctx.accountId}:global-cluster:${inputs.globalClusterIdentifier}`;
  const clusters = [inputs.primaryClusterArn, inputs.secondaryClusterArn];
  const activeRegionArn = (parameterRegion: string) =>
    `arn:aws:ssm:${parameterRegion}:${ctx.accountId}:parameter${
      parameterName(inputs.parameterPrefix, "activeRegion")
    }`;
  return [
    {
      Sid: "PromoteSecondaryCluster",
      // Never rds:RemoveFromGlobalCluster: detach-and-promote leaves two writers.
      Action: ["rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster", "rds:DescribeGlobalClusters"],
      Resource: [globalClusterArn, ...clusters],
    },
    { Sid: "ReadClusters", Action: ["rds:DescribeDBClusters"], Resource: clusters },
    {
      Sid: "RaiseStandbyCapacity",
      Action: ["autoscaling:UpdateAutoScalingGroup"],
      Resource: inputs.secondaryAsgArn,
    },
    READ_STANDBY_CAPACITY,
    {
      Sid: "FailoverParameters",
      Action: ["ssm:GetParameter", "ssm:PutParameter"],
      Resource: activeRegionArn(region),
    },
    {
      // The primary region's copy, written where reachable: its instances fence themselves on it.
      Sid: "FencePrimaryInstances",
      Action: ["ssm:PutParameter"],
      Resource: activeRegionArn(ctx.regions.primary.region),
    },
    {
      Sid: "ReadDecisionAlarms",
      Action: ["cloudwatch:DescribeAlarms"],
      Resource: [...decision.voteArns],
    },
    {
      Sid: "Lock",
      Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      Resource: lockTableArn,
    },
    {
      Sid: "LockTableKey",
      Action: [...KMS_USE_ACTIONS],
      Resource: ctx.keys.secondary.keyArn,
      Condition: { StringEquals: { "kms:ViaService": `dynamodb.${region}.amazonaws.com` } },
    },
  ];
}

function orchestratorEnvironment(
  ctx: StackContext,
  inputs: FailoverAutomationInputs,
  decision: Decision,
  lockTableName: string,
): Record<string, string> {
  const standby = ctx.regions.secondary;
  return {
    [HANDLER_ENV.parameterPrefix]: inputs.parameterPrefix,
    [HANDLER_ENV.regionRole]: standby.role,
    [HANDLER_ENV.metricNamespace]: ctx.metricNamespace,
    [HANDLER_ENV.checkTimeoutMs]: String(inputs.checkTimeoutMs),
    [HANDLER_ENV.peerHealthUrl]: inputs.primaryHealthUrl,
    [HANDLER_ENV.appHostname]: inputs.appHostname,
    [HANDLER_ENV.globalClusterId]: inputs.globalClusterIdentifier,
    [HANDLER_ENV.primaryRegion]: ctx.regions.primary.region,
    [HANDLER_ENV.primaryClusterArn]: inputs.primaryClusterArn,
    [HANDLER_ENV.primaryClusterId]: inputs.primaryClusterIdentifier,
    [HANDLER_ENV.secondaryClusterArn]: inputs.secondaryClusterArn,
    [HANDLER_ENV.secondaryClusterId]: inputs.secondaryClusterIdentifier,
    [HANDLER_ENV.secondaryAsgName]: inputs.secondaryAsgName,
    [HANDLER_ENV.failoverCapacity]: String(inputs.failoverCapacity),
    [HANDLER_ENV.topicArn]: inputs.alerting.secondary.topicArn,
    [HANDLER_ENV.idempotencyTable]: lockTableName,
    [HANDLER_ENV.autoFailover]: String(inputs.autoFailover),
    [HANDLER_ENV.rtoTargetSeconds]: String(inputs.rtoTargetSeconds),
    [HANDLER_ENV.auroraPromotionSeconds]: String(inputs.auroraPromotionSeconds),
    [HANDLER_ENV.pollIntervalSeconds]: String(POLL_INTERVAL_SECONDS),
    [HANDLER_ENV.decisionAlarmNames]: decision.voteNames.join(","),
    POWERTOOLS_SERVICE_NAME: "dr-failover",
  };
}
