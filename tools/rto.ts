// `make rto`: the recovery-time budget of the synthesized stack (reads cdk.tf.json, not the TypeScript config).
//   deno run -A tools/rto.ts [cdk.tf.json]                           prints it; exit codes: RTO_EXIT
//   deno run -A tools/rto.ts [cdk.tf.json] --readme docs/recovery.md also rewrites that file's copy
import { formatBudget, recoveryBudget } from "../modules/recovery_budget.ts";
import { readStack } from "./lib/stack_file.ts";

/** Exit codes, distinct from Deno's 1 for a crash (docs/recovery.md; GNU make reports them as `Error N`). */
export const RTO_EXIT = { withinTarget: 0, noStackOrBadInput: 2, exceeded: 3 } as const;

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
  Deno.exit(budget.withinTarget ? RTO_EXIT.withinTarget : RTO_EXIT.exceeded);
}
