import assert from "node:assert/strict";
import {
  BUDGET_SOURCES,
  budgetSourceIds,
  DECISION_TARGET_SECONDS,
  type RecoveryBudget,
  recoveryBudget,
} from "../modules/recovery_budget.ts";
import { formatBudget } from "../modules/recovery_budget_text.ts";
import { AWS_FACTS } from "../modules/recovery_sources.ts";
import { defaultStack, type Json, PROJECT_ROOT, resource, synthWith } from "./helpers.ts";
import { readmeBlock, replaceMarkedBlock, RTO_EXIT } from "../tools/rto.ts";

// ---------------------------------------------------------------------------------------------------
// A synthetic cdk.tf.json with the failover design's logical ids (issue 10), so the budget is tested on the
// shape it reads, independent of the modules that build it.

interface FixtureSettings {
  readonly decisionPeriods?: number;
  readonly checkTimeoutMs?: number;
  readonly witnessCheckTimeoutMs?: number;
  readonly probesPerInvocation?: number;
  readonly auroraPromotionSeconds?: number;
  readonly pollIntervalSeconds?: number;
  readonly retryAttempts?: number;
  readonly autoFailover?: boolean;
  readonly rtoTargetSeconds?: number;
}

const ref = (type: string, id: string, attribute: string) => `\${${type}.${id}.${attribute}}`;
const alarmRef = (id: string) => ref("aws_cloudwatch_metric_alarm", id, "alarm_name");

function prober(provider: string, checkTimeoutMs: number, probesPerInvocation: number): Json {
  return {
    provider,
    environment: {
      variables: {
        PROBE_INTERVAL_SECONDS: "10",
        PROBES_PER_INVOCATION: String(probesPerInvocation),
        CHECK_TIMEOUT_MS: String(checkTimeoutMs),
      },
    },
  };
}

function decisionAlarm(name: string, periods: number): Json {
  return {
    provider: "aws.secondary",
    alarm_name: name,
    period: 10,
    evaluation_periods: periods,
    datapoints_to_alarm: periods,
  };
}

