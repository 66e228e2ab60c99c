// The Makefile as an operator meets it, run for real in scratch folders (never in this checkout): state is
// never removed, empty settings stop every target, all unmet prerequisites are listed at once, `make rto`
// reports distinct codes, and Deno is quiet when nobody watches.
import assert from "node:assert/strict";
import { PROJECT_ROOT } from "./helpers.ts";

const scratch: string[] = [];
/** A temporary folder of this file's tests, removed when they are done (only these: never state/). */
function scratchDir(prefix: string): string {
  scratch.push(Deno.makeTempDirSync({ prefix }));
  return scratch[scratch.length - 1];
}
globalThis.addEventListener("unload", () => {
  for (const dir of scratch) Deno.removeSync(dir, { recursive: true });
});

interface MakeResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `make <args>` in `dir` with a bare environment (what a fresh shell or CI would have) plus `env`. */
function make(dir: string, args: string[], env: Record<string, string> = {}): MakeResult {
  const result = new Deno.Command("make", {
    args: ["--no-print-directory", ...args],
    cwd: dir,
    env: {
      HOME: Deno.env.get("HOME") ?? "/root",
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      // Known here, so the Makefile does not search the disk for a provider mirror.
      TF_PLUGIN_DIR: Deno.env.get("TF_PLUGIN_DIR") ?? "",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      ...env,
    },
    clearEnv: true,
  }).outputSync();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: result.code, stdout: decode(result.stdout), stderr: decode(result.stderr) };
}

/** A folder holding only the Makefile: enough for the targets that run no project code. */
function makefileOnly(): string {
  const dir = scratchDir("dr-make-");
  Deno.copyFileSync(`${PROJECT_ROOT}/Makefile`, `${dir}/Makefile`);
  return dir;
}

/** A copy of the project's sources; the content-keyed handler bundle cache (.build) is shared. */
function scratchProject(): string {
  const dir = scratchDir("dr-project-");
  const skip = new Set([".git", ".tools", "node_modules", "cdktf.out", ".build", "dist", "state"]);
  const copy = (from: string, to: string) => {
    for (const entry of Deno.readDirSync(from)) {
      if (skip.has(entry.name) || entry.isSymlink) continue;
      if (entry.isDirectory) {
        Deno.mkdirSync(`${to}/${entry.name}`);
        copy(`${from}/${entry.name}`, `${to}/${entry.name}`);
      } else Deno.copyFileSync(`${from}/${entry.name}`, `${to}/${entry.name}`);
    }
  };
  copy(PROJECT_ROOT, dir);
  Deno.mkdirSync(`${PROJECT_ROOT}/.build`, { recursive: true });
  Deno.symlinkSync(`${PROJECT_ROOT}/.build`, `${dir}/.build`);
  return dir;
}

