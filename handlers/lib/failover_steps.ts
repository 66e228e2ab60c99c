// Failover (the standby region takes over) as a list of idempotent steps over observed state. Each step reads
// first and is skipped when its effect is there, so a retried invocation continues whatever an earlier one
// started: capacity first (never lowered), then the promotion (graceful switchover when the primary cluster
// is available and in sync, else an ungraceful failover with data loss allowed; never a detach), then the
// active region, the fence, and the wait for full capacity.

import { isRefusal, observeMember, type RdsApi, type ReplicaState, waitForWriter } from "./aurora_global.ts";
import {
  type AutoScalingApi,
  describeGroup,
  type FenceMetric,
  inServiceCount,
  putParameter,
  readParameter,
  type SsmApi,
} from "./aws_ports.ts";
import { errorMessage, errorName, type Step, type StepCheck, type StepIo } from "./steps.ts";

export interface FailoverTargets {
  readonly globalClusterId: string;
  readonly primaryClusterArn: string;
  readonly primaryClusterId: string;
  readonly secondaryClusterArn: string;
  readonly primaryRegion: string;
  /** The region the orchestrator runs in and fails over to. */
  readonly secondaryRegion: string;
  readonly secondaryAsgName: string;
  /** The standby group is raised to at least this (min and desired); never lowered. */
  readonly failoverCapacity: number;
  /** Full name of the `activeRegion` parameter (contract.ts parameterName). */
  readonly activeRegionParameter: string;
  /** Epoch ms: the bound for waiting on Aurora (the Lambda's remaining time less a margin). */
  readonly promotionDeadlineAt: number;
  /** Epoch ms: the bound for waiting on full capacity (never fails the run). */
  readonly capacityDeadlineAt: number;
  readonly pollIntervalMs: number;
}

/** When things happened in this invocation (epoch ms), for the measured phases. */
export interface FailoverMarks {
  writableAt?: number;
  fullCapacityAt?: number;
  mode?: PromotionMode;
}

export interface FailoverContext {
  readonly targets: FailoverTargets;
  /** RDS in the standby region (global-cluster reads and the promotion). */
  readonly rds: RdsApi;
  /** RDS in the primary region, consulted once, briefly: is the primary cluster available for a switchover? */
  readonly primaryRds?: Pick<RdsApi, "describeDBClusters">;
  readonly autoScaling: AutoScalingApi;
  /** Parameter Store of the standby region (always reachable from here). */
  readonly ssm: SsmApi;
  /** Parameter Store of the primary region, written where reachable (the primary's instances read it). */
  readonly primarySsm?: SsmApi;
  readonly fence: FenceMetric;
  /** The decision alarms say the standby saw replication stalled (undefined: not known). */
  readonly replicationStalled?: boolean;
  readonly marks: FailoverMarks;
}

export type PromotionMode =
  | { readonly kind: "switchover"; readonly reason: string }
  | { readonly kind: "failover"; readonly reason: string };

export const FAILOVER_STEP_NAMES = [
  "standby-capacity",
  "aurora-promote",
  "active-region",
  "primary-fenced",
  "full-capacity",
] as const;

const raiseCapacity: Step<FailoverContext> = {
  name: "standby-capacity",
  action:
    "raise the standby Auto Scaling group to at least FAILOVER_CAPACITY (min and desired; never lowered)",
  async isDone(ctx, io) {
    const t = ctx.targets;
    const group = await describeGroup(ctx.autoScaling, io, t.secondaryAsgName);
    const done = (group.MinSize ?? 0) >= t.failoverCapacity &&
      (group.DesiredCapacity ?? 0) >= t.failoverCapacity;
    return {
      done,
      detail:
        `${t.secondaryAsgName}: min ${group.MinSize}, desired ${group.DesiredCapacity}, max ${group.MaxSize}` +
        (done ? "" : `; would raise min and desired to at least ${t.failoverCapacity}`),
    };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    const group = await describeGroup(ctx.autoScaling, io, t.secondaryAsgName);
    const raised = {
      MinSize: Math.max(group.MinSize ?? 0, t.failoverCapacity),
      DesiredCapacity: Math.max(group.DesiredCapacity ?? 0, t.failoverCapacity),
      MaxSize: Math.max(group.MaxSize ?? 0, t.failoverCapacity),
    };
    await io.call(
      "autoscaling:UpdateAutoScalingGroup",
      () => ctx.autoScaling.updateAutoScalingGroup({ AutoScalingGroupName: t.secondaryAsgName, ...raised }),
    );
    return `${t.secondaryAsgName}: min ${raised.MinSize}, desired ${raised.DesiredCapacity}, max ${raised.MaxSize}`;
  },
};