function budgetFixture(settings: FixtureSettings = {}): Json {
  const timeout = settings.checkTimeoutMs ?? 5000;
  const periods = settings.decisionPeriods ?? 3;
  const probes = settings.probesPerInvocation ?? 6;
  const quorumRule = `ALARM("${alarmRef("failover_secondary_primary_down_witness")}") AND (ALARM("${
    alarmRef("failover_secondary_primary_down_standby")
  }") OR ALARM("${alarmRef("failover_secondary_replication_stalled")}"))`;
  return {
    provider: {
      aws: [
        { alias: "primary", region: "us-east-1" },
        { alias: "secondary", region: "us-east-2" },
        { alias: "witness", region: "us-west-2" },
      ],
    },
    resource: {
      aws_lambda_function: {
        probes_secondary_primary_probe: prober("aws.secondary", timeout, probes),
        probes_witness_primary_probe: prober(
          "aws.witness",
          settings.witnessCheckTimeoutMs ?? timeout,
          probes,
        ),
        failover_secondary_failover: {
          provider: "aws.secondary",
          environment: {
            variables: {
              CHECK_TIMEOUT_MS: String(timeout),
              AURORA_PROMOTION_SECONDS: String(settings.auroraPromotionSeconds ?? 120),
              POLL_INTERVAL_SECONDS: String(settings.pollIntervalSeconds ?? 10),
              AUTO_FAILOVER: String(settings.autoFailover ?? true),
              RTO_TARGET_SECONDS: String(settings.rtoTargetSeconds ?? 300),
              FAILOVER_CAPACITY: "2",
            },
          },
        },
      },
      aws_lambda_function_event_invoke_config: {
        failover_secondary_failover_async: {
          function_name: ref("aws_lambda_function", "failover_secondary_failover", "function_name"),
          maximum_retry_attempts: settings.retryAttempts ?? 2,
        },
      },
      aws_cloudwatch_event_rule: {
        probes_secondary_primary_probe_schedule: { schedule_expression: "rate(1 minute)" },
        probes_witness_primary_probe_schedule: { schedule_expression: "rate(1 minute)" },
        failover_secondary_trigger: {
          event_pattern: JSON.stringify({
            source: ["aws.cloudwatch"],
            resources: [ref("aws_cloudwatch_composite_alarm", "failover_secondary_quorum", "arn")],
            detail: { state: { value: ["ALARM"] } },
          }),
        },
      },
      aws_cloudwatch_metric_alarm: {
        failover_secondary_primary_down_standby: decisionAlarm("dr-primary-down-standby", periods),
        failover_secondary_primary_down_witness: decisionAlarm("dr-primary-down-witness", periods),
        failover_secondary_replication_stalled: decisionAlarm("dr-replication-stalled", periods),
        failover_secondary_primary_fenced: {
          alarm_name: "dr-primary-fenced",
          period: 60,
          evaluation_periods: 1,
        },
        observability_secondary_rpo_lag: { metric_name: "AuroraGlobalDBRPOLag", threshold: 30000 },
      },
      aws_cloudwatch_composite_alarm: {
        failover_secondary_quorum: { alarm_name: "dr-failover-quorum", alarm_rule: quorumRule },
      },
      aws_route53_health_check: {
        dns_primary_endpoint_check: { type: "HTTPS", request_interval: 10, failure_threshold: 3 },
        dns_primary_fence_check: {
          type: "CLOUDWATCH_METRIC",
          cloudwatch_alarm_name: alarmRef("failover_secondary_primary_fenced"),
        },
        dns_primary_calculated_check: {
          type: "CALCULATED",
          child_healthchecks: [
            ref("aws_route53_health_check", "dns_primary_endpoint_check", "id"),
            ref("aws_route53_health_check", "dns_primary_fence_check", "id"),
          ],
        },
      },
      aws_route53_record: {
        dns_primary_app_record: {
          weighted_routing_policy: { weight: 100 },
          health_check_id: ref("aws_route53_health_check", "dns_primary_calculated_check", "id"),
        },
        dns_secondary_app_record: { weighted_routing_policy: { weight: 0 } },
      },
      aws_rds_cluster_instance: { database_secondary_instance_1: { provider: "aws.secondary" } },
      aws_autoscaling_group: {
        compute_secondary_group: {
          provider: "aws.secondary",
          min_size: 1,
          desired_capacity: 1,
          health_check_grace_period: 300,
          warm_pool: { pool_state: "Stopped" },
          target_group_arns: [ref("aws_lb_target_group", "web_secondary_targets", "arn")],
        },
      },
      aws_lb_target_group: {
        web_secondary_targets: { health_check: { healthy_threshold: 2, interval: 10 } },
      },
    },
  };
}

const stepSources = (budget: RecoveryBudget) =>
  [...budget.decisionSteps, ...budget.firstWriteSteps].map((step) => [step.seconds, step.source]);

// ---------------------------------------------------------------------------------------------------

