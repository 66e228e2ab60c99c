// make drill / make failback: targets read from the synthesized stack, refusal without credentials, and the
// failback run against the in-memory AWS (confirmations, --yes, a switchover refused midway, notification).
import assert from "node:assert/strict";
import {
  credentialProblems,
  type FailbackDeps,
  formatRunReport,
  runDrill,
  runFailback,
  type StackTargets,
  stackTargets,
  TARGET_OUTPUTS,
} from "../tools/lib/operator_actions.ts";
import {
  ACTIVE_PARAM,
  ASG,
  awsError,
  CallLog,
  CLOCK_START,
  FakeAlarms,
  FakeAutoScaling,
  FakeRds,
  FakeSnapshots,
  FakeSns,
  FakeSsm,
  GLOBAL_ID,
  PRIMARY_ARN,
  PRIMARY_ID,
  PRIMARY_REGION,
  REGION,
} from "./fake_aws.ts";
import { defaultStack, type Json, PROJECT_ROOT, synthWith } from "./helpers.ts";

function manifestOf(stackDir: string): Json {
  return JSON.parse(Deno.readTextFileSync(`${stackDir}/operator.json`));
}

Deno.test("stackTargets() reads every failover and failback target from the stack's outputs (operator.json)", () => {
  const targets = stackTargets(manifestOf(defaultStack().stackDir));
  assert.deepEqual(targets, {
    accountId: "123456789012",
    primaryRegion: "us-east-1",
    secondaryRegion: "us-east-2",
    globalClusterId: "aurora-global-dev",
    primaryClusterId: "aurora-us-east-1-dev",
    primaryClusterArn: "arn:aws:rds:us-east-1:123456789012:cluster:aurora-us-east-1-dev",
    secondaryAsgName: "app-us-east-2-dev",
    standbyMinSize: 1,
    standbyDesiredCapacity: 1,
    activeRegionParameter: "/txn/dev/failover/active-region",
    orchestratorFunctionName: "dr-failover-us-east-2-dev",
    secondaryTopicArn: "arn:aws:sns:us-east-2:123456789012:dr-alerts-us-east-2-dev",
    metricNamespace: "TransactionDR/dev",
    fenceAlarmName: "dr-primary-fenced-us-east-2-dev",
    dnsSettleSeconds: 90,
  });
});

Deno.test("stackTargets() takes each target from its output, not from a guess (a changed output is followed)", () => {
  const manifest = manifestOf(defaultStack().stackDir);
  for (const [key, output] of Object.entries(TARGET_OUTPUTS)) {
    assert.ok(manifest.outputs[output], `${key}: output ${output} missing`);
  }
  manifest.outputs.failover_orchestrator_function_name.value = "orchestrator-renamed";
  manifest.outputs.regions.value = { primary: "eu-west-1", secondary: "eu-central-1" };
  const targets = stackTargets(manifest);
  assert.equal(targets.orchestratorFunctionName, "orchestrator-renamed");
  assert.equal(targets.secondaryRegion, "eu-central-1");
});

Deno.test("stackTargets() names every output a foreign or partial manifest lacks", () => {
  assert.throws(
    () => stackTargets({ outputs: { regions: { value: { primary: "us-east-1", secondary: "us-east-2" } } } }),
    (error: Error) =>
      ["database_global_cluster_id", "compute_secondary_asg_name", "failover_orchestrator_function_name"]
        .every((output) => error.message.includes(`no output ${output}`)),
  );
});

Deno.test("credentialProblems() refuses the placeholder account and a missing credential source", () => {
  const targets = stackTargets(manifestOf(defaultStack().stackDir));
  const problems = credentialProblems({}, targets);
  assert.equal(problems.length, 2);
  assert.match(problems[0], /placeholder account 123456789012/);
  assert.match(problems[1], /no AWS credentials/);
  assert.deepEqual(credentialProblems({ AWS_PROFILE: "dr" }, { ...targets, accountId: "111122223333" }), []);
});

function runOperatorTool(tool: string, manifestPath: string, env: Record<string, string>) {
  const result = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--config",
      `${PROJECT_ROOT}/deno.json`,
      `${PROJECT_ROOT}/tools/${tool}.ts`,
      manifestPath,
    ],
    env: { HOME: Deno.env.get("HOME") ?? "/root", PATH: Deno.env.get("PATH") ?? "", ...env },
    clearEnv: true,
  }).outputSync();
  return { code: result.code, stderr: new TextDecoder().decode(result.stderr) };
}

