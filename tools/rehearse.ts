// `make rehearse`: the whole stack on an AWS emulator on this machine, no AWS account, loopback only.
// Synthesizes the default configuration into a temporary folder, starts moto (tests/rehearsal/), applies,
// runs the failover orchestrator's drill in-process with real SDK clients, destroys, checks that nothing is
// left, stops the emulator by its PID, and prints the timeline and the state the drill saw.
// Exit 0 when every step and check passed, 1 when one failed, 2 when python3/moto or terraform is missing.
import { isDeepStrictEqual } from "node:util";
import { loadConfig } from "../modules/config.ts";
import { synthesize } from "../main.ts";
import { emulatorAvailable } from "../tests/rehearsal/emulator.ts";
import {
  applyStack,
  destroyStack,
  drill,
  leftovers,
  quietLog,
  type Rehearsal,
  startRehearsal,
} from "../tests/rehearsal/rehearsal.ts";
import type { Json } from "../tests/helpers.ts";
import { failoverAndFailback } from "../tests/rehearsal/failover_path.ts";

function commandWorks(command: string, args: string[]): boolean {
  try {
    return new Deno.Command(command, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** A failed check: reported, and the rehearsal goes on to destroy and clean up. */
class CheckFailed extends Error {}

function check(ok: boolean, message: string): void {
  if (!ok) throw new CheckFailed(message);
  console.log(`  ok: ${message}`);
}

async function rehearse(r: Rehearsal): Promise<string[]> {
  const failures: string[] = [];
  const attempt = async (name: string, work: () => Promise<void>) => {
    console.log(`\n== ${name}`);
    try {
      await work();
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : error}`);
      console.error(`  FAILED: ${error instanceof Error ? error.message : error}`);
    }
  };
  let applied = false;
  await attempt("apply (plan, then apply that plan)", async () => {
    const { planned, created } = await applyStack(r);
    applied = true;
    const missing = planned.filter((address) => !created.includes(address));
    check(missing.length === 0, `${created.length} of ${planned.length} planned resources created`);
  });
  if (applied) {
    await attempt("drill (the orchestrator's dry run, in-process, real SDK clients)", async () => {
      const { report, before, after } = await drill(r);
      for (const step of report.steps) {
        console.log(`  ${step.step.padEnd(22)} ${step.status.padEnd(12)} ${step.detail}`);
      }
      check(report.outcome === "drill" && report.ok, `drill report ok (outcome ${report.outcome})`);
      check(isDeepStrictEqual(before, after), "the emulator's state after the drill equals the state before");
      printState(after, r.regions);
    });
  }
  if (applied) {
    await attempt("failover (primary's health down) and failback, end to end", async () => {
      const result = await failoverAndFailback(r);
      const votes = Object.entries(result.downDecision.states).map(([name, state]) => `${name} ${state}`);
      console.log(`  decision alarms from the probers' datapoints: ${votes.join(", ")}`);
      check(
        result.downDecision.quorum,
        "the quorum alarm's rule holds: witness AND (standby OR replication)",
      );
      for (const step of result.report.steps) {
        console.log(`  ${step.step.padEnd(22)} ${step.status.padEnd(12)} ${step.detail}`);
      }
      check(
        result.report.outcome === "failed-over" && result.report.ok,
        `failover: ${result.report.outcome}`,
      );
      check(result.afterFailover.writerRegion === r.regions[1], `writer after failover: ${r.regions[1]}`);
      check(result.repeat.replayed === true, "the same event again changes nothing");
      for (const step of result.failback.steps) {
        console.log(`  ${step.step.padEnd(22)} ${step.status.padEnd(12)} ${step.detail}`);
      }
      check(result.failback.ok, "failback completed");
      check(result.afterFailback.writerRegion === r.regions[0], `writer after failback: ${r.regions[0]}`);
      for (
        const [label, state] of [["before", result.before], ["after failover", result.afterFailover], [
          "after failback",
          result.afterFailback,
        ]] as const
      ) {
        console.log(
          `  ${label.padEnd(15)} writer ${state.writerRegion}, standby min ${state.standbyMin} desired ` +
            `${state.standbyDesired}, active-region ${JSON.stringify(state.activeRegion)}`,
        );
      }
    });
  }
  await attempt("destroy", async () => {
    await destroyStack(r);
    const left = await leftovers(r);
    const lines = Object.entries(left).map(([kind, items]) => `${kind}: ${items.join(", ")}`);
    check(lines.length === 0, `nothing left behind${lines.length ? `:\n    ${lines.join("\n    ")}` : ""}`);
  });
  return failures;
}

function printState(inventory: Json, regions: readonly string[]): void {
  console.log("\n  state seen by the drill:");
  for (const cluster of inventory.global.globalClusters) {
    const writer = cluster.members.find((member: Json) => member.isWriter)?.arn ?? "(none)";
    console.log(`    global cluster ${cluster.id}: ${cluster.status}, writer ${writer}`);
  }
  for (const region of regions) {
    const state = inventory[region];
    const groups = state.autoScalingGroups.map((g: Json) => `${g.name} min ${g.min} desired ${g.desired}`);
    const active = state.parameters.find((p: Json) => p.name.endsWith("/active-region"))?.value ?? "(unset)";
    console.log(
      `    ${region}: ${groups.join("; ")}; active-region ${active}; ${state.alarms.length} alarms, ` +
        `${state.functions.length} functions, ${state.parameters.length} parameters`,
    );
  }
}

/** Prints how far terraform got, every 30 s of a long apply or destroy. */
function progress(): (line: string) => void {
  const done = { Creation: 0, Destruction: 0 };
  let last = performance.now();
  return (line) => {
    const kind = /: (Creation|Destruction) complete after/.exec(line)?.[1] as keyof typeof done | undefined;
    if (kind) done[kind]++;
    if (performance.now() - last >= 30_000) {
      last = performance.now();
      console.log(`  ... ${done.Creation} resources created, ${done.Destruction} destroyed so far`);
    }
  };
}

async function main(): Promise<number> {
  const missing = [
    ...(emulatorAvailable() ? [] : ["python3 with moto[server] (pip install 'moto[server]==5.2.1')"]),
    ...(commandWorks("terraform", ["version"]) ? [] : ["terraform >= 1.11.1"]),
  ];
  if (missing.length > 0) {
    console.error(`make rehearse needs: ${missing.join("; ")}`);
    return 2;
  }
  const outdir = Deno.makeTempDirSync({ prefix: "dr-rehearse-synth-" });
  const log = quietLog();
  let r: Rehearsal | undefined;
  const interrupted = async () => {
    await r?.close();
    Deno.removeSync(outdir, { recursive: true });
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  try {
    const stackJson = synthesize(loadConfig({}), outdir);
    r = await startRehearsal(stackJson.replace(/\/cdk\.tf\.json$/, ""), log, progress());
    console.log(`emulator ${r.emulator.endpoint} (pid ${r.emulator.pid}); regions ${r.regions.join(", ")}`);
    const failures = await rehearse(r);
    await r.close();
    console.log("\ntimeline:");
    for (const phase of r.timeline) {
      console.log(
        `  ${phase.phase.padEnd(20)} ${phase.seconds.toFixed(1).padStart(7)} s  ${phase.ok ? "" : "FAILED"}`,
      );
    }
    const total = r.timeline.reduce((sum, phase) => sum + phase.seconds, 0);
    console.log(`  ${"total".padEnd(20)} ${total.toFixed(1).padStart(7)} s`);
    if (failures.length > 0) {
      console.error(`\nrehearsal FAILED:\n  ${failures.join("\n  ")}`);
      if (log.lines.length > 0) console.error(`\norchestrator log:\n  ${log.lines.join("\n  ")}`);
      return 1;
    }
    console.log("\nrehearsal passed");
    return 0;
  } catch (error) {
    console.error(`rehearsal FAILED: ${error instanceof Error ? error.message : error}`);
    return 1;
  } finally {
    await r?.close();
    Deno.removeSync(outdir, { recursive: true });
    Deno.removeSignalListener("SIGINT", interrupted);
    Deno.removeSignalListener("SIGTERM", interrupted);
  }
}

Deno.exit(await main());
