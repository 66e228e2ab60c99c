// make release: targets from operator.json, the publishing order per region (object, then digest) with
// in-memory clients, the refusals, and the real tool (tools/release.ts, its AWS SDK clients and its STS
// assumption of the deploy role) against the AWS emulator on loopback.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { CreateBucketCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetParameterCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import {
  formatReleaseReport,
  publishRelease,
  type RegionPublisher,
  RELEASE_OUTPUTS,
  releaseTargets,
} from "../tools/lib/release.ts";
import { ARTIFACT_KEY } from "../modules/app_service/user_data.ts";
import { available, defaultStack, type Json, PROJECT_ROOT, synthWith } from "./helpers.ts";
import { emulatorAvailable, startEmulator } from "./rehearsal/emulator.ts";

const manifestOf = (stackDir: string): Json => JSON.parse(Deno.readTextFileSync(`${stackDir}/operator.json`));
const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const ARCHIVE = new Uint8Array([
  0x1f,
  0x8b,
  8,
  0,
  0,
  0,
  0,
  0,
  0,
  3,
  ...new TextEncoder().encode("release v1"),
]);

Deno.test("releaseTargets() reads the buckets, the digest parameter and the deploy role from operator.json", () => {
  assert.deepEqual(releaseTargets(manifestOf(defaultStack().stackDir)), {
    accountId: "123456789012",
    regions: { primary: "us-east-1", secondary: "us-east-2" },
    buckets: {
      primary: "artifacts-123456789012-us-east-1-dev",
      secondary: "artifacts-123456789012-us-east-2-dev",
    },
    digestParameter: "/txn/dev/app/release-sha256",
    deployRoleArn: "arn:aws:iam::123456789012:role/release-deploy-dev",
  });
  assert.throws(
    () =>
      releaseTargets({ outputs: { regions: { value: { primary: "us-east-1", secondary: "us-east-2" } } } }),
    (error: Error) =>
      Object.values(RELEASE_OUTPUTS).filter((name) => name !== "regions")
        .every((name) => error.message.includes(`no output ${name}`)),
  );
});

/** In-memory S3 + SSM of one region, recording each call; `fail` names a call that throws. */
function fakeRegion(calls: string[], region: string, fail?: "putObject" | "putParameter"): RegionPublisher {
  const refuse = (call: string) => {
    const error = new Error(`refused in ${region}`);
    error.name = call === "putObject" ? "NoSuchBucket" : "AccessDeniedException";
    throw error;
  };
  return {
    putObject: (input) => {
      calls.push(`${region} putObject ${input.Bucket}/${input.Key} ${input.ChecksumSHA256}`);
      return fail === "putObject" ? Promise.reject(refuse("putObject")) : Promise.resolve({});
    },
    putParameter: (input) => {
      calls.push(`${region} putParameter ${input.Name}=${input.Value} overwrite=${input.Overwrite}`);
      return fail === "putParameter" ? Promise.reject(refuse("putParameter")) : Promise.resolve({});
    },
  };
}

Deno.test("publishRelease() uploads, then pins the digest, in each region; S3 checks the bytes it receives", async () => {
  const targets = releaseTargets(manifestOf(defaultStack().stackDir));
  const calls: string[] = [];
  const report = await publishRelease(
    { primary: fakeRegion(calls, "us-east-1"), secondary: fakeRegion(calls, "us-east-2") },
    targets,
    ARCHIVE,
  );
  const digest = sha256Hex(ARCHIVE);
  const checksum = createHash("sha256").update(ARCHIVE).digest("base64");
  assert.equal(report.sha256, digest);
  for (const region of ["us-east-1", "us-east-2"]) {
    const bucket = `artifacts-123456789012-${region}-dev`;
    assert.deepEqual(calls.filter((call) => call.startsWith(region)), [
      `${region} putObject ${bucket}/${ARTIFACT_KEY} ${checksum}`,
      `${region} putParameter /txn/dev/app/release-sha256=${digest} overwrite=true`,
    ]);
  }
  assert.ok(Object.values(report.regions).every((outcome) => outcome.published));
});

Deno.test("publishRelease(): a failed upload leaves that region's digest alone; the other region still publishes", async () => {
  const targets = releaseTargets(manifestOf(defaultStack().stackDir));
  const calls: string[] = [];
  const report = await publishRelease(
    { primary: fakeRegion(calls, "us-east-1"), secondary: fakeRegion(calls, "us-east-2", "putObject") },
    targets,
    ARCHIVE,
  );
  assert.equal(report.regions.primary.published, true);
  assert.deepEqual(report.regions.secondary, {
    region: "us-east-2",
    bucket: "artifacts-123456789012-us-east-2-dev",
    published: false,
    failure: "upload: NoSuchBucket: refused in us-east-2",
  });
  assert.ok(!calls.some((call) => call.startsWith("us-east-2 putParameter")), calls.join("\n"));
  const text = formatReleaseReport(report, targets.digestParameter);
  assert.match(
    text,
    /us-east-2: NOT published \(upload: NoSuchBucket: refused in us-east-2\); run make release again/,
  );

  const digestFailed = await publishRelease(
    { primary: fakeRegion([], "us-east-1", "putParameter"), secondary: fakeRegion([], "us-east-2") },
    targets,
    ARCHIVE,
  );
  assert.equal(digestFailed.regions.primary.failure, "digest: AccessDeniedException: refused in us-east-1");
});

