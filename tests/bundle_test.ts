import assert from "node:assert/strict";
import { type Header, pack } from "tar-stream";
import { createBundle, readStackFiles, sha256Sums, SUMS_FILE } from "../tools/lib/bundle.ts";
import { gunzip, gzip, readTar, type TarEntry, writeTar } from "../tools/lib/tar.ts";
import { renderOperations } from "../tools/lib/operations.ts";
import { defaultStack, PROJECT_ROOT, synthWith } from "./helpers.ts";
import { handoffFixture, runTool, TOOL_PERMISSIONS } from "./handoff_fixture.ts";

const ASSET = "assets/health-checker/0123456789ABCDEF0123456789ABCDEF/checker.zip";

/** A copy of the default stack folder with a handler zip under assets/ (main has no Lambda yet). */
function stackDirWithAsset(): string {
  const parent = Deno.makeTempDirSync({ prefix: "dr-bundle-src-" });
  const stackDir = `${parent}/dr-dev`;
  Deno.mkdirSync(`${stackDir}/${ASSET.slice(0, ASSET.lastIndexOf("/"))}`, { recursive: true });
  Deno.copyFileSync(`${defaultStack().stackDir}/cdk.tf.json`, `${stackDir}/cdk.tf.json`);
  Deno.writeFileSync(`${stackDir}/${ASSET}`, new Uint8Array([80, 75, 5, 6, ...new Array(18).fill(0)]));
  // Terraform's working files must never be bundled.
  Deno.writeTextFileSync(`${stackDir}/terraform.tfstate`, "{}");
  Deno.mkdirSync(`${stackDir}/.terraform`);
  return stackDir;
}

function buildWithCli(stackDir: string, output: string) {
  const result = runTool("bundle.ts", TOOL_PERMISSIONS.bundle, [stackDir, output]);
  assert.equal(result.code, 0, result.stderr);
  return result;
}

function systemTar(args: string[]): string {
  const result = new Deno.Command("tar", { args }).outputSync();
  assert.ok(result.success, new TextDecoder().decode(result.stderr));
  return new TextDecoder().decode(result.stdout);
}

Deno.test("writeTar() is a ustar archive GNU tar reads: sorted, mtime 0, owner 0/0, fixed modes", async () => {
  const longPath = `dr-dev/assets/${"a".repeat(60)}/${"B".repeat(32)}/${"handler".repeat(5)}.zip`;
  const entries: TarEntry[] = [
    { path: "dr-dev/z.txt", type: "file", data: new TextEncoder().encode("z\n") },
    { path: longPath, type: "file", data: new Uint8Array(700).fill(7) },
    { path: "dr-dev", type: "directory" },
    { path: "dr-dev/a.txt", type: "file", data: new TextEncoder().encode("a\n") },
  ];
  const archive = await writeTar(entries);
  assert.deepEqual(await writeTar(entries.toReversed()), archive, "input order does not matter");
  const file = Deno.makeTempFileSync({ suffix: ".tar" });
  Deno.writeFileSync(file, archive);
  const listing = systemTar(["--numeric-owner", "-tvf", file]).trim().split("\n");
  assert.deepEqual(listing.map((line) => line.split(/\s+/).pop()), [
    "dr-dev/",
    "dr-dev/a.txt",
    longPath,
    "dr-dev/z.txt",
  ]);
  for (const line of listing) {
    assert.match(line, /^(drwxr-xr-x|-rw-r--r--) 0\/0 .* 1970-01-01 00:00 /, line);
  }
  const names = await readTar(archive);
  assert.deepEqual(names.map((entry) => entry.path), ["dr-dev", "dr-dev/a.txt", longPath, "dr-dev/z.txt"]);
  assert.deepEqual(names[2].data, new Uint8Array(700).fill(7));
  // No user or group names in any header: GNU tar shows names when there are any, ids otherwise.
  for (const line of systemTar(["-tvf", file]).trim().split("\n")) assert.match(line, /^\S+ 0\/0 /, line);
  await assert.rejects(writeTar([{ path: "../x", type: "file" }]), /unsafe/);
  await assert.rejects(writeTar([...entries, entries[0]]), /duplicate archive path: dr-dev\/z\.txt/);
});

