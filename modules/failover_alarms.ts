// The failover decision and the fence as alarms in the standby region (logical ids `failover_secondary_*`):
//   votes on high-resolution 10 s periods — the primary down as seen by the standby's prober, as seen by the
//   witness's prober, and replication stalled as the standby's database checker sees it — and ONE composite
//   quorum alarm: witness AND (standby OR replication stalled). Only the quorum starts the orchestrator; a
//   vote alone notifies a person and changes nothing. A silent witness never votes for failover; an alarm
//   pages when it falls silent. The fence alarms (PrimaryFenced) are what Route 53 reads.
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { CloudwatchCompositeAlarm } from "@cdktf/provider-aws/lib/cloudwatch-composite-alarm/index.js";
import { logicalId } from "./naming.ts";
import type { StackContext } from "./stack_context.ts";
import type { AlertingOutputs } from "./alerting.ts";
import type { FenceAlarms } from "./failover_dns.ts";
import type { ProbesOutputs } from "./probes.ts";
import { METRICS, PROBE_INTERVAL_SECONDS } from "../handlers/lib/contract.ts";

export interface FailoverAlarmsInputs {
  readonly alerting: AlertingOutputs;
  /** Where each prober of the primary runs (the Region dimension of its votes). */
  readonly probes: ProbesOutputs;
  /** Consecutive failed 10 s periods before a vantage point votes "down". */
  readonly decisionPeriods: number;
}

export interface Decision {
  /** The alarms that vote, in VOTES order: DECISION_ALARM_NAMES of the orchestrator. */
  readonly voteNames: readonly string[];
  readonly voteArns: readonly string[];
  readonly quorumName: string;
  readonly quorumArn: string;
}

/** The votes, by logical key; each alarm is named `dr-<key in kebab case>-<region>-<suffix>`. */
export const VOTES = ["primary_down_standby", "primary_down_witness", "replication_stalled"] as const;
type Vote = typeof VOTES[number];

type StandbyAlarmConfig = Omit<
  CloudwatchMetricAlarmConfig,
  "provider" | "namespace" | "alarmActions" | "okActions" | "alarmName"
>;

/** What a vote watches: the rest (statistic, threshold 1, periods, missing data) is the same for every vote. */
type VoteSignal = Required<Pick<StandbyAlarmConfig, "metricName" | "dimensions" | "comparisonOperator">>;

const kebab = (key: string) => key.replaceAll("_", "-");
const alarmName = (ctx: StackContext, base: string) =>
  ctx.name("alarm", `dr-${base}`, ctx.regions.secondary.region);

/** The votes, the "witness silent" page and the quorum over the votes. */
export function createDecisionAlarms(ctx: StackContext, inputs: FailoverAlarmsInputs): Decision {
  const quorumName = alarmName(ctx, "failover-quorum");
  const votes = createVotes(ctx, inputs, quorumName);
  createWitnessSilentAlarm(ctx, inputs);
  const standby = ctx.regions.secondary;
  const topicArn = inputs.alerting.secondary.topicArn;
  const quorum = new CloudwatchCompositeAlarm(ctx.scope, logicalId("failover", standby.role, "quorum"), {
    provider: standby.provider,
    alarmName: quorumName,
    alarmDescription:
      "Unplanned failover decision: the primary is down as seen from the witness region AND " +
      `(from the standby region OR replication stalled), each ${sustained(inputs)}. ` +
      "Starts the failover orchestrator.",
    // References: the composite is created after the alarms it names.
    alarmRule: `ALARM("${votes.primary_down_witness.alarmName}") AND ` +
      `(ALARM("${votes.primary_down_standby.alarmName}") OR ALARM("${votes.replication_stalled.alarmName}"))`,
    alarmActions: [topicArn],
    okActions: [topicArn],
  });
  return {
    voteNames: VOTES.map((key) => alarmName(ctx, kebab(key))),
    voteArns: VOTES.map((key) => votes[key].arn),
    quorumName,
    quorumArn: quorum.arn,
  };
}

