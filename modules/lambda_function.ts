// One Lambda function in one region, the way every function of this stack is made: its log group first
// (retention, KMS), a least-privilege role whose policy is attached before the function exists, X-Ray
// tracing, async retry limits and an on-failure destination (the region's alert topic, where it has one).
import { AssetType, TerraformAsset } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config/index.js";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import type { ProviderContext } from "./providers.ts";
import { logicalId } from "./naming.ts";
import type { StackContext } from "./stack_context.ts";
import { assumeRolePolicy, KMS_USE_ACTIONS, policyDocument, type PolicyStatement } from "./policy.ts";
import { bundleHandler, LAMBDA_ARCHITECTURE, LAMBDA_HANDLER, LAMBDA_RUNTIME } from "./lambda_bundle.ts";

/** A bundled handler as a Terraform asset (one per handler, shared by both regions). */
export interface HandlerCode {
  /** Path of the zip relative to the stack folder. */
  readonly assetPath: string;
  readonly sha256Base64: string;
  readonly bytes: number;
}

/** Bundles each handler (deterministic zip) and registers it as a FILE asset of the stack. */
export function createHandlerAssets<Name extends string>(
  ctx: StackContext,
  names: readonly Name[],
  buildDir: string,
): Record<Name, HandlerCode> {
  const entries = names.map((name) => {
    const bundle = bundleHandler(name, buildDir);
    const asset = new TerraformAsset(ctx.scope, logicalId("handler_code", undefined, name), {
      path: bundle.zipPath,
      type: AssetType.FILE,
    });
    return [name, { assetPath: asset.path, sha256Base64: bundle.sha256Base64, bytes: bundle.bytes }] as const;
  });
  return Object.fromEntries(entries) as Record<Name, HandlerCode>;
}

export interface LambdaFunctionInputs {
  readonly region: ProviderContext;
  /** Concern for logical ids (`health_checks`, `failover`). */
  readonly concern: string;
  /** Short kebab-case name: `db-health` -> function `dr-db-health-<region>-<suffix>`. */
  readonly name: string;
  readonly code: HandlerCode;
  /** Region key: encrypts the log group and the environment variables. */
  readonly keyArn: string;
  /** What the function may do besides writing its own logs and traces. */
  readonly statements: readonly PolicyStatement[];
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  /** @default 256 */
  readonly memoryMb?: number;
  /** Caps concurrent executions (protects the account and the database from a runaway schedule). */
  readonly reservedConcurrency: number;
  /** Async retries after a failed invocation (0-2). */
  readonly maximumRetryAttempts: number;
  /** Seconds an async event may wait before it is dropped to the failure destination. */
  readonly maximumEventAgeSeconds: number;
  /**
   * On-failure destination for async invocations (SNS topic of the region). Absent only in the witness
   * region, which has no topic: an alarm in the standby region watches the witness prober's metrics instead.
   */
  readonly failureTopicArn?: string;
  /** Runs in these subnets with this security group (only the database checker needs the VPC). */
  readonly vpc?: LambdaVpc;
}

export interface LambdaVpc {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupId: string;
}

export interface LambdaFunctionOutputs {
  readonly functionName: string;
  readonly functionArn: string;
  readonly roleArn: string;
  readonly logGroupName: string;
}

export function createLambdaFunction(ctx: StackContext, inputs: LambdaFunctionInputs): LambdaFunctionOutputs {
  const { scope } = ctx;
  const { provider, region, role } = inputs.region;
  const key = inputs.name.replaceAll("-", "_");
  const id = (part?: string) => logicalId(inputs.concern, role, part ? `${key}_${part}` : key);
  const functionName = ctx.name("lambda", `dr-${inputs.name}`, region);

  const logGroup = new CloudwatchLogGroup(scope, id("logs"), {
    provider,
    name: `/aws/lambda/${functionName}`,
    retentionInDays: ctx.logRetentionDays,
    kmsKeyId: inputs.keyArn,
  });
  const executionRole = new IamRole(scope, id("role"), {
    provider,
    name: ctx.name("iamRole", `lambda-${inputs.name}`, region),
    assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com", ctx.accountId),
  });
  const policy = new IamRolePolicy(scope, id("policy"), {
    provider,
    name: ctx.policyName(`dr-${inputs.name}`, region),
    role: executionRole.id,
    policy: policyDocument(executionStatements(ctx, inputs, functionName, logGroup.arn)),
  });
  const lambda = new LambdaFunction(scope, id(), {
    provider,
    functionName,
    role: executionRole.arn,
    runtime: LAMBDA_RUNTIME,
    architectures: [LAMBDA_ARCHITECTURE],
    handler: LAMBDA_HANDLER,
    filename: inputs.code.assetPath,
    sourceCodeHash: inputs.code.sha256Base64,
    timeout: inputs.timeoutSeconds,
    memorySize: inputs.memoryMb ?? 256,
    reservedConcurrentExecutions: inputs.reservedConcurrency,
    kmsKeyArn: inputs.keyArn,
    tracingConfig: { mode: "Active" },
    loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
    environment: { variables: { ...inputs.environment } },
    ...(inputs.vpc
      ? {
        vpcConfig: { subnetIds: [...inputs.vpc.subnetIds], securityGroupIds: [inputs.vpc.securityGroupId] },
      }
      : {}),
    // The log group must exist before the first invocation creates it; ENI permissions before the VPC attach.
    dependsOn: [logGroup, policy],
  });
  new LambdaFunctionEventInvokeConfig(scope, id("async"), {
    provider,
    functionName: lambda.functionName,
    maximumRetryAttempts: inputs.maximumRetryAttempts,
    maximumEventAgeInSeconds: inputs.maximumEventAgeSeconds,
    ...(inputs.failureTopicArn
      ? { destinationConfig: { onFailure: { destination: inputs.failureTopicArn } } }
      : {}),
  });
  return {
    // The literal name (not the token) keeps alarms and dashboards readable; they need no ordering.
    functionName,
    functionArn: lambda.arn,
    roleArn: executionRole.arn,
    logGroupName: logGroup.name,
  };
}

