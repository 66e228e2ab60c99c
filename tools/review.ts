// Prints REVIEW.md of a synthesized stack (the reviewer summary that also ships in the bundle).
//   deno run --allow-read --allow-env tools/review.ts cdktf.out/stacks/dr-dev/cdk.tf.json
import { renderReview } from "./lib/review.ts";
import { loadStack } from "../modules/stack_index.ts";

function main(args: string[]): number {
  const [stackJson] = args;
  if (!stackJson || args.length !== 1) {
    console.error("usage: review.ts <path/to/cdk.tf.json>");
    return 2;
  }
  let stack;
  try {
    stack = loadStack(stackJson);
  } catch (error) {
    console.error(
      `cannot read ${stackJson}: ${error instanceof Error ? error.message : error} (run make synth)`,
    );
    return 2;
  }
  console.log(renderReview(stack).trimEnd());
  return 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
