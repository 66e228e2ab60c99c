// The synthesized stack an operator command works on: the first argument ending in cdk.tf.json, else
// cdktf.out/stacks/dr-<ENVIRONMENT_SUFFIX>/cdk.tf.json. Exits 2 with a clear message when it is missing.
// deno-lint-ignore no-explicit-any
export function readStack(args: readonly string[] = Deno.args): any {
  const suffix = Deno.env.get("ENVIRONMENT_SUFFIX") || "dev";
  const path = args.find((arg) => arg.endsWith("cdk.tf.json")) ?? `cdktf.out/stacks/dr-${suffix}/cdk.tf.json`;
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch (error) {
    console.error(
      `cannot read ${path} (${error instanceof Error ? error.message : error}): run make synth first`,
    );
    Deno.exit(2);
  }
}