/** Graceful (no data loss) only when the primary cluster answers as available and replication is healthy. */
export async function choosePromotion(ctx: FailoverContext, state: ReplicaState): Promise<PromotionMode> {
  const failover = (reason: string): PromotionMode => ({ kind: "failover", reason });
  if (!state.inSync) return failover(`the standby is ${state.detail}`);
  if (ctx.replicationStalled) return failover("the standby's database checker saw replication stalled");
  if (!ctx.primaryRds) return failover("the primary region's RDS API was not consulted");
  let status: string | undefined;
  try {
    const { DBClusters } = await ctx.primaryRds.describeDBClusters({
      DBClusterIdentifier: ctx.targets.primaryClusterId,
    });
    status = DBClusters?.[0]?.Status;
  } catch (error) {
    return failover(`the primary cluster did not answer (${errorName(error)}: ${errorMessage(error)})`);
  }
  return status === "available"
    ? { kind: "switchover", reason: "the primary cluster is available and replication is connected" }
    : failover(`the primary cluster is ${status ?? "unknown"}`);
}

function describeMode(mode: PromotionMode, t: FailoverTargets): string {
  return mode.kind === "switchover"
    ? `SwitchoverGlobalCluster(${t.globalClusterId} -> ${t.secondaryClusterArn}), no data loss: ${mode.reason}`
    : `FailoverGlobalCluster(${t.globalClusterId} -> ${t.secondaryClusterArn}, AllowDataLoss): ${mode.reason}`;
}

async function requestPromotion(ctx: FailoverContext, io: StepIo, mode: PromotionMode): Promise<void> {
  const t = ctx.targets;
  const target = {
    GlobalClusterIdentifier: t.globalClusterId,
    TargetDbClusterIdentifier: t.secondaryClusterArn,
  };
  if (mode.kind === "switchover") {
    await io.call("rds:SwitchoverGlobalCluster", () => ctx.rds.switchoverGlobalCluster(target));
  } else {
    await io.call(
      "rds:FailoverGlobalCluster",
      () => ctx.rds.failoverGlobalCluster({ ...target, AllowDataLoss: true }),
    );
  }
}

/** Asks Aurora once; a refusal is re-read (our own earlier request may be running) before anything else. */
async function promote(ctx: FailoverContext, io: StepIo, state: ReplicaState): Promise<PromotionMode> {
  const t = ctx.targets;
  let mode = await choosePromotion(ctx, state);
  for (let attempt = 0; attempt < 2; attempt++) {
    io.note(`${mode.kind}: ${describeMode(mode, t)}`);
    try {
      await requestPromotion(ctx, io, mode);
      return mode;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      const now = await observeMember(ctx.rds, io, t.globalClusterId, t.secondaryClusterArn);
      if (now.kind === "promoting" || now.kind === "writer") return mode;
      if (mode.kind === "failover") {
        throw new Error(
          `Aurora refused the failover (${errorName(error)}: ${errorMessage(error)}) while the standby is ` +
            `${now.detail}; nothing was detached. The invocation fails and its retry asks again.`,
        );
      }
      mode = {
        kind: "failover",
        reason: `the switchover was refused (${errorName(error)}: ${errorMessage(error)})`,
      };
    }
  }
  return mode;
}

const auroraPromote: Step<FailoverContext> = {
  name: "aurora-promote",
  action: "make the standby cluster the global writer (switchover if the primary is healthy, else failover)",
  async isDone(ctx, io): Promise<StepCheck> {
    const t = ctx.targets;
    const state = await observeMember(ctx.rds, io, t.globalClusterId, t.secondaryClusterArn);
    if (state.kind === "writer") return { done: true, detail: `standby is ${state.detail}` };
    if (state.kind !== "replica") return { done: false, detail: `would wait: standby: ${state.detail}` };
    return { done: false, detail: `would call ${describeMode(await choosePromotion(ctx, state), t)}` };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    const state = await observeMember(ctx.rds, io, t.globalClusterId, t.secondaryClusterArn);
    if (state.kind === "writer") return `standby is ${state.detail}`;
    if (state.kind === "missing" || state.kind === "busy") {
      throw new Error(`cannot promote the standby: ${state.detail}`);
    }
    let detail = `waited for the ${state.detail}`;
    if (state.kind === "replica") {
      ctx.marks.mode = await promote(ctx, io, state);
      detail = `${ctx.marks.mode.kind} completed: the standby is the global writer`;
    }
    await waitForWriter(io, {
      rds: ctx.rds,
      globalClusterId: t.globalClusterId,
      targetArn: t.secondaryClusterArn,
      deadlineAt: t.promotionDeadlineAt,
      pollIntervalMs: t.pollIntervalMs,
      who: "standby cluster",
      idleReadsTolerated: state.kind === "replica" ? 3 : 0,
    });
    ctx.marks.writableAt = io.now();
    return detail;
  },
};

