// Application instances of one region, written once and called for both: the instance role
// (compute_instance_role.ts), a launch template (AMI resolved by EC2 from a public SSM parameter, IMDSv2 only,
// encrypted gp3 root, the service in user data) and an Auto Scaling group behind the region's target group.
// The primary runs at full capacity; the standby runs a minimum and keeps the difference as STOPPED instances
// in a warm pool (cost: their EBS volumes).
import { Token } from "cdktf";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template/index.js";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group/index.js";
import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy/index.js";
import type { ComputeConfig } from "./config.ts";
import { forEachRegion, type PerRegion, type RegionContext } from "./providers.ts";
import { artifactBucketName, logicalId } from "./naming.ts";
import { caBundleObjectKey, parameterPrefix } from "../handlers/lib/contract.ts";
import type { KeyedStackContext } from "./stack_context.ts";
import type { NetworkOutputs } from "./network.ts";
import type { SecurityGroupOutputs } from "./firewall.ts";
import type { LoadBalancerOutputs } from "./web.ts";
import { appUserData, encodeUserData } from "./app_service/user_data.ts";
import type { RdsCaBundleOutputs } from "./rds_ca_bundle.ts";
import { createInstanceRole, type InstanceRole } from "./compute_instance_role.ts";

export interface ComputeInputs {
  readonly network: NetworkOutputs;
  readonly securityGroups: SecurityGroupOutputs;
  /** `rds-db:connect` resources of the application database role (both clusters). */
  readonly appConnectArns: readonly string[];
  /** Auto Scaling's service-linked role that the key policies allow to use the EBS keys. */
  readonly autoScalingRoleArn: string;
  /** Target group of each region's load balancer (registered inline by the group). */
  readonly loadBalancers: LoadBalancerOutputs;
  /** Instance type, AMI parameter, app port and the capacity numbers of both regions. */
  readonly compute: ComputeConfig;
  /** Application key of the Parameter Store path (`/<appName>/<suffix>`). */
  readonly appName: string;
  /** Environment / Cost-Center tag values: provider default tags do not reach launched instances. */
  readonly environment: string;
  readonly costCenter: string;
  /** Average CPU the target-tracking policy holds the group at; default 50. */
  readonly targetCpuPercent?: number;
  /** The RDS CA bundle shipped into each region's artifact bucket (setup.sh installs it). */
  readonly rdsCaBundle: Pick<RdsCaBundleOutputs, "sha256Hex" | "objectArns">;
}

export interface RegionCompute {
  readonly asgName: string;
  readonly asgArn: string;
  readonly launchTemplateId: string;
  readonly instanceRoleArn: string;
}

export type ComputeOutputs = PerRegion<RegionCompute>;

/** Capacity-related group metrics (in-service, pending, warm pool, ...), published every minute. */
export const GROUP_METRICS = [
  "GroupMinSize",
  "GroupMaxSize",
  "GroupDesiredCapacity",
  "GroupInServiceInstances",
  "GroupInServiceCapacity",
  "GroupPendingInstances",
  "GroupPendingCapacity",
  "GroupStandbyInstances",
  "GroupStandbyCapacity",
  "GroupTerminatingInstances",
  "GroupTerminatingCapacity",
  "GroupTotalInstances",
  "GroupTotalCapacity",
  "WarmPoolDesiredCapacity",
  "WarmPoolWarmedCapacity",
  "WarmPoolPendingCapacity",
  "WarmPoolTerminatingCapacity",
  "WarmPoolTotalCapacity",
  "GroupAndWarmPoolDesiredCapacity",
  "GroupAndWarmPoolTotalCapacity",
];

export function createCompute(ctx: KeyedStackContext, inputs: ComputeInputs): ComputeOutputs {
  const prefix = parameterPrefix(inputs.appName, ctx.suffix);
  return forEachRegion(ctx.regions, (where) => {
    const instanceRole = createInstanceRole(ctx, where, {
      appName: inputs.appName,
      parameterPrefix: prefix,
      appConnectArns: inputs.appConnectArns,
      caBundleObjectArn: inputs.rdsCaBundle.objectArns[where.role],
    });
    const template = createLaunchTemplate(ctx, where, inputs, instanceRole);
    const group = createGroup(ctx, where, inputs, { template, instanceRole });
    return {
      asgName: group.name,
      asgArn: group.arn,
      launchTemplateId: template.id,
      instanceRoleArn: instanceRole.roleArn,
    };
  });
}

/**
 * Environment / Cost-Center tags and the instance name, which provider default tags do not put on
 * launched instances and volumes.
 */
function launchedTags(ctx: KeyedStackContext, { region, role }: RegionContext, inputs: ComputeInputs) {
  return {
    Name: ctx.name("generic", "app", region),
    Environment: inputs.environment,
    "DR-Role": role,
    "Cost-Center": inputs.costCenter,
  };
}

