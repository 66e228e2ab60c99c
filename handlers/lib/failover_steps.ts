// Failover (the standby region takes over) as a list of idempotent steps over observed state. Each step reads
// first and is skipped when its effect is there, so a retried invocation continues whatever an earlier one
// started: capacity first (never lowered), then the promotion (graceful switchover when the primary cluster
// is available and in sync, else an ungraceful failover with data loss allowed; never a detach), then the
// active region, the fence, and the wait for full capacity.

import type { AutoScalingGroup } from "@aws-sdk/client-auto-scaling";
import {
  askAurora,
  type Member,
  moveWriterTo,
  observeMember,
  type RdsApi,
  type ReplicaState,
} from "./aurora_global.ts";
import {
  type AutoScalingApi,
  type FenceMetric,
  fenceStep,
  inServiceCount,
  putParameter,
  readParameter,
  type SsmApi,
  standbyGroup,
} from "./aws_ports.ts";
import { errorMessage, errorName } from "./errors.ts";
import { pollUntil, type Step, type StepCheck, type StepIo } from "./steps.ts";

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

type GroupSizes = Pick<AutoScalingGroup, "MinSize" | "DesiredCapacity" | "MaxSize">;

function sizes(name: string, group: GroupSizes): string {
  return `${name}: min ${group.MinSize}, desired ${group.DesiredCapacity}, max ${group.MaxSize}`;
}