Deno.test("make drill and make failback refuse clearly without credentials (exit 2)", () => {
  for (const tool of ["drill", "failback"]) {
    const result = runOperatorTool(tool, `${defaultStack().stackDir}/operator.json`, {});
    assert.equal(result.code, 2, tool);
    assert.match(result.stderr, /refusing.*\n.*placeholder account[\s\S]*no AWS credentials/);
  }
});

Deno.test("make drill and make failback with credentials that do not resolve: one line naming what to set", () => {
  const { stackDir } = synthWith({ AWS_ACCOUNT_ID: "111122223333" });
  const empty = Deno.makeTempDirSync({ prefix: "dr-aws-" });
  Deno.writeTextFileSync(`${empty}/config`, "");
  Deno.writeTextFileSync(`${empty}/credentials`, "");
  for (const tool of ["drill", "failback"]) {
    const result = runOperatorTool(tool, `${stackDir}/operator.json`, {
      AWS_PROFILE: "no-such-profile",
      AWS_CONFIG_FILE: `${empty}/config`,
      AWS_SHARED_CREDENTIALS_FILE: `${empty}/credentials`,
      // Not the instance's own role: the test must not depend on where it runs.
      AWS_EC2_METADATA_DISABLED: "true",
    });
    assert.equal(result.code, 2, `${tool}: ${result.stderr}`);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `${tool} printed more than one line:\n${result.stderr}`);
    assert.match(lines[0], /^refusing to (run the drill|fail back): cannot resolve AWS credentials/);
    assert.match(lines[0], /AWS_PROFILE=no-such-profile names no usable profile/);
    assert.match(
      lines[0],
      /set AWS_PROFILE to a configured profile .*or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
  }
});

Deno.test("runDrill() invokes the standby orchestrator with { drill: true } and returns its report", async () => {
  const targets = stackTargets(manifestOf(defaultStack().stackDir));
  const calls: Array<{ FunctionName: string; Payload: string }> = [];
  const report = await runDrill({
    invoke: (input) => {
      calls.push({ FunctionName: input.FunctionName, Payload: new TextDecoder().decode(input.Payload) });
      return Promise.resolve({
        Payload: new TextEncoder().encode(JSON.stringify({ outcome: "drill", wouldAbort: false })),
      });
    },
  }, targets);
  assert.deepEqual(calls, [{ FunctionName: "dr-failover-us-east-2-dev", Payload: '{"drill":true}' }]);
  assert.equal(report.outcome, "drill");
  await assert.rejects(
    runDrill({
      invoke: () =>
        Promise.resolve({ FunctionError: "Unhandled", Payload: new TextEncoder().encode('"boom"') }),
    }, targets),
    /the drill failed in dr-failover-us-east-2-dev/,
  );
});

const FAKE_TARGETS: StackTargets = {
  accountId: "111122223333",
  primaryRegion: PRIMARY_REGION,
  secondaryRegion: REGION,
  globalClusterId: GLOBAL_ID,
  primaryClusterId: PRIMARY_ID,
  primaryClusterArn: PRIMARY_ARN,
  secondaryAsgName: ASG,
  standbyMinSize: 1,
  standbyDesiredCapacity: 1,
  activeRegionParameter: ACTIVE_PARAM,
  orchestratorFunctionName: "dr-failover-us-east-2-dev",
  secondaryTopicArn: `arn:aws:sns:${REGION}:111122223333:dr-alerts-${REGION}-dev`,
  metricNamespace: "TransactionDR/dev",
  fenceAlarmName: "dr-primary-fenced-us-east-2-dev",
  dnsSettleSeconds: 90,
};

/** The world after an automatic failover: the standby writes, runs at full capacity, fenced. */
function afterFailover(answers: boolean[] = []) {
  const log = new CallLog();
  const rds = new FakeRds(log);
  rds.secondaryIsWriter();
  const autoScaling = new FakeAutoScaling(log);
  autoScaling.group = { min: 2, desired: 2, max: 6 };
  const ssm = {
    primary: new FakeSsm(log, "ssm-primary", { [ACTIVE_PARAM]: PRIMARY_REGION }),
    secondary: new FakeSsm(log, "ssm-secondary", { [ACTIVE_PARAM]: REGION }),
  };
  const sns = new FakeSns(log);
  const fenced: number[] = [];
  const questions: string[] = [];
  const clock = { now: CLOCK_START };
  const alarms = new FakeAlarms(log);
  alarms.set(FAKE_TARGETS.fenceAlarmName, "PrimaryFenced", "OK");
  const deps: FailbackDeps = {
    rds,
    snapshots: new FakeSnapshots(log),
    alarms,
    autoScaling,
    ssm,
    sns,
    fence: { emit: (value) => void fenced.push(value) },
    confirm: (question) => {
      questions.push(question);
      return Promise.resolve(answers.length > 0 ? answers.shift()! : true);
    },
    log: { info: () => {}, warn: () => {}, error: () => {} },
    now: () => clock.now,
    sleep: (ms) => {
      clock.now += ms;
      return Promise.resolve();
    },
  };
  return { log, rds, autoScaling, ssm, sns, fenced, questions, deps };
}

