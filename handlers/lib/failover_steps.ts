// Failover (secondary takes over) and failback (planned return) as lists of idempotent steps over small
// AWS ports. The ports are the few SDK v3 methods used, so the aggregated clients (`new RDS()`, ...)
// satisfy them and tests pass fakes.

import type {
  DBCluster,
  DescribeDBClustersCommandInput,
  DescribeGlobalClustersCommandInput,
  FailoverGlobalClusterCommandInput,
  GlobalCluster,
  RemoveFromGlobalClusterCommandInput,
  SwitchoverGlobalClusterCommandInput,
} from "@aws-sdk/client-rds";
import type {
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommandInput,
  UpdateAutoScalingGroupCommandInput,
} from "@aws-sdk/client-auto-scaling";
import type { GetParameterCommandInput, PutParameterCommandInput } from "@aws-sdk/client-ssm";
import { errorMessage, errorName, type Step, type StepCheck, type StepIo } from "./steps.ts";

export interface RdsApi {
  describeGlobalClusters(
    input: DescribeGlobalClustersCommandInput,
  ): Promise<{ GlobalClusters?: GlobalCluster[] }>;
  describeDBClusters(input: DescribeDBClustersCommandInput): Promise<{ DBClusters?: DBCluster[] }>;
  failoverGlobalCluster(input: FailoverGlobalClusterCommandInput): Promise<unknown>;
  switchoverGlobalCluster(input: SwitchoverGlobalClusterCommandInput): Promise<unknown>;
  removeFromGlobalCluster(input: RemoveFromGlobalClusterCommandInput): Promise<unknown>;
}

export interface AutoScalingApi {
  describeAutoScalingGroups(
    input: DescribeAutoScalingGroupsCommandInput,
  ): Promise<{ AutoScalingGroups?: AutoScalingGroup[] }>;
  updateAutoScalingGroup(input: UpdateAutoScalingGroupCommandInput): Promise<unknown>;
}

export interface SsmApi {
  getParameter(input: GetParameterCommandInput): Promise<{ Parameter?: { Value?: string } }>;
  putParameter(input: PutParameterCommandInput): Promise<unknown>;
}

/** The `PrimaryFenced` metric: 1 keeps DNS on the secondary until a person fails back. */
export interface FenceMetric {
  emit(value: 0 | 1): void | Promise<void>;
}

/** Method names that change something; a drill must call none of them. */
export const MUTATING_METHODS = [
  "failoverGlobalCluster",
  "switchoverGlobalCluster",
  "removeFromGlobalCluster",
  "updateAutoScalingGroup",
  "putParameter",
  "publish",
] as const;

/** Managed failover/switchover refused because of the cluster's state: the only trigger for the fallback. */
const REFUSAL_FAULTS = new Set(["InvalidGlobalClusterStateFault", "InvalidDBClusterStateFault"]);

export function isRefusal(error: unknown): boolean {
  return REFUSAL_FAULTS.has(errorName(error));
}

export class PromotionTimeoutError extends Error {
  override readonly name = "PromotionTimeoutError";
}

export class SwitchoverRefusedError extends Error {
  override readonly name = "SwitchoverRefusedError";
}

// ---------------------------------------------------------------------------------------------------------
// Aurora global-cluster state

/** Where a member cluster stands with respect to the global cluster. */
export type ClusterRole =
  | { readonly kind: "writer" }
  | { readonly kind: "transition"; readonly detail: string }
  | { readonly kind: "cancelled"; readonly detail: string }
  | { readonly kind: "replica"; readonly detail: string }
  | {
    readonly kind: "detached";
    readonly available: boolean;
    readonly endpoint?: string;
    readonly status: string;
  }
  | { readonly kind: "missing"; readonly detail: string };

/** The result of a read, or undefined when AWS answers with the "not found" fault of that read. */
async function unlessNotFound<T>(notFoundFault: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (errorName(error) === notFoundFault) return undefined;
    throw error;
  }
}

function describeGlobalCluster(
  rds: RdsApi,
  io: StepIo,
  globalClusterId: string,
): Promise<GlobalCluster | undefined> {
  return unlessNotFound("GlobalClusterNotFoundFault", async () =>
    (await io.call(
      "rds:DescribeGlobalClusters",
      () => rds.describeGlobalClusters({ GlobalClusterIdentifier: globalClusterId }),
    )).GlobalClusters?.[0]);
}

