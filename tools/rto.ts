// `make rto`: the recovery budget of the synthesized stack (reads cdk.tf.json, not the TypeScript config):
// time to decision and time to first write, each row with its source.
//   deno run -A tools/rto.ts [cdk.tf.json]                    prints it; exit codes: RTO_EXIT
//   deno run -A tools/rto.ts [cdk.tf.json] --readme <file.md>   also rewrites the block between the file's
//                                                              <!-- rto:start --> and <!-- rto:end --> markers
import { recoveryBudget } from "../modules/recovery_budget.ts";
import { formatBudget } from "../modules/recovery_budget_text.ts";
import { readStack } from "./lib/stack_file.ts";

/** Exit codes, distinct from Deno's 1 for a crash (docs/recovery.md; GNU make reports them as `Error N`). */
export const RTO_EXIT = { withinTarget: 0, noStackOrBadInput: 2, exceeded: 3 } as const;

const MARKED_BLOCK = /<!-- rto:start -->[\s\S]*<!-- rto:end -->/;

/** The block between its markers (a fenced block: `deno fmt` leaves it as generated). */
export function readmeBlock(budgetText: string): string {
  return `<!-- rto:start -->\n\n\`\`\`text\n${budgetText}\n\`\`\`\n\n<!-- rto:end -->`;
}

/** `document` with its marked block replaced; throws when the markers are missing (nothing to rewrite). */
export function replaceMarkedBlock(document: string, budgetText: string, path: string): string {
  if (!MARKED_BLOCK.test(document)) {
    throw new Error(`${path} has no <!-- rto:start --> ... <!-- rto:end --> block to rewrite`);
  }
  // A function replacement: `$` in the budget text stays literal.
  return document.replace(MARKED_BLOCK, () => readmeBlock(budgetText));
}

if (import.meta.main) {
  const budget = recoveryBudget(readStack());
  const text = formatBudget(budget);
  console.log(text);
  const fileAt = Deno.args.indexOf("--readme");
  if (fileAt >= 0) {
    const path = Deno.args[fileAt + 1];
    try {
      if (!path) throw new Error("--readme needs the path of a Markdown file with an rto block");
      Deno.writeTextFileSync(path, replaceMarkedBlock(Deno.readTextFileSync(path), text, path));
    } catch (error) {
      console.error(`rto: ${error instanceof Error ? error.message : error}`);
      Deno.exit(RTO_EXIT.noStackOrBadInput);
    }
  }
  Deno.exit(budget.withinTarget ? RTO_EXIT.withinTarget : RTO_EXIT.exceeded);
}