Deno.test("recoveryBudget() names the attribute or the AWS document behind every number", () => {
  const budget = recoveryBudget(budgetFixture());
  const probe = "aws_lambda_function.probes_secondary_primary_probe.environment";
  const orchestrator = "aws_lambda_function.failover_secondary_failover.environment";
  assert.deepEqual(stepSources(budget).map(([seconds, source]) => [seconds, String(source).split(";")[0]]), [
    [10, `${probe}.PROBE_INTERVAL_SECONDS`],
    [5, `${probe}.CHECK_TIMEOUT_MS`],
    [30, "aws_cloudwatch_metric_alarm.failover_secondary_primary_down_standby.datapoints_to_alarm x period"],
    [10, `AWS: ${AWS_FACTS.highResolutionAlarmEvaluation.label}`],
    [0, "aws_cloudwatch_composite_alarm.failover_secondary_quorum.alarm_rule"],
    [0, "aws_cloudwatch_event_rule.failover_secondary_trigger.event_pattern"],
    [10, `AWS: ${AWS_FACTS.lambdaInit.label}`],
    [5, `${orchestrator}.CHECK_TIMEOUT_MS`],
    [120, `${orchestrator}.AURORA_PROMOTION_SECONDS (a setting: drills override it)`],
    [10, `${orchestrator}.POLL_INTERVAL_SECONDS`],
    [60, "aws_lambda_function_event_invoke_config.failover_secondary_failover_async.maximum_retry_attempts"],
    [5, `AWS: ${AWS_FACTS.auroraDnsTtl.label}`],
  ]);
  const text = formatBudget(budget);
  for (const fact of Object.values(AWS_FACTS)) {
    assert.ok(text.includes(`${fact.document}, "${fact.section}" (read `), `citation of ${fact.label}`);
  }
  assert.match(text, /"For Aurora Global Database, RTO can be in the order of minutes\."/);
  assert.match(text, /one-minute|one minute before the second attempt and two minutes before the third/);
});

Deno.test("recoveryBudget() of the default-like design decides within 60 s and writes within 300 s", () => {
  const budget = recoveryBudget(budgetFixture());
  assert.deepEqual(budget.blockers, []);
  assert.equal(
    budget.decisionSeconds,
    10 + 5 + 3 * 10 + 10 + 0,
    "probe wait + timeout + 3 periods + evaluation",
  );
  assert.equal(budget.firstWriteSeconds, 55 + 0 + 10 + 5 + 120 + 10 + 60 + 5);
  assert.ok(budget.decisionSeconds <= DECISION_TARGET_SECONDS);
  assert.ok(budget.firstWriteSeconds <= 300);
  assert.equal(budget.targetSeconds, 300);
  assert.ok(budget.withinTarget);
  assert.deepEqual(budget.phases, { decision: 55, writable: 210, fullCapacity: 390 - 265 });
  assert.deepEqual(budget.vantagePoints, [
    { role: "secondary", region: "us-east-2" },
    { role: "witness", region: "us-west-2" },
  ]);
  const text = formatBudget(budget);
  assert.match(text, /Time to decision: 55 s, within the 60 s decision target/);
  assert.match(text, /Time to first write: 265 s, within the 300 s RTO target/);
  assert.match(text, /Verdict: within both targets/);
});

Deno.test("recoveryBudget() reports slower settings as exceeding both targets", () => {
  const budget = recoveryBudget(
    budgetFixture({ decisionPeriods: 5, checkTimeoutMs: 8000, auroraPromotionSeconds: 600 }),
  );
  assert.equal(budget.decisionSeconds, 10 + 8 + 5 * 10 + 10);
  assert.equal(budget.firstWriteSeconds, 78 + 0 + 10 + 8 + 600 + 10 + 60 + 5);
  assert.equal(budget.withinTarget, false);
  assert.deepEqual(budget.blockers, []);
  const text = formatBudget(budget);
  assert.match(text, /Time to decision: 78 s, EXCEEDS the 60 s decision target/);
  assert.match(text, /Time to first write: 771 s, EXCEEDS the 300 s RTO target/);
  assert.match(text, /Verdict: EXCEEDS a target/);
  // One slow setting alone is enough.
  assert.equal(recoveryBudget(budgetFixture({ decisionPeriods: 5 })).withinTarget, false);
  assert.equal(recoveryBudget(budgetFixture({ auroraPromotionSeconds: 600 })).withinTarget, false);
});

Deno.test("recoveryBudget() takes the slower vantage point: the quorum needs both votes", () => {
  const budget = recoveryBudget(budgetFixture({ witnessCheckTimeoutMs: 8000 }));
  assert.equal(budget.decisionSeconds, 10 + 8 + 30 + 10);
  assert.match(budget.decisionSteps[1].source, /probes_witness_primary_probe\.environment\.CHECK_TIMEOUT_MS/);
});