function describeCluster(rds: RdsApi, io: StepIo, clusterId: string): Promise<DBCluster | undefined> {
  return unlessNotFound(
    "DBClusterNotFoundFault",
    async () =>
      (await io.call(
        "rds:DescribeDBClusters",
        () => rds.describeDBClusters({ DBClusterIdentifier: clusterId }),
      ))
        .DBClusters?.[0],
  );
}

const TRANSITION_STATUSES = new Set(["failing-over", "switching-over", "modifying", "upgrading"]);

/** Reads the global cluster (and, when the cluster is no longer a member, the cluster itself). */
export async function clusterRole(
  rds: RdsApi,
  io: StepIo,
  globalClusterId: string,
  clusterArn: string,
  clusterId: string,
): Promise<ClusterRole> {
  const global = await describeGlobalCluster(rds, io, globalClusterId);
  const member = global?.GlobalClusterMembers?.find((m) => m.DBClusterArn === clusterArn);
  if (member?.IsWriter) return { kind: "writer" };
  if (global && member) {
    const failover = global.FailoverState;
    const targetsUs = failover?.ToDbClusterArn === undefined || failover.ToDbClusterArn === clusterArn;
    if (failover?.Status === "cancelling") {
      return { kind: "cancelled", detail: `Aurora is cancelling the ${describeTransition(global)}` };
    }
    if (targetsUs && (failover?.Status === "pending" || failover?.Status === "failing-over")) {
      return { kind: "transition", detail: `${describeTransition(global)} in progress (${failover.Status})` };
    }
    if (TRANSITION_STATUSES.has(global.Status ?? "")) {
      return { kind: "transition", detail: `global cluster is ${global.Status}` };
    }
    return {
      kind: "replica",
      detail: `member of ${globalClusterId} as a reader (global cluster ${global.Status ?? "unknown"}, ` +
        `sync ${member.SynchronizationStatus ?? "unknown"})`,
    };
  }
  const cluster = await describeCluster(rds, io, clusterId);
  if (!cluster) {
    return { kind: "missing", detail: `cluster ${clusterId} not found` };
  }
  if (cluster.GlobalClusterIdentifier && cluster.GlobalClusterIdentifier !== globalClusterId) {
    return { kind: "missing", detail: `cluster ${clusterId} belongs to ${cluster.GlobalClusterIdentifier}` };
  }
  const status = cluster.Status ?? "unknown";
  return { kind: "detached", available: status === "available", endpoint: cluster.Endpoint, status };
}

function describeTransition(global: GlobalCluster): string {
  return global.FailoverState?.IsDataLossAllowed === false ? "switchover" : "failover";
}

function roleDetail(role: ClusterRole, who: string): string {
  switch (role.kind) {
    case "writer":
      return `${who} is the global cluster's writer`;
    case "detached":
      return `${who} is detached from the global cluster (standalone, ${role.status})`;
    default:
      return `${who}: ${role.detail}`;
  }
}

interface WaitForWriter {
  readonly rds: RdsApi;
  readonly globalClusterId: string;
  readonly clusterArn: string;
  readonly clusterId: string;
  /** Epoch ms after which waiting fails the step (a re-invocation resumes the wait). */
  readonly deadlineAt: number;
  readonly pollIntervalMs: number;
  /** Accept a detached, available cluster as the writer (the failover fallback path). */
  readonly acceptDetached: boolean;
  readonly who: string;
}

