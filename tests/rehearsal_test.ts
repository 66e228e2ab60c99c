// The rehearsal: the whole synthesized stack applied to the AWS emulator (moto, on loopback), the failover
// orchestrator's drill run in-process against it with real SDK clients, the emulator's global-database
// extension exercised on the applied global cluster, then destroy. One apply, shared by ordered steps.
import assert from "node:assert/strict";
import { type GlobalCluster, RDS } from "@aws-sdk/client-rds";
import { allResources, available, defaultStack, terraformAvailable } from "./helpers.ts";
import { emulatorAvailable } from "./rehearsal/emulator.ts";
import { emulatorClientOptions } from "./rehearsal/clients.ts";
import { emulatorOverride, serviceOf } from "./rehearsal/stack.ts";
import { failoverAndFailback } from "./rehearsal/failover_path.ts";
import {
  applyStack,
  destroyStack,
  drill,
  leftovers,
  quietLog,
  type Rehearsal,
  startRehearsal,
} from "./rehearsal/rehearsal.ts";

const enabled =
  available("python3 with moto[server]", emulatorAvailable(), "the rehearsal on the AWS emulator") &&
  available("terraform", terraformAvailable(), "the rehearsal on the AWS emulator");

/** Reads the global cluster until `done` holds, at most `reads` times; returns every state seen. */
async function readUntil(
  rds: RDS,
  id: string,
  done: (cluster: GlobalCluster) => boolean,
  reads = 10,
): Promise<GlobalCluster[]> {
  const seen: GlobalCluster[] = [];
  for (let i = 0; i < reads; i++) {
    const [cluster] = (await rds.describeGlobalClusters({ GlobalClusterIdentifier: id })).GlobalClusters ??
      [];
    seen.push(cluster);
    if (done(cluster)) return seen;
  }
  throw new Error(`global cluster ${id} did not settle in ${reads} reads: ${JSON.stringify(seen.at(-1))}`);
}

const writerOf = (cluster: GlobalCluster) =>
  cluster.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn;

async function refusal(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (error) {
    return (error as Error).name;
  }
  return "(accepted)";
}

async function exerciseGlobalDatabase(r: Rehearsal): Promise<void> {
  const [primaryRegion, secondaryRegion] = r.regions;
  const primary = new RDS(emulatorClientOptions(r.emulator.endpoint, primaryRegion));
  const secondary = new RDS(emulatorClientOptions(r.emulator.endpoint, secondaryRegion));
  const [global] = (await secondary.describeGlobalClusters({})).GlobalClusters ?? [];
  const id = global.GlobalClusterIdentifier!;
  const primaryArn = writerOf(global)!;
  const secondaryArn = global.GlobalClusterMembers!.find((m) => !m.IsWriter)!.DBClusterArn!;
  assert.match(primaryArn, new RegExp(`:rds:${primaryRegion}:`), "the primary region's cluster writes");
  assert.match(secondaryArn, new RegExp(`:rds:${secondaryRegion}:`));
  // Global clusters are global: the same one is seen from both regions.
  assert.equal(
    writerOf((await primary.describeGlobalClusters({ GlobalClusterIdentifier: id })).GlobalClusters![0]),
    primaryArn,
  );

  assert.equal(
    await refusal(() => secondary.describeGlobalClusters({ GlobalClusterIdentifier: "nope" })),
    "GlobalClusterNotFoundFault",
  );
  const ghost = secondaryArn.replace(/cluster:.*$/, "cluster:not-there");
  assert.equal(
    await refusal(() =>
      secondary.failoverGlobalCluster({
        GlobalClusterIdentifier: id,
        TargetDbClusterIdentifier: ghost,
        AllowDataLoss: true,
      })
    ),
    "DBClusterNotFoundFault",
  );
  assert.equal(
    await refusal(() =>
      secondary.failoverGlobalCluster({
        GlobalClusterIdentifier: id,
        TargetDbClusterIdentifier: primaryArn,
        AllowDataLoss: true,
      })
    ),
    "InvalidDBClusterStateFault",
  );

  // Unplanned failover to the standby: failing-over, then the standby writes and the old primary resyncs.
  const started = (await secondary.failoverGlobalCluster({
    GlobalClusterIdentifier: id,
    TargetDbClusterIdentifier: secondaryArn,
    AllowDataLoss: true,
  })).GlobalCluster!;
  assert.equal(started.Status, "failing-over");
  assert.deepEqual(started.FailoverState, {
    Status: "pending",
    FromDbClusterArn: primaryArn,
    ToDbClusterArn: secondaryArn,
    IsDataLossAllowed: true,
  });
  assert.equal(
    await refusal(() =>
      secondary.switchoverGlobalCluster({
        GlobalClusterIdentifier: id,
        TargetDbClusterIdentifier: secondaryArn,
      })
    ),
    "InvalidGlobalClusterStateFault",
    "one transition at a time",
  );
  const failover = await readUntil(secondary, id, (c) => c.Status === "available");
  assert.ok(failover.length >= 2, "at least one read shows the failover in progress");
  assert.ok(
    failover.slice(0, -1).every((c) =>
      c.Status === "failing-over" && c.FailoverState?.Status === "failing-over" && writerOf(c) === primaryArn
    ),
  );
  const afterFailover = failover.at(-1)!;
  assert.equal(writerOf(afterFailover), secondaryArn);
  assert.equal(afterFailover.FailoverState, undefined);
  assert.equal(
    afterFailover.GlobalClusterMembers!.find((m) => m.DBClusterArn === primaryArn)?.SynchronizationStatus,
    "pending-resync",
  );
  assert.equal(
    await refusal(() =>
      primary.switchoverGlobalCluster({ GlobalClusterIdentifier: id, TargetDbClusterIdentifier: primaryArn })
    ),
    "InvalidGlobalClusterStateFault",
    "no switchover before the old primary is in sync",
  );

  // Planned failback: switching-over, then the primary writes again, nothing lost.
  await readUntil(
    primary,
    id,
    (c) => c.GlobalClusterMembers!.every((m) => m.SynchronizationStatus === "connected"),
  );
  const back = (await primary.switchoverGlobalCluster({
    GlobalClusterIdentifier: id,
    TargetDbClusterIdentifier: primaryArn,
  })).GlobalCluster!;
  assert.equal(back.Status, "switching-over");
  assert.equal(back.FailoverState?.IsDataLossAllowed, false);
  const switchover = await readUntil(primary, id, (c) => c.Status === "available");
  assert.ok(
    switchover.slice(0, -1).every((c) => c.Status === "switching-over" && writerOf(c) === secondaryArn),
  );
  assert.equal(writerOf(switchover.at(-1)!), primaryArn);
  assert.ok(switchover.at(-1)!.GlobalClusterMembers!.every((m) => m.SynchronizationStatus === "connected"));
}