Deno.test("recoveryBudget() counts the gap when one invocation's probes do not cover its minute", () => {
  const budget = recoveryBudget(budgetFixture({ probesPerInvocation: 3 }));
  assert.equal(budget.decisionSteps[0].seconds, 60 - 2 * 10);
  assert.match(budget.decisionSteps[0].source, /gap between invocations/);
});

Deno.test("recoveryBudget(): a missing witness prober means no quorum, a blocker", () => {
  const stack = budgetFixture();
  delete stack.resource.aws_lambda_function.probes_witness_primary_probe;
  const budget = recoveryBudget(stack);
  assert.equal(budget.withinTarget, false);
  assert.deepEqual(budget.blockers, [
    "no quorum: automatic failover impossible (no witness prober probes_witness_primary_probe)",
  ]);
  assert.match(formatBudget(budget), /BLOCKER: no quorum: automatic failover impossible/);
  assert.match(formatBudget(budget), /Verdict: BLOCKED/);
  const noWitnessAlarm = budgetFixture();
  delete noWitnessAlarm.resource.aws_cloudwatch_metric_alarm.failover_secondary_primary_down_witness;
  assert.deepEqual(recoveryBudget(noWitnessAlarm).blockers, [
    "no quorum: automatic failover impossible (no witness decision alarm failover_secondary_primary_down_witness)",
  ]);
  const standbyBlind = budgetFixture();
  delete standbyBlind.resource.aws_lambda_function.probes_secondary_primary_probe;
  delete standbyBlind.resource.aws_cloudwatch_metric_alarm.failover_secondary_replication_stalled;
  assert.deepEqual(recoveryBudget(standbyBlind).blockers, [
    "no quorum: automatic failover impossible (no standby prober probes_secondary_primary_probe and no replication-stall alarm)",
  ]);
});

Deno.test("recoveryBudget() follows a trigger that names the quorum alarm by its literal name", () => {
  const stack = budgetFixture();
  stack.resource.aws_cloudwatch_event_rule.failover_secondary_trigger.event_pattern = JSON.stringify({
    source: ["aws.cloudwatch"],
    detail: { alarmName: ["dr-failover-quorum"], state: { value: ["ALARM"] } },
  });
  assert.deepEqual(recoveryBudget(stack).blockers, []);
});

Deno.test("recoveryBudget(): a quorum rule without the witness vote, or a trigger on another alarm, blocks", () => {
  const singleVote = budgetFixture();
  singleVote.resource.aws_cloudwatch_composite_alarm.failover_secondary_quorum.alarm_rule = `ALARM("${
    alarmRef("failover_secondary_primary_down_standby")
  }")`;
  assert.deepEqual(recoveryBudget(singleVote).blockers, [
    "no quorum: automatic failover impossible (the rule of failover_secondary_quorum does not require the witness vote)",
  ]);
  const wrongTrigger = budgetFixture();
  wrongTrigger.resource.aws_cloudwatch_event_rule.failover_secondary_trigger.event_pattern = JSON.stringify({
    resources: [ref("aws_cloudwatch_metric_alarm", "failover_secondary_primary_down_standby", "arn")],
  });
  assert.deepEqual(recoveryBudget(wrongTrigger).blockers, [
    "failover_secondary_trigger does not start on the quorum alarm",
  ]);
});

Deno.test("recoveryBudget() names disabled automation and a headless standby as blockers", () => {
  const manual = recoveryBudget(budgetFixture({ autoFailover: false }));
  assert.equal(manual.withinTarget, false);
  assert.deepEqual(manual.blockers, ["AUTO_FAILOVER=false: promotion waits for a person"]);
  const headless = budgetFixture();
  delete headless.resource.aws_rds_cluster_instance;
  assert.match(recoveryBudget(headless).blockers.join("\n"), /^headless standby cluster/);
});

