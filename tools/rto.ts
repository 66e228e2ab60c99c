// `make rto`: the recovery-time budget of the synthesized stack (reads cdk.tf.json, not the TypeScript config).
//   deno run -A tools/rto.ts [cdk.tf.json]                  prints it; exit 0 within the RTO, 1 beyond it
//   deno run -A tools/rto.ts [cdk.tf.json] --readme README.md   also rewrites the README's copy
// Exit 2 when there is no synthesized stack.
import { formatBudget, recoveryBudget } from "../modules/recovery_budget.ts";
import { readStack } from "./lib/stack_file.ts";

/** The README block between its markers (a fenced block: `deno fmt` leaves it as generated). */
export function readmeBlock(budgetText: string): string {
  return `<!-- rto:start -->\n\n\`\`\`text\n${budgetText}\n\`\`\`\n\n<!-- rto:end -->`;
}

if (import.meta.main) {
  const budget = recoveryBudget(readStack());
  const text = formatBudget(budget);
  console.log(text);
  const readmeAt = Deno.args.indexOf("--readme");
  if (readmeAt >= 0) {
    const path = Deno.args[readmeAt + 1];
    const readme = Deno.readTextFileSync(path);
    Deno.writeTextFileSync(
      path,
      readme.replace(/<!-- rto:start -->[\s\S]*<!-- rto:end -->/, readmeBlock(text)),
    );
  }
  Deno.exit(budget.withinTarget ? 0 : 1);
}