/** A tar written by tar-stream as given: the hostile archives a bundle reader must refuse. */
async function craftedTar(entries: ReadonlyArray<Partial<Header> & { name: string }>): Promise<Uint8Array> {
  const archive = pack();
  for (const header of entries) {
    archive.entry({ mtime: new Date(0), ...header }, new Uint8Array(header.size ?? 0));
  }
  archive.finalize();
  const parts: Uint8Array[] = [];
  for await (const chunk of archive) parts.push(chunk as Uint8Array);
  return new Uint8Array(parts.flatMap((part) => [...part]));
}

Deno.test("readTar() refuses paths that leave the folder, links, devices and corrupt headers", async () => {
  const refused: Array<[Partial<Header> & { name: string }, RegExp]> = [
    [{ name: "dr-dev/../../etc/passwd" }, /unsafe/],
    [{ name: "/etc/passwd" }, /unsafe/],
    [{ name: "dr-dev/./a" }, /unsafe/],
    // A pax header's path replaces the harmless ustar name.
    [{ name: "dr-dev/a", pax: { path: "dr-dev/../../etc/cron.d/x" } }, /unsafe/],
    [
      { name: "dr-dev/link", type: "symlink", linkname: "/etc/passwd" },
      /dr-dev\/link \(symlink\): only files/,
    ],
    [{ name: "dr-dev/hard", type: "link", linkname: "dr-dev/a" }, /\(link\): only files and folders/],
    [{ name: "dr-dev/dev", type: "block-device", devmajor: 8 }, /\(block-device\): only files/],
    [{ name: "dr-dev/tty", type: "character-device" }, /\(character-device\): only files/],
    [{ name: "dr-dev/fifo", type: "fifo" }, /\(fifo\): only files/],
  ];
  for (const [header, error] of refused) {
    const archive = await craftedTar([{ name: "dr-dev", type: "directory" }, header]);
    await assert.rejects(readTar(archive), error, JSON.stringify(header));
  }
  const good = await craftedTar([{ name: "dr-dev/a", size: 1 }]);
  assert.deepEqual(await readTar(good), [{ path: "dr-dev/a", type: "file", data: new Uint8Array(1) }]);
  const corrupt = good.slice();
  corrupt[0] ^= 1;
  await assert.rejects(readTar(corrupt), /Invalid tar header/);
  await assert.rejects(readTar(good.subarray(0, 600)), /Unexpected end of data/);
});

Deno.test("gzip() writes mtime 0, no name and a fixed OS byte, and the same bytes every time", () => {
  const data = new TextEncoder().encode("same input\n".repeat(100));
  const first = gzip(data);
  assert.deepEqual([...first.subarray(0, 4)], [0x1f, 0x8b, 8, 0], "deflate; no name, comment or extra field");
  assert.deepEqual([...first.subarray(4, 8)], [0, 0, 0, 0], "mtime 0");
  assert.equal(first[9], 3, "OS byte: fflate writes Unix (3) on every platform");
  assert.deepEqual(gzip(data), first);
  assert.deepEqual(gunzip(first), data);
  const damaged = first.slice();
  damaged[damaged.length - 8] ^= 1; // the CRC-32 in the trailer
  assert.throws(() => gunzip(damaged), /incorrect data check/);
});

Deno.test("readStackFiles() takes cdk.tf.json and assets/**, never state or .terraform", () => {
  const files = readStackFiles(stackDirWithAsset());
  assert.deepEqual(files.map((file) => file.path), [ASSET, "cdk.tf.json"]);
});

Deno.test("createBundle() puts everything under dr-<suffix>/ with SHA256SUMS in sha256sum format", async () => {
  const files = readStackFiles(stackDirWithAsset());
  const bundle = await createBundle("dr-dev", files);
  assert.deepEqual(await createBundle("dr-dev", files.toReversed()), bundle, "input order does not matter");
  const entries = await readTar(gunzip(bundle));
  assert.deepEqual(entries.map((entry) => `${entry.type === "directory" ? "d" : "f"} ${entry.path}`), [
    "d dr-dev",
    "f dr-dev/SHA256SUMS",
    "d dr-dev/assets",
    "d dr-dev/assets/health-checker",
    "d dr-dev/assets/health-checker/0123456789ABCDEF0123456789ABCDEF",
    `f dr-dev/${ASSET}`,
    "f dr-dev/cdk.tf.json",
  ]);
  const sums = new TextDecoder().decode(entries.find((entry) => entry.path === `dr-dev/${SUMS_FILE}`)!.data);
  assert.equal(sums, sha256Sums(files));
  assert.match(
    sums,
    /^[0-9a-f]{64} {2}assets\/health-checker\/.*\/checker\.zip\n[0-9a-f]{64} {2}cdk\.tf\.json\n$/,
  );
});