Deno.test("recoveryBudget(): DNS moves on Route 53's endpoint verdict, the fence keeps it; capacity in parallel", () => {
  const budget = recoveryBudget(budgetFixture());
  const [endpoint, fence, capacity] = budget.parallel;
  assert.equal(endpoint.doneAtSeconds, 10 * 3 + 6 + 60, "interval x threshold + request timeout + alias TTL");
  assert.match(endpoint.source, /dns_primary_endpoint_check\.request_interval x failure_threshold/);
  assert.equal(fence.doneAtSeconds, 265 + 60 + 60 + 60, "first write + period + evaluation + alias TTL");
  assert.match(fence.source, /failover_secondary_primary_fenced\.period/);
  assert.equal(budget.dnsSeconds, 96);
  // Raised right after the re-probe (t+70), in service after the grace period and 2 healthy checks of 10 s.
  assert.equal(capacity.doneAtSeconds, 70 + 300 + 2 * 10);
  assert.match(formatBudget(budget), /full capacity arrives after the 300 s target/);
});

Deno.test("recoveryBudget() adds no retry delay when the orchestrator is never retried", () => {
  const budget = recoveryBudget(budgetFixture({ retryAttempts: 0 }));
  const retry = budget.firstWriteSteps.find((step) => step.source.includes("maximum_retry_attempts"))!;
  assert.equal(retry.seconds, 0);
  assert.equal(budget.firstWriteSeconds, 265 - 60);
});

Deno.test("formatBudget() prints both step tables, every row with a source, and the AWS citations", () => {
  const text = formatBudget(recoveryBudget(budgetFixture()));
  const rows = text.split("\n").filter((line) => /^\| (?!step |---)/.test(line));
  assert.equal(rows.length, 5 + 7);
  for (const row of rows) {
    const source = row.split(" | ").at(-1)!.replace(/ \|$/, "");
    assert.match(source, /^(aws_[a-z0-9_]+\.[a-z0-9_]+\.|AWS: )/, row);
  }
  assert.match(text, /\| the failing probe runs into its timeout \| 5 \| t\+15 \|/);
  assert.match(text, /\| the global writer endpoint's DNS follows the new writer \| 5 \| t\+265 \|/);
  assert.match(text, /^AWS sources:$/m);
  assert.match(text, /read 2026-12-02/);
});

Deno.test("recoveryBudget() lists the RPO mechanisms: lag alarm, commit guard, S3 RTC", () => {
  const guarded = recoveryBudget(synthWith({ DB_RPO_GUARD_SECONDS: "30" }).stack);
  const text = formatBudget(guarded);
  assert.match(text, /alarm above 30 s of AuroraGlobalDBRPOLag/);
  assert.match(text, /commits block when no secondary is within 30 s/);
  assert.match(text, /900 s SLA \(2 rules\)/);
});

// ---------------------------------------------------------------------------------------------------
// make rto

function runRto(args: string[]) {
  const result = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", `${PROJECT_ROOT}/tools/rto.ts`, ...args],
  }).outputSync();
  return {
    code: result.code,
    stdout: new TextDecoder().decode(result.stdout),
    stderr: new TextDecoder().decode(result.stderr),
  };
}

function writeStack(stack: Json): string {
  const dir = Deno.makeTempDirSync({ prefix: "dr-rto-" });
  Deno.writeTextFileSync(`${dir}/cdk.tf.json`, JSON.stringify(stack));
  return `${dir}/cdk.tf.json`;
}

Deno.test("tools/rto.ts exits 0 within both targets, 3 beyond one, 2 without a stack", () => {
  const fits = runRto([writeStack(budgetFixture())]);
  assert.equal(fits.code, RTO_EXIT.withinTarget, fits.stderr);
  assert.match(fits.stdout, /Time to decision: 55 s/);
  assert.match(fits.stdout, /Time to first write: 265 s/);
  assert.equal(runRto([writeStack(budgetFixture({ decisionPeriods: 5 }))]).code, RTO_EXIT.exceeded);
  assert.equal(runRto(["/nonexistent/cdk.tf.json"]).code, RTO_EXIT.noStackOrBadInput);
  assert.equal(new Set(Object.values(RTO_EXIT)).size, 3, "distinct codes");
  assert.ok(!(Object.values(RTO_EXIT) as number[]).includes(1), "1 stays Deno's code for a crash");
});

