// make readiness: targets from the operator manifest, the deployed function's configuration, the same
// evaluation printed check by check, and exit 0 ready / 1 not ready / 2 cannot evaluate.
import assert from "node:assert/strict";
import {
  CannotEvaluateError,
  deployedConfiguration,
  exitCode,
  readinessTargets,
} from "../tools/lib/readiness_run.ts";
import { evaluateReadiness, formatReadiness, type ReadinessReport } from "../handlers/readiness.ts";
import { READINESS_CHECK_NAMES } from "../handlers/lib/contract.ts";
import { awsError } from "./fake_aws.ts";
import { startPrimary } from "./failover_world.ts";
import { LOCK_TABLE, readinessEnv, readinessWorld } from "./readiness_world.ts";
import { defaultStack, PROJECT_ROOT } from "./helpers.ts";

const TARGETS = {
  accountId: "111122223333",
  secondaryRegion: "us-east-2",
  functionName: "dr-readiness-us-east-2-dev",
};

Deno.test("readinessTargets() reads the readiness function from the operator manifest, or names what is missing", () => {
  const manifest = JSON.parse(Deno.readTextFileSync(`${defaultStack().stackDir}/operator.json`));
  assert.deepEqual(readinessTargets(manifest), { ...TARGETS, accountId: "123456789012" });
  assert.throws(
    () => readinessTargets({ outputs: { regions: { value: { primary: "us-east-1" } } } }),
    (error: unknown) =>
      error instanceof CannotEvaluateError &&
      error.message === "the stack has no output aws_account_id; the stack has no output regions; " +
          "the stack has no output readiness_function_name",
  );
});

Deno.test("deployedConfiguration() validates the deployed environment as the function does at cold start", async () => {
  const env = readinessEnv("https://primary.dr.example.com/health/deep");
  const lambda = (answer: () => Promise<unknown>) => ({
    getFunctionConfiguration: () => answer() as never,
  });
  const config = await deployedConfiguration(
    lambda(() => Promise.resolve({ Environment: { Variables: env } })),
    TARGETS,
  );
  assert.equal(config.orchestratorFunctionName, "dr-failover-us-east-2-dev");
  assert.equal(config.failover.region, "us-east-2", "AWS_REGION is the standby region");

  const refused = [
    [
      () => Promise.reject(awsError("ResourceNotFoundException", "Function not found")),
      /^cannot read dr-readiness-us-east-2-dev in us-east-2: ResourceNotFoundException: Function not found$/,
    ],
    [
      () =>
        Promise.resolve({ Environment: { Error: { ErrorCode: "AccessDeniedException", Message: "kms" } } }),
      /environment \(AccessDeniedException: kms\); reading it needs kms:Decrypt/,
    ],
    [
      () => Promise.resolve({ Environment: { Variables: { ...env, FENCE_ALARM_NAME: "" } } }),
      /configuration is invalid: FENCE_ALARM_NAME="": is set but empty; must be a CloudWatch alarm name/,
    ],
  ] as const;
  for (const [answer, message] of refused) {
    await assert.rejects(
      () => deployedConfiguration(lambda(answer), TARGETS),
      (error: unknown) => error instanceof CannotEvaluateError && message.test(error.message),
    );
  }
});

const report = (errors: Array<string | undefined>, ready = false): ReadinessReport => ({
  ready,
  region: "us-east-2",
  evaluatedAt: "2025-01-01T00:05:00.000Z",
  durationMs: 1,
  checks: READINESS_CHECK_NAMES.map((check, index) => ({
    check,
    ok: ready,
    evidence: "",
    ...(errors[index] ? { error: errors[index] } : {}),
  })),
  failing: ready ? [] : [...READINESS_CHECK_NAMES],
});

Deno.test("exitCode(): 0 ready, 1 not ready, 2 when the credentials were refused or nothing could be read", () => {
  assert.equal(exitCode(report([], true)), 0);
  assert.equal(exitCode(report([])), 1);
  assert.equal(exitCode(report(["AccessDeniedException"])), 1, "one unreadable check: not ready");
  assert.equal(exitCode(report(["ExpiredTokenException"])), 2);
  assert.equal(exitCode(report(READINESS_CHECK_NAMES.map(() => "TimeoutError"))), 2, "nothing answered");
});

Deno.test("the same evaluation, from the deployed configuration: printed check by check, exit 1 when not ready", async () => {
  await using primary = startPrimary(200);
  const w = readinessWorld(primary.url);
  w.aws.dynamodb.tables.delete(LOCK_TABLE);
  const config = await deployedConfiguration(
    {
      getFunctionConfiguration: () =>
        Promise.resolve({ Environment: { Variables: readinessEnv(primary.url) } }),
    },
    TARGETS,
  );
  const result = await evaluateReadiness({ ...w.deps, config });
  const text = formatReadiness(result);
  assert.match(text, /^ok {9}failover-dry-run {2}verify-primary-down done, standby-capacity would-run/m);
  assert.match(text, /^NOT READY {2}lock-table {8}lock table failover-lock-dev not found/m);
  assert.match(text, /NOT READY to fail over to us-east-2 \(2025-01-01T00:05:00.000Z\): lock-table$/);
  assert.equal(text.split("\n").length, READINESS_CHECK_NAMES.length + 1);
  assert.equal(exitCode(result), 1);
  assert.deepEqual(w.log.mutations(), []);
});

function runTool(args: string[], env: Record<string, string> = {}) {
  const result = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--config",
      `${PROJECT_ROOT}/deno.json`,
      `${PROJECT_ROOT}/tools/readiness.ts`,
      ...args,
    ],
    env: { HOME: Deno.env.get("HOME") ?? "/root", PATH: Deno.env.get("PATH") ?? "", ...env },
    clearEnv: true,
  }).outputSync();
  return { code: result.code, stderr: new TextDecoder().decode(result.stderr), stdout: result.stdout.length };
}

Deno.test("make readiness cannot evaluate without a stack or credentials: exit 2, plain lines, no stack trace", () => {
  const noStack = runTool([`${Deno.makeTempDirSync()}/operator.json`]);
  assert.equal(noStack.code, 2);
  assert.match(noStack.stderr, /^cannot read .*operator\.json .*: run make synth first\n$/);

  const noCredentials = runTool([`${defaultStack().stackDir}/operator.json`]);
  assert.equal(noCredentials.code, 2);
  assert.match(
    noCredentials.stderr,
    /^cannot evaluate readiness:\n {2}the stack targets the placeholder account[\s\S]*no AWS credentials/,
  );

  const foreign = `${Deno.makeTempDirSync()}/operator.json`;
  Deno.writeTextFileSync(foreign, JSON.stringify({ outputs: {} }));
  const partial = runTool([foreign], { AWS_PROFILE: "dr" });
  assert.equal(partial.code, 2);
  assert.match(partial.stderr, /^cannot evaluate: the stack has no output aws_account_id; .*\n$/);
  for (const run of [noStack, noCredentials, partial]) {
    assert.doesNotMatch(run.stderr, /\bat .*\.ts:\d+/, "no stack trace");
    assert.equal(run.stdout, 0);
  }
});
