// createReadiness() in the synthesized stack: the scheduled evaluation in the standby region, with the
// orchestrator's own configuration; its alarms ("not ready for two evaluations in a row", per check and
// overall) under one composite that notifies the standby topic; the schedule setting. The dashboard's
// readiness widget: dashboard_recovery_test.ts.
import assert from "node:assert/strict";
import { defaultStack, type Json, resource, resources, synthWith } from "./helpers.ts";
import { ConfigError, loadConfig, READINESS_SCHEDULE_RANGE_MINUTES } from "../modules/config.ts";
import { READINESS_TIMEOUT_SECONDS } from "../modules/readiness.ts";
import { readinessEnvProblems } from "../handlers/lib/readiness_config.ts";
import { HANDLER_ENV, METRICS, READINESS_CHECK_NAMES } from "../handlers/lib/contract.ts";
import { alarmFromStack, evaluateAlarm, evaluateRule } from "../tools/lib/alarm_model.ts";

const READINESS = "readiness_secondary_readiness";

/** `${aws_x.name.attr}` references replaced by the referenced resource's literal attribute. */
function resolved(stack: Json, value: string): string {
  return value.replace(/\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g, (_, type, name, attribute) => {
    const literal = resource(stack, type, name)[attribute];
    return typeof literal === "string" ? literal : `${name}-${attribute}`;
  });
}

Deno.test("createReadiness() evaluates every READINESS_SCHEDULE_MINUTES in the standby region", () => {
  const { stack, config } = defaultStack();
  const fn = resource(stack, "aws_lambda_function", READINESS);
  assert.equal(fn.provider, "aws.secondary");
  assert.equal(fn.reserved_concurrent_executions, 1);
  assert.equal(fn.timeout, READINESS_TIMEOUT_SECONDS);
  const rule = resource(stack, "aws_cloudwatch_event_rule", "readiness_secondary_schedule");
  assert.equal(rule.schedule_expression, `rate(${config.readiness.scheduleMinutes} minutes)`);
  assert.equal(rule.provider, "aws.secondary");
  assert.equal(
    resource(stack, "aws_cloudwatch_event_target", "readiness_secondary_schedule_target").arn,
    `\${aws_lambda_function.${READINESS}.arn}`,
  );
  assert.equal(
    resource(stack, "aws_lambda_permission", "readiness_secondary_schedule_invoke").source_arn,
    "${aws_cloudwatch_event_rule.readiness_secondary_schedule.arn}",
  );
  const invoke = resource(stack, "aws_lambda_function_event_invoke_config", `${READINESS}_async`);
  assert.equal(invoke.maximum_retry_attempts, 0, "the next scheduled run is the retry");

  const every15 = synthWith({ READINESS_SCHEDULE_MINUTES: "15" }).stack;
  assert.equal(
    resource(every15, "aws_cloudwatch_event_rule", "readiness_secondary_schedule").schedule_expression,
    "rate(15 minutes)",
  );
  assert.ok(
    Object.entries(resources(every15, "aws_cloudwatch_metric_alarm"))
      .filter(([id]) => id.startsWith("readiness_"))
      .every(([, alarm]) => alarm.period === 15 * 60),
    "every readiness alarm's period is the schedule",
  );
});

Deno.test("READINESS_SCHEDULE_MINUTES: a whole number of minutes a run fits in, two periods within a day", () => {
  for (const bad of ["4", "721", "30.5", "half-hourly"]) {
    assert.throws(() => loadConfig({ READINESS_SCHEDULE_MINUTES: bad }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems.length, 1);
      assert.match(
        error.problems[0],
        new RegExp(`^READINESS_SCHEDULE_MINUTES="${bad}": must be a whole number from 5 to 720`),
      );
      return true;
    });
  }
  assert.equal(loadConfig({}).readiness.scheduleMinutes, 30);
  assert.equal(loadConfig({ READINESS_SCHEDULE_MINUTES: "720" }).readiness.scheduleMinutes, 720);
  assert.ok(
    READINESS_TIMEOUT_SECONDS < READINESS_SCHEDULE_RANGE_MINUTES.min * 60,
    "a run ends before the next",
  );
  assert.ok(
    2 * READINESS_SCHEDULE_RANGE_MINUTES.max * 60 <= 86_400,
    "CloudWatch: periods x evaluations <= 1 day",
  );
});

Deno.test("the readiness function runs the dry run with the orchestrator's own configuration", () => {
  const { stack, config } = defaultStack();
  const orchestrator =
    resource(stack, "aws_lambda_function", "failover_secondary_failover").environment.variables;
  const env = resource(stack, "aws_lambda_function", READINESS).environment.variables;
  for (const [variable, value] of Object.entries(orchestrator)) {
    if (variable === "POWERTOOLS_SERVICE_NAME") continue;
    assert.equal(env[variable], value, variable);
  }
  const own = Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, resolved(stack, value as string)]),
  );
  assert.deepEqual(
    readinessEnvProblems({
      ...own,
      AWS_REGION: config.secondary.region,
      PRIMARY_REGION: config.primary.region,
    }),
    [],
  );
  assert.equal(
    env[HANDLER_ENV.orchestratorFunctionName],
    resource(stack, "aws_lambda_function", "failover_secondary_failover").function_name,
  );
  assert.equal(
    env[HANDLER_ENV.failoverTriggerRule],
    resource(stack, "aws_cloudwatch_event_rule", "failover_secondary_trigger").name,
  );
  assert.equal(
    env[HANDLER_ENV.fenceAlarmName],
    "${aws_cloudwatch_metric_alarm.failover_secondary_primary_fenced.alarm_name}",
  );
  assert.equal(env[HANDLER_ENV.witnessRegion], config.witness.region);
});

