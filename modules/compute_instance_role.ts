// The application instances' identity in one region (logical ids `compute_<role>_{logs,instance_*,
// session_manager}`): their log group and a role that reads its own parameters, its artifact bucket and its
// RDS CA bundle, writes its log group, connects to the database as the application role and is reachable
// through Session Manager; nothing else.
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile/index.js";
import type { ITerraformDependable } from "cdktf";
import type { RegionContext } from "./providers.ts";
import { artifactBucketName, logicalId } from "./naming.ts";
import { assumeRolePolicy, policyDocument, type PolicyStatement } from "./policy.ts";
import { type ParameterKey, parameterName } from "../handlers/lib/contract.ts";
import { ARTIFACT_KEY } from "./app_service/user_data.ts";
import type { KeyedStackContext } from "./stack_context.ts";

/** AWS managed policy for Session Manager (no SSH keys, no inbound port). */
export const SESSION_MANAGER_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

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

export interface InstanceRoleInputs {
  /** Application key of the log group name (`/ec2/<appName>-app`). */
  readonly appName: string;
  /** Parameter Store path of the stack (`/<appName>/<suffix>`). */
  readonly parameterPrefix: string;
  /** `rds-db:connect` resources of the application database role (both clusters). */
  readonly appConnectArns: readonly string[];
  /** ARN of the region's uploaded RDS CA bundle. */
  readonly caBundleObjectArn: string;
}

export interface InstanceRole {
  readonly logGroupName: string;
  readonly roleArn: string;
  readonly instanceProfileArn: string;
  /** What must exist before an instance boots: its permissions. */
  readonly permissions: ITerraformDependable[];
}

export function createInstanceRole(
  ctx: KeyedStackContext,
  { provider, region, role }: RegionContext,
  inputs: InstanceRoleInputs,
): InstanceRole {
  const { scope } = ctx;
  const id = (key: string) => logicalId("compute", role, key);
  const logGroupName = ctx.name("logGroup", `/ec2/${inputs.appName}-app`, region);
  const logGroup = new CloudwatchLogGroup(scope, id("logs"), {
    provider,
    name: logGroupName,
    retentionInDays: ctx.logRetentionDays,
    kmsKeyId: ctx.keys[role].keyArn,
  });

  const instanceRole = new IamRole(scope, id("instance_role"), {
    provider,
    name: ctx.name("iamRole", "app-instance", region),
    description: `Application instances in ${region}: own parameters, artifact bucket, log group`,
    assumeRolePolicy: assumeRolePolicy("ec2.amazonaws.com"),
  });
  const instancePolicy = new IamRolePolicy(scope, id("instance_policy"), {
    provider,
    name: ctx.policyName("app-instance", region),
    role: instanceRole.id,
    policy: policyDocument([
      ...readStatements(ctx, region, role, inputs),
      {
        Sid: "WriteOwnLogs",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [logGroup.arn, `${logGroup.arn}:*`],
      },
      ...parameterDenials(ctx, region, inputs.parameterPrefix),
    ]),
  });
  const sessionManager = new IamRolePolicyAttachment(scope, id("session_manager"), {
    provider,
    role: instanceRole.name,
    policyArn: SESSION_MANAGER_POLICY_ARN,
  });
  const instanceProfile = new IamInstanceProfile(scope, id("instance_profile"), {
    provider,
    name: ctx.name("iamInstanceProfile", "app-instance", region),
    role: instanceRole.name,
  });
  return {
    logGroupName,
    roleArn: instanceRole.arn,
    instanceProfileArn: instanceProfile.arn,
    permissions: [instancePolicy, sessionManager],
  };
}

/** What boot, the release and the fence read: parameters, database login, artifact, CA bundle. */
function readStatements(
  ctx: KeyedStackContext,
  region: string,
  role: RegionContext["role"],
  inputs: InstanceRoleInputs,
): PolicyStatement[] {
  const bucketArn = `arn:aws:s3:::${artifactBucketName(ctx.suffix, ctx.accountId, region)}`;
  return [
    {
      // Exactly what boot_config.py and the fence read: no secret among them.
      Sid: "ReadOwnParameters",
      Action: ["ssm:GetParameter", "ssm:GetParameters"],
      Resource: INSTANCE_PARAMETER_KEYS.map((parameter) =>
        `arn:aws:ssm:${region}:${ctx.accountId}:parameter${parameterName(inputs.parameterPrefix, parameter)}`
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
      Resource: inputs.caBundleObjectArn,
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
      Resource: ctx.keys[role].keyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
    },
  ];
}

/** AmazonSSMManagedInstanceCore allows reading every parameter: these take that back. */
function parameterDenials(ctx: KeyedStackContext, region: string, prefix: string): PolicyStatement[] {
  const readParameters = [
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
  ];
  return [
    {
      // Only this stack's path stays readable.
      Sid: "NoOtherParameters",
      Effect: "Deny",
      Action: readParameters,
      NotResource: `arn:aws:ssm:${region}:${ctx.accountId}:parameter${prefix}/*`,
    },
    {
      // Break-glass only; the managed policy's ssm:GetParameter* on "*" would otherwise reach it.
      Sid: "NeverTheMasterPassword",
      Effect: "Deny",
      Action: readParameters,
      Resource: `arn:aws:ssm:${region}:${ctx.accountId}:parameter${parameterName(prefix, "masterPassword")}`,
    },
  ];
}
