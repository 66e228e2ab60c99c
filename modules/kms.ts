// One customer-managed KMS key per region, the witness region included (rotation on, alias), its key policy
// ready for the services this stack encrypts with: RDS, S3, SNS, SSM and Lambda use it through IAM principals of the account;
// CloudWatch Logs, CloudWatch alarms and EventBridge need key-policy grants of their own.
import { Construct } from "constructs";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias/index.js";
import {
  forEachRegion,
  type PerRegion,
  type ProviderContext,
  type RegionPair,
  type WitnessContext,
} from "./providers.ts";
import { logicalId, physicalName } from "./naming.ts";
import { policyDocument, type PolicyStatement } from "./policy.ts";

export interface KmsInputs {
  readonly regions: RegionPair;
  readonly accountId: string;
  readonly environmentSuffix: string;
  /** Auto Scaling's service-linked role: launches instances whose EBS volumes this key encrypts. */
  readonly autoScalingRoleArn: string;
  /** Days before a deleted key is gone; 7 keeps `terraform destroy` cheap to undo for a week. */
  readonly deletionWindowDays?: number;
}

export interface RegionKey {
  readonly keyArn: string;
  readonly keyId: string;
  readonly aliasName: string;
}

export type KmsOutputs = PerRegion<RegionKey>;

/** Administration and use by IAM principals of this account; explicit actions instead of `kms:*`. */
const ACCOUNT_KEY_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:CreateGrant",
  "kms:Decrypt",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:RetireGrant",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
];

export function createKmsKeys(scope: Construct, inputs: KmsInputs): KmsOutputs {
  return forEachRegion(inputs.regions, (region) =>
    createKey(scope, region, inputs, [
      ...autoScalingStatements(inputs.autoScalingRoleArn),
      {
        Sid: "AlarmsAndEventsPublishToEncryptedTopics",
        Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*", // in a key policy "*" is this key
        Condition: { StringEquals: { "aws:SourceAccount": inputs.accountId } },
      },
    ]));
}

export interface WitnessKeyInputs {
  readonly witness: WitnessContext;
  readonly accountId: string;
  readonly environmentSuffix: string;
  readonly deletionWindowDays?: number;
}

/** The witness region's key: only its prober's log group and environment use it (no topic, no volumes). */
export function createWitnessKey(scope: Construct, inputs: WitnessKeyInputs): RegionKey {
  return createKey(scope, inputs.witness, inputs, []);
}

function createKey(
  scope: Construct,
  { provider, region, role }: ProviderContext,
  inputs: { accountId: string; environmentSuffix: string; deletionWindowDays?: number },
  serviceStatements: readonly PolicyStatement[],
): RegionKey {
  const account = inputs.accountId;
  const keyPolicy = policyDocument([
    {
      Sid: "AccountAdministrationAndUse",
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: ACCOUNT_KEY_ACTIONS,
      Resource: "*", // in a key policy "*" is this key
    },
    {
      Sid: "CloudWatchLogsOfThisAccount",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:DescribeKey",
      ],
      Resource: "*", // in a key policy "*" is this key
      Condition: {
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${account}:log-group:*` },
      },
    },
    ...serviceStatements,
  ]);
  const key = new KmsKey(scope, logicalId("kms", role), {
    provider,
    description: `DR stack key (${role}, ${region}, ${inputs.environmentSuffix})`,
    enableKeyRotation: true,
    deletionWindowInDays: inputs.deletionWindowDays ?? 7,
    policy: keyPolicy,
  });
  const aliasName = `alias/${physicalName("kmsAlias", "dr", inputs.environmentSuffix, region)}`;
  new KmsAlias(scope, logicalId("kms", role, "alias"), {
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
      Action: [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:DescribeKey",
      ],
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