const raiseCapacity: Step<FailoverContext> = {
  name: "standby-capacity",
  action:
    "raise the standby Auto Scaling group to at least FAILOVER_CAPACITY (min and desired; never lowered)",
  async isDone(ctx, io) {
    const group = await standbyGroup(ctx, io);
    const wanted = ctx.targets.failoverCapacity;
    const done = (group.MinSize ?? 0) >= wanted && (group.DesiredCapacity ?? 0) >= wanted;
    const change = done ? "" : `; would raise min and desired to at least ${wanted}`;
    return { done, detail: sizes(ctx.targets.secondaryAsgName, group) + change };
  },
  async run(ctx, io) {
    const group = await standbyGroup(ctx, io);
    const wanted = ctx.targets.failoverCapacity;
    const raised = {
      MinSize: Math.max(group.MinSize ?? 0, wanted),
      DesiredCapacity: Math.max(group.DesiredCapacity ?? 0, wanted),
      MaxSize: Math.max(group.MaxSize ?? 0, wanted),
    };
    const name = ctx.targets.secondaryAsgName;
    await io.call(
      "autoscaling:UpdateAutoScalingGroup",
      () => ctx.autoScaling.updateAutoScalingGroup({ AutoScalingGroupName: name, ...raised }),
    );
    return sizes(name, raised);
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

/** The member the failover makes the writer. */
function standby(ctx: FailoverContext): Member {
  const { globalClusterId, secondaryClusterArn } = ctx.targets;
  return { rds: ctx.rds, globalClusterId, targetArn: secondaryClusterArn, who: "standby cluster" };
}

/** Asks Aurora once; a refused switchover falls back to a failover, a refused failover fails the step. */
async function promote(ctx: FailoverContext, io: StepIo, state: ReplicaState): Promise<PromotionMode> {
  let mode = await choosePromotion(ctx, state);
  for (let attempt = 0; attempt < 2; attempt++) {
    io.note(`${mode.kind}: ${describeMode(mode, ctx.targets)}`);
    const asked = mode;
    const refusal = await askAurora(io, standby(ctx), () => requestPromotion(ctx, io, asked));
    if (!refusal) return mode;
    const why = `${errorName(refusal.error)}: ${errorMessage(refusal.error)}`;
    if (mode.kind === "failover") {
      throw new Error(
        `Aurora refused the failover (${why}) while the standby is ${refusal.state.detail}; nothing was ` +
          "detached. The invocation fails and its retry asks again.",
      );
    }
    mode = { kind: "failover", reason: `the switchover was refused (${why})` };
  }
  return mode;
}

const auroraPromote: Step<FailoverContext> = {
  name: "aurora-promote",
  action: "make the standby cluster the global writer (switchover if the primary is healthy, else failover)",
  async isDone(ctx, io): Promise<StepCheck> {
    const state = await observeMember(io, standby(ctx));
    if (state.kind === "writer") return { done: true, detail: `standby is ${state.detail}` };
    if (state.kind !== "replica") return { done: false, detail: `would wait: standby: ${state.detail}` };
    const mode = await choosePromotion(ctx, state);
    return { done: false, detail: `would call ${describeMode(mode, ctx.targets)}` };
  },
  async run(ctx, io) {
    const from = await moveWriterTo(io, standby(ctx), {
      deadlineAt: ctx.targets.promotionDeadlineAt,
      pollIntervalMs: ctx.targets.pollIntervalMs,
      ask: async (state) => {
        ctx.marks.mode = await promote(ctx, io, state);
      },
      blocked: (detail) => new Error(`cannot promote the standby: ${detail}`),
    });
    if (from.kind === "writer") return `standby is ${from.detail}`;
    ctx.marks.writableAt = io.now();
    const mode = from.kind === "replica" ? ctx.marks.mode : undefined;
    return mode
      ? `${mode.kind} completed: the standby is the global writer`
      : `waited for the ${from.detail}`;
  },
};

const activeRegion: Step<FailoverContext> = {
  name: "active-region",
  action:
    "set the activeRegion parameter to the standby region (standby copy; the primary's where reachable)",
  async isDone(ctx, io) {
    const { activeRegionParameter: name, secondaryRegion: standby } = ctx.targets;
    const current = await readParameter(ctx.ssm, io, name);
    return current === standby
      ? { done: true, detail: `${name} = ${current}` }
      : { done: false, detail: `${name} = ${current ?? "(unset)"}; would set ${standby}` };
  },
  async run(ctx, io) {
    const { activeRegionParameter: name, secondaryRegion: standby, primaryRegion } = ctx.targets;
    await putParameter(ctx.ssm, io, name, standby);
    const standbyCopy = `${name} = ${standby} (${standby} copy)`;
    if (!ctx.primarySsm) return standbyCopy;
    try {
      // One attempt, outside io.call: the primary region may be gone, and its copy is only a courtesy.
      await ctx.primarySsm.putParameter({ Name: name, Value: standby, Type: "String", Overwrite: true });
      return `${name} = ${standby} in both regions`;
    } catch (error) {
      io.note(
        `the ${primaryRegion} copy was not written (${errorName(error)}): its instances stay fenced by DNS`,
      );
      return standbyCopy;
    }
  },
};

const primaryFenced = fenceStep<FailoverContext>(
  "primary-fenced",
  1,
  "emit PrimaryFenced = 1: DNS keeps the standby until a person fails back",
);

async function standbyInService(ctx: FailoverContext, io: StepIo): Promise<number> {
  return inServiceCount(await standbyGroup(ctx, io));
}

const fullCapacity: Step<FailoverContext> = {
  name: "full-capacity",
  action: "wait (bounded) until FAILOVER_CAPACITY instances are in service in the standby group",
  async isDone(ctx, io) {
    const t = ctx.targets;
    const inService = await standbyInService(ctx, io);
    return {
      done: inService >= t.failoverCapacity,
      detail: `${inService} of ${t.failoverCapacity} instances in service`,
    };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    const poll = { intervalMs: t.pollIntervalMs, deadlineAt: t.capacityDeadlineAt };
    const last = await pollUntil(io, poll, () => standbyInService(ctx, io), (n) => n >= t.failoverCapacity);
    const counted = `${last.value} of ${t.failoverCapacity} instances in service`;
    if (last.done) {
      ctx.marks.fullCapacityAt = io.now();
      return counted;
    }
    io.note(`full capacity not reached before the invocation's end: ${last.value} of ${t.failoverCapacity}`);
    return `${counted} (the group keeps launching)`;
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
  const state = await observeMember(io, standby(ctx));
  return state.kind === "writer" || state.kind === "promoting";
}
