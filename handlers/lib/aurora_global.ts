// What the orchestrator and the failback tool know about the Aurora global database: one read of the global
// cluster, classified for a target member. Every decision is taken from this observed state, never from
// memory of an earlier invocation, so a retried or concurrent run continues whatever is already under way.

import type {
  DBCluster,
  DescribeDBClustersCommandInput,
  DescribeGlobalClustersCommandInput,
  FailoverGlobalClusterCommandInput,
  GlobalCluster,
  SwitchoverGlobalClusterCommandInput,
} from "@aws-sdk/client-rds";
import { errorName } from "./errors.ts";
import { pollUntil, type StepIo } from "./steps.ts";

/** The RDS methods used; the aggregated SDK client `new RDS()` satisfies it, tests pass fakes. */
export interface RdsApi {
  describeGlobalClusters(
    input: DescribeGlobalClustersCommandInput,
  ): Promise<{ GlobalClusters?: GlobalCluster[] }>;
  describeDBClusters(input: DescribeDBClustersCommandInput): Promise<{ DBClusters?: DBCluster[] }>;
  failoverGlobalCluster(input: FailoverGlobalClusterCommandInput): Promise<unknown>;
  switchoverGlobalCluster(input: SwitchoverGlobalClusterCommandInput): Promise<unknown>;
}

/**
 * Where a target member stands:
 * - `writer`: it is the global cluster's writer;
 * - `promoting`: a failover or switchover towards it is under way (wait, never ask again);
 * - `replica`: a reader and nothing is moving towards it (maintenance states such as `modifying` or
 *   `upgrading` included: they are not a failover in progress);
 * - `busy`: a transition towards another member, or one being cancelled (wait for it to settle);
 * - `missing`: no such global cluster, or the target is not a member (a person must look).
 */
export type MemberState =
  | { readonly kind: "writer"; readonly detail: string }
  | { readonly kind: "promoting"; readonly detail: string; readonly dataLossAllowed: boolean }
  | { readonly kind: "replica"; readonly detail: string; readonly inSync: boolean }
  | { readonly kind: "busy"; readonly detail: string }
  | { readonly kind: "missing"; readonly detail: string };

export type ReplicaState = Extract<MemberState, { kind: "replica" }>;

/** Global-cluster or failover statuses that mean "a failover or switchover is running". */
const MOVING = new Set(["pending", "failing-over", "switching-over"]);

/** Managed failover/switchover refused because of the cluster's state (not a network or auth error). */
const REFUSAL_FAULTS = new Set(["InvalidGlobalClusterStateFault", "InvalidDBClusterStateFault"]);

export function isRefusal(error: unknown): boolean {
  return REFUSAL_FAULTS.has(errorName(error));
}

/** The result of a read, or undefined when AWS answers with the "not found" fault of that read. */
export async function unlessNotFound<T>(
  notFoundFault: string,
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (errorName(error) === notFoundFault) return undefined;
    throw error;
  }
}

export async function describeGlobalCluster(
  rds: RdsApi,
  io: StepIo,
  globalClusterId: string,
): Promise<GlobalCluster | undefined> {
  return await unlessNotFound("GlobalClusterNotFoundFault", async () =>
    (await io.call(
      "rds:DescribeGlobalClusters",
      () => rds.describeGlobalClusters({ GlobalClusterIdentifier: globalClusterId }),
    )).GlobalClusters?.[0]);
}

/** Classifies `targetArn` in a global cluster read (pure: tests feed it shapes AWS documents). */
export function memberState(global: GlobalCluster | undefined, targetArn: string): MemberState {
  if (!global) return { kind: "missing", detail: "global cluster not found" };
  const members = global.GlobalClusterMembers ?? [];
  const member = members.find((m) => m.DBClusterArn === targetArn);
  if (!member) return { kind: "missing", detail: `${targetArn} is not a member of the global cluster` };
  if (member.IsWriter) return { kind: "writer", detail: "the global cluster's writer" };
  const failover = global.FailoverState;
  const transition = failover?.IsDataLossAllowed === false ? "switchover" : "failover";
  if (failover?.Status === "cancelling") {
    return { kind: "busy", detail: `Aurora is cancelling a ${transition}` };
  }
  const moving = MOVING.has(failover?.Status ?? "") || MOVING.has(global.Status ?? "");
  if (moving) {
    const towardsTarget = failover?.ToDbClusterArn === undefined || failover.ToDbClusterArn === targetArn;
    const status = failover?.Status ?? global.Status;
    return towardsTarget
      ? {
        kind: "promoting",
        detail: `${transition} towards it in progress (${status})`,
        dataLossAllowed: failover?.IsDataLossAllowed !== false,
      }
      : { kind: "busy", detail: `${transition} towards ${failover?.ToDbClusterArn} in progress (${status})` };
  }
  const sync = member.SynchronizationStatus ?? "unknown";
  return {
    kind: "replica",
    detail: `a reader (global cluster ${global.Status ?? "unknown"}, replication ${sync})`,
    inSync: sync === "connected",
  };
}

