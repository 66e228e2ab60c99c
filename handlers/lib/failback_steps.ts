// Failback: the planned return to the primary region, run by an operator tool (never automatically), in the
// only safe order: keep the unplanned-failover snapshot (the only copy of writes an ungraceful failover
// lost), switch the writer back with no data loss and wait for it, then move the active region and clear the
// fence (DNS follows), wait until traffic has left the standby, and only then shrink the standby.

import type {
  CopyDBClusterSnapshotCommandInput,
  DBClusterSnapshot,
  DescribeDBClusterSnapshotsCommandInput,
} from "@aws-sdk/client-rds";
import { askAurora, type Member, moveWriterTo, observeMember, type RdsApi } from "./aurora_global.ts";
import {
  type AutoScalingApi,
  type FenceMetric,
  fenceStep,
  putParameter,
  readParameter,
  type SsmApi,
  standbyGroup,
} from "./aws_ports.ts";
import type { AlarmsApi } from "./decision_evidence.ts";
import { errorMessage, errorName } from "./errors.ts";
import { pollUntil, type Step, type StepIo } from "./steps.ts";

export interface SnapshotApi {
  describeDBClusterSnapshots(
    input: DescribeDBClusterSnapshotsCommandInput,
  ): Promise<{ DBClusterSnapshots?: DBClusterSnapshot[] }>;
  copyDBClusterSnapshot(input: CopyDBClusterSnapshotCommandInput): Promise<unknown>;
}

export interface FailbackTargets {
  readonly globalClusterId: string;
  readonly primaryClusterArn: string;
  readonly primaryClusterId: string;
  readonly primaryRegion: string;
  readonly secondaryRegion: string;
  readonly secondaryAsgName: string;
  readonly standbyMinSize: number;
  readonly standbyDesiredCapacity: number;
  readonly activeRegionParameter: string;
  /** The standby-region alarm Route 53 reads for the fence (in ALARM while fenced). */
  readonly fenceAlarmName: string;
  /** After the fence alarm is OK: Route 53 evaluation plus resolver caches (TTL) before traffic has left. */
  readonly dnsSettleSeconds: number;
  readonly switchoverDeadlineAt: number;
  readonly pollIntervalMs: number;
}

export interface FailbackContext {
  readonly targets: FailbackTargets;
  readonly rds: RdsApi;
  /** Snapshots of the primary region (where the old primary cluster and its unplanned-failover snapshot live). */
  readonly snapshots: SnapshotApi;
  /** CloudWatch of the standby region (the fence alarm). */
  readonly alarms: AlarmsApi;
  /** The standby region's Auto Scaling. */
  readonly autoScaling: AutoScalingApi;
  /** Parameter Store per region: both copies of activeRegion go back to the primary. */
  readonly ssm: { readonly primary: SsmApi; readonly secondary: SsmApi };
  readonly fence: FenceMetric;
}

export class SwitchoverRefusedError extends Error {
  override readonly name = "SwitchoverRefusedError";
}

const UNPLANNED_SNAPSHOT = /^rds:(unplanned-global-failover-.+)$/;

/** Aurora's unplanned-failover snapshots of the primary cluster, each with the name of its kept copy. */
async function unplannedSnapshots(ctx: FailbackContext, io: StepIo) {
  const { DBClusterSnapshots = [] } = await io.call(
    "rds:DescribeDBClusterSnapshots",
    () => ctx.snapshots.describeDBClusterSnapshots({ DBClusterIdentifier: ctx.targets.primaryClusterId }),
  );
  const ids = DBClusterSnapshots.map((snapshot) => snapshot.DBClusterSnapshotIdentifier ?? "");
  return ids.flatMap((id) => {
    const match = UNPLANNED_SNAPSHOT.exec(id);
    if (!match) return [];
    const keptId = `kept-${match[1]}`.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 255);
    return [{ id, keptId, kept: ids.includes(keptId) }];
  });
}

