import assert from "node:assert/strict";
import { bundlePath, currentBundle, inputKey } from "../tools/synth.ts";
import { runSynthCli, synthWith } from "./helpers.ts";

/** Every file under `dir`, relative, with its bytes. */
function tree(dir: string, prefix = ""): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const entry of Deno.readDirSync(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) { for (const [name, data] of tree(dir, `${path}/`)) files.set(name, data); }
    else files.set(path, Deno.readFileSync(`${dir}/${path}`));
  }
  return files;
}

/** The stack folder `make synth` writes in `cwd` for `env`. */
function synthCli(cwd: string, env: Record<string, string>, entry: "tools/synth.ts" | "main.ts") {
  const result = runSynthCli(cwd, env, entry);
  assert.equal(result.code, 0, result.stderr);
  return tree(`${cwd}/cdktf.out/stacks/dr-${env.ENVIRONMENT_SUFFIX ?? "dev"}`);
}

function assertSameTree(actual: Map<string, Uint8Array>, expected: Map<string, Uint8Array>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [name, data] of expected) assert.deepEqual(actual.get(name), data, name);
}

Deno.test("make synth (tools/synth.ts, bundled) writes the bytes deno run main.ts writes", () => {
  assertSameTree(
    synthCli(Deno.makeTempDirSync(), {}, "tools/synth.ts"),
    synthCli(Deno.makeTempDirSync(), {}, "main.ts"),
  );
});

Deno.test("make synth (bundled) writes the bytes synthesize() writes: production profile, S3 state, no TLS", () => {
  const env = {
    ENVIRONMENT_SUFFIX: "prodlike",
    PRODUCTION_PROFILE: "true",
    STATE_BUCKET: "acme-terraform-state",
    TLS_MODE: "none",
    TLS_NONE_ACKNOWLEDGED: "yes",
  };
  assertSameTree(synthCli(Deno.makeTempDirSync(), env, "tools/synth.ts"), tree(synthWith(env).stackDir));
});

/** A project of one module, without npm packages: enough to bundle. */
function tinyProject(): string {
  const root = Deno.makeTempDirSync({ prefix: "dr-synth-project-" });
  Deno.mkdirSync(`${root}/modules`);
  Deno.mkdirSync(`${root}/handlers`);
  Deno.mkdirSync(`${root}/tools`);
  Deno.writeTextFileSync(`${root}/modules/answer.ts`, "export const answer = 42;\n");
  Deno.writeTextFileSync(`${root}/handlers/unused.ts`, "export {};\n");
  Deno.writeTextFileSync(
    `${root}/main.ts`,
    'import { answer } from "./modules/answer.ts";\nexport const here = import.meta.url;\n' +
      "export function main(): number {\n  return answer;\n}\n",
  );
  for (const file of ["deno.json", "deno.lock", "tools/synth.ts", "README.md"]) {
    Deno.writeTextFileSync(`${root}/${file}`, `${file}\n`);
  }
  return root;
}

Deno.test("inputKey() changes with every source of the bundle and with nothing else", () => {
  const root = tinyProject();
  const key = inputKey(root);
  Deno.writeTextFileSync(`${root}/README.md`, "edited\n");
  assert.equal(inputKey(root), key, "not an input");
  for (const file of ["modules/answer.ts", "handlers/unused.ts", "main.ts", "deno.lock", "tools/synth.ts"]) {
    const before = inputKey(root);
    Deno.writeTextFileSync(`${root}/${file}`, "// edited\n", { append: true });
    assert.notEqual(inputKey(root), before, file);
  }
  Deno.writeTextFileSync(`${root}/modules/added.ts`, "export {};\n");
  assert.notEqual(inputKey(root), key, "a new module");
});

// esbuild.stop() kills its service process without waiting for it to exit: Deno's sanitizers would count
// that wait as a leak of the test that built.
const esbuildService = { sanitizeOps: false, sanitizeResources: false };

Deno.test("currentBundle() rebuilds only when an input changed; modules keep their own import.meta.url", {
  ...esbuildService,
}, async () => {
  const root = tinyProject();
  const path = await currentBundle(root);
  assert.equal(path, bundlePath(root));
  const first = await import(`file://${path}?first`);
  assert.equal(first.main(), 42);
  assert.equal(first.here, `file://${root}/main.ts`);
  const built = Deno.statSync(path).mtime?.getTime();
  await currentBundle(root);
  assert.equal(Deno.statSync(path).mtime?.getTime(), built, "unchanged inputs: the same file");
  Deno.writeTextFileSync(`${root}/modules/answer.ts`, "export const answer = 7;\n");
  await currentBundle(root);
  assert.equal((await import(`file://${path}?second`)).main(), 7);
});

Deno.test(
  "a copy of the project elsewhere runs the same bundle, its modules' URLs in the copy",
  esbuildService,
  async () => {
    const root = tinyProject();
    await currentBundle(root);
    const copy = Deno.makeTempDirSync({ prefix: "dr-synth-copy-" });
    const result = new Deno.Command("cp", { args: ["-a", `${root}/.`, copy] }).outputSync();
    assert.ok(result.success);
    const built = Deno.statSync(bundlePath(copy)).mtime?.getTime();
    const path = await currentBundle(copy);
    assert.equal(Deno.statSync(path).mtime?.getTime(), built, "not rebuilt");
    assert.equal((await import(`file://${path}`)).here, `file://${copy}/main.ts`);
  },
);

Deno.test("currentBundle() refuses a source its key does not cover", esbuildService, async () => {
  const root = tinyProject();
  const outside = Deno.makeTempFileSync({ suffix: ".ts" });
  Deno.writeTextFileSync(outside, "export const answer = 1;\n");
  Deno.writeTextFileSync(`${root}/main.ts`, `export { answer as main } from "${outside}";\n`);
  await assert.rejects(() => currentBundle(root), /inputs its key does not cover: .*\.ts/);
});
