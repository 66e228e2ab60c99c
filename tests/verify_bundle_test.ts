import assert from "node:assert/strict";
import {
  type BundleFile,
  checkSums,
  createBundle,
  openBundle,
  readStackFiles,
  withSums,
} from "../tools/lib/bundle.ts";
import { gzip, writeTar } from "../tools/lib/tar.ts";
import { available, defaultStack, terraformAvailable } from "./helpers.ts";
import { runTool, TOOL_PERMISSIONS } from "./handoff_fixture.ts";

const hasTerraform = available("terraform", terraformAvailable(), "verify-bundle's terraform validate");

const encoder = new TextEncoder();

function stackFiles(): BundleFile[] {
  return [
    ...readStackFiles(defaultStack().stackDir),
    { path: "REVIEW.md", data: encoder.encode("# Review\n") },
    { path: "OPERATIONS.md", data: encoder.encode("# Operations\n") },
  ];
}

/** A bundle whose archived files differ from what SHA256SUMS was computed over. */
async function tamperedBundle(change: (files: BundleFile[]) => BundleFile[]): Promise<Uint8Array> {
  const honest = withSums(stackFiles());
  const files = change(honest);
  return gzip(
    await writeTar([
      { path: "dr-dev", type: "directory" },
      ...files.map((file) => ({ path: `dr-dev/${file.path}`, type: "file" as const, data: file.data })),
    ]),
  );
}

function verify(bundle: Uint8Array) {
  const file = `${Deno.makeTempDirSync({ prefix: "dr-verify-" })}/dr-dev-bundle.tar.gz`;
  Deno.writeFileSync(file, bundle);
  return runTool("verify_bundle.ts", TOOL_PERMISSIONS.verifyBundle, [file]);
}

Deno.test({
  name: "make verify-bundle accepts a good bundle: sums match and terraform validate passes offline",
  ignore: !hasTerraform,
  fn: async () => {
    const files = stackFiles();
    const result = verify(await createBundle("dr-dev", files));
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.ok(
      result.stdout.includes(`SHA256SUMS: ${files.length} files match, none unlisted`),
      result.stdout,
    );
    assert.match(result.stdout, /terraform validate: Success! The configuration is valid\./);
    assert.match(result.stdout, /^OK .*dr-dev-bundle\.tar\.gz$/m);
  },
});

Deno.test("make verify-bundle fails on a tampered file and names it, before running terraform", async () => {
  const result = verify(
    await tamperedBundle((files) =>
      files.map((file) =>
        file.path === "cdk.tf.json"
          ? { ...file, data: encoder.encode(new TextDecoder().decode(file.data) + " ") }
          : file
      )
    ),
  );
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^MISMATCH dr-dev\/cdk\.tf\.json: sha256 [0-9a-f]{64}, SHA256SUMS says [0-9a-f]{64}$/m,
  );
  assert.match(result.stderr, /FAILED .*: 1 checksum problem/);
  assert.doesNotMatch(result.stdout, /terraform validate/);
});

Deno.test("make verify-bundle fails on a missing file and on an unlisted one", async () => {
  const missing = verify(await tamperedBundle((files) => files.filter((file) => file.path !== "REVIEW.md")));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^MISSING dr-dev\/REVIEW\.md: listed in SHA256SUMS but not in the bundle$/m);

  const extra = verify(
    await tamperedBundle((files) => [...files, { path: "extra.sh", data: encoder.encode("rm -rf /\n") }]),
  );
  assert.equal(extra.code, 1);
  assert.match(extra.stderr, /^UNLISTED dr-dev\/extra\.sh: in the bundle but not in SHA256SUMS$/m);
});

Deno.test("make verify-bundle rejects an archive that is not a bundle (exit 2)", async () => {
  const notGzip = verify(encoder.encode("not a bundle"));
  assert.equal(notGzip.code, 2);
  assert.match(notGzip.stderr, /^FAILED /m);
  const twoRoots = verify(gzip(
    await writeTar([
      { path: "a/x", type: "file", data: new Uint8Array() },
      { path: "b/y", type: "file", data: new Uint8Array() },
    ]),
  ));
  assert.equal(twoRoots.code, 2);
  assert.match(twoRoots.stderr, /expected one top folder in the bundle, found: a, b/);
  const usage = runTool("verify_bundle.ts", TOOL_PERMISSIONS.verifyBundle, []);
  assert.equal(usage.code, 2);
});

Deno.test("checkSums() reports a missing or malformed SHA256SUMS and duplicate lines", async () => {
  const files = stackFiles();
  const noSums = await openBundle(
    gzip(await writeTar(files.map((file) => ({ ...file, path: `r/${file.path}`, type: "file" })))),
  );
  assert.deepEqual(checkSums(noSums), ["MISSING r/SHA256SUMS: the bundle has no checksum list"]);

  const json = files.find((file) => file.path === "cdk.tf.json")!;
  const sums = withSums([json]).find((file) => file.path === "SHA256SUMS")!;
  const line = new TextDecoder().decode(sums.data);
  const contents = (text: string) => ({
    root: "r",
    files: [json, { path: "SHA256SUMS", data: encoder.encode(text) }],
  });
  assert.deepEqual(checkSums(contents(line)), []);
  assert.deepEqual(checkSums(contents(`${line}garbage\n`)), ['MALFORMED r/SHA256SUMS line 2: "garbage"']);
  assert.deepEqual(checkSums(contents(line + line)), ["DUPLICATE r/cdk.tf.json: listed twice in SHA256SUMS"]);
});

Deno.test({
  name: "make verify-bundle fails when terraform rejects the JSON, even with matching sums",
  ignore: !hasTerraform,
  fn: async () => {
    // Broken syntax fails at init, in a fraction of the time a full validate takes.
    const files = stackFiles().map((file) =>
      file.path === "cdk.tf.json" ? { ...file, data: encoder.encode('{"resource": {"aws_vpc": ') } : file
    );
    const result = verify(await createBundle("dr-dev", files));
    assert.equal(result.code, 1);
    assert.match(result.stdout, /SHA256SUMS: \d+ files match/);
    assert.match(result.stderr, /cdk\.tf\.json[\s\S]*FAILED .*: terraform init -backend=false$/m);
  },
});
