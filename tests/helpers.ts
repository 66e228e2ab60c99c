// Shared test support: in-process synth of a configuration, lookups in the synthesized JSON (through the stack
// index the tools use), and the offline terraform run (init, validate, plan, show -json) whose plan the policy
// tests read.
import { ConfigError, loadConfig, type StackConfig } from "../modules/config.ts";
import type { ProviderRole } from "../modules/naming.ts";
import { synthesize } from "../main.ts";
import { TerraformOutput, type TerraformStack } from "cdktf";
import { type Json, StackIndex, type StackResource } from "../modules/stack_index.ts";
export { ROLES } from "../modules/providers.ts";

export const PROJECT_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

export type { Json } from "../modules/stack_index.ts";

export interface SynthResult {
  readonly config: StackConfig;
  readonly stackDir: string;
  readonly jsonText: string;
  readonly stack: Json;
}

/** A module's output as Terraform would see it: tokens become `${...}` references. */
export function resolve(stack: TerraformStack, value: unknown): Json {
  new TerraformOutput(stack, "resolved", { value });
  return JSON.parse(JSON.stringify(stack.toTerraform())).output.resolved.value;
}

/** Synthesizes the configuration given by `env` (defaults for the rest) into a fresh temporary folder. */
export function synthWith(env: Record<string, string> = {}): SynthResult {
  const config = loadConfig(env);
  const outdir = Deno.makeTempDirSync({ prefix: "dr-synth-" });
  const jsonPath = synthesize(config, outdir);
  const jsonText = Deno.readTextFileSync(jsonPath);
  return {
    config,
    stackDir: jsonPath.replace(/\/cdk\.tf\.json$/, ""),
    jsonText,
    stack: JSON.parse(jsonText),
  };
}

let defaultSynth: SynthResult | undefined;
/** The default configuration, synthesized once per test process. */
export function defaultStack(): SynthResult {
  defaultSynth ??= synthWith();
  return defaultSynth;
}

/** The resources of one type: logical id -> body. */
export function resources(stack: Json, type: string): Record<string, Json> {
  return bodiesById(new StackIndex(stack).ofType(type));
}

/** The body of one resource by type and logical id; throws when absent (a clear test failure). */
export function resource(stack: Json, type: string, logicalId: string): Json {
  const found = new StackIndex(stack).get(type, logicalId);
  if (found === undefined) throw new Error(`${type}.${logicalId} is not in the stack`);
  return found.body;
}

/** Resources of a type made with the provider of one role (the pair's, or the witness's). */
export function resourcesIn(stack: Json, type: string, role: ProviderRole): Record<string, Json> {
  return bodiesById(new StackIndex(stack).ofType(type).filter((found) => found.provider === `aws.${role}`));
}

export function allResources(stack: Json): Array<{ type: string; name: string; body: Json }> {
  return new StackIndex(stack).all.map((found) => ({
    type: found.type,
    name: found.logicalId,
    body: found.body,
  }));
}

function bodiesById(found: readonly StackResource[]): Record<string, Json> {
  return Object.fromEntries(found.map((item) => [item.logicalId, item.body]));
}

// ---------------------------------------------------------------------------------------------------
// Terraform, offline

/** Test-only variable values for the plan (never real secrets). */
export const TEST_VARIABLES: Record<string, string> = {
  // A marker the password tests search for in every artifact; valid for the variable's validation rule.
  db_master_password: "TestOnly-NotASecret-7d41c9",
};