const keepUnplannedSnapshot: Step<FailbackContext> = {
  name: "keep-unplanned-snapshot",
  action: "copy Aurora's unplanned-global-failover snapshot (writes lost by the failover) to a kept snapshot",
  async isDone(ctx, io) {
    const snapshots = await unplannedSnapshots(ctx, io);
    if (snapshots.length === 0) {
      return {
        done: true,
        detail: "no unplanned-global-failover snapshot (the failover lost no writes, or was planned)",
      };
    }
    const missing = snapshots.filter((s) => !s.kept);
    return {
      done: missing.length === 0,
      detail: missing.length === 0
        ? `kept: ${snapshots.map((s) => s.keptId).join(", ")}`
        : `would copy ${missing.map((s) => `${s.id} -> ${s.keptId}`).join(", ")}`,
    };
  },
  async run(ctx, io) {
    const copied = [];
    for (const snapshot of await unplannedSnapshots(ctx, io)) {
      if (snapshot.kept) continue;
      await io.call("rds:CopyDBClusterSnapshot", () =>
        ctx.snapshots.copyDBClusterSnapshot({
          SourceDBClusterSnapshotIdentifier: snapshot.id,
          TargetDBClusterSnapshotIdentifier: snapshot.keptId,
          CopyTags: true,
        }));
      copied.push(`${snapshot.id} -> ${snapshot.keptId}`);
    }
    return `kept ${copied.join(", ")}: compare it with the writer to recover lost writes`;
  },
};

/** The member the failback makes the writer again. */
function primary(ctx: FailbackContext): Member {
  const { globalClusterId, primaryClusterArn } = ctx.targets;
  return { rds: ctx.rds, globalClusterId, targetArn: primaryClusterArn, who: "primary cluster" };
}

const auroraSwitchover: Step<FailbackContext> = {
  name: "aurora-switchover",
  action:
    "Aurora SwitchoverGlobalCluster back to the primary cluster (no data loss), wait until it is the writer",
  async isDone(ctx, io) {
    const { globalClusterId, primaryClusterArn } = ctx.targets;
    const state = await observeMember(io, primary(ctx));
    if (state.kind === "writer") return { done: true, detail: `primary is ${state.detail}` };
    return {
      done: false,
      detail: state.kind === "replica"
        ? `would call SwitchoverGlobalCluster(${globalClusterId} -> ${primaryClusterArn}): primary is ${state.detail}`
        : state.kind === "promoting"
        ? `would wait: primary: ${state.detail}`
        : `blocked: primary: ${state.detail}`,
    };
  },
  async run(ctx, io) {
    const from = await moveWriterTo(io, primary(ctx), {
      deadlineAt: ctx.targets.switchoverDeadlineAt,
      pollIntervalMs: ctx.targets.pollIntervalMs,
      ask: () => requestSwitchover(ctx, io),
      blocked: (detail) => new SwitchoverRefusedError(`cannot switch over: primary: ${detail}`),
    });
    return from.kind === "writer"
      ? `primary is ${from.detail}`
      : "switchover completed: the primary is the global writer";
  },
};

/** Asks Aurora to switch the writer back; a refusal stops the failback (never a data-loss fallback). */
async function requestSwitchover(ctx: FailbackContext, io: StepIo): Promise<void> {
  const { globalClusterId, primaryClusterArn } = ctx.targets;
  const refusal = await askAurora(
    io,
    primary(ctx),
    () =>
      io.call("rds:SwitchoverGlobalCluster", () =>
        ctx.rds.switchoverGlobalCluster({
          GlobalClusterIdentifier: globalClusterId,
          TargetDbClusterIdentifier: primaryClusterArn,
        })),
  );
  if (refusal) {
    // The operator fixes the cause and re-runs: failback must never lose data.
    throw new SwitchoverRefusedError(
      `switchover refused (${errorName(refusal.error)}: ${errorMessage(refusal.error)}); nothing was ` +
        "changed after it. Check that the primary is a connected secondary (replication caught up), " +
        "then re-run failback.",
      { cause: refusal.error },
    );
  }
}

