// Failover without a person, on data planes only, all in the standby region:
//   decision alarms on high-resolution 10 s periods — the primary down as seen by the standby's prober, as
//   seen by the witness's prober, and replication stalled as the standby's database checker sees it —
//   and ONE composite quorum alarm: witness AND (standby OR replication stalled). Only the quorum starts
//   the orchestrator (EventBridge); a child alarm alone notifies a person and changes nothing.
//   A silent witness never votes for failover; an alarm pages when it falls silent.
// The orchestrator (Aurora promotion, capacity, active region, fence, notification, measured phases) is
// guarded by a DynamoDB lock table. The fence alarms (PrimaryFenced) are what Route 53 reads.
import { Construct } from "constructs";
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { CloudwatchCompositeAlarm } from "@cdktf/provider-aws/lib/cloudwatch-composite-alarm/index.js";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import type { RegionContext, RegionPair } from "./providers.ts";
import { logicalId, physicalName } from "./naming.ts";
import type { KmsOutputs } from "./kms.ts";
import type { AlertingOutputs } from "./alerting.ts";
import { createLambdaFunction, type HandlerCode, invokeOnEvent } from "./lambda_function.ts";
import type { FenceAlarms } from "./failover_dns.ts";
import type { ProbesOutputs } from "./probes.ts";
import { KMS_USE_ACTIONS, type PolicyStatement } from "./policy.ts";
import { HANDLER_ENV, METRICS, parameterName, PROBE_INTERVAL_SECONDS } from "../handlers/lib/contract.ts";

