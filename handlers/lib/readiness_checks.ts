// Readiness checks over the standby region's resources: would a failover started now find the global
// database, the standby cluster, its capacity, its launch template, its parameters, the lock and the
// orchestrator as it needs them? Each check reads only (describe/get) and answers ok + one line of evidence.

import type { AutoScalingGroup } from "@aws-sdk/client-auto-scaling";
import type { GlobalCluster } from "@aws-sdk/client-rds";
import { describeGlobalCluster, memberState, unlessNotFound } from "./aurora_global.ts";
import { describeGroup, inServiceCount } from "./aws_ports.ts";
import { PARAMETER_KEYS, type ParameterKey, parameterName } from "./contract.ts";
import type { ReadinessConfig } from "./readiness_config.ts";
import type { ReadinessPorts } from "./readiness_ports.ts";
import type { StepIo } from "./steps.ts";

/** A check's verdict: ok, and what was observed (one line). */
export interface CheckOutcome {
  readonly ok: boolean;
  readonly evidence: string;
}

/** One metric's datapoints, newest first. */
export interface Series {
  readonly timestamps: readonly Date[];
  readonly values: readonly number[];
}

/** Reads shared by several checks, made once per evaluation. */
export interface SharedReads {
  globalCluster(): Promise<GlobalCluster | undefined>;
  standbyGroup(): Promise<AutoScalingGroup>;
  /** PrimaryProbeHealthy sample counts per vantage role (`witness`, `secondary`). */
  proberSamples(): Promise<ReadonlyMap<string, Series>>;
}

/** What every read needs. */
export interface ReadContext {
  readonly config: ReadinessConfig;
  readonly ports: ReadinessPorts;
  /** Retried AWS calls (throttling, transient faults), as in the orchestrator. */
  readonly io: StepIo;
  readonly now: () => number;
}

export interface ReadinessContext extends ReadContext {
  readonly shared: SharedReads;
}

export type ReadinessCheck = (ctx: ReadinessContext) => Promise<CheckOutcome>;

/** The first call's promise, for every caller. */
export function once<T>(read: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= read());
}

export function resourceReads(
  { config, ports, io }: ReadContext,
): Pick<SharedReads, "globalCluster" | "standbyGroup"> {
  return {
    globalCluster: once(() => describeGlobalCluster(ports.rds, io, config.failover.globalClusterId)),
    standbyGroup: once(() => describeGroup(ports.autoScaling, io, config.failover.secondaryAsgName)),
  };
}

export const outcome = (problems: readonly string[], evidence: string): CheckOutcome =>
  problems.length === 0 ? { ok: true, evidence } : { ok: false, evidence: problems.join("; ") };

/** `arn:aws:rds:...:cluster:name` -> `name` (readable evidence). */
const clusterName = (arn: string | undefined) => arn?.split(":").pop() ?? "none";

export const globalClusterCheck: ReadinessCheck = async (ctx) => {
  const id = ctx.config.failover.globalClusterId;
  const global = await ctx.shared.globalCluster();
  if (!global) return { ok: false, evidence: `global cluster ${id} not found` };
  const problems: string[] = [];
  if (global.Status !== "available") problems.push(`global cluster ${id} is ${global.Status ?? "unknown"}`);
  const transition = global.FailoverState?.Status;
  if (transition) {
    problems.push(
      `a failover or switchover is running (${transition}) towards ${
        clusterName(global.FailoverState?.ToDbClusterArn)
      }`,
    );
  }
  const members = global.GlobalClusterMembers ?? [];
  const writer = members.find((member) => member.IsWriter)?.DBClusterArn;
  return outcome(problems, `${id} available, writer ${clusterName(writer)}, ${members.length} members`);
};

export const standbyInSyncCheck: ReadinessCheck = async (ctx) => {
  const state = memberState(await ctx.shared.globalCluster(), ctx.config.failover.secondaryClusterArn);
  const standby = ctx.config.failover.secondaryClusterId;
  if (state.kind === "replica" && state.inSync) {
    return { ok: true, evidence: `${standby} is ${state.detail}` };
  }
  if (state.kind === "writer") {
    return {
      ok: false,
      evidence: `${standby} is already the writer (failed over): fail back before readiness applies again`,
    };
  }
  return { ok: false, evidence: `${standby}: ${state.detail}` };
};

