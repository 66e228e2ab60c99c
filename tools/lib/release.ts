// `make release`: publishes an application release to both regions. Each region gets the archive in its own
// artifact bucket, then its digest in its own Parameter Store (`app/release-sha256`): uploading to each bucket
// (rather than to the primary only and waiting for replication, up to the 15-minute RTC SLA) makes each
// region's pair consistent as soon as its two calls return, and publishing never needs the other region.
// Within a region the object goes first: a failed upload leaves the old pair untouched. Targets come from the
// operator manifest (operator.json); the clients are injected (tools/release.ts makes them as the deploy role).
import { ARTIFACT_KEY } from "../../modules/app_service/user_data.ts";
import type { RegionRole } from "../../handlers/lib/contract.ts";
import { manifestOutputs } from "../../modules/operator_manifest.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

export interface ReleaseTargets {
  readonly accountId: string;
  readonly regions: Readonly<Record<RegionRole, string>>;
  readonly buckets: Readonly<Record<RegionRole, string>>;
  /** The digest parameter, the same name in both regions. */
  readonly digestParameter: string;
  /** The role make release assumes: the only writer of `app/*` and of the digests. */
  readonly deployRoleArn: string;
}

/** Terraform outputs make release reads from the operator manifest. */
export const RELEASE_OUTPUTS = {
  accountId: "aws_account_id",
  regions: "regions",
  primaryBucket: "storage_primary_bucket_name",
  secondaryBucket: "storage_secondary_bucket_name",
  digestParameter: "release_digest_parameter",
  deployRoleArn: "release_deploy_role_arn",
} as const;

/** Reads the release targets from the operator manifest; names every missing output at once. */
export function releaseTargets(manifest: Json): ReleaseTargets {
  const { need, problems } = manifestOutputs(manifest, RELEASE_OUTPUTS);
  const regions = need("regions") ?? {};
  const targets: ReleaseTargets = {
    accountId: need("accountId"),
    regions: { primary: regions.primary, secondary: regions.secondary },
    buckets: { primary: need("primaryBucket"), secondary: need("secondaryBucket") },
    digestParameter: need("digestParameter"),
    deployRoleArn: need("deployRoleArn"),
  };
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return targets;
}

/** The two calls publishing makes in one region (the AWS SDK's S3 and SSM clients fit). */
export interface RegionPublisher {
  putObject(input: {
    Bucket: string;
    Key: string;
    Body: Uint8Array;
    ContentType: string;
    /** Base64 SHA-256: S3 refuses the upload when the bytes it received differ. */
    ChecksumSHA256: string;
  }): Promise<unknown>;
  putParameter(input: { Name: string; Value: string; Type: "String"; Overwrite: true }): Promise<unknown>;
}

export interface RegionOutcome {
  readonly region: string;
  readonly bucket: string;
  /** Both calls returned: the region's instances install this release at their next boot. */
  readonly published: boolean;
  /** Which call failed and why (AWS error name and message). */
  readonly failure?: string;
}

export interface ReleaseReport {
  readonly sha256: string;
  readonly bytes: number;
  readonly regions: Readonly<Record<RegionRole, RegionOutcome>>;
}

/** Refuses what no instance could install: not a gzip stream at all (the instance checks the tar itself). */
export function archiveProblem(archive: Uint8Array): string | undefined {
  if (archive.length < 18 || archive[0] !== 0x1f || archive[1] !== 0x8b) {
    return "is not a gzip file (a .tar.gz with an executable run at its root is expected)";
  }
  return undefined;
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const reason = (error: unknown) => error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** Publishes `archive` in both regions at once; a failing region never stops the other. */
export async function publishRelease(
  publishers: Readonly<Record<RegionRole, RegionPublisher>>,
  targets: ReleaseTargets,
  archive: Uint8Array,
): Promise<ReleaseReport> {
  const digest = await sha256(archive);
  const digestHex = hex(digest);
  const publishIn = async (role: RegionRole): Promise<RegionOutcome> => {
    const where = { region: targets.regions[role], bucket: targets.buckets[role] };
    const publisher = publishers[role];
    try {
      await publisher.putObject({
        Bucket: where.bucket,
        Key: ARTIFACT_KEY,
        Body: archive,
        ContentType: "application/gzip",
        ChecksumSHA256: base64(digest),
      });
    } catch (error) {
      return { ...where, published: false, failure: `upload: ${reason(error)}` };
    }
    try {
      await publisher.putParameter({
        Name: targets.digestParameter,
        Value: digestHex,
        Type: "String",
        Overwrite: true,
      });
    } catch (error) {
      return { ...where, published: false, failure: `digest: ${reason(error)}` };
    }
    return { ...where, published: true };
  };
  const [primary, secondary] = await Promise.all([publishIn("primary"), publishIn("secondary")]);
  return { sha256: digestHex, bytes: archive.length, regions: { primary, secondary } };
}

/** What the operator reads: the digest, then one line per region. */
export function formatReleaseReport(report: ReleaseReport, digestParameter: string): string {
  const lines = [`release sha256 ${report.sha256} (${report.bytes} bytes)`];
  for (const outcome of Object.values(report.regions)) {
    lines.push(
      outcome.published
        ? `  ${outcome.region}: s3://${outcome.bucket}/${ARTIFACT_KEY} uploaded, ${digestParameter} pinned`
        : `  ${outcome.region}: NOT published (${outcome.failure}); run make release again`,
    );
  }
  lines.push("instances install it at their next boot (an instance refresh replaces the running ones)");
  return lines.join("\n");
}