async function waitForWriter(io: StepIo, w: WaitForWriter): Promise<ClusterRole> {
  for (;;) {
    const role = await clusterRole(w.rds, io, w.globalClusterId, w.clusterArn, w.clusterId);
    if (role.kind === "writer") return role;
    if (role.kind === "detached" && role.available && w.acceptDetached) return role;
    if (role.kind === "cancelled") throw new Error(roleDetail(role, w.who));
    if (role.kind === "missing") throw new Error(roleDetail(role, w.who));
    if (io.now() + w.pollIntervalMs > w.deadlineAt) {
      throw new PromotionTimeoutError(
        `${w.who} is not the writer by the deadline (${new Date(w.deadlineAt).toISOString()}); last state: ` +
          `${roleDetail(role, w.who)}. A re-invocation resumes waiting without repeating the request.`,
      );
    }
    await io.sleep(w.pollIntervalMs);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Failover: the secondary region takes over

export interface FailoverTargets {
  readonly globalClusterId: string;
  readonly secondaryClusterArn: string;
  readonly secondaryClusterId: string;
  /** The region the orchestrator runs in and fails over to. */
  readonly secondaryRegion: string;
  readonly secondaryAsgName: string;
  /** min = desired = this on the secondary ASG. */
  readonly failoverCapacity: number;
  /** Full name of the `activeRegion` parameter (contract.ts parameterName). */
  readonly activeRegionParameter: string;
  /** Full name of the `writerEndpoint` parameter; repointed only after a detach-and-promote. */
  readonly writerEndpointParameter: string;
  /** Epoch ms: the bound for waiting on Aurora (derived from the RTO and the Lambda's remaining time). */
  readonly promotionDeadlineAt: number;
  readonly pollIntervalMs: number;
}

export interface FailoverContext {
  readonly targets: FailoverTargets;
  readonly rds: RdsApi;
  readonly autoScaling: AutoScalingApi;
  /** Parameter Store of the secondary region (the primary's may be unreachable). */
  readonly ssm: SsmApi;
  readonly fence: FenceMetric;
}

export const FAILOVER_STEP_NAMES = [
  "aurora-promote",
  "writer-endpoint",
  "asg-capacity",
  "active-region",
  "primary-fenced",
] as const;

async function secondaryRole(ctx: FailoverContext, io: StepIo): Promise<ClusterRole> {
  const t = ctx.targets;
  return await clusterRole(ctx.rds, io, t.globalClusterId, t.secondaryClusterArn, t.secondaryClusterId);
}

const auroraPromote: Step<FailoverContext> = {
  name: "aurora-promote",
  action:
    "Aurora FailoverGlobalCluster (AllowDataLoss) to the secondary cluster, wait until it is the writer",
  async isDone(ctx, io): Promise<StepCheck> {
    const role = await secondaryRole(ctx, io);
    const done = role.kind === "writer" || (role.kind === "detached" && role.available);
    return {
      done,
      detail: done
        ? roleDetail(role, "secondary")
        : role.kind === "replica"
        ? `would call FailoverGlobalCluster(${ctx.targets.globalClusterId} -> ${ctx.targets.secondaryClusterArn}, ` +
          `AllowDataLoss) — ${roleDetail(role, "secondary")}`
        : `would wait — ${roleDetail(role, "secondary")}`,
    };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    const wait = (acceptDetached: boolean) =>
      waitForWriter(io, {
        rds: ctx.rds,
        globalClusterId: t.globalClusterId,
        clusterArn: t.secondaryClusterArn,
        clusterId: t.secondaryClusterId,
        deadlineAt: t.promotionDeadlineAt,
        pollIntervalMs: t.pollIntervalMs,
        acceptDetached,
        who: "secondary",
      });
    const role = await secondaryRole(ctx, io);
    if (role.kind === "writer") return roleDetail(role, "secondary");
    if (role.kind === "detached") {
      await wait(true);
      return "secondary was already detached; waited for it to be available";
    }
    if (role.kind !== "replica") {
      // An earlier (or concurrent) request is in flight: wait for it instead of asking again.
      await wait(false);
      return `waited for the ${role.kind === "transition" ? role.detail : "failover"}`;
    }
    try {
      await io.call("rds:FailoverGlobalCluster", () =>
        ctx.rds.failoverGlobalCluster({
          GlobalClusterIdentifier: t.globalClusterId,
          TargetDbClusterIdentifier: t.secondaryClusterArn,
          AllowDataLoss: true,
        }));
    } catch (error) {
      if (!isRefusal(error)) throw error;
      // A refusal can also mean our own earlier request (its response lost) is now running: re-read.
      const now = await secondaryRole(ctx, io);
      if (now.kind !== "replica") {
        await wait(false);
        return "managed failover already under way; waited for it";
      }
      io.note(
        `FALLBACK: managed failover refused (${errorName(error)}: ${errorMessage(error)}); ` +
          `detaching the secondary from ${t.globalClusterId} and promoting it (RemoveFromGlobalCluster). ` +
          `The global writer endpoint no longer follows it; the old primary must be rebuilt before failback.`,
      );
      await io.call("rds:RemoveFromGlobalCluster", () =>
        ctx.rds.removeFromGlobalCluster({
          GlobalClusterIdentifier: t.globalClusterId,
          DbClusterIdentifier: t.secondaryClusterArn,
        }));
      await wait(true);
      return "secondary detached and promoted to a standalone writer (fallback)";
    }
    await wait(false);
    return "managed failover completed: secondary is the global writer";
  },
};

const writerEndpoint: Step<FailoverContext> = {
  name: "writer-endpoint",
  action: "after a detach-and-promote only: point the writer-endpoint parameter at the promoted cluster",
  async isDone(ctx, io) {
    const role = await secondaryRole(ctx, io);
    if (role.kind !== "detached") {
      return { done: true, detail: "not needed: the global writer endpoint follows the managed failover" };
    }
    const current = await readParameter(ctx.ssm, io, ctx.targets.writerEndpointParameter);
    if (!role.endpoint) return { done: false, detail: "promoted cluster has no endpoint yet" };
    return current === role.endpoint
      ? { done: true, detail: `${ctx.targets.writerEndpointParameter} = ${role.endpoint}` }
      : { done: false, detail: `would set ${ctx.targets.writerEndpointParameter} to ${role.endpoint}` };
  },
  async run(ctx, io) {
    const role = await secondaryRole(ctx, io);
    if (role.kind !== "detached" || !role.endpoint) return "not needed";
    await putParameter(ctx.ssm, io, ctx.targets.writerEndpointParameter, role.endpoint);
    return `${ctx.targets.writerEndpointParameter} = ${role.endpoint}`;
  },
};

const asgCapacity: Step<FailoverContext> = {
  name: "asg-capacity",
  action: "raise the secondary ASG to full capacity (min = desired = FAILOVER_CAPACITY)",
  async isDone(ctx, io) {
    const t = ctx.targets;
    const group = await describeGroup(ctx.autoScaling, io, t.secondaryAsgName);
    const done = (group.MinSize ?? 0) >= t.failoverCapacity &&
      (group.DesiredCapacity ?? 0) >= t.failoverCapacity;
    return {
      done,
      detail:
        `${t.secondaryAsgName}: min ${group.MinSize}, desired ${group.DesiredCapacity}, max ${group.MaxSize}` +
        (done ? "" : `; would set min = desired = ${t.failoverCapacity}`),
    };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    const group = await describeGroup(ctx.autoScaling, io, t.secondaryAsgName);
    const maxSize = group.MaxSize ?? 0;
    if (maxSize < t.failoverCapacity) {
      io.note(
        `${t.secondaryAsgName} max ${maxSize} < FAILOVER_CAPACITY ${t.failoverCapacity}: raising max too`,
      );
    }
    await io.call("autoscaling:UpdateAutoScalingGroup", () =>
      ctx.autoScaling.updateAutoScalingGroup({
        AutoScalingGroupName: t.secondaryAsgName,
        MinSize: t.failoverCapacity,
        DesiredCapacity: t.failoverCapacity,
        ...(maxSize < t.failoverCapacity ? { MaxSize: t.failoverCapacity } : {}),
      }));
    return `${t.secondaryAsgName}: min = desired = ${t.failoverCapacity}`;
  },
};

const activeRegion: Step<FailoverContext> = {
  name: "active-region",
  action: "set the activeRegion parameter to the secondary region",
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
    return `${t.activeRegionParameter} = ${t.secondaryRegion}`;
  },
};

const primaryFenced: Step<FailoverContext> = {
  name: "primary-fenced",
  action:
    "emit PrimaryFenced = 1 (the secondary's app checker republishes it every minute from activeRegion)",
  async run(ctx) {
    await ctx.fence.emit(1);
    return "PrimaryFenced = 1";
  },
};

/** The failover sequence, in order. */
export function failoverSteps(): readonly Step<FailoverContext>[] {
  return [auroraPromote, writerEndpoint, asgCapacity, activeRegion, primaryFenced];
}

// ---------------------------------------------------------------------------------------------------------
// Failback: the planned return to the primary (switchover, no data loss), run by an operator tool

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
  readonly switchoverDeadlineAt: number;
  readonly pollIntervalMs: number;
}