export const standbyClusterCheck: ReadinessCheck = async (ctx) => {
  const id = ctx.config.failover.secondaryClusterId;
  const { rds } = ctx.ports;
  const cluster = (await ctx.io.call(
    "rds:DescribeDBClusters",
    () => rds.describeDBClusters({ DBClusterIdentifier: id }),
  )).DBClusters?.[0];
  if (!cluster) return { ok: false, evidence: `standby cluster ${id} not found` };
  const instances = (await ctx.io.call(
    "rds:DescribeDBInstances",
    () => rds.describeDBInstances({ Filters: [{ Name: "db-cluster-id", Values: [id] }] }),
  )).DBInstances ?? [];
  const problems: string[] = [];
  if (cluster.Status !== "available") problems.push(`${id} is ${cluster.Status ?? "unknown"}`);
  if (!instances.some((instance) => instance.DBInstanceStatus === "available")) {
    problems.push(
      `${id} has no available instance (headless: a promotion would first have to create one)` +
        (instances.length ? `: ${listInstances(instances)}` : ""),
    );
  }
  return outcome(problems, `${id} available; ${listInstances(instances)}`);
};

function listInstances(
  instances: ReadonlyArray<
    { DBInstanceIdentifier?: string; DBInstanceStatus?: string; DBInstanceClass?: string }
  >,
): string {
  return instances.map((i) => `${i.DBInstanceIdentifier} ${i.DBInstanceStatus} (${i.DBInstanceClass})`)
    .join(", ");
}

/** Suspending these stops a group from reaching capacity behind its load balancer. */
const BLOCKING_PROCESSES = ["Launch", "AddToLoadBalancer", "HealthCheck", "ReplaceUnhealthy"];

export const standbyCapacityCheck: ReadinessCheck = async (ctx) => {
  const needed = ctx.config.failover.failoverCapacity;
  const group = await ctx.shared.standbyGroup();
  const name = group.AutoScalingGroupName;
  const problems: string[] = [];
  const max = group.MaxSize ?? 0;
  if (max < needed) problems.push(`${name}: max size ${max} is below the failover capacity ${needed}`);
  const pool = group.WarmPoolConfiguration;
  if (!pool) problems.push(`${name} has no warm pool: every instance a failover adds would boot cold`);
  else if (pool.Status === "PendingDelete") problems.push(`${name}'s warm pool is being deleted`);
  const suspended = (group.SuspendedProcesses ?? []).map((p) => p.ProcessName ?? "")
    .filter((process) => BLOCKING_PROCESSES.includes(process));
  if (suspended.length) problems.push(`${name} has suspended processes: ${suspended.join(", ")}`);
  return outcome(
    problems,
    `${name}: max ${max} >= ${needed}; ${inServiceCount(group)} in service + ${group.WarmPoolSize ?? 0} ` +
      `in the warm pool (${pool?.PoolState ?? "?"}); min ${group.MinSize}, desired ${group.DesiredCapacity}`,
  );
};

export const launchTemplateCheck: ReadinessCheck = async (ctx) => {
  const group = await ctx.shared.standbyGroup();
  const spec = group.LaunchTemplate ??
    group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (!spec?.LaunchTemplateId && !spec?.LaunchTemplateName) {
    return { ok: false, evidence: `${group.AutoScalingGroupName} names no launch template` };
  }
  const { ec2 } = ctx.ports;
  const template = spec.LaunchTemplateId ?? spec.LaunchTemplateName;
  const version =
    (await ctx.io.call("ec2:DescribeLaunchTemplateVersions", () =>
      ec2.describeLaunchTemplateVersions({
        ...(spec.LaunchTemplateId
          ? { LaunchTemplateId: spec.LaunchTemplateId }
          : { LaunchTemplateName: spec.LaunchTemplateName }),
        Versions: [spec.Version ?? "$Default"],
        // EC2 resolves a `resolve:ssm:` image id to the AMI it launches today.
        ResolveAlias: true,
      }))).LaunchTemplateVersions?.[0];
  if (!version) return { ok: false, evidence: `${template} version ${spec.Version} not found` };
  const named = `${version.LaunchTemplateName ?? template} v${version.VersionNumber}`;
  const imageId = version.LaunchTemplateData?.ImageId;
  if (!imageId?.startsWith("ami-")) {
    return { ok: false, evidence: `${named}: image ${imageId ?? "(none)"} does not resolve to an AMI` };
  }
  const image = (await ctx.io.call("ec2:DescribeImages", () => ec2.describeImages({ ImageIds: [imageId] })))
    .Images?.[0];
  if (image?.State !== "available") {
    return { ok: false, evidence: `${named}: ${imageId} is ${image?.State ?? "not found"}` };
  }
  return { ok: true, evidence: `${named}: ${imageId} (${image.Name}) available` };
};