export interface FailoverAutomationInputs {
  readonly regions: RegionPair;
  readonly code: HandlerCode;
  readonly keys: KmsOutputs;
  readonly alerting: AlertingOutputs;
  /** Where each prober of the primary runs (the Region dimension of its votes). */
  readonly probes: ProbesOutputs;
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
  readonly metricNamespace: string;
  readonly checkTimeoutMs: number;
  /** Consecutive failed 10 s periods before a vantage point votes "down". */
  readonly decisionPeriods: number;
  readonly autoFailover: boolean;
  /** Bounds how long the orchestrator waits for Aurora. */
  readonly rtoTargetSeconds: number;
  /** Assumed Aurora promotion time: the orchestrator's expectation and the budget's figure. */
  readonly auroraPromotionSeconds: number;
  readonly accountId: string;
  readonly environmentSuffix: string;
  readonly logRetentionDays: number;
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

/** Seconds between two reads of the global cluster while the orchestrator waits for Aurora. */
const POLL_INTERVAL_SECONDS = 10;

interface Decision {
  readonly children: readonly CloudwatchMetricAlarm[];
  readonly quorum: CloudwatchCompositeAlarm;
}

export function createFailoverAutomation(
  scope: Construct,
  inputs: FailoverAutomationInputs,
): FailoverAutomationOutputs {
  const standby = inputs.regions.secondary;
  const decision = createDecisionAlarms(scope, inputs);
  const fence = createFenceAlarms(scope, inputs);
  const lockTableName = physicalName(
    "dynamodbTable",
    "dr-failover-lock",
    inputs.environmentSuffix,
    standby.region,
  );
  const lockTable = new DynamodbTable(scope, logicalId("failover", standby.role, "lock_table"), {
    provider: standby.provider,
    name: lockTableName,
    billingMode: "PAY_PER_REQUEST",
    hashKey: "id",
    attribute: [{ name: "id", type: "S" }],
    ttl: { attributeName: "expiration", enabled: true },
    serverSideEncryption: { enabled: true, kmsKeyArn: inputs.keys.secondary.keyArn },
    pointInTimeRecovery: { enabled: true },
  });
  const environment = orchestratorEnvironment(inputs, lockTableName);
  const triggerRuleName = physicalName(
    "eventRule",
    "dr-failover-trigger",
    inputs.environmentSuffix,
    standby.region,
  );
  const orchestrator = createLambdaFunction(scope, {
    region: standby,
    concern: "failover",
    name: "failover",
    code: inputs.code,
    environmentSuffix: inputs.environmentSuffix,
    accountId: inputs.accountId,
    keyArn: inputs.keys.secondary.keyArn,
    logRetentionDays: inputs.logRetentionDays,
    failureTopicArn: inputs.alerting.secondary.topicArn,
    // The orchestrator waits for Aurora up to the RTO target, and keeps 30 s to notify.
    timeoutSeconds: 900,
    reservedConcurrency: 1,
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 900,
    statements: orchestratorStatements(inputs, decision, lockTable.arn),
    environment,
  });
  invokeOnEvent(scope, {
    region: standby,
    ruleId: logicalId("failover", standby.role, "trigger"),
    ruleName: triggerRuleName,
    description: `Starts the failover orchestrator when the quorum alarm ${
      quorumName(inputs, standby)
    } enters ALARM`,
    when: {
      // Composite alarms send the same "CloudWatch Alarm State Change" events as metric alarms.
      eventPattern: JSON.stringify({
        source: ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        resources: [decision.quorum.arn],
        detail: { state: { value: ["ALARM"] } },
      }),
    },
    functionArn: orchestrator.functionArn,
  });
  return {
    fence,
    orchestratorFunctionName: orchestrator.functionName,
    orchestratorEnvironment: environment,
    triggerRuleName,
    lockTableName,
    decisionAlarmNames: decisionNames(inputs, standby),
  };
}

const alarmName = (inputs: FailoverAutomationInputs, region: RegionContext, base: string) =>
  physicalName("alarm", `dr-${base}`, inputs.environmentSuffix, region.region);
const decisionNames = (inputs: FailoverAutomationInputs, region: RegionContext) =>
  ["primary-down-standby", "primary-down-witness", "replication-stalled"].map((base) =>
    alarmName(inputs, region, base)
  );
const quorumName = (inputs: FailoverAutomationInputs, region: RegionContext) =>
  alarmName(inputs, region, "failover-quorum");

/** A standby-region alarm on one of our metrics, notifying the standby topic on ALARM and on OK. */
function standbyAlarm(
  scope: Construct,
  inputs: FailoverAutomationInputs,
  key: string,
  config: Omit<CloudwatchMetricAlarmConfig, "provider" | "namespace" | "alarmActions" | "okActions">,
): CloudwatchMetricAlarm {
  const { provider, role } = inputs.regions.secondary;
  const topicArn = inputs.alerting.secondary.topicArn;
  return new CloudwatchMetricAlarm(scope, logicalId("failover", role, key), {
    provider,
    namespace: inputs.metricNamespace,
    alarmActions: [topicArn],
    okActions: [topicArn],
    ...config,
  });
}

function createDecisionAlarms(scope: Construct, inputs: FailoverAutomationInputs): Decision {
  const standby = inputs.regions.secondary;
  const periods = inputs.decisionPeriods;
  const [standbyName, witnessName, stalledName] = decisionNames(inputs, standby);
  const quorum = quorumName(inputs, standby);
  const sustained = `for ${periods} consecutive ${PROBE_INTERVAL_SECONDS} s periods`;
  const oneRegionOnly = `Seen from one region only: not failing over. Failover needs the quorum alarm ` +
    `${quorum} (witness AND (standby OR replication stalled)).`;
  // A silent prober is no evidence either way: missing data never votes.
  const vote = { period: PROBE_INTERVAL_SECONDS, evaluationPeriods: periods, datapointsToAlarm: periods };
  const primaryDown = (role: "secondary" | "witness", name: string, seenFrom: string) =>
    standbyAlarm(scope, inputs, role === "secondary" ? "primary_down_standby" : "primary_down_witness", {
      alarmName: name,
      alarmDescription: `The primary's deep health failed from ${seenFrom} (${
        inputs.probes[role].region
      }) ${sustained}. ${oneRegionOnly}`,
      metricName: METRICS.primaryProbeHealthy,
      dimensions: { Region: inputs.probes[role].region, Role: role },
      statistic: "Maximum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      treatMissingData: "notBreaching",
      ...vote,
    });
  const children = [
    primaryDown("secondary", standbyName, "the standby region"),
    primaryDown("witness", witnessName, "the witness region"),
    standbyAlarm(scope, inputs, "replication_stalled", {
      alarmName: stalledName,
      alarmDescription:
        `Replication from the primary has stalled as the standby's database checker sees it ` +
        `(${standby.region}) ${sustained}. ${oneRegionOnly}`,
      metricName: METRICS.replicationStalled,
      dimensions: { Region: standby.region, Role: standby.role },
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      treatMissingData: "notBreaching",
      ...vote,
    }),
  ];
  standbyAlarm(scope, inputs, "witness_silent", {
    alarmName: alarmName(inputs, standby, "witness-silent"),
    alarmDescription:
      `The witness prober (${inputs.probes.witness.region}) has published nothing for 2 minutes: ` +
      "automatic failover cannot happen without its vote. Check the witness region's prober.",
    metricName: METRICS.primaryProbeHealthy,
    dimensions: { Region: inputs.probes.witness.region, Role: "witness" },
    statistic: "SampleCount",
    period: 60,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    comparisonOperator: "LessThanThreshold",
    threshold: 1,
    treatMissingData: "breaching",
  });
  const [standbyDown, witnessDown, stalled] = children;
  const topicArn = inputs.alerting.secondary.topicArn;
  const quorumAlarm = new CloudwatchCompositeAlarm(scope, logicalId("failover", standby.role, "quorum"), {
    provider: standby.provider,
    alarmName: quorum,
    alarmDescription:
      "Unplanned failover decision: the primary is down as seen from the witness region AND " +
      `(from the standby region OR replication stalled), each ${sustained}. Starts the failover orchestrator.`,
    // References: the composite is created after the alarms it names.
    alarmRule: `ALARM("${witnessDown.alarmName}") AND ` +
      `(ALARM("${standbyDown.alarmName}") OR ALARM("${stalled.alarmName}"))`,
    alarmActions: [topicArn],
    okActions: [topicArn],
  });
  return { children, quorum: quorumAlarm };
}

function createFenceAlarms(scope: Construct, inputs: FailoverAutomationInputs): FenceAlarms {
  const standby = inputs.regions.secondary;
  const fence = (key: string, base: string, description: string, fenced: boolean) =>
    standbyAlarm(scope, inputs, key, {
      alarmName: alarmName(inputs, standby, base),
      alarmDescription: description,
      metricName: METRICS.primaryFenced,
      dimensions: { Region: standby.region, Role: standby.role },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 1,
      comparisonOperator: fenced ? "GreaterThanOrEqualToThreshold" : "LessThanThreshold",
      threshold: 1,
      // A missed minute keeps the fence as it was: a gap must neither open nor close it.
      treatMissingData: "ignore",
    });
  const fenced = fence(
    "primary_fenced",
    "primary-fenced",
    "Writes are fenced away from the primary until a person fails back: keeps DNS on the standby",
    true,
  );
  const unfenced = fence(
    "primary_unfenced",
    "primary-unfenced",
    "Writes are not fenced (normal operation): the standby's DNS record follows its own endpoint check",
    false,
  );
  return {
    fencedAlarmName: fenced.alarmName,
    unfencedAlarmName: unfenced.alarmName,
    alarmRegion: standby.region,
  };
}

function orchestratorStatements(
  inputs: FailoverAutomationInputs,
  decision: Decision,
  lockTableArn: string,
): PolicyStatement[] {
  const region = inputs.regions.secondary.region;
  const globalClusterArn =
    `arn:aws:rds::${inputs.accountId}:global-cluster:${inputs.globalClusterIdentifier}`;
  const clusters = [inputs.primaryClusterArn, inputs.secondaryClusterArn];
  const activeRegionArn = (parameterRegion: string) =>
    `arn:aws:ssm:${parameterRegion}:${inputs.accountId}:parameter${
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
    {
      Sid: "ReadStandbyCapacity",
      Action: ["autoscaling:DescribeAutoScalingGroups"],
      Resource: "*", // Describe actions of Auto Scaling support no resource-level permissions
    },
    {
      Sid: "FailoverParameters",
      Action: ["ssm:GetParameter", "ssm:PutParameter"],
      Resource: activeRegionArn(region),
    },
    {
      // The primary region's copy, written where reachable: its instances fence themselves on it.
      Sid: "FencePrimaryInstances",
      Action: ["ssm:PutParameter"],
      Resource: activeRegionArn(inputs.regions.primary.region),
    },
    {
      Sid: "ReadDecisionAlarms",
      Action: ["cloudwatch:DescribeAlarms"],
      Resource: decision.children.map((alarm) => alarm.arn),
    },
    {
      Sid: "Lock",
      Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      Resource: lockTableArn,
    },
    {
      Sid: "LockTableKey",
      Action: [...KMS_USE_ACTIONS],
      Resource: inputs.keys.secondary.keyArn,
      Condition: { StringEquals: { "kms:ViaService": `dynamodb.${region}.amazonaws.com` } },
    },
  ];
}

function orchestratorEnvironment(
  inputs: FailoverAutomationInputs,
  lockTableName: string,
): Record<string, string> {
  const standby = inputs.regions.secondary;
  return {
    [HANDLER_ENV.parameterPrefix]: inputs.parameterPrefix,
    [HANDLER_ENV.regionRole]: standby.role,
    [HANDLER_ENV.metricNamespace]: inputs.metricNamespace,
    [HANDLER_ENV.checkTimeoutMs]: String(inputs.checkTimeoutMs),
    [HANDLER_ENV.peerHealthUrl]: inputs.primaryHealthUrl,
    [HANDLER_ENV.appHostname]: inputs.appHostname,
    [HANDLER_ENV.globalClusterId]: inputs.globalClusterIdentifier,
    [HANDLER_ENV.primaryRegion]: inputs.regions.primary.region,
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
    [HANDLER_ENV.decisionAlarmNames]: decisionNames(inputs, standby).join(","),
    POWERTOOLS_SERVICE_NAME: "dr-failover",
  };
}
