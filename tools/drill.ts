// `make drill`: runs the failover orchestrator in dry-run mode in the standby region and prints its report.
// Its targets are the stack's Terraform outputs as written at synth (operator.json). Needs real AWS
// credentials and a stack synthesized for a real account; refuses clearly otherwise (exit 2).
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  credentialProblems,
  CredentialsUnavailableError,
  requireCredentials,
  runDrill,
  stackTargets,
} from "./lib/operator_actions.ts";
import { readOperatorManifest } from "./lib/stack_file.ts";

async function main(): Promise<number> {
  const env = Deno.env.toObject();
  const targets = stackTargets(readOperatorManifest());
  const problems = credentialProblems(env, targets);
  if (problems.length > 0) {
    console.error(`refusing to run the drill:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
    return 2;
  }
  const client = new LambdaClient({ region: targets.secondaryRegion });
  try {
    await requireCredentials(client.config.credentials, env);
  } catch (error) {
    if (!(error instanceof CredentialsUnavailableError)) throw error;
    console.error(`refusing to run the drill: ${error.message}`);
    return 2;
  }
  const report = await runDrill({ invoke: (input) => client.send(new InvokeCommand(input)) }, targets);
  console.log(JSON.stringify(report, null, 2));
  // A drill against a healthy primary reports wouldAbort: true, as it should; the drill itself succeeded.
  if (report.wouldAbort) {
    console.log("note: the primary answered healthy, so a real alarm now would abort as a false alarm");
  }
  return 0;
}

try {
  Deno.exit(await main());
} catch (error) {
  // An operator reads one line: what failed and why (AWS error name and message), not a stack trace.
  console.error(`drill failed: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
  Deno.exit(1);
}