/** Its own logs, traces and environment key, the failure destination, the ENIs, then what it does. */
function executionStatements(
  ctx: StackContext,
  inputs: LambdaFunctionInputs,
  functionName: string,
  logGroupArn: string,
): PolicyStatement[] {
  const { region } = inputs.region;
  return [
    {
      Sid: "OwnLogs",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${logGroupArn}:*`,
    },
    {
      Sid: "Tracing",
      Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
      Resource: "*", // X-Ray supports no resource-level permissions
    },
    {
      Sid: "DecryptOwnEnvironment",
      Action: ["kms:Decrypt"],
      Resource: inputs.keyArn,
      Condition: {
        StringEquals: {
          "kms:EncryptionContext:aws:lambda:FunctionArn":
            `arn:aws:lambda:${region}:${ctx.accountId}:function:${functionName}`,
        },
      },
    },
    ...failureDestinationStatements(inputs.failureTopicArn, inputs.keyArn, region),
    ...(inputs.vpc ? networkInterfaceStatements(region, ctx.accountId, inputs.vpc) : []),
    ...inputs.statements,
  ];
}

function failureDestinationStatements(
  topicArn: string | undefined,
  keyArn: string,
  region: string,
): PolicyStatement[] {
  if (topicArn === undefined) return [];
  return [
    { Sid: "FailureDestination", Action: ["sns:Publish"], Resource: topicArn },
    {
      Sid: "FailureDestinationKey",
      Action: [...KMS_USE_ACTIONS],
      Resource: keyArn,
      Condition: { StringEquals: { "kms:ViaService": `sns.${region}.amazonaws.com` } },
    },
  ];
}

export interface EventTriggerInputs {
  readonly region: ProviderContext;
  /** Logical id of the rule; its target and permission take `<ruleId>_target` / `<ruleId>_invoke`. */
  readonly ruleId: string;
  readonly ruleName: string;
  readonly description: string;
  /** A schedule (`rate(1 minute)`) or an event pattern (JSON). */
  readonly when: { readonly scheduleExpression: string } | { readonly eventPattern: string };
  readonly functionArn: string;
}

/** An EventBridge rule that invokes a function, and the permission scoped to exactly that rule. */
export function invokeOnEvent(ctx: StackContext, inputs: EventTriggerInputs): void {
  const { scope } = ctx;
  const { provider } = inputs.region;
  const rule = new CloudwatchEventRule(scope, inputs.ruleId, {
    provider,
    name: inputs.ruleName,
    description: inputs.description,
    ...inputs.when,
  });
  new CloudwatchEventTarget(scope, `${inputs.ruleId}_target`, {
    provider,
    rule: rule.name,
    arn: inputs.functionArn,
  });
  new LambdaPermission(scope, `${inputs.ruleId}_invoke`, {
    provider,
    statementId: "AllowEventBridgeInvoke",
    action: "lambda:InvokeFunction",
    functionName: inputs.functionArn, // the ARN token orders the permission after the function
    principal: "events.amazonaws.com",
    sourceArn: rule.arn,
  });
}

/**
 * ENI permissions of a VPC function, held to the stack's VPC and the function's subnets and security group.
 * Service Authorization Reference (Amazon EC2): CreateNetworkInterface authorizes the new `network-interface`
 * (condition keys `ec2:Subnet`, `ec2:Vpc`) and the `subnet` and `security-group` it uses (exact ARNs here);
 * Delete/Assign/Unassign act on a `network-interface`, which carries `ec2:Vpc` too.
 */
export function networkInterfaceStatements(
  region: string,
  accountId: string,
  vpc: LambdaVpc,
): PolicyStatement[] {
  const arn = (resource: string) => `arn:aws:ec2:${region}:${accountId}:${resource}`;
  const vpcArn = arn(`vpc/${vpc.vpcId}`);
  const subnetArns = vpc.subnetIds.map((subnetId) => arn(`subnet/${subnetId}`));
  return [
    {
      Sid: "DescribeNetworkInterfaces",
      Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeVpcs"],
      Resource: "*", // EC2 Describe actions support no resource-level permissions
    },
    {
      Sid: "CreateNetworkInterfacesInOwnSubnets",
      Action: "ec2:CreateNetworkInterface",
      Resource: arn("network-interface/*"),
      Condition: { ArnEquals: { "ec2:Vpc": vpcArn, "ec2:Subnet": subnetArns } },
    },
    {
      Sid: "UseOwnSubnetsAndSecurityGroup",
      Action: "ec2:CreateNetworkInterface",
      Resource: [...subnetArns, arn(`security-group/${vpc.securityGroupId}`)],
    },
    {
      Sid: "ManageNetworkInterfacesInOwnVpc",
      Action: [
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ],
      Resource: arn("network-interface/*"),
      Condition: { ArnEquals: { "ec2:Vpc": vpcArn } },
    },
  ];
}
