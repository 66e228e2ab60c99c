// Every numeric limit shared by synth and the running code (contract.ts LIMITS) is enforced identically on
// both sides: a value `make synth` accepts is never refused by a handler at cold start, and the other way
// round, with the same rule text. The handler side is found from the synthesized stack: every function whose
// environment carries the limit's variable must validate it. And no numeric rule escapes LIMITS: every
// number a handler's table checks is a shared limit, the same one synth's table uses for that setting.
import assert from "node:assert/strict";
import { CONFIG_TABLE, ConfigError, loadConfig } from "../modules/config.ts";
import { HANDLER_ENV, type LimitName, limitRule, LIMITS } from "../handlers/lib/contract.ts";
import { loadReadinessConfig, READINESS_TABLE } from "../handlers/lib/readiness_config.ts";
import { FAILOVER_TABLE } from "../handlers/lib/failover_config.ts";
import { loadFailoverConfig } from "../handlers/failover.ts";
import {
  APP_CHECKER_TABLE,
  CHECKER_TABLE,
  PROBE_TABLE,
  readAppCheckerEnvironment,
  readCheckerEnvironment,
  readProbeEnvironment,
  STANDBY_DATABASE_CHECKER_TABLE,
} from "../handlers/lib/input.ts";
import { type Field, problemsAbout } from "../handlers/lib/settings.ts";
import { defaultStack, type Json } from "./helpers.ts";

type Env = Record<string, string>;

/** The setting each limit is configured by (none: the value is fixed in the stack), and what it needs around it. */
const SETTINGS: Record<LimitName, { variable?: string; context?: Env }> = {
  rtoTargetSeconds: { variable: "RTO_TARGET_SECONDS" },
  checkTimeoutMs: { variable: "CHECK_TIMEOUT_MS" },
  // The primary's desired capacity is the standby's capacity after failover; room around it for the size rules.
  failoverCapacity: {
    variable: "PRIMARY_DESIRED_CAPACITY",
    context: { PRIMARY_MIN_SIZE: "1", MAX_SIZE: "1000" },
  },
  decisionPeriods: { variable: "DECISION_PERIODS" },
  auroraPromotionSeconds: { variable: "AURORA_PROMOTION_SECONDS" },
  pollIntervalSeconds: {},
  replicationStallSeconds: { variable: "REPLICATION_STALL_SECONDS" },
  // Below the RPO target at synth (a cross rule of its own): the target at its largest leaves the limit free.
  rpoLagAlarmSeconds: { variable: "RPO_LAG_ALARM_SECONDS", context: { RPO_TARGET_SECONDS: "86400" } },
};

/** Every handler's environment table (the functions' validators below read these). */
const HANDLER_TABLES = {
  failover: FAILOVER_TABLE,
  readiness: READINESS_TABLE,
  checker: CHECKER_TABLE,
  standbyDatabaseChecker: STANDBY_DATABASE_CHECKER_TABLE,
  appChecker: APP_CHECKER_TABLE,
  probe: PROBE_TABLE,
};

/** Each function's own validation, by the logical-id prefix of the function. */
const VALIDATORS: Record<string, (env: Env) => unknown> = {
  failover_secondary_failover: loadFailoverConfig,
  health_checks_primary_db_health: readCheckerEnvironment,
  health_checks_secondary_db_health: readCheckerEnvironment,
  health_checks_primary_app_health: readAppCheckerEnvironment,
  health_checks_secondary_app_health: readAppCheckerEnvironment,
  probes_secondary_primary_probe: readProbeEnvironment,
  probes_witness_primary_probe: readProbeEnvironment,
  readiness_secondary_readiness: loadReadinessConfig,
};

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
    return [];
  } catch (error) {
    const problems = (error as { problems?: readonly string[] }).problems;
    if (!problems) throw error;
    return problems;
  }
}

const about = (variable: string, problems: readonly string[]) => problemsAbout(problems, [variable]);

function probeValues(name: LimitName): string[] {
  const { min, max } = LIMITS[name];
  return [min - 1, min, Math.round((min + max) / 2), max, max + 1].map(String).concat(["1.5", "-1"]);
}