function createLaunchTemplate(
  ctx: KeyedStackContext,
  where: RegionContext,
  inputs: ComputeInputs,
  instanceRole: InstanceRole,
): LaunchTemplate {
  const { provider, region, role } = where;
  const compute = inputs.compute;
  const tags = launchedTags(ctx, where, inputs);
  return new LaunchTemplate(ctx.scope, logicalId("compute", role, "template"), {
    provider,
    name: ctx.name("launchTemplate", "app", region),
    description: `Application instances (${role})`,
    imageId: `resolve:ssm:${compute.amiParameter}`,
    instanceType: compute.instanceType,
    vpcSecurityGroupIds: [inputs.securityGroups[role].appSecurityGroupId],
    iamInstanceProfile: { arn: instanceRole.instanceProfileArn },
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: "disabled",
    },
    monitoring: { enabled: true },
    blockDeviceMappings: [{
      // Root device of Amazon Linux, sized explicitly (ROOT_VOLUME_GB), not left to the AMI.
      deviceName: "/dev/xvda",
      ebs: {
        volumeType: "gp3",
        volumeSize: compute.rootVolumeGb,
        encrypted: "true",
        kmsKeyId: ctx.keys[role].keyArn,
        deleteOnTermination: "true",
      },
    }],
    userData: encodeUserData(appUserData({
      region,
      parameterPrefix: parameterPrefix(inputs.appName, ctx.suffix),
      appPort: compute.appPort,
      logGroupName: instanceRole.logGroupName,
      caBundle: {
        bucket: artifactBucketName(ctx.suffix, ctx.accountId, region),
        key: caBundleObjectKey(region),
        sha256Hex: inputs.rdsCaBundle.sha256Hex,
      },
    })),
    updateDefaultVersion: true,
    tagSpecifications: [
      { resourceType: "instance", tags },
      { resourceType: "volume", tags },
    ],
    tags: { Name: tags.Name },
  });
}

/** The Auto Scaling group (with the standby's warm pool) and its target-tracking policy. */
function createGroup(
  ctx: KeyedStackContext,
  where: RegionContext,
  inputs: ComputeInputs,
  { template, instanceRole }: { template: LaunchTemplate; instanceRole: InstanceRole },
): AutoscalingGroup {
  const { provider, region, role } = where;
  const compute = inputs.compute;
  const standby = role === "secondary";
  const group = new AutoscalingGroup(ctx.scope, logicalId("compute", role, "group"), {
    provider,
    name: ctx.name("autoScalingGroup", "app", region),
    vpcZoneIdentifier: [...inputs.network[role].appSubnetIds],
    minSize: standby ? compute.standbyMinSize : compute.primaryMinSize,
    desiredCapacity: standby ? compute.standbyDesiredCapacity : compute.primaryDesiredCapacity,
    maxSize: compute.maxSize,
    serviceLinkedRoleArn: inputs.autoScalingRoleArn,
    launchTemplate: { id: template.id, version: Token.asString(template.latestVersion) },
    targetGroupArns: [inputs.loadBalancers[role].targetGroupArn],
    healthCheckType: "ELB",
    healthCheckGracePeriod: compute.healthCheckGraceSeconds,
    defaultInstanceWarmup: compute.healthCheckGraceSeconds,
    enabledMetrics: GROUP_METRICS,
    metricsGranularity: "1Minute",
    instanceRefresh: {
      strategy: "Rolling",
      // Launch before terminating: the group never drops under its desired capacity.
      preferences: {
        minHealthyPercentage: 100,
        maxHealthyPercentage: 200,
        instanceWarmup: String(compute.healthCheckGraceSeconds),
        skipMatching: true,
      },
    },
    ...(standby ? standbyWarmPool(compute) : {}),
    tag: Object.entries(launchedTags(ctx, where, inputs)).map(([key, value]) => ({
      key,
      value,
      propagateAtLaunch: true,
    })),
    // Instances must not boot before their permissions exist.
    dependsOn: instanceRole.permissions,
    lifecycle: {
      // Target tracking moves the desired capacity; on the standby the failover orchestrator also raises
      // the minimum, and a later apply must not shrink the region that now serves.
      ignoreChanges: standby ? ["desired_capacity", "min_size"] : ["desired_capacity"],
    },
  });
  new AutoscalingPolicy(ctx.scope, logicalId("compute", role, "cpu_target"), {
    provider,
    name: ctx.name("generic", "app-cpu-target", region),
    autoscalingGroupName: group.name,
    policyType: "TargetTrackingScaling",
    targetTrackingConfiguration: {
      predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
      targetValue: inputs.targetCpuPercent ?? 50,
    },
  });
  return group;
}

/** The standby's stopped instances: running + warm = the primary's capacity. */
function standbyWarmPool(compute: ComputeConfig) {
  return {
    warmPool: {
      poolState: "Stopped",
      minSize: compute.primaryDesiredCapacity - compute.standbyDesiredCapacity,
      // Target tracking beyond the primary's capacity launches fresh instances.
      maxGroupPreparedCapacity: compute.primaryDesiredCapacity,
      instanceReusePolicy: { reuseOnScaleIn: true },
    },
    forceDeleteWarmPool: true,
  };
}
