// Readiness checks over the standby region's CloudWatch: is replication within the RPO alarm, are both
// vantage points still probing the primary, can the decision alarms decide, and is the fence where the
// active region says it should be? Read-only (GetMetricData, DescribeAlarms, one parameter read).

import type { MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { readParameter } from "./aws_ports.ts";
import { METRICS, parameterName, PROBES_PER_INVOCATION, type VantageRole } from "./contract.ts";
import {
  type CheckOutcome,
  once,
  outcome,
  type ReadContext,
  type ReadinessCheck,
  type Series,
} from "./readiness_checks.ts";

/** Minutes of prober datapoints looked at (the latest minute is left out: it may still be arriving). */
export const PROBER_WINDOW_MINUTES = 5;
/** Below this share of the expected probes a vantage point counts as silent. */
const PROBER_MIN_SHARE = 0.5;
/** How far back the latest replication-lag and fence datapoints are looked for. */
export const LATEST_WINDOW_MINUTES = 10;

const MINUTE_MS = 60_000;

interface MetricRead {
  readonly id: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: "Maximum" | "SampleCount";
}

/** One GetMetricData call, 1-minute periods, newest first; `endAgoMinutes` leaves out still-arriving minutes. */
async function readMetrics(
  ctx: ReadContext,
  reads: readonly MetricRead[],
  windowMinutes: number,
  endAgoMinutes = 0,
): Promise<Map<string, Series>> {
  const end = Math.floor(ctx.now() / MINUTE_MS) * MINUTE_MS - endAgoMinutes * MINUTE_MS;
  const queries: MetricDataQuery[] = reads.map((read) => ({
    Id: read.id,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: read.namespace,
        MetricName: read.metric,
        Dimensions: Object.entries(read.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: 60,
      Stat: read.stat,
    },
  }));
  const out = await ctx.io.call("cloudwatch:GetMetricData", () =>
    ctx.ports.cloudWatch.getMetricData({
      MetricDataQueries: queries,
      StartTime: new Date(end - windowMinutes * MINUTE_MS),
      EndTime: new Date(end),
      ScanBy: "TimestampDescending",
    }));
  return new Map((out.MetricDataResults ?? []).map((result) => [
    result.Id ?? "",
    { timestamps: result.Timestamps ?? [], values: result.Values ?? [] },
  ]));
}

const at = (date: Date | undefined) => date ? date.toISOString().slice(11, 16) + "Z" : "?";

export const replicationLagCheck: ReadinessCheck = async (ctx) => {
  const cluster = ctx.config.failover.secondaryClusterId;
  const limitMs = ctx.config.rpoLagAlarmSeconds * 1000;
  const dimensions = { DBClusterIdentifier: cluster };
  const series = await readMetrics(ctx, [
    { id: "rpo", namespace: "AWS/RDS", metric: "AuroraGlobalDBRPOLag", dimensions, stat: "Maximum" },
    { id: "lag", namespace: "AWS/RDS", metric: "AuroraGlobalDBReplicationLag", dimensions, stat: "Maximum" },
  ], LATEST_WINDOW_MINUTES);
  // The RPO lag where Aurora publishes it, else the replication lag (both in ms, for the standby cluster).
  const candidates: Array<[string, Series | undefined]> = [
    ["RPO lag", series.get("rpo")],
    ["replication lag", series.get("lag")],
  ];
  const found = candidates.find(([, s]) => (s?.values.length ?? 0) > 0);
  if (!found) {
    return {
      ok: false,
      evidence: `no replication-lag datapoint for ${cluster} in the last ${LATEST_WINDOW_MINUTES} min`,
    };
  }
  const [label, latest] = found as [string, Series];
  const valueMs = latest.values[0];
  const observed = `${label} ${(valueMs / 1000).toFixed(1)} s at ${at(latest.timestamps[0])}`;
  return valueMs <= limitMs
    ? { ok: true, evidence: `${observed} (RPO alarm at ${ctx.config.rpoLagAlarmSeconds} s)` }
    : { ok: false, evidence: `${observed}: above the RPO alarm's ${ctx.config.rpoLagAlarmSeconds} s` };
};

/** Probe counts of both vantage points, read once for both prober checks. */
export function proberSamples(ctx: ReadContext): () => Promise<ReadonlyMap<string, Series>> {
  const { failover, witnessRegion } = ctx.config;
  const read = (role: VantageRole, region: string): MetricRead => ({
    id: role,
    namespace: failover.metricNamespace,
    metric: METRICS.primaryProbeHealthy,
    dimensions: { Region: region, Role: role },
    stat: "SampleCount",
  });
  return once(() =>
    readMetrics(
      ctx,
      [read("witness", witnessRegion), read("secondary", failover.region)],
      PROBER_WINDOW_MINUTES,
      1,
    )
  );
}

function proberCheck(role: VantageRole): ReadinessCheck {
  return async (ctx) => {
    const region = role === "witness" ? ctx.config.witnessRegion : ctx.config.failover.region;
    const samples = await ctx.shared.proberSamples();
    const probes = (samples.get(role)?.values ?? []).reduce((sum, count) => sum + count, 0);
    const expected = PROBER_WINDOW_MINUTES * PROBES_PER_INVOCATION;
    const seen =
      `${probes} probes of the primary from ${region} (${role}) in the last ${PROBER_WINDOW_MINUTES} ` +
      `min, expected ${expected}`;
    if (probes >= expected * PROBER_MIN_SHARE) return { ok: true, evidence: seen };
    return {
      ok: false,
      evidence: `${probes === 0 ? "silent" : "mostly silent"}: ${seen}; without this vote ` +
        (role === "witness"
          ? "no unplanned failover can be decided"
          : "only replication can confirm the witness"),
    };
  };
}

export const witnessProberCheck = proberCheck("witness");
export const standbyProberCheck = proberCheck("secondary");

export const decisionAlarmsCheck: ReadinessCheck = async (ctx) => {
  const names = ctx.config.failover.decisionAlarmNames;
  const out = await ctx.io.call("cloudwatch:DescribeAlarms", () =>
    ctx.ports.cloudWatch.describeAlarms({
      AlarmNames: [...names],
      AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
    }));
  const states = new Map(
    [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])].map((a) => [a.AlarmName, a.StateValue]),
  );
  const problems = names.flatMap((name) => {
    const state = states.get(name);
    if (state === undefined) return [`${name} not found`];
    return state === "INSUFFICIENT_DATA"
      ? [`${name} is INSUFFICIENT_DATA (its metric stopped arriving)`]
      : [];
  });
  return outcome(problems, names.map((name) => `${name} ${states.get(name)}`).join(", "));
};

