import assert from "node:assert/strict";
import { BUDGET_SOURCES, formatBudget, recoveryBudget } from "../modules/recovery_budget.ts";
import { defaultStack, PROJECT_ROOT, resource, synthWith } from "./helpers.ts";
import { readmeBlock, RTO_EXIT } from "../tools/rto.ts";

Deno.test("recoveryBudget() reads every source it names from the default stack", () => {
  const { stack } = defaultStack();
  for (const [type, id] of Object.values(BUDGET_SOURCES)) resource(stack, type, id);
});

Deno.test("recoveryBudget() of the default configuration fits the 300 s RTO", () => {
  const budget = recoveryBudget(defaultStack().stack);
  assert.deepEqual(budget.blockers, []);
  assert.equal(budget.targetSeconds, 300);
  assert.ok(budget.totalSeconds <= 300, formatBudget(budget));
  assert.ok(budget.withinTarget);
  const detection = budget.steps.filter((step) => step.phase === "detect").reduce(
    (sum, step) => sum + step.seconds,
    0,
  );
  assert.equal(detection, 60 + 5 + 2 * 60 + 30, "probe interval + timeout + 2 failed minutes + evaluation");
});

Deno.test("recoveryBudget() follows the configured values, not constants", () => {
  const budget = recoveryBudget(
    synthWith({ PRIMARY_UNREACHABLE_MINUTES: "1", CHECK_TIMEOUT_MS: "2000" }).stack,
  );
  const alarmStep = budget.steps.find((step) => step.step.startsWith("alarm needs"))!;
  assert.equal(alarmStep.seconds, 60);
  assert.equal(budget.steps.find((step) => step.step.includes("timeout"))!.seconds, 2);
});

Deno.test("recoveryBudget() reports slow settings as exceeding the RTO", () => {
  const slow = synthWith({
    ROUTE53_INTERVAL_SECONDS: "30",
    ROUTE53_FAILURE_THRESHOLD: "10",
    PRIMARY_UNREACHABLE_MINUTES: "5",
  });
  const budget = recoveryBudget(slow.stack);
  assert.equal(budget.withinTarget, false);
  assert.ok(budget.totalSeconds > 300);
  const dns = budget.parallel.find((path) => path.path.startsWith("DNS"))!;
  assert.equal(dns.doneAtSeconds, 30 * 10 + 30 + 60);
  assert.match(formatBudget(budget), /EXCEEDS the 300 s RTO target/);
});

Deno.test("recoveryBudget() names disabled automation as a blocker", () => {
  const budget = recoveryBudget(synthWith({ AUTO_FAILOVER: "false" }).stack);
  assert.equal(budget.withinTarget, false);
  assert.ok(budget.blockers.some((blocker) => blocker.includes("AUTO_FAILOVER=false")));
});

Deno.test("recoveryBudget() lists the RPO mechanisms: lag alarm, commit guard, S3 RTC", () => {
  const guarded = recoveryBudget(synthWith({ DB_RPO_GUARD_SECONDS: "30" }).stack);
  const text = formatBudget(guarded);
  assert.match(text, /alarm above 30 s of AuroraGlobalDBRPOLag/);
  assert.match(text, /commits block when no secondary is within 30 s/);
  assert.match(text, /900 s SLA \(2 rules\)/);
});

Deno.test("tools/rto.ts exits 0 within the RTO, 3 beyond it, 2 without a stack", () => {
  const run = (path: string) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", `${PROJECT_ROOT}/tools/rto.ts`, path],
    }).outputSync();
  const fits = run(`${defaultStack().stackDir}/cdk.tf.json`);
  assert.equal(fits.code, RTO_EXIT.withinTarget);
  assert.match(new TextDecoder().decode(fits.stdout), /\| detect \|/);
  const slow = synthWith({ ROUTE53_INTERVAL_SECONDS: "30", ROUTE53_FAILURE_THRESHOLD: "10" });
  assert.equal(run(`${slow.stackDir}/cdk.tf.json`).code, RTO_EXIT.exceeded);
  assert.equal(run("/nonexistent/cdk.tf.json").code, RTO_EXIT.noStackOrBadInput);
  assert.equal(new Set(Object.values(RTO_EXIT)).size, 3, "distinct codes");
  assert.ok(!(Object.values(RTO_EXIT) as number[]).includes(1), "1 stays Deno's code for a crash");
});

Deno.test("docs/recovery.md shows the budget of the default stack (run make docs when this fails)", () => {
  const doc = Deno.readTextFileSync(`${PROJECT_ROOT}/docs/recovery.md`);
  assert.ok(doc.includes(readmeBlock(formatBudget(recoveryBudget(defaultStack().stack)))), "stale budget");
});

Deno.test("every source the budget cites is a real address in the stack (type.logical_id[.argument])", () => {
  const { stack } = defaultStack();
  const budget = recoveryBudget(synthWith({ DB_RPO_GUARD_SECONDS: "30" }).stack);
  const defaults = recoveryBudget(stack);
  const items = [...budget.rpo, ...defaults.rpo, ...defaults.steps, ...defaults.parallel];
  for (const item of items) {
    for (const address of item.source.match(/\baws_[a-z0-9_]+\.[A-Za-z0-9_-]+/g) ?? []) {
      const [type, id] = address.split(".");
      assert.ok(stack.resource[type]?.[id], `${item.source}: ${address} is not a resource of the stack`);
    }
  }
});
