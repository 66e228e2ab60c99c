// The README's architecture diagram, generated from the default configuration's synthesized stack.
//   deno run -A tools/diagram.ts README.md              rewrites the block between the diagram markers
//   deno run -A tools/diagram.ts --stack <cdk.tf.json>  prints the Mermaid text of any synthesized stack
import { loadConfig } from "../modules/config.ts";
import { synthesize } from "../main.ts";
import { loadStack } from "../modules/stack_index.ts";
import { renderDiagram, replaceDiagram } from "./lib/diagram.ts";

/** The diagram of the default configuration (what the README shows, whatever the caller's environment). */
export function defaultDiagram(): string {
  const outdir = Deno.makeTempDirSync({ prefix: "dr-diagram-" });
  try {
    return renderDiagram(loadStack(synthesize(loadConfig({}), outdir)));
  } finally {
    Deno.removeSync(outdir, { recursive: true });
  }
}

function main(args: string[]): number {
  if (args.length === 2 && args[0] === "--stack") {
    console.log(renderDiagram(loadStack(args[1])).trimEnd());
    return 0;
  }
  if (args.length !== 1 || args[0].startsWith("-")) {
    console.error("usage: diagram.ts README.md | diagram.ts --stack <cdk.tf.json>");
    return 2;
  }
  const [readmePath] = args;
  const readme = Deno.readTextFileSync(readmePath);
  const updated = replaceDiagram(readme, defaultDiagram());
  if (updated === readme) {
    console.log(`${readmePath}: diagram up to date`);
  } else {
    Deno.writeTextFileSync(readmePath, updated);
    console.log(`${readmePath}: diagram updated`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