export interface FailbackContext {
  readonly targets: FailbackTargets;
  readonly rds: RdsApi;
  /** The secondary region's Auto Scaling. */
  readonly autoScaling: AutoScalingApi;
  /** Parameter Store per region: both copies of activeRegion go back to the primary. */
  readonly ssm: { readonly primary: SsmApi; readonly secondary: SsmApi };
  readonly fence: FenceMetric;
}

export const FAILBACK_STEP_NAMES = [
  "aurora-switchover",
  "active-region",
  "primary-unfenced",
  "standby-capacity",
] as const;

async function primaryRole(ctx: FailbackContext, io: StepIo): Promise<ClusterRole> {
  const t = ctx.targets;
  return await clusterRole(ctx.rds, io, t.globalClusterId, t.primaryClusterArn, t.primaryClusterId);
}

function failbackBlocked(role: ClusterRole): string {
  return role.kind === "detached"
    ? "the primary cluster is detached from the global cluster (a detach-and-promote happened): re-create it " +
      "as a secondary of the global cluster before failing back"
    : roleDetail(role, "primary");
}

const auroraSwitchover: Step<FailbackContext> = {
  name: "aurora-switchover",
  action:
    "Aurora SwitchoverGlobalCluster back to the primary cluster (no data loss), wait until it is the writer",
  async isDone(ctx, io) {
    const role = await primaryRole(ctx, io);
    if (role.kind === "writer") return { done: true, detail: roleDetail(role, "primary") };
    return {
      done: false,
      detail: role.kind === "replica"
        ? `would call SwitchoverGlobalCluster(${ctx.targets.globalClusterId} -> ${ctx.targets.primaryClusterArn}) — ` +
          roleDetail(role, "primary")
        : role.kind === "transition"
        ? `would wait — ${roleDetail(role, "primary")}`
        : `blocked — ${failbackBlocked(role)}`,
    };
  },
  async run(ctx, io) {
    const t = ctx.targets;
    const wait = () =>
      waitForWriter(io, {
        rds: ctx.rds,
        globalClusterId: t.globalClusterId,
        clusterArn: t.primaryClusterArn,
        clusterId: t.primaryClusterId,
        deadlineAt: t.switchoverDeadlineAt,
        pollIntervalMs: t.pollIntervalMs,
        acceptDetached: false,
        who: "primary",
      });
    const role = await primaryRole(ctx, io);
    if (role.kind === "writer") return roleDetail(role, "primary");
    if (role.kind === "transition") {
      await wait();
      return `waited for the ${role.detail}`;
    }
    if (role.kind !== "replica") throw new SwitchoverRefusedError(failbackBlocked(role));
    try {
      await io.call("rds:SwitchoverGlobalCluster", () =>
        ctx.rds.switchoverGlobalCluster({
          GlobalClusterIdentifier: t.globalClusterId,
          TargetDbClusterIdentifier: t.primaryClusterArn,
        }));
    } catch (error) {
      if (!isRefusal(error)) throw error;
      const now = await primaryRole(ctx, io);
      if (now.kind !== "transition" && now.kind !== "writer") {
        // No fallback here: failback must never lose data. The operator fixes the cause and re-runs.
        throw new SwitchoverRefusedError(
          `switchover refused (${errorName(error)}: ${errorMessage(error)}); nothing was changed after it. ` +
            `Check that the primary is a connected secondary (replication caught up), then re-run failback.`,
          { cause: error },
        );
      }
    }
    await wait();
    return "switchover completed: primary is the global writer";
  },
};