Deno.test("runFailback() switches over, restores the active region, clears the fence, shrinks the standby, notifies", async () => {
  const world = afterFailover();
  const report = await runFailback(world.deps, FAKE_TARGETS, { yes: false, pollIntervalMs: 1_000 });
  assert.equal(report.ok, true, formatRunReport(report));
  assert.deepEqual(report.steps.map((step) => step.step), [
    "keep-unplanned-snapshot",
    "aurora-switchover",
    "active-region",
    "primary-unfenced",
    "traffic-drained",
    "standby-capacity",
  ]);
  assert.equal(world.log.count("switchoverGlobalCluster"), 1);
  assert.equal(world.log.count("failoverGlobalCluster"), 0, "failback never risks data loss");
  assert.equal(world.ssm.secondary.params.get(ACTIVE_PARAM), PRIMARY_REGION);
  assert.deepEqual(world.fenced, [0]);
  assert.deepEqual(world.autoScaling.group, { min: 1, desired: 1, max: 6 });
  assert.equal(world.questions.length, 5, "every step that changes or waits was confirmed");
  assert.match(world.sns.published[0].Subject!, /failback to us-east-1 completed/);
});

Deno.test("runFailback() --yes asks nothing; a second run changes nothing", async () => {
  const world = afterFailover();
  await runFailback(world.deps, FAKE_TARGETS, { yes: true, pollIntervalMs: 1_000 });
  assert.deepEqual(world.questions, []);
  const mutationsAfterFirst = world.log.mutations().length;
  const again = await runFailback(world.deps, FAKE_TARGETS, { yes: true, pollIntervalMs: 1_000 });
  assert.ok(
    again.steps.every((step) =>
      step.status === "already-done" || ["primary-unfenced", "traffic-drained"].includes(step.step)
    ),
  );
  assert.equal(world.log.mutations().length - mutationsAfterFirst, 1, "only the notification");
});

Deno.test("runFailback() stops where the operator declines, changing nothing after it", async () => {
  const world = afterFailover([true, false]); // the switchover, then no to the active region
  const report = await runFailback(world.deps, FAKE_TARGETS, { yes: false, pollIntervalMs: 1_000 });
  assert.equal(report.ok, false);
  assert.equal(report.failedStep, "active-region");
  assert.equal(world.ssm.secondary.params.get(ACTIVE_PARAM), REGION, "declined: not changed");
  assert.deepEqual(world.autoScaling.group, { min: 2, desired: 2, max: 6 }, "later steps did not run");
  assert.match(world.sns.published[0].Subject!, /STOPPED at active-region/);
});

Deno.test("runFailback() with the switchover refused midway: stops, keeps the standby serving, says so", async () => {
  const world = afterFailover();
  world.log.failNext(
    "rds.switchoverGlobalCluster",
    awsError("InvalidGlobalClusterStateFault", "global cluster is busy"),
  );
  const report = await runFailback(world.deps, FAKE_TARGETS, { yes: true, pollIntervalMs: 1_000 });
  assert.equal(report.ok, false);
  assert.equal(report.failedStep, "aurora-switchover");
  assert.equal(world.log.count("failoverGlobalCluster"), 0, "no data-loss fallback on failback");
  assert.equal(world.ssm.secondary.params.get(ACTIVE_PARAM), REGION);
  assert.deepEqual(world.fenced, []);
  assert.deepEqual(world.autoScaling.group, { min: 2, desired: 2, max: 6 });
  assert.match(world.sns.published[0].Message!, /aurora-switchover/);
  const retry = await runFailback(world.deps, FAKE_TARGETS, { yes: true, pollIntervalMs: 1_000 });
  assert.equal(retry.ok, true, formatRunReport(retry));
});

Deno.test("runFailback() --dry-run changes nothing and notifies no one", async () => {
  const world = afterFailover();
  const report = await runFailback(world.deps, FAKE_TARGETS, { yes: true, dryRun: true });
  assert.equal(report.dryRun, true);
  assert.deepEqual(world.log.mutations(), []);
  assert.deepEqual(world.fenced, []);
  assert.match(formatRunReport(report), /dry run: nothing changed/);
});
