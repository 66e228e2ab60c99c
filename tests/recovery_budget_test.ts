import assert from "node:assert/strict";
import { BUDGET_SOURCES, formatBudget, recoveryBudget } from "../modules/recovery_budget.ts";
import { defaultStack, PROJECT_ROOT, resource, synthWith } from "./helpers.ts";
import { readmeBlock } from "../tools/rto.ts";

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
  assert.equal(
    detection,
    60 + 5 + 3 * 10 + 30,
    "probe interval + timeout + 3 failed 10 s periods + evaluation",
  );
});

Deno.test("recoveryBudget() follows the configured values, not constants", () => {
  const budget = recoveryBudget(
    synthWith({ DECISION_PERIODS: "2", CHECK_TIMEOUT_MS: "2000" }).stack,
  );
  const alarmStep = budget.steps.find((step) => step.step.startsWith("alarm needs"))!;
  assert.equal(alarmStep.seconds, 20);
  assert.equal(budget.steps.find((step) => step.step.includes("timeout"))!.seconds, 2);
});

Deno.test("recoveryBudget() reports slow settings as exceeding the RTO", () => {
  const slow = synthWith({
    ROUTE53_INTERVAL_SECONDS: "30",
    ROUTE53_FAILURE_THRESHOLD: "10",
    DECISION_PERIODS: "5",
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

Deno.test("make rto exits 0 for the default stack and 1 for a slow one", () => {
  const run = (path: string) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", `${PROJECT_ROOT}/tools/rto.ts`, path],
    }).outputSync();
  const fits = run(`${defaultStack().stackDir}/cdk.tf.json`);
  assert.equal(fits.code, 0);
  assert.match(new TextDecoder().decode(fits.stdout), /\| detect \|/);
  const slow = synthWith({ ROUTE53_INTERVAL_SECONDS: "30", ROUTE53_FAILURE_THRESHOLD: "10" });
  assert.equal(run(`${slow.stackDir}/cdk.tf.json`).code, 1);
  assert.equal(run("/nonexistent/cdk.tf.json").code, 2);
});

Deno.test("the README shows the budget of the default stack (run make rto-readme when this fails)", () => {
  const readme = Deno.readTextFileSync(`${PROJECT_ROOT}/README.md`);
  assert.ok(
    readme.includes(readmeBlock(formatBudget(recoveryBudget(defaultStack().stack)))),
    "README budget is stale",
  );
});