/** GetParameters takes at most 10 names per call. */
const GET_PARAMETERS_LIMIT = 10;

export const parametersCheck: ReadinessCheck = async (ctx) => {
  const { parameterPrefix, region, primaryRegion } = ctx.config.failover;
  // The master password is break-glass, read by no routine process (nor by this check).
  const keys = (Object.keys(PARAMETER_KEYS) as ParameterKey[]).filter((key) => key !== "masterPassword");
  const names = keys.map((key) => parameterName(parameterPrefix, key));
  const found = new Map<string, string>();
  const missing: string[] = [];
  for (let at = 0; at < names.length; at += GET_PARAMETERS_LIMIT) {
    const Names = names.slice(at, at + GET_PARAMETERS_LIMIT);
    // Without decryption: the SecureString's presence is what matters, never its value.
    const out = await ctx.io.call("ssm:GetParameters", () => ctx.ports.ssm.getParameters({ Names }));
    for (const p of out.Parameters ?? []) found.set(p.Name ?? "", p.Value ?? "");
    missing.push(...(out.InvalidParameters ?? []));
  }
  const value = (key: ParameterKey) => found.get(parameterName(parameterPrefix, key));
  const problems: string[] = [];
  if (missing.length) problems.push(`missing in ${region}: ${missing.sort().join(", ")}`);
  const role = value("regionRole");
  if (role !== undefined && role !== "secondary") problems.push(`region/role is "${role}", not "secondary"`);
  const active = value("activeRegion");
  if (active !== undefined && ![region, primaryRegion].includes(active)) {
    problems.push(`failover/active-region is "${active}", neither ${primaryRegion} nor ${region}`);
  }
  return outcome(
    problems,
    `${found.size} of ${names.length} present under ${parameterPrefix} (region/role = ${role}, ` +
      `failover/active-region = ${active})`,
  );
};

export const lockTableCheck: ReadinessCheck = async (ctx) => {
  const name = ctx.config.failover.idempotencyTable;
  const table = await unlessNotFound(
    "ResourceNotFoundException",
    async () =>
      (await ctx.io.call(
        "dynamodb:DescribeTable",
        () => ctx.ports.dynamodb.describeTable({ TableName: name }),
      ))
        .Table,
  );
  if (!table) {
    return { ok: false, evidence: `lock table ${name} not found: the orchestrator cannot take its lock` };
  }
  return table.TableStatus === "ACTIVE"
    ? { ok: true, evidence: `${name} ACTIVE` }
    : { ok: false, evidence: `lock table ${name} is ${table.TableStatus}` };
};

export const orchestratorCheck: ReadinessCheck = async (ctx) => {
  const { orchestratorFunctionName: name, failoverTriggerRule: ruleName } = ctx.config;
  const { lambda, events } = ctx.ports;
  const fn = await unlessNotFound(
    "ResourceNotFoundException",
    () =>
      ctx.io.call(
        "lambda:GetFunctionConfiguration",
        () => lambda.getFunctionConfiguration({ FunctionName: name }),
      ),
  );
  if (!fn) return { ok: false, evidence: `orchestrator function ${name} not found` };
  const reserved = (await ctx.io.call(
    "lambda:GetFunctionConcurrency",
    () => lambda.getFunctionConcurrency({ FunctionName: name }),
  )).ReservedConcurrentExecutions;
  const rule = await unlessNotFound(
    "ResourceNotFoundException",
    () => ctx.io.call("events:DescribeRule", () => events.describeRule({ Name: ruleName })),
  );
  const problems: string[] = [];
  if (fn.State !== "Active") problems.push(`${name} is ${fn.State ?? "in an unknown state"}`);
  if (fn.LastUpdateStatus === "Failed") problems.push(`${name}'s last update failed`);
  if (reserved === 0) problems.push(`${name} has reserved concurrency 0: it can never run`);
  if (!rule) problems.push(`trigger rule ${ruleName} not found`);
  else if (rule.State !== "ENABLED") problems.push(`trigger rule ${ruleName} is ${rule.State}`);
  const automation = ctx.config.failover.autoFailover ? "" : "; AUTO_FAILOVER=false: an alarm only notifies";
  return outcome(
    problems,
    `${name} Active (reserved concurrency ${
      reserved ?? "unreserved"
    }), trigger ${ruleName} ENABLED${automation}`,
  );
};
