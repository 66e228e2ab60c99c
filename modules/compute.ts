// Application instances of one region, written once and called for both: the instance role (its own
// parameters, its bucket, its log group, Session Manager; nothing else), a launch template (AMI resolved
// by EC2 from a public SSM parameter, IMDSv2 only, encrypted gp3 root, the service in user data) and an
// Auto Scaling group behind the region's target group. The primary runs at full capacity; the standby
// runs a minimum and keeps the difference as STOPPED instances in a warm pool (cost: their EBS volumes).
import { Construct } from "constructs";
import { Token } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template/index.js";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group/index.js";
import { AutoscalingPolicy } from "@cdktf/provider-aws/lib/autoscaling-policy/index.js";
import type { ComputeConfig } from "./config.ts";
import { forEachRegion, type PerRegion, type RegionPair } from "./providers.ts";
import { artifactBucketName, logicalId, physicalName } from "./naming.ts";
import { assumeRolePolicy, policyDocument } from "./policy.ts";
import {
  caBundleObjectKey,
  type ParameterKey,
  parameterName,
  parameterPrefix,
} from "../handlers/lib/contract.ts";
import type { KmsOutputs } from "./kms.ts";
import type { NetworkOutputs } from "./network.ts";
import type { SecurityGroupOutputs } from "./security_groups.ts";
import type { LoadBalancerOutputs } from "./web.ts";
import { appUserData, ARTIFACT_KEY, encodeUserData } from "./app_service/user_data.ts";
import type { RdsCaBundleOutputs } from "./rds_ca_bundle.ts";

export interface ComputeInputs {
  readonly regions: RegionPair;
  readonly network: NetworkOutputs;
  readonly securityGroups: SecurityGroupOutputs;
  readonly keys: KmsOutputs;
  /** `rds-db:connect` resources of the application database role (both clusters). */
  readonly appConnectArns: readonly string[];
  /** Auto Scaling's service-linked role that the key policies allow to use the EBS keys. */
  readonly autoScalingRoleArn: string;
  /** Target group of each region's load balancer (registered inline by the group). */
  readonly loadBalancers: LoadBalancerOutputs;
  /** Instance type, AMI parameter, app port and the capacity numbers of both regions. */
  readonly compute: ComputeConfig;
  readonly accountId: string;
  /** Application key of the Parameter Store path (`/<appName>/<suffix>`). */
  readonly appName: string;
  readonly environmentSuffix: string;
  /** Environment / Cost-Center tag values: provider default tags do not reach launched instances. */
  readonly environment: string;
  readonly costCenter: string;
  readonly logRetentionDays: number;
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

/** AWS managed policy for Session Manager (no SSH keys, no inbound port). */
export const SESSION_MANAGER_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

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

/** The parameters an instance reads (boot_config.py's PARAMETERS and the fence's active region). */
export const INSTANCE_PARAMETER_KEYS: readonly ParameterKey[] = [
  "writerEndpoint",
  "readerEndpoint",
  "regionRole",
  "port",
  "databaseName",
  "artifactBucket",
  "activeRegion",
  "releaseDigest",
];

export function createCompute(scope: Construct, inputs: ComputeInputs): ComputeOutputs {
  const suffix = inputs.environmentSuffix;
  const compute = inputs.compute;
  const prefix = parameterPrefix(inputs.appName, suffix);
  return forEachRegion(inputs.regions, ({ provider, region, role }) => {
    const id = (key?: string) => logicalId("compute", role, key);
    const account = inputs.accountId;
    const key = inputs.keys[role];
    const bucketArn = `arn:aws:s3:::${artifactBucketName(suffix, account, region)}`;

    const logGroupName = physicalName("logGroup", `/ec2/${inputs.appName}-app`, suffix, region);
    const logGroup = new CloudwatchLogGroup(scope, id("logs"), {
      provider,
      name: logGroupName,
      retentionInDays: inputs.logRetentionDays,
      kmsKeyId: key.keyArn,
    });

    const instanceRole = new IamRole(scope, id("instance_role"), {
      provider,
      name: physicalName("iamRole", "app-instance", suffix, region),
      description: `Application instances in ${region}: own parameters, artifact bucket, log group`,
      assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
    });
    const instancePolicy = new IamRolePolicy(scope, id("instance_policy"), {
      provider,
      name: "app-instance",
      role: instanceRole.id,
      policy: policyDocument([
        {
          // Exactly what boot_config.py and the fence read: no secret among them.
          Sid: "ReadOwnParameters",
          Action: ["ssm:GetParameter", "ssm:GetParameters"],
          Resource: INSTANCE_PARAMETER_KEYS.map((parameter) =>
            `arn:aws:ssm:${region}:${account}:parameter${parameterName(prefix, parameter)}`
          ),
        },
        {
          // The instances and their release log in as the application role with IAM tokens.
          Sid: "ConnectAsApplicationRole",
          Action: "rds-db:connect",
          Resource: [...inputs.appConnectArns],
        },
        {
          Sid: "ReadReleaseArtifact",
          Action: "s3:GetObject",
          Resource: `${bucketArn}/${ARTIFACT_KEY}`,
        },
        {
          // The uploaded object itself (a reference): instances launch only once it is there.
          Sid: "ReadRdsCaBundle",
          Action: "s3:GetObject",
          Resource: inputs.rdsCaBundle.objectArns[role],
        },
        {
          // Boot lists exactly the release key to tell "not published" from "not readable".
          Sid: "SeeWhetherReleaseIsPublished",
          Action: "s3:ListBucket",
          Resource: bucketArn,
          Condition: { StringEquals: { "s3:prefix": ARTIFACT_KEY } },
        },
        {
          // The artifact bucket is SSE-KMS with this region's key.
          Sid: "DecryptArtifactThroughS3",
          Action: "kms:Decrypt",
          Resource: key.keyArn,
          Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
        },
        {
          Sid: "WriteOwnLogs",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [logGroup.arn, `${logGroup.arn}:*`],
        },
        {
          // AmazonSSMManagedInstanceCore allows reading every parameter: only this stack's path stays readable.
          Sid: "NoOtherParameters",
          Effect: "Deny",
          Action: [
            "ssm:GetParameter",
            "ssm:GetParameters",
            "ssm:GetParametersByPath",
            "ssm:GetParameterHistory",
          ],
          NotResource: `arn:aws:ssm:${region}:${account}:parameter${prefix}/*`,
        },
        {
          // Break-glass only; the managed policy's ssm:GetParameter* on "*" would otherwise reach it.
          Sid: "NeverTheMasterPassword",
          Effect: "Deny",
          Action: [
            "ssm:GetParameter",
            "ssm:GetParameters",
            "ssm:GetParametersByPath",
            "ssm:GetParameterHistory",
          ],
          Resource: `arn:aws:ssm:${region}:${account}:parameter${parameterName(prefix, "masterPassword")}`,
        },
      ]),
    });
    const sessionManager = new IamRolePolicyAttachment(scope, id("session_manager"), {
      provider,
      role: instanceRole.name,
      policyArn: SESSION_MANAGER_POLICY_ARN,
    });
    const instanceProfile = new IamInstanceProfile(scope, id("instance_profile"), {
      provider,
      name: physicalName("iamInstanceProfile", "app-instance", suffix, region),
      role: instanceRole.name,
    });

    const instanceName = physicalName("generic", "app", suffix, region);
    const launchedTags = {
      Name: instanceName,
      Environment: inputs.environment,
      "DR-Role": role,
      "Cost-Center": inputs.costCenter,
    };
    const template = new LaunchTemplate(scope, id("template"), {
      provider,
      name: physicalName("launchTemplate", "app", suffix, region),
      description: `Application instances (${role})`,
      imageId: `resolve:ssm:${compute.amiParameter}`,
      instanceType: compute.instanceType,
      vpcSecurityGroupIds: [inputs.securityGroups[role].appSecurityGroupId],
      iamInstanceProfile: { arn: instanceProfile.arn },
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
          kmsKeyId: key.keyArn,
          deleteOnTermination: "true",
        },
      }],
      userData: encodeUserData(appUserData({
        region,
        parameterPrefix: prefix,
        appPort: compute.appPort,
        logGroupName,
        caBundle: {
          bucket: artifactBucketName(suffix, account, region),
          key: caBundleObjectKey(region),
          sha256Hex: inputs.rdsCaBundle.sha256Hex,
        },
      })),
      updateDefaultVersion: true,
      tagSpecifications: [
        { resourceType: "instance", tags: launchedTags },
        { resourceType: "volume", tags: launchedTags },
      ],
      tags: { Name: instanceName },
    });