async function failoverThenFailback(r: Rehearsal): Promise<void> {
  const [primaryRegion, standbyRegion] = r.regions;
  const result = await failoverAndFailback(r);
  assert.ok(result.published >= 24, `both probers published two minutes of probes (${result.published})`);
  assert.equal(result.healthyDecision.quorum, false, JSON.stringify(result.healthyDecision.states));
  assert.ok(Object.values(result.healthyDecision.states).every((state) => state === "OK"));
  const down = Object.entries(result.downDecision.states);
  assert.ok(
    down.some(([name, state]) => name.includes("witness") && state === "ALARM"),
    JSON.stringify(down),
  );
  assert.ok(
    down.some(([name, state]) => name.includes("standby") && state === "ALARM"),
    JSON.stringify(down),
  );
  assert.equal(result.downDecision.quorum, true);

  const { report } = result;
  assert.equal(report.outcome, "failed-over", JSON.stringify(report.steps, null, 2));
  assert.equal(report.ok, true);
  assert.ok(report.promotion === "switchover" || report.promotion === "failover");
  assert.equal(report.probe?.healthy, false, "nothing had started: the orchestrator re-probed the primary");
  assert.equal(result.before.writerRegion, primaryRegion);
  assert.equal(result.afterFailover.writerRegion, standbyRegion, "the standby cluster is the global writer");
  const failoverCapacity = Number(
    r.stack.resource.aws_lambda_function.failover_secondary_failover.environment
      .variables.FAILOVER_CAPACITY,
  );
  assert.ok(result.afterFailover.standbyDesired >= failoverCapacity, "standby raised to the primary's size");
  assert.ok(result.afterFailover.standbyDesired >= result.before.standbyDesired, "never lowered");
  assert.equal(result.afterFailover.activeRegion[standbyRegion], standbyRegion);
  assert.equal(result.afterFailover.activeRegion[primaryRegion], standbyRegion, "reachable: written too");
  assert.equal(result.fencedValue, 1, "PrimaryFenced published");
  assert.equal(result.notifications.length, 1, "one SNS notification");
  assert.match(result.notifications[0].Message!, /Timeline:/);
  assert.deepEqual(
    result.lockItems.map((item) => item.status?.S),
    ["COMPLETED"],
    "the lock item completed with the report",
  );
  assert.equal(result.repeat.replayed, true, "the same event again does nothing new");

  const { failback } = result;
  assert.equal(failback.ok, true, JSON.stringify(failback.steps, null, 2));
  assert.deepEqual(failback.steps.map((step) => step.step), [
    "keep-unplanned-snapshot",
    "aurora-switchover",
    "active-region",
    "primary-unfenced",
    "traffic-drained",
    "standby-capacity",
  ]);
  const ends = failback.steps.map((step) => Date.parse(step.startedAt) + step.durationMs);
  assert.ok(
    failback.steps.every((step, i) => i === 0 || Date.parse(step.startedAt) >= ends[i - 1] - 1),
    "each failback step starts after the one before it ended",
  );
  assert.equal(result.afterFailback.writerRegion, primaryRegion, "the primary writes again");
  assert.deepEqual(result.afterFailback.activeRegion, {
    [primaryRegion]: primaryRegion,
    [standbyRegion]: primaryRegion,
  });
  assert.deepEqual(
    [result.afterFailback.standbyMin, result.afterFailback.standbyDesired],
    [result.before.standbyMin, result.before.standbyDesired],
    "the standby is back to standby capacity, last",
  );
  assert.equal(result.failbackNotifications, 1);
}

