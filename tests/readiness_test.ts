// The readiness evaluation against the in-memory standby region (readiness_world.ts): ready when everything
// is in place; each broken condition fails its own check, with evidence; nothing is ever changed.
import assert from "node:assert/strict";
import { Metrics } from "@aws-lambda-powertools/metrics";
import {
  createReadinessHandler,
  drillOutcome,
  emfReadinessSink,
  formatReadiness,
  loadReadinessConfig,
  type ReadinessReport,
} from "../handlers/readiness.ts";
import { ConfigError } from "../handlers/lib/settings.ts";
import { readOnlyPorts, ReadOnlyViolation, type StandbyClients } from "../handlers/lib/readiness_ports.ts";
import { MUTATING_METHODS } from "../handlers/lib/aws_ports.ts";
import { METRICS, READINESS_CHECK_NAMES, type ReadinessCheckName } from "../handlers/lib/contract.ts";
import { awsError, PRIMARY_REGION, REGION, SECONDARY_ARN } from "./fake_aws.ts";
import { DECISION_ALARMS, startPrimary } from "./failover_world.ts";
import {
  byCheck,
  FENCE_ALARM,
  LOCK_TABLE,
  ORCHESTRATOR,
  probeDimensions,
  readinessEnv,
  readinessWorld,
  TRIGGER_RULE,
} from "./readiness_world.ts";
import { LAUNCH_TEMPLATE_ID } from "./fake_readiness.ts";

type World = ReturnType<typeof readinessWorld>;

const failingOf = (report: ReadinessReport) => [...report.failing];

Deno.test("evaluateReadiness(): a ready standby passes every check, with evidence, and changes nothing", async () => {
  await using primary = startPrimary(200);
  const w = readinessWorld(primary.url);
  const report = await w.evaluate();

  assert.deepEqual(failingOf(report), [], formatReadiness(report));
  assert.equal(report.ready, true);
  assert.deepEqual(
    report.checks.map((c) => c.check),
    READINESS_CHECK_NAMES,
    "every check, in contract order",
  );
  const checks = byCheck(report.checks);
  assert.match(checks["failover-dry-run"].evidence, /standby-capacity would-run/);
  assert.match(checks["failover-dry-run"].evidence, /primary probe healthy/);
  assert.match(checks["standby-in-sync"].evidence, /replication connected/);
  assert.match(checks["replication-lag"].evidence, /RPO lag 0\.8 s at .* \(RPO alarm at 30 s\)/);
  assert.match(checks["standby-cluster"].evidence, /aurora-us-east-2a-dev available \(db\.r6g\.large\)/);
  assert.match(
    checks["standby-capacity"].evidence,
    /max 6 >= 4; 1 in service \+ 3 in the warm pool \(Stopped\)/,
  );
  assert.match(checks["launch-template"].evidence, /ami-0123456789abcdef0 .* available/);
  assert.match(checks["parameters"].evidence, /11 of 11 present .*region\/role = secondary/);
  assert.match(checks["witness-prober"].evidence, /30 probes of the primary from us-west-2 \(witness\)/);
  assert.match(checks["fence"].evidence, /active-region us-east-1, PrimaryFenced 0/);
  assert.match(checks["orchestrator"].evidence, /reserved concurrency 1\), trigger .* ENABLED/);
  assert.deepEqual(w.log.mutations(), [], "no AWS change, no lock, no SNS, no metric of the orchestrator");
});