/** Runs tools/release.ts as `make release` does; returns its exit code and output. */
function runRelease(args: string[], env: Record<string, string>) {
  const empty = Deno.makeTempDirSync({ prefix: "dr-aws-" });
  Deno.writeTextFileSync(`${empty}/config`, "");
  const result = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--config",
      `${PROJECT_ROOT}/deno.json`,
      `${PROJECT_ROOT}/tools/release.ts`,
      ...args,
    ],
    env: {
      HOME: Deno.env.get("HOME") ?? "/root",
      PATH: Deno.env.get("PATH") ?? "",
      AWS_CONFIG_FILE: `${empty}/config`,
      AWS_SHARED_CREDENTIALS_FILE: `${empty}/config`,
      AWS_EC2_METADATA_DISABLED: "true",
      ...env,
    },
    clearEnv: true,
  }).outputSync();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: result.code, stdout: decode(result.stdout), stderr: decode(result.stderr) };
}

Deno.test("make release refuses (exit 2) without an archive, with a file that is no gzip, and without account or credentials", () => {
  const manifest = `${defaultStack().stackDir}/operator.json`;
  const none = runRelease([manifest, ""], {});
  assert.equal(none.code, 2);
  assert.match(none.stderr, /refusing to publish:\n {2}no archive: make release ARCHIVE=/);
  const text = Deno.makeTempFileSync({ suffix: ".tar.gz" });
  Deno.writeTextFileSync(text, "not an archive");
  const notGzip = runRelease([manifest, text], {});
  assert.equal(notGzip.code, 2);
  assert.match(notGzip.stderr, /is not a gzip file/);
  const archive = Deno.makeTempFileSync({ suffix: ".tar.gz" });
  Deno.writeFileSync(archive, ARCHIVE);
  const placeholder = runRelease([manifest, archive], {});
  assert.equal(placeholder.code, 2);
  assert.match(placeholder.stderr, /placeholder account 123456789012[\s\S]*no AWS credentials/);
});

const hasEmulator = available(
  "python3 with moto",
  emulatorAvailable(),
  "make release against the AWS emulator",
);

Deno.test({
  name:
    "make release on the emulator: as the deploy role, into both buckets, digests pinned; a missing bucket fails only its region",
  ignore: !hasEmulator,
  async fn() {
    const { stackDir } = synthWith({ AWS_ACCOUNT_ID: "111122223333" });
    const targets = releaseTargets(manifestOf(stackDir));
    const emulator = await startEmulator();
    try {
      // The emulator keeps each account apart: the buckets exist only in the deploy role's account.
      const client = <T>(make: new (config: Json) => T, region: string) =>
        new make({
          region,
          endpoint: emulator.endpoint,
          forcePathStyle: true,
          credentials: fromTemporaryCredentials({
            masterCredentials: { accessKeyId: "test", secretAccessKey: "test" },
            params: { RoleArn: targets.deployRoleArn, RoleSessionName: "test-setup" },
            clientConfig: { region, endpoint: emulator.endpoint },
          }),
        });
      const s3 = { primary: client(S3Client, "us-east-1"), secondary: client(S3Client, "us-east-2") };
      const ssm = { primary: client(SSMClient, "us-east-1"), secondary: client(SSMClient, "us-east-2") };
      for (const role of ["primary", "secondary"] as const) {
        const Name = targets.digestParameter;
        await ssm[role].send(new PutParameterCommand({ Name, Value: "none", Type: "String" }));
      }
      await s3.primary.send(new CreateBucketCommand({ Bucket: targets.buckets.primary }));
      const archive = Deno.makeTempFileSync({ suffix: ".tar.gz" });
      Deno.writeFileSync(archive, ARCHIVE);
      const env = {
        AWS_ENDPOINT_URL: emulator.endpoint,
        AWS_ACCESS_KEY_ID: "operator",
        AWS_SECRET_ACCESS_KEY: "operator",
      };
      const stored = async (role: "primary" | "secondary") => {
        const object = await s3[role].send(
          new GetObjectCommand({ Bucket: targets.buckets[role], Key: ARTIFACT_KEY }),
        );
        const pinned = await ssm[role].send(new GetParameterCommand({ Name: targets.digestParameter }));
        return {
          sha256: sha256Hex(await object.Body!.transformToByteArray()),
          pinned: pinned.Parameter?.Value,
        };
      };
      const digestOf = async (role: "primary" | "secondary") =>
        (await ssm[role].send(new GetParameterCommand({ Name: targets.digestParameter }))).Parameter?.Value;

      const partial = runRelease([`${stackDir}/operator.json`, archive], env);
      assert.equal(partial.code, 1, partial.stdout + partial.stderr);
      assert.match(partial.stdout, /us-east-2: NOT published \(upload: NoSuchBucket/);
      assert.deepEqual(await stored("primary"), { sha256: sha256Hex(ARCHIVE), pinned: sha256Hex(ARCHIVE) });
      assert.equal(await digestOf("secondary"), "none", "no digest pinned where the upload failed");

      await s3.secondary.send(
        new CreateBucketCommand({
          Bucket: targets.buckets.secondary,
          CreateBucketConfiguration: { LocationConstraint: "us-east-2" },
        }),
      );
      const rerun = runRelease([`${stackDir}/operator.json`, archive], env);
      assert.equal(rerun.code, 0, rerun.stdout + rerun.stderr);
      assert.match(
        rerun.stdout,
        new RegExp(`^release sha256 ${sha256Hex(ARCHIVE)} \\(${ARCHIVE.length} bytes\\)`),
      );
      for (const role of ["primary", "secondary"] as const) {
        assert.deepEqual(
          await stored(role),
          { sha256: sha256Hex(ARCHIVE), pinned: sha256Hex(ARCHIVE) },
          role,
        );
      }
    } finally {
      await emulator.stop();
    }
  },
});