/** A member cluster the caller wants as the writer, and how messages name it. */
export interface Member {
  readonly rds: RdsApi;
  readonly globalClusterId: string;
  readonly targetArn: string;
  readonly who: string;
}

export async function observeMember(io: StepIo, member: Member): Promise<MemberState> {
  return memberState(await describeGlobalCluster(member.rds, io, member.globalClusterId), member.targetArn);
}

export class PromotionTimeoutError extends Error {
  override readonly name = "PromotionTimeoutError";
}

export interface WriterWait {
  /** Epoch ms after which waiting fails the step (a retried invocation resumes the wait). */
  readonly deadlineAt: number;
  readonly pollIntervalMs: number;
  /** Reads that may still show the target as an idle reader right after a request (the API is eventually consistent). */
  readonly idleReadsTolerated?: number;
}

/** Polls until the target is the writer; fails on `missing` or at the deadline, never asks Aurora again. */
export async function waitForWriter(io: StepIo, member: Member, wait: WriterWait): Promise<void> {
  let idleReadsLeft = wait.idleReadsTolerated ?? 0;
  const read = async () => {
    const state = await observeMember(io, member);
    if (state.kind === "missing") throw new Error(`${member.who}: ${state.detail}`);
    if (state.kind === "replica" && idleReadsLeft-- <= 0) {
      throw new Error(
        `${member.who} is ${state.detail} and nothing is moving towards it: Aurora ended the transition`,
      );
    }
    return state;
  };
  const poll = { intervalMs: wait.pollIntervalMs, deadlineAt: wait.deadlineAt };
  const last = await pollUntil(io, poll, read, (state) => state.kind === "writer");
  if (!last.done) {
    throw new PromotionTimeoutError(
      `${member.who} is not the writer by ${new Date(wait.deadlineAt).toISOString()} (last state: ` +
        `${last.value.detail}); a retried invocation resumes waiting without asking Aurora again`,
    );
  }
}

/** A transition Aurora refused, and the target's state read right after the refusal. */
export interface Refusal {
  readonly error: unknown;
  readonly state: MemberState;
}

/**
 * Asks Aurora for a transition towards the member. A refusal is re-read before anything else (an earlier
 * request of ours may be running): undefined when the request stands or the member is moving or the writer.
 */
export async function askAurora(
  io: StepIo,
  member: Member,
  ask: () => Promise<unknown>,
): Promise<Refusal | undefined> {
  try {
    await ask();
    return undefined;
  } catch (error) {
    if (!isRefusal(error)) throw error;
    const state = await observeMember(io, member);
    return state.kind === "promoting" || state.kind === "writer" ? undefined : { error, state };
  }
}

export interface WriterMove extends WriterWait {
  /** Asks Aurora to move the writer to the member, an idle replica (throws when it cannot). */
  ask(state: ReplicaState): Promise<void>;
  /** The error for a member that cannot become the writer (missing, or a transition elsewhere). */
  blocked(detail: string): Error;
}

/**
 * Makes the member the writer from whatever state it is in: nothing when it is already; asks Aurora when it
 * is an idle replica; then waits (a transition already towards it is only awaited). Returns the first state.
 */
export async function moveWriterTo(io: StepIo, member: Member, move: WriterMove): Promise<MemberState> {
  const state = await observeMember(io, member);
  if (state.kind === "writer") return state;
  if (state.kind === "missing" || state.kind === "busy") throw move.blocked(state.detail);
  if (state.kind === "replica") await move.ask(state);
  await waitForWriter(io, member, { ...move, idleReadsTolerated: state.kind === "replica" ? 3 : 0 });
  return state;
}
