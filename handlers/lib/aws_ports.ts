// The few Auto Scaling and Parameter Store methods the failover and failback steps use, as small ports: the
// aggregated SDK v3 clients (`new AutoScaling()`, `new SSM()`) satisfy them and tests pass fakes.

import type {
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommandInput,
  UpdateAutoScalingGroupCommandInput,
} from "@aws-sdk/client-auto-scaling";
import type { GetParameterCommandInput, PutParameterCommandInput } from "@aws-sdk/client-ssm";
import { unlessNotFound } from "./aurora_global.ts";
import type { Step, StepIo } from "./steps.ts";

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

/** The `PrimaryFenced` metric: 1 keeps DNS on the standby until a person fails back. */
export interface FenceMetric {
  emit(value: 0 | 1): void | Promise<void>;
}

/** The step that emits the fence (failover: 1, failback: 0). No isDone: the metric is emitted every run. */
export function fenceStep<C extends { readonly fence: FenceMetric }>(
  name: string,
  value: 0 | 1,
  action: string,
): Step<C> {
  return {
    name,
    action,
    async run(ctx) {
      await ctx.fence.emit(value);
      return `PrimaryFenced = ${value}`;
    },
  };
}

/** Method names that change something; a drill (dry run) must call none of them. */
export const MUTATING_METHODS = [
  "failoverGlobalCluster",
  "switchoverGlobalCluster",
  "updateAutoScalingGroup",
  "putParameter",
  "publish",
  "copyDBClusterSnapshot",
] as const;

export async function describeGroup(
  api: AutoScalingApi,
  io: StepIo,
  name: string,
): Promise<AutoScalingGroup> {
  const out = await io.call(
    "autoscaling:DescribeAutoScalingGroups",
    () => api.describeAutoScalingGroups({ AutoScalingGroupNames: [name] }),
  );
  const group = out.AutoScalingGroups?.[0];
  if (!group) throw new Error(`Auto Scaling group ${name} not found`);
  return group;
}

/** The standby region's group: the failover raises it, the failback returns it to standby capacity. */
export function standbyGroup(
  ctx: { readonly autoScaling: AutoScalingApi; readonly targets: { readonly secondaryAsgName: string } },
  io: StepIo,
): Promise<AutoScalingGroup> {
  return describeGroup(ctx.autoScaling, io, ctx.targets.secondaryAsgName);
}

/** Instances of the group that are InService and not on their way out. */
export function inServiceCount(group: AutoScalingGroup): number {
  return (group.Instances ?? []).filter((instance) => instance.LifecycleState === "InService").length;
}

export function readParameter(ssm: SsmApi, io: StepIo, name: string): Promise<string | undefined> {
  return unlessNotFound(
    "ParameterNotFound",
    async () => (await io.call("ssm:GetParameter", () => ssm.getParameter({ Name: name }))).Parameter?.Value,
  );
}

export async function putParameter(ssm: SsmApi, io: StepIo, name: string, value: string): Promise<void> {
  await io.call(
    "ssm:PutParameter",
    () => ssm.putParameter({ Name: name, Value: value, Type: "String", Overwrite: true }),
  );
}