Deno.test("readiness alarms: per check and overall, not ready for 2 evaluations in a row, no actions of their own", () => {
  const { stack, config } = defaultStack();
  const standby = config.secondary.region;
  const alarms = resources(stack, "aws_cloudwatch_metric_alarm");
  const overall = alarms.readiness_secondary_failover_ready;
  assert.deepEqual(overall.dimensions, { Region: standby, Role: "secondary" });
  assert.equal(overall.metric_name, METRICS.failoverReady);
  for (const check of READINESS_CHECK_NAMES) {
    const alarm = alarms[`readiness_secondary_check_${check.replaceAll("-", "_")}`];
    assert.ok(alarm, check);
    assert.deepEqual(alarm.dimensions, { Region: standby, Role: "secondary", Check: check });
    assert.equal(alarm.alarm_name, `dr-readiness-${check}-${standby}-${config.environmentSuffix}`);
    assert.equal(alarm.alarm_actions, undefined, `${check} notifies through the composite`);
    const model = alarmFromStack(check, alarm);
    assert.equal(model.periodSeconds, config.readiness.scheduleMinutes * 60, "one evaluation per period");
    assert.equal(evaluateAlarm(model, [1, 0], "OK"), "OK", `${check}: one failed evaluation is not enough`);
    assert.equal(evaluateAlarm(model, [0, 0], "OK"), "ALARM", `${check}: two in a row`);
    assert.equal(evaluateAlarm(model, [0, 0, 1], "ALARM"), "OK", `${check}: clears on the next good one`);
    assert.equal(evaluateAlarm(model, [0, undefined], "OK"), "OK", `${check}: a skipped run changes nothing`);
  }
  const silent = alarmFromStack("overall", overall);
  assert.equal(
    evaluateAlarm(silent, [undefined, undefined], "OK"),
    "ALARM",
    "a silent evaluation is not readiness",
  );
  assert.equal(evaluateAlarm(silent, [1, 0], "OK"), "OK");
});

Deno.test("the composite 'failover not ready' alarm notifies the standby topic and names every readiness alarm", () => {
  const { stack } = defaultStack();
  const composite = resource(stack, "aws_cloudwatch_composite_alarm", "readiness_secondary_not_ready");
  assert.equal(composite.provider, "aws.secondary");
  assert.deepEqual(composite.alarm_actions, ["${aws_sns_topic.alerting_secondary.arn}"]);
  assert.deepEqual(composite.ok_actions, ["${aws_sns_topic.alerting_secondary.arn}"]);
  const children = [
    ...composite.alarm_rule.matchAll(/aws_cloudwatch_metric_alarm\.([a-z0-9_]+)\.alarm_name/g),
  ]
    .map((match: RegExpMatchArray) => match[1]);
  assert.equal(children.length, READINESS_CHECK_NAMES.length + 1);
  const rule = composite.alarm_rule.replace(
    /\$\{aws_cloudwatch_metric_alarm\.([a-z0-9_]+)\.alarm_name\}/g,
    "$1",
  );
  const allOk = Object.fromEntries(children.map((child: string) => [child, "OK" as const]));
  assert.equal(evaluateRule(rule, allOk), false);
  assert.equal(evaluateRule(rule, { ...allOk, readiness_secondary_check_fence: "ALARM" }), true);
  assert.equal(evaluateRule(rule, { ...allOk, readiness_secondary_check_fence: "INSUFFICIENT_DATA" }), false);
});

Deno.test("the readiness role reads only the alarms, tables, functions and rules it evaluates", () => {
  const { stack, config } = defaultStack();
  const arn = (service: string) => `arn:aws:${service}:${config.secondary.region}:${config.accountId}`;
  const statements =
    JSON.parse(resource(stack, "aws_iam_role_policy", `${READINESS}_policy`).policy).Statement;
  const bySid = Object.fromEntries(statements.map((statement: Json) => [statement.Sid, statement]));
  const env = resource(stack, "aws_lambda_function", READINESS).environment.variables;
  const alarmArn = (name: string) => `${arn("cloudwatch")}:alarm:${name}`;
  const decisionAlarms = env[HANDLER_ENV.decisionAlarmNames]?.split(",") ?? [];
  for (const name of [...decisionAlarms, env[HANDLER_ENV.fenceAlarmName]]) {
    assert.ok(bySid.ReadAlarms.Resource.includes(alarmArn(name)), name);
  }
  assert.equal(
    bySid.ReadLockTable.Resource,
    `${arn("dynamodb")}:table/${env.IDEMPOTENCY_TABLE}`,
  );
  assert.equal(
    bySid.ReadOrchestrator.Resource,
    `${arn("lambda")}:function:${env[HANDLER_ENV.orchestratorFunctionName]}`,
  );
  assert.equal(
    bySid.ReadTrigger.Resource,
    `${arn("events")}:rule/${env[HANDLER_ENV.failoverTriggerRule]}`,
  );
  assert.ok(bySid.ReadActiveRegion.Resource.endsWith(":parameter/txn/dev/failover/active-region"));
});

Deno.test("the 'not ready' runbook explains every check, by its contract name", () => {
  const doc = Deno.readTextFileSync(new URL("../docs/readiness.md", import.meta.url));
  const rows = [...doc.matchAll(/^\| `([a-z-]+)` +\|/gm)].map((match) => match[1]);
  assert.deepEqual(rows, READINESS_CHECK_NAMES);
});
