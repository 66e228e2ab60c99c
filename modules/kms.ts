// One customer-managed KMS key per region, the witness region included (rotation on, alias). The key policy
// separates administration (one configurable principal, which cannot encrypt or decrypt) from use: principals
// of this account may use the key only through the AWS services this stack encrypts with (RDS, S3, SNS, SSM,
// Lambda, DynamoDB, EBS), as their IAM policies allow; CloudWatch Logs, CloudWatch alarms, EventBridge and the
// Auto Scaling service-linked role have key-policy grants of their own.
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias/index.js";
import { forEachRegion, type PerRegion, type ProviderContext } from "./providers.ts";
import { logicalId } from "./naming.ts";
import { policyDocument, type PolicyStatement } from "./policy.ts";
import type { ProtectionConfig } from "./protection_config.ts";
import type { StackContext } from "./stack_context.ts";

/** Who administers the keys and how long a deleted key can be recovered; the same for every key. */
export interface KeyManagement {
  /** Days before a deleted key is gone; 7 keeps `terraform destroy` cheap to undo for a week. */
  readonly deletionWindowDays?: number;
  /** Administers the keys (policy, rotation, deletion), never uses them; default the account root. */
  readonly adminPrincipalArn?: string;
}

export interface KmsInputs extends KeyManagement {
  /** Auto Scaling's service-linked role: launches instances whose EBS volumes this key encrypts. */
  readonly autoScalingRoleArn: string;
}

/** Key management from the protection settings: the production profile keeps a deleted key 30 days. */
/** What a service needs of a key to encrypt, decrypt and re-encrypt data under it. */
const ENVELOPE_ENCRYPTION = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:GenerateDataKey",
];

export function keyManagement(protection: ProtectionConfig): KeyManagement {
  return {
    adminPrincipalArn: protection.kmsAdminPrincipalArn,
    deletionWindowDays: protection.productionProfile ? 30 : 7,
  };
}

export interface RegionKey {
  readonly keyArn: string;
  readonly keyId: string;
  readonly aliasName: string;
}

export type KmsOutputs = PerRegion<RegionKey>;

/** Key administration: everything but cryptographic use (no Encrypt, Decrypt, ReEncrypt, GenerateDataKey). */
export const KEY_ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
];

/** Cryptographic use, granted to this account's principals only through the services below. */
export const KEY_USE_ACTIONS = [
  "kms:CreateGrant",
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:RetireGrant",
];

/** Services that call KMS on behalf of this account's principals with the region's key. */
export const KEY_USING_SERVICES = ["backup", "dynamodb", "ec2", "lambda", "rds", "s3", "sns", "ssm"] as const;

export function createKmsKeys(ctx: StackContext, inputs: KmsInputs): KmsOutputs {
  return forEachRegion(ctx.regions, (region) =>
    createKey(ctx, region, inputs, [
      ...autoScalingStatements(inputs.autoScalingRoleArn),
      {
        Sid: "AlarmsAndEventsPublishToEncryptedTopics",
        Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*", // in a key policy "*" is this key
        Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
      },
    ]));
}

/** The witness region's key: only its prober's log group and environment use it (no topic, no volumes). */
export function createWitnessKey(ctx: StackContext, management: KeyManagement): RegionKey {
  return createKey(ctx, ctx.witness, management, []);
}

function createKey(
  ctx: StackContext,
  { provider, region, role }: ProviderContext,
  inputs: KeyManagement,
  serviceStatements: readonly PolicyStatement[],
): RegionKey {
  const account = ctx.accountId;
  const keyPolicy = policyDocument([
    {
      Sid: "KeyAdministration",
      Principal: { AWS: inputs.adminPrincipalArn ?? `arn:aws:iam::${account}:root` },
      Action: KEY_ADMIN_ACTIONS,
      Resource: "*", // in a key policy "*" is this key
    },
    {
      Sid: "UseThroughStackServices",
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: KEY_USE_ACTIONS,
      Resource: "*", // in a key policy "*" is this key
      Condition: {
        StringEquals: {
          "kms:CallerAccount": account,
          "kms:ViaService": KEY_USING_SERVICES.map((service) => `${service}.${region}.amazonaws.com`),
        },
      },
    },
    {
      Sid: "CloudWatchLogsOfThisAccount",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: [...ENVELOPE_ENCRYPTION, "kms:DescribeKey"],
      Resource: "*", // in a key policy "*" is this key
      Condition: {
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${account}:log-group:*` },
      },
    },
    ...serviceStatements,
  ]);
  const key = new KmsKey(ctx.scope, logicalId("kms", role), {
    provider,
    description: `DR stack key (${role}, ${region}, ${ctx.suffix})`,
    enableKeyRotation: true,
    deletionWindowInDays: inputs.deletionWindowDays ?? 7,
    policy: keyPolicy,
  });
  const aliasName = `alias/${ctx.name("kmsAlias", "dr", region)}`;
  new KmsAlias(ctx.scope, logicalId("kms", role, "alias"), {
    provider,
    name: aliasName,
    targetKeyId: key.keyId,
  });
  return { keyArn: key.arn, keyId: key.keyId, aliasName };
}

function autoScalingStatements(autoScalingRoleArn: string): PolicyStatement[] {
  return [
    {
      Sid: "AutoScalingLaunchesEncryptedVolumes",
      Principal: { AWS: autoScalingRoleArn },
      Action: [...ENVELOPE_ENCRYPTION, "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"],
      Resource: "*", // in a key policy "*" is this key
    },
    {
      Sid: "AutoScalingAttachesEncryptedVolumes",
      Principal: { AWS: autoScalingRoleArn },
      Action: "kms:CreateGrant",
      Resource: "*", // in a key policy "*" is this key
      Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
    },
  ];
}
