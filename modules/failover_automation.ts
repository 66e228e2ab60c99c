// Failover without a person, on data planes only, all in the standby region:
//   "primary unreachable" alarm (the standby checker's view of the primary, N failed minutes, missing
//   data breaching) --EventBridge--> orchestrator Lambda (Aurora failover, capacity, active region, fence,
//   notification, recovery metrics), guarded by a DynamoDB lock table.
// The same alarm and the "primary fenced" alarm feed Route 53 health checks on the primary record.
import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import type { RegionPair } from "./providers.ts";
import { logicalId, physicalName } from "./naming.ts";
import type { KmsOutputs } from "./kms.ts";
import type { AlertingOutputs } from "./alerting.ts";
import { createLambdaFunction, type HandlerCode, invokeOnEvent } from "./lambda_function.ts";
import type { AlarmCheck } from "./failover_dns.ts";
import { KMS_USE_ACTIONS } from "./policy.ts";
import { HANDLER_ENV, METRICS, parameterName } from "../handlers/lib/contract.ts";

export interface FailoverAutomationInputs {
  readonly regions: RegionPair;
  readonly code: HandlerCode;
  readonly keys: KmsOutputs;
  readonly alerting: AlertingOutputs;
  readonly parameterPrefix: string;
  readonly globalClusterIdentifier: string;
  readonly primaryClusterArn: string;
  readonly secondaryClusterArn: string;
  readonly secondaryClusterIdentifier: string;
  readonly secondaryAsgName: string;
  readonly secondaryAsgArn: string;
  /** Standby capacity after failover (the primary's desired capacity). */
  readonly failoverCapacity: number;
  /** Deep-health URL of the primary's load balancer (the orchestrator re-probes it before acting). */
  readonly primaryHealthUrl: string;
  readonly appHostname: string;
  readonly metricNamespace: string;
  readonly checkTimeoutMs: number;
  /** Consecutive failed minutes before the primary counts as unreachable. */
  readonly primaryUnreachableMinutes: number;
  readonly autoFailover: boolean;
  /** Bounds how long the orchestrator waits for Aurora. */
  readonly rtoTargetSeconds: number;
  readonly accountId: string;
  readonly environmentSuffix: string;
  readonly logRetentionDays: number;
}

export interface FailoverAutomationOutputs {
  /** Alarms Route 53 reads for the primary record (unhealthy while in ALARM). */
  readonly primaryAlarmChecks: readonly AlarmCheck[];
  readonly orchestratorFunctionName: string;
  /** The orchestrator's environment: the readiness evaluation runs its dry run with exactly this. */
  readonly orchestratorEnvironment: Readonly<Record<string, string>>;
  /** The EventBridge rule that starts the orchestrator. */
  readonly triggerRuleName: string;
  readonly lockTableName: string;
  /** The alarms whose state decides an unplanned failover (standby region). */
  readonly decisionAlarmNames: readonly string[];
  /** In ALARM while PrimaryFenced >= 1 (standby region). */
  readonly fenceAlarmName: string;
}