const activeRegion: Step<FailoverContext> = {
  name: "active-region",
  action:
    "set the activeRegion parameter to the standby region (standby copy; the primary's where reachable)",
  async isDone(ctx, io) {
    const t = ctx.targets;
    const current = await readParameter(ctx.ssm, io, t.activeRegionParameter);
    return current === t.secondaryRegion
      ? { done: true, detail: `${t.activeRegionParameter} = ${current}` }
      : {
        done: false,
        detail: `${t.activeRegionParameter} = ${current ?? "(unset)"}; would set ${t.secondaryRegion}`,
      };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    await putParameter(ctx.ssm, io, t.activeRegionParameter, t.secondaryRegion);
    if (!ctx.primarySsm) {
      return `${t.activeRegionParameter} = ${t.secondaryRegion} (${t.secondaryRegion} copy)`;
    }
    try {
      await ctx.primarySsm.putParameter({
        Name: t.activeRegionParameter,
        Value: t.secondaryRegion,
        Type: "String",
        Overwrite: true,
      });
      return `${t.activeRegionParameter} = ${t.secondaryRegion} in both regions`;
    } catch (error) {
      io.note(
        `the ${t.primaryRegion} copy was not written (${errorName(error)}): its instances stay fenced by DNS`,
      );
      return `${t.activeRegionParameter} = ${t.secondaryRegion} (${t.secondaryRegion} copy)`;
    }
  },
};

const primaryFenced: Step<FailoverContext> = {
  name: "primary-fenced",
  action: "emit PrimaryFenced = 1: DNS keeps the standby until a person fails back",
  async run(ctx) {
    await ctx.fence.emit(1);
    return "PrimaryFenced = 1";
  },
};

const fullCapacity: Step<FailoverContext> = {
  name: "full-capacity",
  action: "wait (bounded) until FAILOVER_CAPACITY instances are in service in the standby group",
  async isDone(ctx, io) {
    const t = ctx.targets;
    const inService = inServiceCount(await describeGroup(ctx.autoScaling, io, t.secondaryAsgName));
    return {
      done: inService >= t.failoverCapacity,
      detail: `${inService} of ${t.failoverCapacity} instances in service`,
    };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    for (;;) {
      const inService = inServiceCount(await describeGroup(ctx.autoScaling, io, t.secondaryAsgName));
      if (inService >= t.failoverCapacity) {
        ctx.marks.fullCapacityAt = io.now();
        return `${inService} of ${t.failoverCapacity} instances in service`;
      }
      if (io.now() + t.pollIntervalMs > t.capacityDeadlineAt) {
        io.note(
          `full capacity not reached before the invocation's end: ${inService} of ${t.failoverCapacity}`,
        );
        return `${inService} of ${t.failoverCapacity} instances in service (the group keeps launching)`;
      }
      await io.sleep(t.pollIntervalMs);
    }
  },
  // Capacity keeps arriving after the invocation ends: waiting for it never fails the failover.
  verify: () => Promise.resolve({ done: true, detail: "" }),
};

/** The failover sequence, in order. */
export function failoverSteps(): readonly Step<FailoverContext>[] {
  return [raiseCapacity, auroraPromote, activeRegion, primaryFenced, fullCapacity];
}

/** Has a failover already started (the standby is the writer, or a promotion towards it is running)? */
export async function failoverStarted(ctx: FailoverContext, io: StepIo): Promise<boolean> {
  const t = ctx.targets;
  const state = await observeMember(ctx.rds, io, t.globalClusterId, t.secondaryClusterArn);
  return state.kind === "writer" || state.kind === "promoting";
}
