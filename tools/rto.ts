// `make rto`: the recovery-time budget of the synthesized stack (reads cdk.tf.json, not the TypeScript config).
// Exit 0 within the RTO target, 1 when the budget exceeds it, 2 when there is no synthesized stack.
import { formatBudget, recoveryBudget } from "../modules/recovery_budget.ts";

const suffix = Deno.env.get("ENVIRONMENT_SUFFIX") || "dev";
const stackPath = Deno.args[0] ?? `cdktf.out/stacks/dr-${suffix}/cdk.tf.json`;
let stackText: string;
try {
  stackText = Deno.readTextFileSync(stackPath);
} catch {
  console.error(`${stackPath} not found: run make synth first (or pass the path of a cdk.tf.json)`);
  Deno.exit(2);
}
const budget = recoveryBudget(JSON.parse(stackText));
console.log(formatBudget(budget));
Deno.exit(budget.withinTarget ? 0 : 1);
