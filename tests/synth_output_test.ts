// What a synth may replace: only its own stack's generated files. Terraform state (state/<stack>/), the stack
// folder's .terraform/ and saved plan, and other environments' stack folders survive every synth.
import assert from "node:assert/strict";
import { runSynthCli } from "./helpers.ts";
import { installStack } from "../modules/synth_output.ts";

const scratch: string[] = [];
/** A temporary folder of this file's tests, removed when they are done (only these: never state/). */
function scratchDir(prefix: string): string {
  scratch.push(Deno.makeTempDirSync({ prefix }));
  return scratch[scratch.length - 1];
}
globalThis.addEventListener("unload", () => {
  for (const dir of scratch) Deno.removeSync(dir, { recursive: true });
});

function tree(root: string, relative = ""): string[] {
  const entries: string[] = [];
  for (const entry of [...Deno.readDirSync(`${root}/${relative}`)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    const path = relative ? `${relative}/${entry.name}` : entry.name;
    entries.push(path);
    if (entry.isDirectory) entries.push(...tree(root, path));
  }
  return entries;
}

function write(path: string, text: string): void {
  Deno.mkdirSync(path.replace(/\/[^/]+$/, ""), { recursive: true });
  Deno.writeTextFileSync(path, text);
}

/** A project folder after a local-state apply of dr-alpha, an init of dr-dev, and a saved plan. */
function deployedProject(): string {
  const cwd = scratchDir("dr-project-");
  write(`${cwd}/state/dr-alpha/terraform.tfstate`, '{"serial": 7}');
  write(`${cwd}/state/dr-dev/terraform.tfstate`, '{"serial": 3}');
  write(`${cwd}/cdktf.out/stacks/dr-alpha/cdk.tf.json`, "alpha stack");
  write(`${cwd}/cdktf.out/stacks/dr-alpha/.terraform/terraform.tfstate`, "alpha backend");
  write(`${cwd}/cdktf.out/stacks/dr-dev/.terraform/terraform.tfstate`, "dev backend");
  write(`${cwd}/cdktf.out/stacks/dr-dev/tfplan`, "saved plan");
  const entry = (name: string) => ({ name, synthesizedStackPath: `stacks/${name}/cdk.tf.json` });
  write(
    `${cwd}/cdktf.out/manifest.json`,
    JSON.stringify({
      version: "0.21.0",
      stacks: { "dr-alpha": entry("dr-alpha"), "dr-dev": entry("dr-dev") },
    }),
  );
  return cwd;
}

Deno.test("make synth keeps the state, .terraform/ and other environments' stacks (dr-alpha survives dr-beta)", () => {
  const cwd = deployedProject();
  const before = Object.fromEntries(
    tree(cwd).filter((path) => !path.startsWith("cdktf.out/stacks/dr-beta")).filter((path) =>
      Deno.statSync(`${cwd}/${path}`).isFile
    ).map((path) => [path, Deno.readTextFileSync(`${cwd}/${path}`)]),
  );
  const beta = runSynthCli(cwd, { ENVIRONMENT_SUFFIX: "beta" });
  assert.equal(beta.code, 0, beta.stderr);
  const dev = runSynthCli(cwd, {});
  assert.equal(dev.code, 0, dev.stderr);
  for (const [path, text] of Object.entries(before)) {
    if (path === "cdktf.out/manifest.json") continue;
    assert.equal(Deno.readTextFileSync(`${cwd}/${path}`), text, `${path} changed or vanished`);
  }
  assert.ok(tree(cwd).includes("cdktf.out/stacks/dr-beta/cdk.tf.json"));
  assert.ok(tree(cwd).includes("cdktf.out/stacks/dr-dev/operator.json"));
  const manifest = JSON.parse(Deno.readTextFileSync(`${cwd}/cdktf.out/manifest.json`));
  assert.deepEqual(Object.keys(manifest.stacks), ["dr-alpha", "dr-beta", "dr-dev"]);
  assert.ok(!tree(cwd).some((path) => path.includes(".staging-")), "no staging folder left behind");
});

Deno.test("a synth that fails leaves every existing file as it was", () => {
  const cwd = deployedProject();
  const before = tree(cwd);
  const result = runSynthCli(cwd, { ENVIRONMENT_SUFFIX: "alpha", PRIMARY_AZS: "us-east-1a" });
  assert.equal(result.code, 2);
  assert.deepEqual(tree(cwd), before);
  assert.equal(Deno.readTextFileSync(`${cwd}/cdktf.out/stacks/dr-alpha/cdk.tf.json`), "alpha stack");
});

Deno.test("installStack() replaces the JSON and assets, drops assets no longer used, keeps .terraform/", () => {
  const out = scratchDir("dr-install-");
  const stage = (name: string, hash: string) => {
    const staging = `${out}/.staging-${name}`;
    write(`${staging}/stacks/dr-dev/assets/handler/${hash}/code.zip`, hash);
    write(`${staging}/stacks/dr-dev/cdk.tf.json`, `uses ${hash}`);
    write(`${staging}/stacks/dr-dev/operator.json`, "{}");
    write(
      `${staging}/manifest.json`,
      JSON.stringify({ version: "0.21.0", stacks: { "dr-dev": { name: "dr-dev" } } }),
    );
    return staging;
  };
  installStack(stage("first", "AAA"), out, "dr-dev");
  write(`${out}/stacks/dr-dev/.terraform/providers`, "kept");
  installStack(stage("second", "BBB"), out, "dr-dev");
  const stack = `${out}/stacks/dr-dev`;
  assert.equal(Deno.readTextFileSync(`${stack}/cdk.tf.json`), "uses BBB");
  assert.deepEqual(tree(`${stack}/assets`), ["handler", "handler/BBB", "handler/BBB/code.zip"]);
  assert.equal(Deno.readTextFileSync(`${stack}/.terraform/providers`), "kept");
});

Deno.test("synth warns about state an older version left in the stack folder, and keeps it", () => {
  const cwd = scratchDir("dr-project-");
  write(`${cwd}/cdktf.out/stacks/dr-dev/terraform.tfstate`, '{"serial": 9}');
  const result = runSynthCli(cwd, {});
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /terraform\.tfstate is state written by an older version/);
  assert.match(result.stderr, /mkdir -p state\/dr-dev && mv -n .* state\/dr-dev\/terraform\.tfstate/);
  assert.equal(Deno.readTextFileSync(`${cwd}/cdktf.out/stacks/dr-dev/terraform.tfstate`), '{"serial": 9}');
});