/** A standby-region alarm on one of our metrics, notifying the standby topic on ALARM and on OK. */
function standbyAlarm(
  ctx: StackContext,
  inputs: FailoverAlarmsInputs,
  key: string,
  config: StandbyAlarmConfig,
): CloudwatchMetricAlarm {
  const { provider, role } = ctx.regions.secondary;
  const topicArn = inputs.alerting.secondary.topicArn;
  return new CloudwatchMetricAlarm(ctx.scope, logicalId("failover", role, key), {
    provider,
    alarmName: alarmName(ctx, kebab(key)),
    namespace: ctx.metricNamespace,
    alarmActions: [topicArn],
    okActions: [topicArn],
    ...config,
  });
}

const sustained = (inputs: FailoverAlarmsInputs) =>
  `for ${inputs.decisionPeriods} consecutive ${PROBE_INTERVAL_SECONDS} s periods`;

function createVotes(
  ctx: StackContext,
  inputs: FailoverAlarmsInputs,
  quorumName: string,
): Record<Vote, CloudwatchMetricAlarm> {
  const standby = ctx.regions.secondary;
  const periods = inputs.decisionPeriods;
  const oneRegionOnly = `Seen from one region only: not failing over. Failover needs the quorum alarm ` +
    `${quorumName} (witness AND (standby OR replication stalled)).`;
  const vote = (key: Vote, description: string, signal: VoteSignal) =>
    standbyAlarm(ctx, inputs, key, {
      alarmDescription: `${description} ${sustained(inputs)}. ${oneRegionOnly}`,
      statistic: "Maximum",
      threshold: 1,
      // A silent prober is no evidence either way: missing data never votes.
      treatMissingData: "notBreaching",
      period: PROBE_INTERVAL_SECONDS,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      ...signal,
    });
  const primaryDown = (key: Vote, prober: "secondary" | "witness", seenFrom: string) =>
    vote(key, `The primary's deep health failed from ${seenFrom} (${inputs.probes[prober].region})`, {
      metricName: METRICS.primaryProbeHealthy,
      dimensions: { Region: inputs.probes[prober].region, Role: prober },
      comparisonOperator: "LessThanThreshold",
    });
  return {
    primary_down_standby: primaryDown("primary_down_standby", "secondary", "the standby region"),
    primary_down_witness: primaryDown("primary_down_witness", "witness", "the witness region"),
    replication_stalled: vote(
      "replication_stalled",
      `Replication from the primary has stalled as the standby's database checker sees it (${standby.region})`,
      {
        metricName: METRICS.replicationStalled,
        dimensions: { Region: standby.region, Role: standby.role },
        comparisonOperator: "GreaterThanOrEqualToThreshold",
      },
    ),
  };
}

function createWitnessSilentAlarm(ctx: StackContext, inputs: FailoverAlarmsInputs): void {
  const witnessRegion = inputs.probes.witness.region;
  standbyAlarm(ctx, inputs, "witness_silent", {
    alarmDescription: `The witness prober (${witnessRegion}) has published nothing for 2 minutes: ` +
      "automatic failover cannot happen without its vote. Check the witness region's prober.",
    metricName: METRICS.primaryProbeHealthy,
    dimensions: { Region: witnessRegion, Role: "witness" },
    statistic: "SampleCount",
    period: 60,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    comparisonOperator: "LessThanThreshold",
    threshold: 1,
    treatMissingData: "breaching",
  });
}

/** "Fenced" and "not fenced": Route 53's health checks read these, never the votes. */
export function createFenceAlarms(ctx: StackContext, inputs: FailoverAlarmsInputs): FenceAlarms {
  const standby = ctx.regions.secondary;
  const fence = (key: string, fenced: boolean, description: string) =>
    standbyAlarm(ctx, inputs, key, {
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
    true,
    "Writes are fenced away from the primary until a person fails back: keeps DNS on the standby",
  );
  const unfenced = fence(
    "primary_unfenced",
    false,
    "Writes are not fenced (normal operation): the standby's DNS record follows its own endpoint check",
  );
  return {
    fencedAlarmName: fenced.alarmName,
    unfencedAlarmName: unfenced.alarmName,
    alarmRegion: standby.region,
  };
}