Deno.test("the emulator override sends every aliased provider and every service of the stack to the emulator", () => {
  const { stack } = defaultStack();
  const endpoint = "http://127.0.0.1:4566";
  const override = emulatorOverride(stack, endpoint);
  const aliases = stack.provider.aws.map((provider: { alias: string }) => provider.alias);
  assert.deepEqual(override.provider.aws.map((provider: { alias: string }) => provider.alias), aliases);
  const services = new Set(allResources(stack).map(({ type }) => serviceOf(type)));
  for (const provider of override.provider.aws) {
    const endpoints = provider.endpoints[0];
    for (const service of [...services, "sts"]) assert.equal(endpoints[service], endpoint, service);
    assert.equal(provider.allowed_account_ids, null);
    assert.equal(provider.s3_use_path_style, true);
    assert.equal(provider.skip_credentials_validation, true);
  }
  assert.deepEqual(
    Object.keys(override.resource.aws_rds_global_cluster),
    Object.keys(stack.resource.aws_rds_global_cluster),
  );
  assert.throws(() => serviceOf("aws_sagemaker_domain"), /no emulator endpoint is known/);
});

Deno.test({
  name: "rehearsal: the stack applies to the AWS emulator, a drill changes nothing, destroy leaves nothing",
  ignore: !enabled,
  // The SDK's keep-alive sockets and the emulator's child process outlive single steps on purpose.
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const log = quietLog();
  const r = await startRehearsal(defaultStack().stackDir, log);
  let applied = false;
  const passed: boolean[] = [];
  try {
    passed.push(
      await t.step("every planned resource is created (plan = state)", async () => {
        const { planned, created } = await applyStack(r);
        applied = true;
        const backend =
          JSON.parse(Deno.readTextFileSync(`${r.workDir}/.terraform/terraform.tfstate`)).backend;
        assert.equal(
          backend.config.path,
          `${r.workDir}/terraform.tfstate`,
          "the state stays in the working copy",
        );
        assert.equal(
          planned.length,
          allResources(r.stack).length,
          "the plan creates every resource of the stack",
        );
        assert.deepEqual(created, planned);
      }),
    );

    passed.push(
      await t.step({
        name: "a drill (the orchestrator in-process, real SDK clients) changes nothing",
        ignore: !applied,
        fn: async () => {
          const { report, before, after } = await drill(r);
          assert.deepEqual(after, before, "the emulator's state after the drill");
          assert.equal(report.outcome, "drill");
          assert.equal(report.ok, true, JSON.stringify(report.steps, null, 2));
          assert.equal(report.wouldAbort, true, "a healthy primary: a real alarm now would abort");
          assert.ok(
            report.steps.some((step) => step.status === "would-run"),
            "the drill found work to describe",
          );
          // Only the probe of the primary runs for real; every other step reports what it would do.
          assert.deepEqual(report.steps.filter((step) => step.status === "done").map((step) => step.step), [
            "verify-primary-down",
          ]);
        },
      }),
    );

    passed.push(
      await t.step({
        name:
          "the emulator's FailoverGlobalCluster and SwitchoverGlobalCluster move the writer through their transitions",
        ignore: !applied,
        fn: () => exerciseGlobalDatabase(r),
      }),
    );

    passed.push(
      await t.step({
        name: "failover from the probers' datapoints through the quorum, then failback in order",
        ignore: !applied,
        fn: () => failoverThenFailback(r),
      }),
    );

    passed.push(
      await t.step("destroy leaves nothing behind", async () => {
        await destroyStack(r);
        assert.deepEqual(await leftovers(r), {});
      }),
    );
  } finally {
    if (passed.includes(false)) {
      console.error(
        `orchestrator log:\n${log.lines.join("\n")}\nemulator log tail:\n${r.emulator.logTail()}`,
      );
    }
    await r.close();
    console.log(r.timeline.map((p) => `${p.phase} ${p.seconds} s${p.ok ? "" : " FAILED"}`).join("; "));
  }
});