export function terraformAvailable(): boolean {
  try {
    return new Deno.Command("terraform", { args: ["version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/**
 * Whether a tool the real checks need is here. Missing: a loud SKIP line, or, with REQUIRE_ALL_TESTS=1 (CI),
 * a failure: CI must never pass because a real check quietly did not run.
 */
export function available(tool: string, present: boolean, what: string): boolean {
  if (present) return true;
  if (Deno.env.get("REQUIRE_ALL_TESTS") === "1") {
    throw new Error(`REQUIRE_ALL_TESTS=1 but ${tool} is missing: ${what} cannot run`);
  }
  console.warn(`\n!!!!! SKIP: ${what}: ${tool} is missing; these real checks did NOT run !!!!!\n`);
  return false;
}

const TERRAFORM_ENV = { CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };

export function terraform(cwd: string, args: string[]): string {
  const result = new Deno.Command("terraform", { args: [...args, "-no-color"], cwd, env: TERRAFORM_ENV })
    .outputSync();
  const stdout = new TextDecoder().decode(result.stdout);
  if (!result.success) {
    throw new Error(
      `terraform ${args.join(" ")} failed:\n${new TextDecoder().decode(result.stderr)}\n${stdout}`,
    );
  }
  return stdout;
}

/** Provider override for an offline plan: fake credentials, no AWS calls at configure time. */
export function offlineOverride(): string {
  const offline = (alias: string) => ({
    alias,
    access_key: "AKIAOFFLINEPLANTEST0",
    secret_key: "offline-plan-not-a-secret",
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
    // Without an account lookup the provider cannot check the allow-list.
    allowed_account_ids: null,
  });
  return JSON.stringify(
    { provider: { aws: [offline("primary"), offline("secondary"), offline("witness")] } },
    null,
    2,
  );
}

export interface OfflinePlan {
  readonly workDir: string;
  readonly plan: Json;
  readonly planText: string;
  readonly stateText: string;
}

/** Copies a synthesized stack, runs init (-plugin-dir from TF_PLUGIN_DIR), validate, plan, show -json. */
export function offlinePlan(stackDir: string): OfflinePlan {
  const workDir = Deno.makeTempDirSync({ prefix: "dr-plan-" });
  for (const entry of Deno.readDirSync(stackDir)) {
    if (entry.isFile) Deno.copyFileSync(`${stackDir}/${entry.name}`, `${workDir}/${entry.name}`);
  }
  copyDirectory(`${stackDir}/assets`, `${workDir}/assets`);
  Deno.writeTextFileSync(`${workDir}/offline_override.tf.json`, offlineOverride());
  const pluginDir = Deno.env.get("TF_PLUGIN_DIR");
  // The local backend needs no network; plan requires an initialized backend. Its state path is pointed into
  // the work folder: a test never reads or writes the project's state/.
  terraform(workDir, [
    "init",
    "-input=false",
    `-backend-config=path=${workDir}/terraform.tfstate`,
    ...(pluginDir ? [`-plugin-dir=${pluginDir}`] : []),
  ]);
  terraform(workDir, ["validate"]);
  const variableArgs = Object.entries(TEST_VARIABLES).flatMap((
    [name, value],
  ) => ["-var", `${name}=${value}`]);
  terraform(workDir, [
    "plan",
    "-input=false",
    "-lock=false",
    "-refresh=false",
    "-out=plan.bin",
    ...variableArgs,
  ]);
  const planText = terraform(workDir, ["show", "-json", "plan.bin"]);
  let stateText = "";
  try {
    stateText = Deno.readTextFileSync(`${workDir}/terraform.tfstate`);
  } catch { /* a plan writes no state */ }
  return { workDir, plan: JSON.parse(planText), planText, stateText };
}

function copyDirectory(from: string, to: string): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(from)];
  } catch {
    return;
  }
  Deno.mkdirSync(to, { recursive: true });
  for (const entry of entries) {
    if (entry.isDirectory) copyDirectory(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else Deno.copyFileSync(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

let defaultPlan: OfflinePlan | Error | undefined;
/** The offline plan of the default configuration, made once per test process (a failure is kept too). */
export function defaultOfflinePlan(): OfflinePlan {
  if (defaultPlan === undefined) {
    try {
      defaultPlan = offlinePlan(defaultStack().stackDir);
    } catch (error) {
      defaultPlan = error instanceof Error ? error : new Error(String(error));
    }
  }
  if (defaultPlan instanceof Error) throw defaultPlan;
  return defaultPlan;
}

export interface PlannedResource {
  readonly address: string;
  readonly type: string;
  /** `aws.primary`, `aws.secondary` or `aws.witness`. */
  readonly providerKey: string;
  /** Values after apply, as far as known at plan time. */
  readonly after: Json;
}

/** Planned managed resources with the aliased provider each one uses. */
export function plannedResources(plan: Json): PlannedResource[] {
  const providerByAddress = new Map<string, string>(
    plan.configuration.root_module.resources.map((
      config: Json,
    ) => [config.address, config.provider_config_key]),
  );
  return plan.resource_changes
    .filter((change: Json) => change.mode === "managed")
    .map((change: Json) => ({
      address: change.address,
      type: change.type,
      providerKey: providerByAddress.get(change.address.replace(/\[.*\]$/, "")) ?? "",
      after: change.change.after,
    }));
}

/**
 * Runs `make synth`'s command in `cwd` with `env`, as an operator would (exit code, stdout, stderr):
 * tools/synth.ts, main.ts from its cached bundle; `entry: "main.ts"` runs main.ts itself.
 */
export function runSynthCli(
  cwd: string,
  env: Record<string, string>,
  entry: "tools/synth.ts" | "main.ts" = "tools/synth.ts",
) {
  const result = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", `${PROJECT_ROOT}/deno.json`, `${PROJECT_ROOT}/${entry}`],
    cwd,
    env: {
      HOME: Deno.env.get("HOME") ?? "/root",
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      ...denoDir(),
      ...env,
    },
    clearEnv: true,
  }).outputSync();
  return {
    code: result.code,
    stdout: new TextDecoder().decode(result.stdout),
    stderr: new TextDecoder().decode(result.stderr),
  };
}

function denoDir(): Record<string, string> {
  const dir = Deno.env.get("DENO_DIR");
  return dir ? { DENO_DIR: dir } : {};
}

/** Every problem loadConfig() reports for `env` (none: an empty list). */
export function configProblems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
