// Failback: the planned return to the primary region, run by an operator tool (never automatically), in the
// only safe order: keep the unplanned-failover snapshot (the only copy of writes an ungraceful failover
// lost), switch the writer back with no data loss and wait for it, then move the active region and clear the
// fence (DNS follows), wait until traffic has left the standby, and only then shrink the standby.

import type {
  CopyDBClusterSnapshotCommandInput,
  DBClusterSnapshot,
  DescribeDBClusterSnapshotsCommandInput,
} from "@aws-sdk/client-rds";
import { isRefusal, observeMember, type RdsApi, waitForWriter } from "./aurora_global.ts";
import {
  type AutoScalingApi,
  describeGroup,
  type FenceMetric,
  putParameter,
  readParameter,
  type SsmApi,
} from "./aws_ports.ts";
import type { AlarmsApi } from "./decision_evidence.ts";
import { errorMessage, errorName, type Step, type StepIo } from "./steps.ts";

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

export const FAILBACK_STEP_NAMES = [
  "keep-unplanned-snapshot",
  "aurora-switchover",
  "active-region",
  "primary-unfenced",
  "traffic-drained",
  "standby-capacity",
] as const;

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

const auroraSwitchover: Step<FailbackContext> = {
  name: "aurora-switchover",
  action:
    "Aurora SwitchoverGlobalCluster back to the primary cluster (no data loss), wait until it is the writer",
  async isDone(ctx, io) {
    const state = await observeMember(
      ctx.rds,
      io,
      ctx.targets.globalClusterId,
      ctx.targets.primaryClusterArn,
    );
    if (state.kind === "writer") return { done: true, detail: `primary is ${state.detail}` };
    return {
      done: false,
      detail: state.kind === "replica"
        ? `would call SwitchoverGlobalCluster(${ctx.targets.globalClusterId} -> ${ctx.targets.primaryClusterArn}): primary is ${state.detail}`
        : state.kind === "promoting"
        ? `would wait: primary: ${state.detail}`
        : `blocked: primary: ${state.detail}`,
    };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    const state = await observeMember(ctx.rds, io, t.globalClusterId, t.primaryClusterArn);
    if (state.kind === "writer") return `primary is ${state.detail}`;
    if (state.kind === "missing" || state.kind === "busy") {
      throw new SwitchoverRefusedError(`cannot switch over: primary: ${state.detail}`);
    }
    if (state.kind === "replica") {
      try {
        await io.call("rds:SwitchoverGlobalCluster", () =>
          ctx.rds.switchoverGlobalCluster({
            GlobalClusterIdentifier: t.globalClusterId,
            TargetDbClusterIdentifier: t.primaryClusterArn,
          }));
      } catch (error) {
        if (!isRefusal(error)) throw error;
        const now = await observeMember(ctx.rds, io, t.globalClusterId, t.primaryClusterArn);
        if (now.kind !== "promoting" && now.kind !== "writer") {
          // No fallback: failback must never lose data. The operator fixes the cause and re-runs.
          throw new SwitchoverRefusedError(
            `switchover refused (${errorName(error)}: ${
              errorMessage(error)
            }); nothing was changed after it. ` +
              "Check that the primary is a connected secondary (replication caught up), then re-run failback.",
            { cause: error },
          );
        }
      }
    }
    await waitForWriter(io, {
      rds: ctx.rds,
      globalClusterId: t.globalClusterId,
      targetArn: t.primaryClusterArn,
      deadlineAt: t.switchoverDeadlineAt,
      pollIntervalMs: t.pollIntervalMs,
      who: "primary cluster",
      idleReadsTolerated: state.kind === "replica" ? 3 : 0,
    });
    return "switchover completed: the primary is the global writer";
  },
};

const activeRegion: Step<FailbackContext> = {
  name: "active-region",
  action: "set the activeRegion parameter to the primary region in both regions",
  async isDone(ctx, io) {
    const t = ctx.targets;
    const primary = await readParameter(ctx.ssm.primary, io, t.activeRegionParameter);
    const secondary = await readParameter(ctx.ssm.secondary, io, t.activeRegionParameter);
    const done = primary === t.primaryRegion && secondary === t.primaryRegion;
    return {
      done,
      detail: `${t.activeRegionParameter}: ${t.primaryRegion} copy = ${primary ?? "(unset)"}, ` +
        `${t.secondaryRegion} copy = ${secondary ?? "(unset)"}` +
        (done ? "" : `; would set ${t.primaryRegion}`),
    };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    // The standby's copy is what its checker turns into PrimaryFenced: change it last.
    for (const ssm of [ctx.ssm.primary, ctx.ssm.secondary]) {
      if (await readParameter(ssm, io, t.activeRegionParameter) !== t.primaryRegion) {
        await putParameter(ssm, io, t.activeRegionParameter, t.primaryRegion);
      }
    }
    return `${t.activeRegionParameter} = ${t.primaryRegion} in both regions`;
  },
};

const primaryUnfenced: Step<FailbackContext> = {
  name: "primary-unfenced",
  action: "emit PrimaryFenced = 0 now (the standby's checker keeps it at 0 from activeRegion)",
  async run(ctx) {
    await ctx.fence.emit(0);
    return "PrimaryFenced = 0";
  },
};

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
    for (;;) {
      const state = await fenceAlarmState(ctx, io);
      if (state === "OK") break;
      if (io.now() + t.pollIntervalMs > t.switchoverDeadlineAt) {
        throw new Error(
          `${t.fenceAlarmName} is still ${state}: DNS has not left the standby; re-run failback`,
        );
      }
      await io.sleep(t.pollIntervalMs);
    }
    await io.sleep(t.dnsSettleSeconds * 1000);
    return `${t.fenceAlarmName} is OK; waited ${t.dnsSettleSeconds} s for Route 53 and resolver caches`;
  },
};

const standbyCapacity: Step<FailbackContext> = {
  name: "standby-capacity",
  action: "return the standby Auto Scaling group to standby capacity",
  async isDone(ctx, io) {
    const t = ctx.targets;
    const group = await describeGroup(ctx.autoScaling, io, t.secondaryAsgName);
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