export const fenceCheck: ReadinessCheck = async (ctx): Promise<CheckOutcome> => {
  const { failover, fenceAlarmName } = ctx.config;
  const [active, alarms, fenced] = await Promise.all([
    readParameter(ctx.ports.ssm, ctx.io, parameterName(failover.parameterPrefix, "activeRegion")),
    ctx.io.call(
      "cloudwatch:DescribeAlarms",
      () =>
        ctx.ports.cloudWatch.describeAlarms({ AlarmNames: [fenceAlarmName], AlarmTypes: ["MetricAlarm"] }),
    ),
    readMetrics(ctx, [{
      id: "fenced",
      namespace: failover.metricNamespace,
      metric: METRICS.primaryFenced,
      dimensions: { Region: failover.region, Role: "secondary" },
      stat: "Maximum",
    }], LATEST_WINDOW_MINUTES),
  ]);
  const alarmState = alarms.MetricAlarms?.find((a) => a.AlarmName === fenceAlarmName)?.StateValue;
  const latest = fenced.get("fenced")?.values[0];
  const seen =
    `active-region ${active ?? "(unset)"}, ${METRICS.primaryFenced} ${latest ?? "(no datapoint)"}, ` +
    `${fenceAlarmName} ${alarmState ?? "not found"}`;
  if (active === failover.region) {
    return { ok: false, evidence: `${seen}: the standby already serves; fail back before readiness applies` };
  }
  const problems: string[] = [];
  if (active !== failover.primaryRegion) problems.push(`active-region is not ${failover.primaryRegion}`);
  if (alarmState === undefined) problems.push(`fence alarm ${fenceAlarmName} not found`);
  if (alarmState === "ALARM" || (latest ?? 0) >= 1) {
    problems.push("the fence is up while the primary serves: DNS would keep every user on the standby");
  }
  return problems.length
    ? { ok: false, evidence: `${seen}: ${problems.join("; ")}` }
    : { ok: true, evidence: seen };
};