const activeRegion: Step<FailbackContext> = {
  name: "active-region",
  action: "set the activeRegion parameter to the primary region in both regions",
  async isDone(ctx, io) {
    const { activeRegionParameter: name, primaryRegion, secondaryRegion } = ctx.targets;
    const primary = await readParameter(ctx.ssm.primary, io, name);
    const secondary = await readParameter(ctx.ssm.secondary, io, name);
    const done = primary === primaryRegion && secondary === primaryRegion;
    return {
      done,
      detail: `${name}: ${primaryRegion} copy = ${primary ?? "(unset)"}, ` +
        `${secondaryRegion} copy = ${secondary ?? "(unset)"}` + (done ? "" : `; would set ${primaryRegion}`),
    };
  },
  async run(ctx, io) {
    const { activeRegionParameter: name, primaryRegion } = ctx.targets;
    // The standby's copy is what its checker turns into PrimaryFenced: change it last.
    for (const ssm of [ctx.ssm.primary, ctx.ssm.secondary]) {
      if (await readParameter(ssm, io, name) !== primaryRegion) {
        await putParameter(ssm, io, name, primaryRegion);
      }
    }
    return `${name} = ${primaryRegion} in both regions`;
  },
};

const primaryUnfenced = fenceStep<FailbackContext>(
  "primary-unfenced",
  0,
  "emit PrimaryFenced = 0 now (the standby's checker keeps it at 0 from activeRegion)",
);

async function fenceAlarmState(ctx: FailbackContext, io: StepIo): Promise<string> {
  const { MetricAlarms = [] } = await io.call(
    "cloudwatch:DescribeAlarms",
    () => ctx.alarms.describeAlarms({ AlarmNames: [ctx.targets.fenceAlarmName] }),
  );
  return MetricAlarms[0]?.StateValue ?? "missing";
}

const trafficDrained: Step<FailbackContext> = {
  name: "traffic-drained",
  action:
    "wait until the fence alarm is OK, then for Route 53 and resolver caches, before shrinking the standby",
  async run(ctx, io) {
    const t = ctx.targets;
    const poll = { intervalMs: t.pollIntervalMs, deadlineAt: t.switchoverDeadlineAt };
    const last = await pollUntil(io, poll, () => fenceAlarmState(ctx, io), (state) => state === "OK");
    if (!last.done) {
      throw new Error(
        `${t.fenceAlarmName} is still ${last.value}: DNS has not left the standby; re-run failback`,
      );
    }
    await io.sleep(t.dnsSettleSeconds * 1000);
    return `${t.fenceAlarmName} is OK; waited ${t.dnsSettleSeconds} s for Route 53 and resolver caches`;
  },
};

const standbyCapacity: Step<FailbackContext> = {
  name: "standby-capacity",
  action: "return the standby Auto Scaling group to standby capacity",
  async isDone(ctx, io) {
    const group = await standbyGroup(ctx, io);
    const t = ctx.targets;
    const done = group.MinSize === t.standbyMinSize && group.DesiredCapacity === t.standbyDesiredCapacity;
    return {
      done,
      detail: `${t.secondaryAsgName}: min ${group.MinSize}, desired ${group.DesiredCapacity}` +
        (done ? "" : `; would set min ${t.standbyMinSize}, desired ${t.standbyDesiredCapacity}`),
    };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    await io.call("autoscaling:UpdateAutoScalingGroup", () =>
      ctx.autoScaling.updateAutoScalingGroup({
        AutoScalingGroupName: t.secondaryAsgName,
        MinSize: t.standbyMinSize,
        DesiredCapacity: t.standbyDesiredCapacity,
      }));
    return `${t.secondaryAsgName}: min ${t.standbyMinSize}, desired ${t.standbyDesiredCapacity}`;
  },
};

/** The failback sequence, in order. */
export function failbackSteps(): readonly Step<FailbackContext>[] {
  return [
    keepUnplannedSnapshot,
    auroraSwitchover,
    activeRegion,
    primaryUnfenced,
    trafficDrained,
    standbyCapacity,
  ];
}