    const standby = role === "secondary";
    const minSize = standby ? compute.standbyMinSize : compute.primaryMinSize;
    const desiredCapacity = standby ? compute.standbyDesiredCapacity : compute.primaryDesiredCapacity;
    const group = new AutoscalingGroup(scope, id("group"), {
      provider,
      name: physicalName("autoScalingGroup", "app", suffix, region),
      vpcZoneIdentifier: [...inputs.network[role].appSubnetIds],
      minSize,
      desiredCapacity,
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
      ...(standby
        ? {
          warmPool: {
            poolState: "Stopped",
            minSize: compute.primaryDesiredCapacity - compute.standbyDesiredCapacity,
            // Running + warm = the primary's capacity; target tracking beyond that launches fresh.
            maxGroupPreparedCapacity: compute.primaryDesiredCapacity,
            instanceReusePolicy: { reuseOnScaleIn: true },
          },
          forceDeleteWarmPool: true,
        }
        : {}),
      tag: Object.entries(launchedTags).map(([tagKey, value]) => ({
        key: tagKey,
        value,
        propagateAtLaunch: true,
      })),
      // Instances must not boot before their permissions exist.
      dependsOn: [instancePolicy, sessionManager],
      lifecycle: {
        // Target tracking moves the desired capacity; on the standby the failover orchestrator also raises
        // the minimum, and a later apply must not shrink the region that now serves.
        ignoreChanges: standby ? ["desired_capacity", "min_size"] : ["desired_capacity"],
      },
    });

    new AutoscalingPolicy(scope, id("cpu_target"), {
      provider,
      name: physicalName("generic", "app-cpu-target", suffix, region),
      autoscalingGroupName: group.name,
      policyType: "TargetTrackingScaling",
      targetTrackingConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
        targetValue: inputs.targetCpuPercent ?? 50,
      },
    });

    return {
      asgName: group.name,
      asgArn: group.arn,
      launchTemplateId: template.id,
      instanceRoleArn: instanceRole.arn,
    };
  });
}
