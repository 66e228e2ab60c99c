// `make readiness`: would a failover started now succeed? The scheduled evaluation, run here with the
// operator's credentials against the standby region: each check with its evidence, then the verdict.
// Exit 0 ready, 1 not ready, 2 cannot evaluate (no stack, no credentials, configuration unreadable).
import { Lambda } from "@aws-sdk/client-lambda";
import { evaluateReadiness, formatReadiness, standbyPorts } from "../handlers/readiness.ts";
import { AWS_CLIENT_OPTIONS } from "../handlers/failover.ts";
import { credentialProblems, requireCredentials } from "./lib/operator_actions.ts";
import { deployedConfiguration, exitCode, readinessTargets } from "./lib/readiness_run.ts";
import { readOperatorManifest } from "./lib/stack_file.ts";

const silent = { info() {}, warn() {}, error() {} };

async function main(): Promise<number> {
  const unknown = Deno.args.filter((arg) => !arg.endsWith("operator.json"));
  if (unknown.length > 0) {
    console.error(
      `cannot evaluate: unknown argument(s) ${unknown.join(" ")} (accepted: a path to operator.json)`,
    );
    return 2;
  }
  const targets = readinessTargets(readOperatorManifest());
  const problems = credentialProblems(Deno.env.toObject(), targets);
  if (problems.length > 0) {
    console.error(`cannot evaluate readiness:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
    return 2;
  }
  const region = targets.secondaryRegion;
  const lambda = new Lambda({ region, ...AWS_CLIENT_OPTIONS });
  await requireCredentials(lambda.config.credentials, Deno.env.toObject());
  const config = await deployedConfiguration(lambda, targets);
  // The report carries every check's evidence: the evaluation's own log lines would repeat it.
  const report = await evaluateReadiness({ config, ports: standbyPorts(region), log: silent });
  console.log(formatReadiness(report));
  return exitCode(report);
}

try {
  Deno.exit(await main());
} catch (error) {
  // One line, no stack trace: a missing stack piece, an unreadable or invalid configuration, a refused call.
  console.error(`cannot evaluate: ${error instanceof Error ? error.message : String(error)}`);
  Deno.exit(2);
}
