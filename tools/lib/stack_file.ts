// The synthesized files an operator command works on: the first argument naming the file (cdk.tf.json or
// operator.json), else the one in cdktf.out/stacks/dr-<ENVIRONMENT_SUFFIX>/. Exits 2 with one clear line when
// it is missing, and when ENVIRONMENT_SUFFIX is set but empty (never quietly the dev stack).
import { parseStack, type StackIndex } from "../../modules/stack_index.ts";

/** Where `file` of the stack selected by `args` / ENVIRONMENT_SUFFIX is; exits 2 on an empty suffix. */
export function stackFilePath(file: string, args: readonly string[] = Deno.args): string {
  const given = args.find((arg) => arg.endsWith(file));
  if (given) return given;
  const suffix = Deno.env.get("ENVIRONMENT_SUFFIX");
  if (suffix !== undefined && suffix.trim() === "") {
    console.error(
      'ENVIRONMENT_SUFFIX="": is set but empty; unset it to use the default "dev", or give a value',
    );
    Deno.exit(2);
  }
  return `cdktf.out/stacks/dr-${suffix ?? "dev"}/${file}`;
}

function readJson<T>(path: string, parse: (text: string) => T): T {
  try {
    return parse(Deno.readTextFileSync(path));
  } catch (error) {
    console.error(
      `cannot read ${path} (${error instanceof Error ? error.message : error}): run make synth first`,
    );
    Deno.exit(2);
  }
}

/** The synthesized stack (cdk.tf.json), indexed. */
export function readStack(args: readonly string[] = Deno.args): StackIndex {
  return readJson(stackFilePath("cdk.tf.json", args), parseStack);
}

/** The operator manifest written at synth (operator.json: the stack's Terraform outputs). */
// deno-lint-ignore no-explicit-any
export function readOperatorManifest(args: readonly string[] = Deno.args): any {
  return readJson(stackFilePath("operator.json", args), JSON.parse);
}