export function createFailoverAutomation(
  scope: Construct,
  inputs: FailoverAutomationInputs,
): FailoverAutomationOutputs {
  const standby = inputs.regions.secondary;
  const { provider, region, role } = standby;
  const suffix = inputs.environmentSuffix;
  const id = (key: string) => logicalId("failover", role, key);
  const topicArn = inputs.alerting.secondary.topicArn;
  const checkerDimensions = { Region: region, Role: role };

  const unreachableAlarmName = physicalName("alarm", "dr-primary-unreachable", suffix, region);
  const unreachable = new CloudwatchMetricAlarm(scope, id("primary_unreachable"), {
    provider,
    alarmName: unreachableAlarmName,
    alarmDescription:
      `The standby's checker has not seen the primary's deep health for ${inputs.primaryUnreachableMinutes} consecutive minutes: triggers failover`,
    namespace: inputs.metricNamespace,
    metricName: METRICS.peerAppHealthy,
    dimensions: checkerDimensions,
    statistic: "Minimum",
    period: 60,
    evaluationPeriods: inputs.primaryUnreachableMinutes,
    datapointsToAlarm: inputs.primaryUnreachableMinutes,
    comparisonOperator: "LessThanThreshold",
    threshold: 1,
    // A silent checker is no evidence of health.
    treatMissingData: "breaching",
    alarmActions: [topicArn],
    okActions: [topicArn],
  });
  const fencedAlarmName = physicalName("alarm", "dr-primary-fenced", suffix, region);
  const fenced = new CloudwatchMetricAlarm(scope, id("primary_fenced"), {
    provider,
    alarmName: fencedAlarmName,
    alarmDescription:
      "Writes are fenced away from the primary until a person fails back: keeps DNS on the standby",
    namespace: inputs.metricNamespace,
    metricName: METRICS.primaryFenced,
    dimensions: checkerDimensions,
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold: 1,
    // A missed minute keeps the fence as it was: opening it on a gap could swing DNS back to a demoted primary.
    treatMissingData: "ignore",
    alarmActions: [topicArn],
    okActions: [topicArn],
  });

  const lockTableName = physicalName("dynamodbTable", "dr-failover-lock", suffix, region);
  const lockTable = new DynamodbTable(scope, id("lock_table"), {
    provider,
    name: lockTableName,
    billingMode: "PAY_PER_REQUEST",
    hashKey: "id",
    attribute: [{ name: "id", type: "S" }],
    ttl: { attributeName: "expiration", enabled: true },
    serverSideEncryption: { enabled: true, kmsKeyArn: inputs.keys.secondary.keyArn },
    pointInTimeRecovery: { enabled: true },
  });

  const globalClusterArn =
    `arn:aws:rds::${inputs.accountId}:global-cluster:${inputs.globalClusterIdentifier}`;
  const parameterArn = (key: "activeRegion" | "writerEndpoint") =>
    `arn:aws:ssm:${region}:${inputs.accountId}:parameter${parameterName(inputs.parameterPrefix, key)}`;
  const activeRegionArn = parameterArn("activeRegion");
  const writerEndpointArn = parameterArn("writerEndpoint");
  const environment = {
    [HANDLER_ENV.parameterPrefix]: inputs.parameterPrefix,
    [HANDLER_ENV.regionRole]: role,
    [HANDLER_ENV.metricNamespace]: inputs.metricNamespace,
    [HANDLER_ENV.checkTimeoutMs]: String(inputs.checkTimeoutMs),
    [HANDLER_ENV.peerHealthUrl]: inputs.primaryHealthUrl,
    [HANDLER_ENV.appHostname]: inputs.appHostname,
    [HANDLER_ENV.globalClusterId]: inputs.globalClusterIdentifier,
    [HANDLER_ENV.secondaryClusterArn]: inputs.secondaryClusterArn,
    [HANDLER_ENV.secondaryClusterId]: inputs.secondaryClusterIdentifier,
    [HANDLER_ENV.secondaryAsgName]: inputs.secondaryAsgName,
    [HANDLER_ENV.failoverCapacity]: String(inputs.failoverCapacity),
    [HANDLER_ENV.topicArn]: topicArn,
    [HANDLER_ENV.idempotencyTable]: lockTableName,
    [HANDLER_ENV.autoFailover]: String(inputs.autoFailover),
    [HANDLER_ENV.rtoTargetSeconds]: String(inputs.rtoTargetSeconds),
  };
  const orchestrator = createLambdaFunction(scope, {
    region: standby,
    concern: "failover",
    name: "failover",
    code: inputs.code,
    environmentSuffix: suffix,
    accountId: inputs.accountId,
    keyArn: inputs.keys.secondary.keyArn,
    logRetentionDays: inputs.logRetentionDays,
    failureTopicArn: topicArn,
    // The orchestrator waits for Aurora up to the RTO target, and keeps 30 s to notify.
    timeoutSeconds: 900,
    reservedConcurrency: 1,
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 900,
    statements: [
      {
        Sid: "PromoteSecondaryCluster",
        Action: ["rds:FailoverGlobalCluster", "rds:RemoveFromGlobalCluster", "rds:DescribeGlobalClusters"],
        Resource: [globalClusterArn, inputs.primaryClusterArn, inputs.secondaryClusterArn],
      },
      {
        Sid: "ReadClusters",
        Action: ["rds:DescribeDBClusters"],
        Resource: [inputs.primaryClusterArn, inputs.secondaryClusterArn],
      },
      {
        Sid: "RaiseStandbyCapacity",
        Action: ["autoscaling:UpdateAutoScalingGroup"],
        Resource: inputs.secondaryAsgArn,
      },
      {
        Sid: "ReadStandbyCapacity",
        Action: ["autoscaling:DescribeAutoScalingGroups"],
        Resource: "*", // Describe actions of Auto Scaling support no resource-level permissions
      },
      {
        Sid: "FailoverParameters",
        Action: ["ssm:GetParameter", "ssm:PutParameter"],
        // active region, and the writer endpoint it repoints after a detach-and-promote fallback
        Resource: [activeRegionArn, writerEndpointArn],
      },
      {
        Sid: "Lock",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        Resource: lockTable.arn,
      },
      {
        Sid: "LockTableKey",
        Action: [...KMS_USE_ACTIONS],
        Resource: inputs.keys.secondary.keyArn,
        Condition: { StringEquals: { "kms:ViaService": `dynamodb.${region}.amazonaws.com` } },
      },
    ],
    environment: { ...environment, POWERTOOLS_SERVICE_NAME: "dr-failover" },
  });

  const triggerRuleName = physicalName("eventRule", "dr-failover-trigger", suffix, region);
  invokeOnEvent(scope, {
    region: standby,
    ruleId: id("trigger"),
    ruleName: triggerRuleName,
    description: `Starts the failover orchestrator when ${unreachableAlarmName} enters ALARM`,
    when: {
      eventPattern: JSON.stringify({
        source: ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        resources: [unreachable.arn],
        detail: { state: { value: ["ALARM"] } },
      }),
    },
    functionArn: orchestrator.functionArn,
  });

  return {
    primaryAlarmChecks: [
      { key: "primary_unreachable", alarmName: unreachable.alarmName, alarmRegion: region },
      { key: "primary_fenced", alarmName: fenced.alarmName, alarmRegion: region },
    ],
    orchestratorFunctionName: orchestrator.functionName,
    orchestratorEnvironment: environment,
    triggerRuleName,
    lockTableName,
    decisionAlarmNames: [unreachable.alarmName],
    fenceAlarmName: fenced.alarmName,
  };
}
