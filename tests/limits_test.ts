// Every numeric limit shared by synth and the running code (contract.ts LIMITS) is enforced identically on
// both sides: a value `make synth` accepts is never refused by a handler at cold start, and the other way
// round, with the same rule text. The handler side is found from the synthesized stack: every function whose
// environment carries the limit's variable must validate it.
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../modules/config.ts";
import { HANDLER_ENV, type LimitName, limitRule, LIMITS } from "../handlers/lib/contract.ts";
import { loadReadinessConfig } from "../handlers/lib/readiness_config.ts";
import { loadFailoverConfig } from "../handlers/failover.ts";
import {
  readAppCheckerEnvironment,
  readCheckerEnvironment,
  readProbeEnvironment,
} from "../handlers/lib/input.ts";
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

const about = (variable: string, problems: readonly string[]) =>
  problems.filter((problem) => problem.startsWith(`${variable}=`) || problem.startsWith(`${variable}:`));

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
    const configAccepts = (value: string) => {
      if (!setting.variable) return undefined;
      const problems = about(
        setting.variable,
        problemsOf(() => loadConfig({ ...setting.context, [setting.variable!]: value })),
      );
      if (problems.length > 0) {
        assert.ok(problems.some((p) => p.endsWith(`: ${limitRule(name)}`)), problems.join("\n"));
      }
      return problems.length === 0;
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