Deno.test("make rto --readme rewrites the marked block of any Markdown file, and refuses one without markers", () => {
  const dir = Deno.makeTempDirSync({ prefix: "dr-rto-doc-" });
  const doc = `${dir}/recovery.md`;
  Deno.writeTextFileSync(doc, "# Recovery\n\n<!-- rto:start -->\nold\n<!-- rto:end -->\n\nAfter.\n");
  const stackPath = writeStack(budgetFixture());
  assert.equal(runRto([stackPath, "--readme", doc]).code, 0);
  const text = formatBudget(recoveryBudget(budgetFixture()));
  assert.equal(Deno.readTextFileSync(doc), `# Recovery\n\n${readmeBlock(text)}\n\nAfter.\n`);
  const plain = `${dir}/plain.md`;
  Deno.writeTextFileSync(plain, "# No block\n");
  const refused = runRto([stackPath, "--readme", plain]);
  assert.equal(refused.code, RTO_EXIT.noStackOrBadInput);
  assert.match(refused.stderr, /plain\.md has no <!-- rto:start --> \.\.\. <!-- rto:end --> block/);
  assert.equal(Deno.readTextFileSync(plain), "# No block\n");
  assert.throws(() => replaceMarkedBlock("x", text, "x.md"), /x\.md has no/);
});

// ---------------------------------------------------------------------------------------------------
// The real default stack.

Deno.test({
  name:
    "the real default stack: every budget source exists, both targets hold, make rto exits 0, docs current",
  fn: () => {
    const { stack, stackDir } = defaultStack();
    for (const [type, id] of budgetSourceIds()) resource(stack, type, id);
    const budget = recoveryBudget(stack);
    assert.deepEqual(budget.blockers, [], formatBudget(budget));
    assert.ok(budget.decisionSeconds <= DECISION_TARGET_SECONDS, formatBudget(budget));
    assert.equal(budget.targetSeconds, 300);
    assert.ok(budget.firstWriteSeconds <= 300, formatBudget(budget));
    assert.ok(budget.withinTarget);
    assert.deepEqual(budget.vantagePoints.map((point) => point.role), ["secondary", "witness"]);
    assert.equal(runRto([`${stackDir}/cdk.tf.json`]).code, RTO_EXIT.withinTarget);
    assert.equal(
      runRto([`${synthWith({ DECISION_PERIODS: "5" }).stackDir}/cdk.tf.json`]).code,
      RTO_EXIT.exceeded,
    );
    const doc = Deno.readTextFileSync(`${PROJECT_ROOT}/docs/recovery.md`);
    assert.ok(
      doc.includes(readmeBlock(formatBudget(budget))),
      "docs/recovery.md budget is stale: run make docs",
    );
    const orchestrator = resource(stack, ...BUDGET_SOURCES.orchestrator);
    assert.ok(Number(orchestrator.environment.variables.AURORA_PROMOTION_SECONDS) >= 60);
  },
});

Deno.test("every source the budget cites is a real address in the stack (type.logical_id[.argument])", () => {
  const { stack } = defaultStack();
  const budget = recoveryBudget(synthWith({ DB_RPO_GUARD_SECONDS: "30" }).stack);
  const defaults = recoveryBudget(stack);
  const items = [
    ...budget.rpo,
    ...defaults.rpo,
    ...defaults.decisionSteps,
    ...defaults.firstWriteSteps,
    ...defaults.parallel,
  ];
  for (const item of items) {
    for (const address of item.source.match(/\baws_[a-z0-9_]+\.[A-Za-z0-9_-]+/g) ?? []) {
      const [type, id] = address.split(".");
      assert.ok(stack.resource[type]?.[id], `${item.source}: ${address} is not a resource of the stack`);
    }
  }
});