Deno.test("make bundle: two builds are byte-identical; tar lists the files; sha256sum -c passes", () => {
  const stackDir = stackDirWithAsset();
  const out = Deno.makeTempDirSync({ prefix: "dr-bundle-out-" });
  const started = performance.now();
  const first = buildWithCli(stackDir, `${out}/one/dr-dev-bundle.tar.gz`);
  const buildSeconds = (performance.now() - started) / 1000;
  buildWithCli(stackDir, `${out}/two/dr-dev-bundle.tar.gz`);
  const one = Deno.readFileSync(`${out}/one/dr-dev-bundle.tar.gz`);
  assert.deepEqual(Deno.readFileSync(`${out}/two/dr-dev-bundle.tar.gz`), one);
  assert.match(first.stdout, /dr-dev-bundle\.tar\.gz: 5 files, \d+ bytes, sha256 [0-9a-f]{64}/);
  console.log(`bundle: ${one.length} bytes, built in ${buildSeconds.toFixed(2)} s (CLI, incl. deno start)`);

  const listed = systemTar(["-tzf", `${out}/one/dr-dev-bundle.tar.gz`]).trim().split("\n");
  // Byte order: upper case sorts before lower case.
  assert.deepEqual(listed.filter((path) => !path.endsWith("/")), [
    "dr-dev/OPERATIONS.md",
    "dr-dev/REVIEW.md",
    "dr-dev/SHA256SUMS",
    `dr-dev/${ASSET}`,
    "dr-dev/cdk.tf.json",
  ]);
  systemTar(["-xzf", `${out}/one/dr-dev-bundle.tar.gz`, "-C", out]);
  const check = new Deno.Command("sha256sum", {
    args: ["-c", "--strict", "SHA256SUMS"],
    cwd: `${out}/dr-dev`,
  })
    .outputSync();
  const report = new TextDecoder().decode(check.stdout);
  assert.ok(check.success, report + new TextDecoder().decode(check.stderr));
  assert.equal(report.trim().split("\n").length, 4);
  assert.equal(
    Deno.readTextFileSync(`${out}/dr-dev/cdk.tf.json`),
    Deno.readTextFileSync(`${stackDir}/cdk.tf.json`),
  );
  assert.match(Deno.readTextFileSync(`${out}/dr-dev/REVIEW.md`), /^# Review: dr-dev\n/);
});

Deno.test("make bundle names the source commit in OPERATIONS.md (dirty trees marked)", async () => {
  const stackDir = stackDirWithAsset();
  const output = `${Deno.makeTempDirSync()}/b.tar.gz`;
  buildWithCli(stackDir, output);
  const entries = await readTar(gunzip(Deno.readFileSync(output)));
  const operations = new TextDecoder().decode(
    entries.find((entry) => entry.path.endsWith("OPERATIONS.md"))!.data,
  );
  const head = new Deno.Command("git", { args: ["rev-parse", "HEAD"], cwd: PROJECT_ROOT }).outputSync();
  if (head.success) {
    const commit = new TextDecoder().decode(head.stdout).trim();
    assert.match(operations, new RegExp(`built from commit \`${commit}(-dirty)?\``));
  }
});

Deno.test("make bundle refuses a folder without cdk.tf.json (exit 2)", () => {
  const result = runTool("bundle.ts", TOOL_PERMISSIONS.bundle, [
    Deno.makeTempDirSync(),
    "/dev/null/x.tar.gz",
  ]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /cannot read .*run make synth/);
});

Deno.test("renderOperations() gives the exact terraform commands, the account, the backend and air-gapped init", () => {
  const { stack } = defaultStack();
  const text = renderOperations(stack, {
    bundleName: "dr-dev-bundle.tar.gz",
    root: "dr-dev",
    files: ["cdk.tf.json", "OPERATIONS.md", "REVIEW.md", "SHA256SUMS"],
  });
  for (
    const command of [
      "tar -xzf dr-dev-bundle.tar.gz",
      "sha256sum -c SHA256SUMS",
      "terraform init -input=false\n",
      "terraform plan -input=false -out=tfplan",
      "terraform apply -input=false tfplan",
      "terraform destroy -input=false",
      "terraform init -input=false -plugin-dir=/path/to/mirror",
      "terraform providers mirror /path/to/mirror",
      "terraform init -backend=false -input=false",
      "terraform validate",
    ]
  ) {
    assert.ok(text.includes(command), `OPERATIONS.md lacks: ${command}`);
  }
  assert.match(text, /accept only account `123456789012`/);
  assert.match(text, /placeholder account 123456789012: rebuild it with `AWS_ACCOUNT_ID=/);
  assert.match(text, /Local: `\.\.\/\.\.\/\.\.\/state\/dr-dev\/terraform\.tfstate`, relative to this folder/);
  assert.match(text, /-backend-config=path=<file>/);
  assert.match(text, /`hashicorp\/aws` 5\.100\.0/);
});

Deno.test("renderOperations() without declared variables says so and offers no rotation", () => {
  const stack = handoffFixture();
  delete stack.variable;
  const text = renderOperations(stack, { bundleName: "b.tar.gz", root: "dr-dev", files: ["cdk.tf.json"] });
  assert.match(text, /declares no input variables/);
  assert.doesNotMatch(text, /password rotation|TF_VAR_/i);
});

Deno.test("renderOperations() reads an S3 backend and a real account from the JSON", () => {
  const { stack } = synthWith({
    STATE_BUCKET: "acme-terraform-state",
    STATE_KEY: "dr/prod/terraform.tfstate",
    AWS_ACCOUNT_ID: "111122223333",
  });
  const text = renderOperations(stack, { bundleName: "b.tar.gz", root: "dr-dev", files: ["cdk.tf.json"] });
  assert.match(
    text,
    /S3: bucket `acme-terraform-state`, key `dr\/prod\/terraform\.tfstate`, region `us-east-1`/,
  );
  assert.match(text, /encrypted, locked by a lock file/);
  assert.match(text, /-backend-config=bucket=<bucket>/);
  assert.match(text, /account `111122223333`/);
  assert.doesNotMatch(text, /placeholder/);
  assert.match(text, /Needs Terraform >= 1\.1\d \(.*S3-native state locking\)/);
});

Deno.test("renderOperations() asks for the ephemeral password at plan/apply/destroy and explains rotation", () => {
  const text = renderOperations(handoffFixture(), {
    bundleName: "b.tar.gz",
    root: "dr-dev",
    files: ["cdk.tf.json", "assets/health-checker/0123456789ABCDEF0123456789ABCDEF/checker.zip"],
  });
  assert.match(
    text,
    /\| `TF_VAR_db_master_password` \| yes \| string, ephemeral, sensitive \| .*plan, apply and destroy/,
  );
  assert.match(
    text,
    /\| `TF_VAR_db_master_password_version` \| no \(default 1\) \| number \| Rotation counter/,
  );
  assert.match(text, /read -rs TF_VAR_db_master_password && export TF_VAR_db_master_password/);
  assert.match(
    text,
    /## 4\. Database password rotation[\s\S]*TF_VAR_db_master_password_version=<previous value \+ 1>/,
  );
  assert.match(text, /Needs Terraform >= 1\.11 \(write-only arguments/);
  assert.match(text, /deployment package of aws_lambda_function\.health_primary_db-checker/);
  assert.doesNotMatch(
    text,
    /export TF_VAR_db_master_password=/,
    "a password must never be typed into a command line",
  );
});

Deno.test("the Makefile runs each hand-off tool with the permissions the tests use", () => {
  const makefile = Deno.readTextFileSync(`${PROJECT_ROOT}/Makefile`);
  const flagsOf = (script: string) => {
    const line = makefile.split("\n").find((text) => text.includes(`tools/${script}`));
    assert.ok(line, `no Makefile recipe runs tools/${script}`);
    return line.slice(line.indexOf(" run ") + 5, line.indexOf(`tools/${script}`)).trim().split(/\s+/)
      .filter((flag) => flag !== "$(DENO_QUIET)"); // output, not a permission
  };
  assert.deepEqual(flagsOf("bundle.ts"), TOOL_PERMISSIONS.bundle);
  assert.deepEqual(flagsOf("verify_bundle.ts"), TOOL_PERMISSIONS.verifyBundle);
  assert.deepEqual(flagsOf("review.ts"), TOOL_PERMISSIONS.review);
});