function write(path: string, text: string): void {
  Deno.mkdirSync(path.replace(/\/[^/]+$/, ""), { recursive: true });
  Deno.writeTextFileSync(path, text);
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A fake `deno` for recipes whose project code is not the point: runs `script` and exits with its status. */
function fakeDeno(dir: string, script: string): string {
  const path = `${dir}/fake-deno`;
  Deno.writeTextFileSync(path, `#!/usr/bin/env bash\n${script}\n`);
  Deno.chmodSync(path, 0o755);
  return path;
}

const STATE_FILES = [
  "state/dr-dev/terraform.tfstate",
  "state/dr-dev/terraform.tfstate.backup",
  "state/dr-dev/terraform.tfstate.d/blue/terraform.tfstate",
  "state/dr-alpha/terraform.tfstate",
  // Written by an older version of this project into the stack folder: still state, still kept.
  "cdktf.out/stacks/dr-dev/terraform.tfstate",
];

Deno.test("make clean and make distclean remove generated and installed files, never Terraform state", () => {
  const dir = makefileOnly();
  for (const file of STATE_FILES) write(`${dir}/${file}`, `{"serial": 1, "file": "${file}"}`);
  const generated = [
    "cdktf.out/manifest.json",
    "cdktf.out/stacks/dr-dev/cdk.tf.json",
    "cdktf.out/stacks/dr-dev/operator.json",
    "cdktf.out/stacks/dr-dev/assets/handler_code_failover/ABC/failover.zip",
    "cdktf.out/stacks/dr-dev/tfplan",
    "cdktf.out/stacks/dr-alpha/cdk.tf.json",
    ".build/handlers/failover.zip",
    "dist/dr-dev-bundle.tar.gz",
  ];
  const installed = [
    "cdktf.out/stacks/dr-dev/.terraform/providers/aws",
    "cdktf.out/stacks/dr-dev/.terraform.lock.hcl",
    "node_modules/esbuild/package.json",
    ".tools/bin/deno",
  ];
  for (const file of [...generated, ...installed]) write(`${dir}/${file}`, "x");

  const clean = make(dir, ["clean"]);
  assert.equal(clean.code, 0, clean.stderr);
  for (const file of STATE_FILES) assert.ok(exists(`${dir}/${file}`), `make clean removed ${file}`);
  for (const file of generated) assert.ok(!exists(`${dir}/${file}`), `make clean left ${file}`);
  for (const file of installed) assert.ok(exists(`${dir}/${file}`), `make clean removed ${file}`);

  const distclean = make(dir, ["distclean"]);
  assert.equal(distclean.code, 0, distclean.stderr);
  for (const file of STATE_FILES) {
    assert.equal(
      Deno.readTextFileSync(`${dir}/${file}`),
      `{"serial": 1, "file": "${file}"}`,
      `make distclean touched ${file}`,
    );
  }
  for (const file of installed) assert.ok(!exists(`${dir}/${file}`), `make distclean left ${file}`);
  assert.ok(!exists(`${dir}/cdktf.out/stacks/dr-alpha`), "an emptied stack folder goes too");
});

Deno.test("make unit fails when a test run changes Terraform state, and passes when it does not", () => {
  const dir = makefileOnly();
  write(`${dir}/state/dr-dev/terraform.tfstate`, '{"serial": 4}');
  const harmless = make(dir, ["unit", `DENO=${fakeDeno(dir, "exit 0")}`]);
  assert.equal(harmless.code, 0, harmless.stderr);
  const harmful = make(dir, ["unit", `DENO=${fakeDeno(dir, "rm -f state/dr-dev/terraform.tfstate")}`]);
  assert.notEqual(harmful.code, 0);
  assert.match(harmful.stderr, /the test run changed state\/: a test must never touch Terraform state/);
});

Deno.test("make plan, apply and destroy list every unmet prerequisite at once (exit 2), running nothing", () => {
  const dir = makefileOnly();
  for (const target of ["plan", "apply", "destroy"]) {
    const result = make(dir, [target]);
    assert.equal(result.code, 2, `${target}: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`^refusing to ${target}:\\n`));
    assert.match(result.stderr, /\n {2}AWS_ACCOUNT_ID is unset, empty or the placeholder 123456789012/);
    assert.match(result.stderr, /\n {2}no AWS credentials in the environment: export AWS_PROFILE/);
    assert.match(
      result.stderr,
      /\n {2}TF_VAR_db_master_password is not set: read -rs TF_VAR_db_master_password/,
    );
    assert.equal(/no saved plan/.test(result.stderr), target === "apply", target);
  }
  assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["Makefile"], "nothing ran");
  const ready = {
    AWS_ACCOUNT_ID: "111122223333",
    AWS_PROFILE: "dr-admin",
    TF_VAR_db_master_password: "not-a-real-one",
  };
  assert.equal(make(dir, ["require-deploy", "ACTION=plan"], ready).code, 0);
  const onlyPassword = make(dir, ["plan"], { ...ready, TF_VAR_db_master_password: "" });
  assert.equal(onlyPassword.code, 2);
  assert.equal(onlyPassword.stderr.split("\n").filter((line) => line.startsWith("  ")).length, 1);
});

Deno.test("ENVIRONMENT_SUFFIX= (empty) stops every make target that picks a stack: exit 2, named, nothing written", () => {
  const dir = makefileOnly();
  const deno = fakeDeno(dir, "exit 0"); // synth "succeeds": the Makefile itself must refuse
  for (
    const target of ["validate", "apply", "verify-bundle", "rto", "drill", "failback", "bundle", "review"]
  ) {
    const result = make(dir, [target, `DENO=${deno}`], { ENVIRONMENT_SUFFIX: "" });
    assert.equal(result.code, 2, `${target}: ${result.stderr}`);
    assert.match(result.stderr, /ENVIRONMENT_SUFFIX="": is set but empty/, target);
  }
  assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name).sort(), ["Makefile", "fake-deno"]);
});

Deno.test("Deno's download and progress lines are off unless stderr is a terminal", () => {
  const dir = makefileOnly();
  const piped = make(dir, ["-n", "synth", "DENO=deno"]);
  assert.match(piped.stdout, /deno" run --quiet /);
  const terminal = new Deno.Command("script", {
    args: ["-qec", "make --no-print-directory -n synth DENO=deno TF_PLUGIN_DIR=", "/dev/null"],
    cwd: dir,
  }).outputSync();
  const text = new TextDecoder().decode(terminal.stdout);
  assert.match(text, /deno" run +--allow-env/, text);
  assert.doesNotMatch(text, /--quiet/);
});

Deno.test({
  name:
    "make rto through make: 0 within the RTO; beyond it make fails with the tool's Error 3; bad input Error 2",
  fn() {
    const dir = scratchProject();
    const fits = make(dir, ["rto"]);
    assert.equal(fits.code, 0, fits.stderr);
    assert.match(fits.stdout, /within the 300 s RTO target/);
    const slow = make(dir, ["rto"], { AURORA_PROMOTION_SECONDS: "600" });
    assert.equal(slow.code, 2, "GNU make exits 2 for any failed recipe");
    assert.match(slow.stdout, /EXCEEDS the 300 s RTO target/);
    assert.match(slow.stderr, /\[Makefile:\d+: rto\] Error 3$/m);
    const bad = make(dir, ["rto"], { ROUTE53_INTERVAL_SECONDS: "15" });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /ROUTE53_INTERVAL_SECONDS="15": must be 10 or 30/);
    assert.match(bad.stderr, /\[Makefile:\d+: synth\] Error 2$/m);
  },
});