const failbackActiveRegion: Step<FailbackContext> = {
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
    // The secondary's copy is what its checker turns into PrimaryFenced: change it last.
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
  action: "emit PrimaryFenced = 0 now (the checker keeps it at 0 from activeRegion)",
  async run(ctx) {
    await ctx.fence.emit(0);
    return "PrimaryFenced = 0";
  },
};

const standbyCapacity: Step<FailbackContext> = {
  name: "standby-capacity",
  action: "return the secondary ASG to standby capacity",
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

/**
 * The failback sequence. Capacity goes down last: traffic returns to the primary only after the fence clears
 * (alarm evaluation + DNS), and the secondary keeps serving meanwhile.
 */
export function failbackSteps(): readonly Step<FailbackContext>[] {
  return [auroraSwitchover, failbackActiveRegion, primaryUnfenced, standbyCapacity];
}

// ---------------------------------------------------------------------------------------------------------
// helpers

async function describeGroup(api: AutoScalingApi, io: StepIo, name: string): Promise<AutoScalingGroup> {
  const out = await io.call(
    "autoscaling:DescribeAutoScalingGroups",
    () => api.describeAutoScalingGroups({ AutoScalingGroupNames: [name] }),
  );
  const group = out.AutoScalingGroups?.[0];
  if (!group) throw new Error(`Auto Scaling group ${name} not found`);
  return group;
}

function readParameter(ssm: SsmApi, io: StepIo, name: string): Promise<string | undefined> {
  return unlessNotFound(
    "ParameterNotFound",
    async () => (await io.call("ssm:GetParameter", () => ssm.getParameter({ Name: name }))).Parameter?.Value,
  );
}

async function putParameter(ssm: SsmApi, io: StepIo, name: string, value: string): Promise<void> {
  await io.call(
    "ssm:PutParameter",
    () => ssm.putParameter({ Name: name, Value: value, Type: "String", Overwrite: true }),
  );
}
