// Parameter Store: everything handlers and instances need to find the data tier, under one prefix
// (`/<app>/<suffix>/...`, keys from handlers/lib/contract.ts), in each region's own SSM with that region's
// values, so a region can start without reaching the other. The password is a SecureString written
// through a write-only argument; `active-region` belongs to the failover automation once created, and
// `app/release-sha256` to `make release`.
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter/index.js";
import { forEachRegion, type PerRegion } from "./providers.ts";
import { logicalId } from "./naming.ts";
import type { KeyedStackContext } from "./stack_context.ts";
import type { DatabaseOutputs } from "./database.ts";
import type { StorageOutputs } from "./storage.ts";
import {
  type ParameterKey,
  parameterName,
  parameterPrefix,
  RELEASE_UNPUBLISHED,
} from "../handlers/lib/contract.ts";

export interface ParametersInputs {
  readonly database: DatabaseOutputs;
  readonly storage: StorageOutputs;
  /** First segment of the prefix (APP_NAME). */
  readonly appName: string;
}

export interface RegionParameters {
  readonly activeRegionParameterName: string;
  readonly activeRegionParameterArn: string;
  /** `app/release-sha256`: the digest instances check the release against (the same name in both regions). */
  readonly releaseDigestParameterName: string;
  readonly releaseDigestParameterArn: string;
  /** `arn:aws:ssm:<region>:<account>:parameter<prefix>/*`: what a reader's IAM policy grants. */
  readonly parameterPathArn: string;
}

export interface ParametersOutputs {
  readonly prefix: string;
  readonly regions: PerRegion<RegionParameters>;
}

/** Keys whose parameter is not a plain value Terraform owns: a secret, and values others write. */
type NotPlain = "masterPassword" | "activeRegion" | "releaseDigest";

/** `writerEndpoint` -> `writer_endpoint` (logical-id key). */
function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

export function createParameters(ctx: KeyedStackContext, inputs: ParametersInputs): ParametersOutputs {
  const scope = ctx.scope;
  const prefix = parameterPrefix(inputs.appName, ctx.suffix);
  const database = inputs.database;

  const regions = forEachRegion(ctx.regions, ({ provider, region, role, peerRegion }) => {
    const plain: Record<Exclude<ParameterKey, NotPlain>, string> = {
      writerEndpoint: database.globalWriterEndpoint,
      readerEndpoint: database.clusters[role].readerEndpoint,
      port: String(database.port),
      databaseName: database.databaseName,
      masterUsername: database.masterUsername,
      regionRole: role,
      peerRegion,
      artifactBucket: inputs.storage[role].bucketName,
      peerArtifactBucket: inputs.storage[role === "primary" ? "secondary" : "primary"].bucketName,
    };
    const parameter = (key: ParameterKey) => ({
      provider,
      name: parameterName(prefix, key),
      tier: "Standard",
    });
    for (const [key, value] of Object.entries(plain) as Array<[ParameterKey, string]>) {
      new SsmParameter(scope, logicalId("parameters", role, snakeCase(key)), {
        ...parameter(key),
        type: "String",
        value,
        // After a detach-and-promote fallback the orchestrator points writers at the promoted cluster.
        ...(key === "writerEndpoint" ? { lifecycle: { ignoreChanges: ["value"] } } : {}),
      });
    }
    new SsmParameter(scope, logicalId("parameters", role, snakeCase("masterPassword")), {
      ...parameter("masterPassword"),
      type: "SecureString",
      keyId: ctx.keys[role].keyArn,
      valueWo: database.masterPassword.writeOnlyValue,
      valueWoVersion: database.masterPassword.version,
    });
    const activeRegion = new SsmParameter(scope, logicalId("parameters", role, snakeCase("activeRegion")), {
      ...parameter("activeRegion"),
      type: "String",
      // Initial value only: the failover orchestrator and failback own it afterwards.
      value: ctx.regions.primary.region,
      lifecycle: { ignoreChanges: ["value"] },
    });
    const releaseDigest = new SsmParameter(scope, logicalId("parameters", role, snakeCase("releaseDigest")), {
      ...parameter("releaseDigest"),
      type: "String",
      // Nothing published yet; the deploy role writes the digest (make release), destroy removes it.
      value: RELEASE_UNPUBLISHED,
      lifecycle: { ignoreChanges: ["value"] },
    });
    return {
      activeRegionParameterName: parameterName(prefix, "activeRegion"),
      activeRegionParameterArn: activeRegion.arn,
      releaseDigestParameterName: parameterName(prefix, "releaseDigest"),
      releaseDigestParameterArn: releaseDigest.arn,
      parameterPathArn: `arn:aws:ssm:${region}:${ctx.accountId}:parameter${prefix}/*`,
    };
  });

  return { prefix, regions };
}
