// `make drill`: runs the failover orchestrator in dry-run mode in the standby region and prints its report.
// Needs real AWS credentials and a stack synthesized for a real account; refuses clearly otherwise.
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { credentialProblems, runDrill, stackTargets } from "./lib/operator_actions.ts";
import { readStack } from "./lib/stack_file.ts";

const targets = stackTargets(readStack());
const problems = credentialProblems(Deno.env.toObject(), targets);
if (problems.length > 0) {
  console.error(`refusing to run the drill:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
  Deno.exit(2);
}
const client = new LambdaClient({ region: targets.secondaryRegion });
const report = await runDrill({ invoke: (input) => client.send(new InvokeCommand(input)) }, targets);
console.log(JSON.stringify(report, null, 2));
// A drill against a healthy primary reports wouldAbort: true, as it should; the drill itself succeeded.
if (report.wouldAbort) {
  console.log("note: the primary answered healthy, so a real alarm now would abort as a false alarm");
}
