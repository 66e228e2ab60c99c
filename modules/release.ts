// The release path's one writer: an IAM role (global, made once with the primary provider) that alone may put
// application releases (`app/*`) into both artifact buckets and pin their SHA-256 in both regions' Parameter
// Store (`app/release-sha256`). The artifact bucket policies deny those object writes to every other principal
// (modules/storage.ts); instances install only an archive whose digest matches the pinned one. `make release`
// (tools/release.ts) assumes this role.
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { forEachRegion, ROLES } from "./providers.ts";
import { logicalId } from "./naming.ts";
import { policyDocument, type PolicyStatement } from "./policy.ts";
import type { KeyedStackContext, StackContext } from "./stack_context.ts";
import { s3EncryptionContext, type StorageOutputs } from "./storage.ts";
import type { ParametersOutputs } from "./parameters.ts";

/** Key prefix of application releases in the artifact buckets; only the deploy role writes under it. */
export const RELEASE_PREFIX = "app/";

export interface DeployRoleInputs {
  /** Who may assume the role (DEPLOY_TRUSTED_PRINCIPAL_ARN); default the account root, so IAM decides. */
  readonly trustedPrincipalArn: string;
}

export interface DeployRoleOutputs {
  readonly roleArn: string;
  readonly roleName: string;
}

export interface DeployGrantInputs {
  readonly role: DeployRoleOutputs;
  readonly storage: StorageOutputs;
  readonly parameters: ParametersOutputs;
}

/** The role alone: the bucket policies name it before its permissions (which name the buckets) exist. */
export function createDeployRole(ctx: StackContext, inputs: DeployRoleInputs): DeployRoleOutputs {
  const role = new IamRole(ctx.scope, logicalId("release", "global", "deploy_role"), {
    provider: ctx.regions.primary.provider,
    name: ctx.name("iamRole", "release-deploy"),
    description:
      "Publishes application releases (make release): app/* in both artifact buckets, their digests",
    assumeRolePolicy: policyDocument([{
      Action: "sts:AssumeRole",
      Principal: { AWS: inputs.trustedPrincipalArn },
    }]),
  });
  return { roleArn: role.arn, roleName: role.name };
}

/** Exactly what publishing needs: put releases, pin their digests, and the S3 encryption that implies. */
export function grantDeployRole(ctx: KeyedStackContext, inputs: DeployGrantInputs): void {
  const encrypt = forEachRegion(ctx.regions, ({ region, role }): PolicyStatement => {
    const bucketArn = inputs.storage[role].bucketArn;
    return {
      // SSE-KMS by bucket default: a PutObject asks KMS for a data key through S3 (bucket keys: the
      // encryption context is the bucket ARN, without them the object ARN).
      Sid: `EncryptReleases${role === "primary" ? "Primary" : "Secondary"}`,
      Action: "kms:GenerateDataKey",
      Resource: ctx.keys[role].keyArn,
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` },
        StringLike: s3EncryptionContext(bucketArn),
      },
    };
  });
  new IamRolePolicy(ctx.scope, logicalId("release", "global", "deploy_policy"), {
    provider: ctx.regions.primary.provider,
    name: ctx.policyName("release-deploy"),
    role: inputs.role.roleName,
    policy: policyDocument([
      {
        Sid: "PutReleases",
        Action: "s3:PutObject",
        Resource: ROLES.map((role) => `${inputs.storage[role].bucketArn}/${RELEASE_PREFIX}*`),
      },
      {
        Sid: "PinReleaseDigests",
        Action: "ssm:PutParameter",
        Resource: ROLES.map((role) => inputs.parameters.regions[role].releaseDigestParameterArn),
      },
      encrypt.primary,
      encrypt.secondary,
    ]),
  });
}
