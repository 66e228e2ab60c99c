// The operator manifest written at synth (`operator.json` beside cdk.tf.json): the stack's Terraform outputs
// (stack_outputs.ts) with every value known before apply; what only AWS assigns (DNS names, ids) is null there.
// The operator tools (drill, failback, readiness) read their targets from it, without credentials or Terraform.
import { type Json, literal, referenceOf, type StackIndex, stackIndex } from "./stack_index.ts";

export const OPERATOR_MANIFEST = "operator.json";

/** ARNs AWS derives from a name the stack sets (standard partition: the configured regions are all in it). */
const ARN_FORMATS: Readonly<
  Partial<Record<string, (body: Json, region: string, account: string) => string>>
> = {
  aws_sns_topic: (body, region, account) => `arn:aws:sns:${region}:${account}:${body.name}`,
  aws_rds_cluster: (body, region, account) =>
    `arn:aws:rds:${region}:${account}:cluster:${body.cluster_identifier}`,
  aws_lambda_function: (body, region, account) =>
    `arn:aws:lambda:${region}:${account}:function:${body.function_name}`,
  aws_iam_role: (body, _region, account) => `arn:aws:iam::${account}:role${body.path ?? "/"}${body.name}`,
};

/** An output value as far as it is known before apply: literals, and references to literal arguments. */
export function valueBeforeApply(index: StackIndex, value: unknown): unknown {
  if (literal(value) !== undefined) return value;
  if (Array.isArray(value)) return value.map((item) => valueBeforeApply(index, item));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, valueBeforeApply(index, item)]),
    );
  }
  const reference = referenceOf(value);
  const target = reference && index.get(reference.type, reference.logicalId);
  if (!reference || !target) return null;
  const argument = target.body[reference.attribute];
  if (literal(argument) !== undefined) return argument;
  const account = index.providers.find((provider) => provider.allowedAccountIds.length > 0)
    ?.allowedAccountIds[0];
  const format = ARN_FORMATS[target.type];
  return reference.attribute === "arn" && format && target.region && account
    ? format(target.body, target.region, account)
    : null;
}

/** The manifest the operator tools read: every output, its description and its value before apply. */
export function operatorManifest(stackName: string, stack: Json | StackIndex): OperatorManifest {
  const index = stackIndex(stack);
  const outputs: Record<string, ManifestOutput> = {};
  for (const output of index.outputs) {
    outputs[output.name] = { description: output.description, value: valueBeforeApply(index, output.value) };
  }
  return {
    stack: stackName,
    about: "Terraform outputs of this stack as known at synth; null = assigned by AWS at apply " +
      "(terraform output -raw <name> in this folder)",
    outputs,
  };
}

export interface ManifestOutput {
  readonly description: string;
  /** null: assigned by AWS at apply. */
  readonly value: unknown;
}

/** operator.json: the stack's outputs as known at synth. */
export interface OperatorManifest {
  readonly stack: string;
  readonly about: string;
  readonly outputs: Readonly<Record<string, ManifestOutput>>;
}

/** An output's value in a manifest read from operator.json; undefined when the manifest lacks it. */
export function manifestValue(manifest: unknown, name: string): unknown {
  return (manifest as Partial<OperatorManifest> | undefined)?.outputs?.[name]?.value;
}

/**
 * Reads the outputs a tool needs (its key -> output name) from a manifest: `need(key)` gives the value, and
 * every output that is missing or empty is named in `problems`, so a tool reports them all at once.
 */
export function manifestOutputs<K extends string>(manifest: unknown, outputs: Readonly<Record<K, string>>) {
  const problems: string[] = [];
  // deno-lint-ignore no-explicit-any
  const need = (key: K): any => {
    const value = manifestValue(manifest, outputs[key]);
    if (value === undefined || value === null || value === "") {
      problems.push(`the stack has no output ${outputs[key]} (known at synth)`);
    }
    return value;
  };
  return { need, problems };
}
