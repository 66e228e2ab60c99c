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
import { errorName, type StepIo } from "./steps.ts";

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

export async function observeMember(
  rds: RdsApi,
  io: StepIo,
  globalClusterId: string,
  targetArn: string,
): Promise<MemberState> {
  return memberState(await describeGlobalCluster(rds, io, globalClusterId), targetArn);
}

export class PromotionTimeoutError extends Error {
  override readonly name = "PromotionTimeoutError";
}

export interface WriterWait {
  readonly rds: RdsApi;
  readonly globalClusterId: string;
  readonly targetArn: string;
  /** Epoch ms after which waiting fails the step (a retried invocation resumes the wait). */
  readonly deadlineAt: number;
  readonly pollIntervalMs: number;
  readonly who: string;
  /** Reads that may still show the target as an idle reader right after a request (the API is eventually consistent). */
  readonly idleReadsTolerated?: number;
}

/** Polls until the target is the writer; fails on `missing` or at the deadline, never asks Aurora again. */
export async function waitForWriter(io: StepIo, wait: WriterWait): Promise<void> {
  let idleReadsLeft = wait.idleReadsTolerated ?? 0;
  for (;;) {
    const state = await observeMember(wait.rds, io, wait.globalClusterId, wait.targetArn);
    if (state.kind === "writer") return;
    if (state.kind === "missing") throw new Error(`${wait.who}: ${state.detail}`);
    if (state.kind === "replica" && idleReadsLeft-- <= 0) {
      throw new Error(
        `${wait.who} is ${state.detail} and nothing is moving towards it: Aurora ended the transition`,
      );
    }
    if (io.now() + wait.pollIntervalMs > wait.deadlineAt) {
      throw new PromotionTimeoutError(
        `${wait.who} is not the writer by ${new Date(wait.deadlineAt).toISOString()} (last state: ` +
          `${state.detail}); a retried invocation resumes waiting without asking Aurora again`,
      );
    }
    await io.sleep(wait.pollIntervalMs);
  }
}