function functionsCarrying(variable: string): Array<[string, Env]> {
  const { stack, config } = defaultStack();
  const regionOf = (body: Json) =>
    body.provider === "aws.witness" ? config.witness.region : config[
      body.provider === "aws.primary" ? "primary" : "secondary"
    ].region;
  return Object.entries(stack.resource.aws_lambda_function as Record<string, Json>)
    .filter(([, body]) => variable in body.environment.variables)
    .map(([id, body]) => [id, { ...body.environment.variables, AWS_REGION: regionOf(body) }]);
}

for (const name of Object.keys(LIMITS) as LimitName[]) {
  Deno.test(`LIMITS.${name}: synth and every handler that receives it accept and refuse the same values`, () => {
    const setting = SETTINGS[name];
    /** Whether synth's limit rule (not a cross rule with another setting) accepts the value. */
    const configAccepts = (value: string) => {
      if (!setting.variable) return undefined;
      const problems = about(
        setting.variable,
        problemsOf(() => loadConfig({ ...setting.context, [setting.variable!]: value })),
      );
      return !problems.some((p) => p.endsWith(`: ${limitRule(name)}`));
    };
    const variable = (HANDLER_ENV as Record<string, string>)[name];
    const carriers = variable ? functionsCarrying(variable) : [];
    for (const value of probeValues(name)) {
      const expected = Number.isInteger(Number(value)) && Number(value) >= LIMITS[name].min &&
        Number(value) <= LIMITS[name].max;
      const fromConfig = configAccepts(value);
      if (fromConfig !== undefined) {
        assert.equal(fromConfig, expected, `${setting.variable}=${value} at synth`);
      }
      for (const [id, env] of carriers) {
        const validate = VALIDATORS[id];
        assert.ok(validate, `${id} receives ${variable} but this test knows no validator for it`);
        const problems = about(variable, problemsOf(() => validate({ ...env, [variable]: value })));
        assert.equal(problems.length === 0, expected, `${id}: ${variable}=${value}\n${problems.join("\n")}`);
        if (!expected) {
          assert.ok(problems.some((p) => p.endsWith(`: ${limitRule(name)}`)), problems.join("\n"));
        }
      }
    }
    if (!setting.variable) {
      // Fixed in the stack: what the stack passes must itself be inside the limit.
      assert.ok(carriers.length > 0, `LIMITS.${name} is neither a setting nor passed to any handler`);
      for (const [id, env] of carriers) {
        const value = Number(env[variable]);
        assert.ok(value >= LIMITS[name].min && value <= LIMITS[name].max, `${id}: ${variable}=${value}`);
      }
    }
  });
}

Deno.test("RTO_TARGET_SECONDS=7200 is refused at synth: the orchestrator would refuse it at cold start", () => {
  const error = (() => {
    try {
      loadConfig({ RTO_TARGET_SECONDS: "7200" });
    } catch (caught) {
      return caught;
    }
  })();
  assert.ok(error instanceof ConfigError, "synth accepted an RTO the orchestrator refuses");
  assert.deepEqual(error.problems, ['RTO_TARGET_SECONDS="7200": must be an integer between 60 and 3600']);
});

const isNumeric = (field: Field) =>
  typeof field.parse("1") === "number" || typeof field.parse("10") === "number";

Deno.test("every number a handler's environment table checks is a shared limit (contract.ts LIMITS)", () => {
  for (const [table, { fields }] of Object.entries(HANDLER_TABLES)) {
    for (const field of fields as readonly Field[]) {
      if (!isNumeric(field)) continue;
      assert.ok(field.limit, `${table}: ${field.name} checks a number with a rule of its own, not LIMITS`);
      assert.equal(field.message, limitRule(field.limit), `${table}: ${field.name}`);
    }
  }
});

Deno.test("synth checks each setting a handler also checks with the same shared limit", () => {
  const configField = new Map<string, Field>(CONFIG_TABLE.fields.map((field) => [field.name, field]));
  for (const [table, { fields }] of Object.entries(HANDLER_TABLES)) {
    for (const field of fields as readonly Field[]) {
      const synth = configField.get(field.name);
      if (!field.limit || !synth) continue;
      assert.equal(synth.limit, field.limit, `${field.name}: synth and the ${table} table disagree`);
    }
  }
  // The limits whose setting has another name at synth (or none: fixed in the stack).
  for (const [name, { variable }] of Object.entries(SETTINGS) as [LimitName, { variable?: string }][]) {
    if (variable) assert.equal(configField.get(variable)?.limit, name, `${variable} is not LIMITS.${name}`);
  }
});
