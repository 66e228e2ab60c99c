// One rehearsal of the stack on the AWS emulator, shared by `make rehearse` (tools/rehearse.ts) and
// tests/rehearsal_test.ts: start the emulator, apply, drill, destroy, check what is left, stop. Each phase
// is timed into the timeline; close() always stops the emulator and removes the working copy.
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { createFailoverHandler, type FailoverReport } from "../../handlers/failover.ts";
import { HANDLER_ENV } from "../../handlers/lib/contract.ts";
import type { StepLog } from "../../handlers/lib/steps.ts";
import { type Json, StackIndex } from "../../modules/stack_index.ts";
import { type Emulator, startEmulator } from "./emulator.ts";
import { emulatorClientOptions } from "./clients.ts";
import { rehearsalFailoverDeps } from "./orchestrator.ts";
import {
  destroy,
  init,
  inventory,
  planAndApply,
  prepareStack,
  stackRegions,
  stateAddresses,
} from "./stack.ts";

export interface Phase {
  readonly phase: string;
  readonly seconds: number;
  readonly ok: boolean;
}

export interface Rehearsal {
  readonly emulator: Emulator;
  readonly stack: Json;
  readonly workDir: string;
  readonly regions: readonly string[];
  /** The emulator's inventory before anything was applied: what destroy must return it to. */
  readonly baseline: Json;
  readonly timeline: Phase[];
  readonly log: StepLog;
  /** Terraform's apply and destroy output, line by line (progress). */
  readonly onLine?: (line: string) => void;
  /** Runs `work` as a named phase of the timeline. */
  phase<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** Stops the emulator (by its PID) and removes the working copy; safe to call twice. */
  close(): Promise<void>;
}

/** Starts the emulator, copies the synthesized stack with its override and runs terraform init. */
export async function startRehearsal(
  stackDir: string,
  log: StepLog = quietLog(),
  onLine?: (line: string) => void,
): Promise<Rehearsal> {
  const timeline: Phase[] = [];
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    let ok = false;
    try {
      const result = await work();
      ok = true;
      return result;
    } finally {
      timeline.push({ phase: name, seconds: Math.round((performance.now() - started) / 100) / 10, ok });
    }
  };
  const emulator = await phase("start emulator", startEmulator);
  let workDir: string | undefined;
  const close = async () => {
    await emulator.stop();
    if (workDir && Deno.env.get("REHEARSAL_KEEP_WORKDIR") === "1") {
      console.error(`kept the rehearsal's working copy (terraform logs, state): ${workDir}`);
    } else if (workDir) {
      Deno.removeSync(workDir, { recursive: true });
    }
    workDir = undefined;
  };
  try {
    workDir = prepareStack(stackDir, emulator.endpoint);
    const stack = JSON.parse(Deno.readTextFileSync(`${workDir}/cdk.tf.json`));
    const regions = stackRegions(stack);
    const dir = workDir;
    await phase("terraform init", () => init(dir));
    const baseline = await phase("baseline inventory", () => inventory(emulator.endpoint, regions));
    return { emulator, stack, workDir, regions, baseline, timeline, log, onLine, phase, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export interface ApplyResult {
  readonly planned: readonly string[];
  readonly created: readonly string[];
}

/** Plans and applies the stack to the emulator; returns the planned and the created addresses. */
export function applyStack(r: Rehearsal): Promise<ApplyResult> {
  return r.phase("apply", async () => {
    const planned = await planAndApply(r.workDir, r.onLine);
    return { planned, created: await stateAddresses(r.workDir) };
  });
}

export interface DrillResult {
  readonly report: FailoverReport;
  readonly before: Json;
  readonly after: Json;
}

/**
 * The orchestrator's dry run, in-process with the deployed function's environment and real SDK clients,
 * between two inventories of the emulator. The primary's health endpoint is a loopback server (healthy).
 */
export function drill(r: Rehearsal): Promise<DrillResult> {
  return r.phase("drill", async () => {
    const { region, environment } = await deployedOrchestrator(r);
    const healthPath = new URL(environment[HANDLER_ENV.peerHealthUrl]).pathname;
    const health = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) =>
        new URL(request.url).pathname === healthPath
          ? new Response("ok")
          : new Response("not found", { status: 404 }),
    );
    try {
      const orchestrator = rehearsalFailoverDeps({
        endpoint: r.emulator.endpoint,
        region,
        environment,
        peerHealthUrl: `http://127.0.0.1:${health.addr.port}${healthPath}`,
        primaryRegion: environment[HANDLER_ENV.primaryRegion],
        log: r.log,
      });
      const before = await inventory(r.emulator.endpoint, r.regions);
      const report = await createFailoverHandler(orchestrator.deps)({ drill: true }, {
        awsRequestId: "rehearsal-drill",
        getRemainingTimeInMillis: () => 15 * 60_000,
      });
      await orchestrator.settled();
      const after = await inventory(r.emulator.endpoint, r.regions);
      return { report, before, after };
    } finally {
      await health.shutdown();
    }
  });
}

/** The failover orchestrator's region and its environment, read back from the emulator's Lambda. */
export async function deployedOrchestrator(
  r: Rehearsal,
): Promise<{ region: string; environment: Record<string, string> }> {
  const orchestrator = new StackIndex(r.stack).ofType("aws_lambda_function")
    .find((fn) => fn.body.environment?.variables?.[HANDLER_ENV.globalClusterId] !== undefined);
  if (!orchestrator) throw new Error(`no Lambda function with ${HANDLER_ENV.globalClusterId} in the stack`);
  const { body, region } = orchestrator;
  const lambda = new LambdaClient(emulatorClientOptions(r.emulator.endpoint, region));
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: body.function_name }));
  return { region, environment: { ...config.Environment?.Variables } };
}

export function destroyStack(r: Rehearsal): Promise<void> {
  return r.phase("destroy", () => destroy(r.workDir, r.onLine));
}

/** What the emulator holds now and did not hold before the apply, by inventory section; empty when clean. */
export async function leftovers(r: Rehearsal): Promise<Record<string, string[]>> {
  const now = await r.phase("leftovers", () => inventory(r.emulator.endpoint, r.regions));
  const found: Record<string, string[]> = {};
  for (const [section, kinds] of Object.entries(now as Record<string, Record<string, Json[]>>)) {
    for (const [kind, items] of Object.entries(kinds)) {
      const before = new Set((r.baseline[section]?.[kind] ?? []).map(identity));
      const left = items.map(identity).filter((item) => !before.has(item));
      if (left.length > 0) found[`${section} ${kind}`] = left;
    }
  }
  return found;
}

/** An inventory item's name (the whole item when it is a plain name). */
function identity(item: Json): string {
  return typeof item === "string" ? item : String(item.id ?? item.name ?? item.arn ?? JSON.stringify(item));
}

/** Collects the handler's log lines; they are shown only when something fails. */
export function quietLog(): StepLog & { readonly lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    lines.push(`${level} ${message}${attributes ? ` ${JSON.stringify(attributes)}` : ""}`);
  };
  return { lines, info: record("INFO"), warn: record("WARN"), error: record("ERROR") };
}