/** One broken condition each, the checks it must fail (exactly), and what the evidence must say. */
const BROKEN: Array<[string, (w: World) => void, ReadinessCheckName[], RegExp]> = [
  [
    "standby out of sync",
    (w) => (w.aws.rds.member(SECONDARY_ARN).sync = "pending-resync"),
    ["standby-in-sync"],
    /replication pending-resync/,
  ],
  [
    "headless standby",
    (w) => (w.aws.rds.instances = []),
    ["standby-cluster"],
    /no available instance \(headless/,
  ],
  [
    "ASG max below failover capacity",
    (w) => (w.aws.autoScaling.group = { min: 1, desired: 1, max: 3 }),
    ["standby-capacity"],
    /max size 3 is below the failover capacity 4/,
  ],
  ["no warm pool", (w) => (w.aws.autoScaling.warmPool = undefined), ["standby-capacity"], /has no warm pool/],
  [
    "launches suspended",
    (w) => (w.aws.autoScaling.suspended = ["Launch"]),
    ["standby-capacity"],
    /suspended processes: Launch/,
  ],
  [
    "a missing parameter",
    (w) => w.aws.ssm.params.delete("/txn/dev/database/writer-endpoint"),
    ["parameters"],
    /missing in us-east-2: \/txn\/dev\/database\/writer-endpoint/,
  ],
  [
    "a silent witness",
    (w) => w.aws.cloudWatch.setSeries(METRICS.primaryProbeHealthy, probeDimensions("witness"), []),
    ["witness-prober"],
    /^silent: 0 probes of the primary from us-west-2 \(witness\)/,
  ],
  [
    "a standby prober probing one time in six",
    (w) =>
      w.aws.cloudWatch.setSeries(METRICS.primaryProbeHealthy, probeDimensions("secondary"), [1, 1, 1, 1, 1]),
    ["standby-prober"],
    /mostly silent: 5 probes/,
  ],
  [
    "a decision alarm with insufficient data",
    (w) => w.aws.cloudWatch.set(DECISION_ALARMS.witness, METRICS.primaryProbeHealthy, "INSUFFICIENT_DATA"),
    ["decision-alarms"],
    /dr-primary-down-witness-us-east-2-dev is INSUFFICIENT_DATA/,
  ],
  [
    "a decision alarm deleted",
    (w) => w.aws.cloudWatch.alarms.delete(DECISION_ALARMS.replication),
    ["decision-alarms"],
    /dr-replication-stalled-us-east-2-dev not found/,
  ],
  [
    "the fence up while the primary serves",
    (w) => w.aws.cloudWatch.set(FENCE_ALARM, METRICS.primaryFenced, "ALARM"),
    ["fence"],
    /fence is up while the primary serves/,
  ],
  [
    "PrimaryFenced 1 while the primary serves",
    (w) => w.aws.cloudWatch.setSeries(METRICS.primaryFenced, probeDimensions("secondary"), [1]),
    ["fence"],
    /PrimaryFenced 1, .*fence is up while the primary serves/,
  ],
  [
    "the lock table missing",
    (w) => w.aws.dynamodb.tables.delete(LOCK_TABLE),
    ["lock-table"],
    /lock table failover-lock-dev not found/,
  ],
  [
    "the global cluster in maintenance",
    (w) => (w.aws.rds.status = "modifying"),
    ["global-cluster"],
    /is modifying/,
  ],
  [
    "replication lag above the RPO alarm",
    (w) =>
      w.aws.cloudWatch.setSeries("AuroraGlobalDBRPOLag", { DBClusterIdentifier: "txn-secondary-dev" }, [
        45_000,
      ]),
    ["replication-lag"],
    /RPO lag 45\.0 s at .*above the RPO alarm's 30 s/,
  ],
  [
    "no replication-lag data at all",
    (w) => {
      w.aws.cloudWatch.series.delete("AuroraGlobalDBRPOLag|DBClusterIdentifier=txn-secondary-dev");
      w.aws.cloudWatch.series.delete("AuroraGlobalDBReplicationLag|DBClusterIdentifier=txn-secondary-dev");
    },
    ["replication-lag"],
    /no replication-lag datapoint for txn-secondary-dev/,
  ],
  [
    "the AMI parameter no longer resolves",
    (w) => w.aws.ec2.versions.set(`${LAUNCH_TEMPLATE_ID}:3`, "resolve:ssm:/aws/service/ami-gone"),
    ["launch-template"],
    /does not resolve to an AMI/,
  ],
  [
    "the launch template version deleted",
    (w) => w.aws.ec2.versions.clear(),
    ["launch-template"],
    /InvalidLaunchTemplateId\.VersionNotFound/,
  ],
  [
    "the trigger rule disabled",
    (w) => w.aws.events.rules.set(TRIGGER_RULE, "DISABLED"),
    ["orchestrator"],
    /trigger rule dr-failover-trigger-us-east-2-dev is DISABLED/,
  ],
  [
    "the orchestrator throttled to zero",
    (w) => w.aws.lambda.functions.set(ORCHESTRATOR, { state: "Active", reserved: 0 }),
    ["orchestrator"],
    /reserved concurrency 0: it can never run/,
  ],
  [
    "the standby cluster not available",
    (w) => (w.aws.rds.standbyClusterStatus = "storage-optimization"),
    ["standby-cluster"],
    /txn-secondary-dev is storage-optimization/,
  ],
];

for (const [condition, breakIt, expected, evidence] of BROKEN) {
  Deno.test(`evaluateReadiness(): ${condition} → not ready (${expected.join(", ")}), nothing changed`, async () => {
    await using primary = startPrimary(200);
    const w = readinessWorld(primary.url);
    breakIt(w);
    const report = await w.evaluate();
    assert.equal(report.ready, false);
    assert.deepEqual(failingOf(report), expected, formatReadiness(report));
    assert.match(byCheck(report.checks)[expected[0]].evidence, evidence);
    assert.deepEqual(w.log.mutations(), []);
  });
}

Deno.test("evaluateReadiness(): the orchestrator's dry run failing a step's state check fails failover-dry-run", async () => {
  await using primary = startPrimary(200);
  const w = readinessWorld(primary.url);
  // active-region is read by the dry run's step (and by the fence check): both reads are refused.
  const denied = () => awsError("AccessDeniedException", "not authorized to perform ssm:GetParameter");
  w.log.failNext("ssm.getParameter", denied(), denied());
  const report = await w.evaluate();
  assert.deepEqual(failingOf(report), ["failover-dry-run", "fence"]);
  assert.match(
    byCheck(report.checks)["failover-dry-run"].evidence,
    /^step active-region failed: AccessDeniedException: not authorized/,
  );
  assert.deepEqual(w.log.mutations(), []);
});

Deno.test("evaluateReadiness(): a check that cannot read fails with the error; the others still answer", async () => {
  await using primary = startPrimary(200);
  const w = readinessWorld(primary.url);
  w.log.failNext(
    "lambda.getFunctionConfiguration",
    awsError("AccessDeniedException", "no lambda:GetFunctionConfiguration"),
  );
  const report = await w.evaluate();
  assert.deepEqual(failingOf(report), ["orchestrator"]);
  const orchestrator = byCheck(report.checks).orchestrator;
  assert.equal(orchestrator.error, "AccessDeniedException");
  assert.match(orchestrator.evidence, /^could not read: AccessDeniedException: no lambda/);
});

Deno.test("evaluateReadiness(): after a failover the standby is not ready to fail over again, and says why", async () => {
  await using primary = startPrimary(503);
  const w = readinessWorld(primary.url);
  w.aws.rds.secondaryIsWriter();
  w.aws.ssm.params.set(w.activeRegionParameter, REGION);
  w.aws.cloudWatch.set(FENCE_ALARM, METRICS.primaryFenced, "ALARM");
  const report = await w.evaluate();
  assert.deepEqual(failingOf(report), ["standby-in-sync", "fence"], formatReadiness(report));
  const checks = byCheck(report.checks);
  assert.match(checks["standby-in-sync"].evidence, /already the writer \(failed over\): fail back/);
  assert.match(checks.fence.evidence, /the standby already serves; fail back/);
  assert.match(checks["failover-dry-run"].evidence, /no probe \(a promotion is under way or done\)/);
  assert.equal(primary.requests, 0, "a failover already done is never re-probed");
  assert.deepEqual(w.log.mutations(), []);
});

Deno.test("evaluateReadiness() reads only the standby region: nothing reaches the primary region's APIs", async () => {
  await using primary = startPrimary(200);
  const w = readinessWorld(primary.url);
  await w.evaluate();
  const services = new Set(w.log.calls.map((call) => call.service));
  assert.deepEqual([...services].sort(), [
    "autoscaling",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "events",
    "lambda",
    "rds",
    "ssm",
  ]);
  assert.ok(w.log.calls.every((call) => !/primary/.test(call.service)));
});

Deno.test("the handler publishes FailoverReady overall and per check, after a scheduled event only", async () => {
  await using primary = startPrimary(200);
  const w = readinessWorld(primary.url);
  w.aws.dynamodb.tables.delete(LOCK_TABLE);
  const emitted: Array<[number, string | undefined]> = [];
  const handle = createReadinessHandler({
    ...w.deps,
    metrics: { emit: (value, check) => emitted.push([value, check]) },
  });
  await assert.rejects(() => handle({ detail: "x" }), /event: must be an EventBridge scheduled event/);
  assert.equal(emitted.length, 0);
  const report = await handle({ source: "aws.events", "detail-type": "Scheduled Event" });
  assert.equal(report.ready, false);
  assert.equal(emitted.length, READINESS_CHECK_NAMES.length + 1);
  assert.deepEqual(emitted.at(-1), [0, undefined], "the overall verdict last");
  assert.deepEqual(emitted.find(([, check]) => check === "lock-table"), [0, "lock-table"]);
  assert.deepEqual(emitted.filter(([value]) => value === 0).map(([, check]) => check), [
    "lock-table",
    undefined,
  ]);
});

Deno.test("emfReadinessSink() writes FailoverReady with Region and Role, plus Check per check", () => {
  const metrics = new Metrics({ namespace: "TransactionDR/dev", serviceName: "failover-readiness" });
  const lines: string[] = [];
  (metrics as unknown as { console: { log(line: string): void } }).console = {
    log: (line) => lines.push(line),
  };
  const sink = emfReadinessSink(metrics, REGION);
  sink.emit(0, "fence");
  sink.emit(1);
  const [check, overall] = lines.map((line) => JSON.parse(line));
  assert.deepEqual(check._aws.CloudWatchMetrics[0].Dimensions, [["Region", "Role", "Check"]]);
  assert.deepEqual([check.Region, check.Role, check.Check, check.FailoverReady], [
    REGION,
    "secondary",
    "fence",
    0,
  ]);
  assert.deepEqual(overall._aws.CloudWatchMetrics[0].Dimensions, [["Region", "Role"]], "Check does not leak");
  assert.deepEqual(overall._aws.CloudWatchMetrics[0].Metrics, [{ Name: "FailoverReady", Unit: "Count" }]);
  assert.equal(overall.service, undefined);
});

Deno.test("readOnlyPorts() expose the reads and refuse every mutating method", async () => {
  const called: string[] = [];
  const client = new Proxy({}, {
    get: (_target, method) => (..._args: unknown[]) => {
      called.push(String(method));
      return Promise.resolve({});
    },
  });
  const clients = Object.fromEntries(
    ["rds", "autoScaling", "ec2", "ssm", "cloudWatch", "dynamodb", "lambda", "events"].map((
      name,
    ) => [name, client]),
  ) as unknown as StandbyClients;
  const ports = readOnlyPorts(clients);
  const mutating = Object.values(ports).flatMap((port) =>
    Object.keys(port).filter((method) => (MUTATING_METHODS as readonly string[]).includes(method)).map((
      method,
    ) => (port as Record<string, () => Promise<unknown>>)[method])
  );
  assert.equal(mutating.length, 4, "failover, switchover, ASG update, parameter write");
  for (const method of mutating) await assert.rejects(method(), ReadOnlyViolation);
  assert.deepEqual(called, [], "a refused method never reaches the client");
  await ports.rds.describeGlobalClusters({});
  assert.deepEqual(called, ["describeGlobalClusters"]);
});

Deno.test("loadReadinessConfig() reports the orchestrator's and its own problems at once", () => {
  const env = readinessEnv("http://127.0.0.1:1/health/deep", {
    WITNESS_REGION: REGION,
    RPO_LAG_ALARM_SECONDS: "0",
  });
  delete env.FENCE_ALARM_NAME;
  delete env.TOPIC_ARN;
  assert.throws(() => loadReadinessConfig(env), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      "TOPIC_ARN: is not set; must be an SNS topic ARN",
      `WITNESS_REGION="${REGION}": must be a region other than the standby (AWS_REGION) and the primary (PRIMARY_REGION)`,
      "FENCE_ALARM_NAME: is not set; must be a CloudWatch alarm name",
      'RPO_LAG_ALARM_SECONDS="0": must be an integer between 1 and 86400',
    ]);
    return true;
  });
  const config = loadReadinessConfig(readinessEnv("http://127.0.0.1:1/health/deep"));
  assert.equal(config.failover.region, REGION);
  assert.equal(config.failover.primaryRegion, PRIMARY_REGION);
  assert.equal(config.witnessRegion, "us-west-2");
});

Deno.test("drillOutcome() fails on a failed step and names it", () => {
  const step = {
    step: "standby-capacity",
    action: "",
    status: "failed" as const,
    detail: "Auto Scaling group asg-us-east-2-dev not found",
    notes: [],
    startedAt: "2025-01-01T00:00:00.000Z",
    durationMs: 1,
    calls: 1,
    retries: 0,
  };
  const outcome = drillOutcome({
    outcome: "drill",
    trigger: { kind: "drill" },
    region: REGION,
    startedAt: step.startedAt,
    finishedAt: step.startedAt,
    autoFailover: true,
    steps: [step],
    ok: false,
    failedStep: "standby-capacity",
    dataLossPossible: false,
  });
  assert.deepEqual(outcome, {
    ok: false,
    evidence: "step standby-capacity failed: Auto Scaling group asg-us-east-2-dev not found",
  });
});
