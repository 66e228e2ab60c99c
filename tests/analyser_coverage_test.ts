// The hand-off analysers read exactly what the stack emits. Each analyser runs on every configuration below
// through an index that records the resource types it looks up: a type of a family an analyser claims that it
// neither reads nor leaves out (with a reason) fails, and so does a type an analyser looks up that no
// configuration emits (a branch for a form that does not exist).
import assert from "node:assert/strict";
import { compareText, type Json, StackIndex, type StackResource } from "../modules/stack_index.ts";
import { recoveryBudget } from "../modules/recovery_budget.ts";
import type { Coverage } from "../tools/lib/coverage.ts";
import { IAM_COVERAGE, iamMatrix } from "../tools/lib/iam_matrix.ts";
import {
  GROUP_ATTRIBUTES,
  SECURITY_GROUP_COVERAGE,
  securityGroupRules,
  securityGroupsOf,
} from "../tools/lib/security_groups.ts";
import { DATA_STORE_COVERAGE, dataStores } from "../tools/lib/data_stores.ts";
import { ENTRY_POINT_COVERAGE, publicEntryPoints } from "../tools/lib/entry_points.ts";
import { RECOVERY_COVERAGE, recoverySection } from "../tools/lib/recovery.ts";
import { INSTANCE_TAG_COVERAGE, namingCompliance, tagCompliance } from "../tools/lib/compliance.ts";
import { buildDiagram } from "../tools/lib/diagram.ts";
import { renderOperations } from "../tools/lib/operations.ts";
import { synthWith } from "./helpers.ts";

/**
 * The configurations the tests synthesize that change which resource types the stack emits; the others
 * (existing certificates, commit guard, serverless standby, ...) emit the types of one of these.
 */
const CONFIGURATIONS: Readonly<Record<string, Record<string, string>>> = {
  default: {},
  "production profile (AWS Backup)": { PRODUCTION_PROFILE: "true" },
  "TLS off (no certificates)": { TLS_MODE: "none", TLS_NONE_ACKNOWLEDGED: "yes" },
  "existing hosted zone": { HOSTED_ZONE_ID: "Z0123456789ABCDEFGHIJ" },
  "WAF off": { WAF_ENABLED: "false" },
};

/** An index that remembers every resource type asked for by name. */
class RecordingIndex extends StackIndex {
  readonly asked = new Set<string>();

  override get(type: string, logicalId: string): StackResource | undefined {
    this.asked.add(type);
    return super.get(type, logicalId);
  }

  override ofType(...types: string[]): StackResource[] {
    for (const type of types) this.asked.add(type);
    return super.ofType(...types);
  }

  override referenced(value: Json, types?: readonly string[]): StackResource[] {
    for (const type of types ?? []) this.asked.add(type);
    return super.referenced(value, types);
  }
}

const CLAIMS_NOTHING: Coverage = { claims: () => false, leavesOut: {} };

interface Analyser {
  readonly coverage: Coverage;
  readonly run: (index: StackIndex) => unknown;
}

const ANALYSERS: Readonly<Record<string, Analyser>> = {
  iam_matrix: { coverage: IAM_COVERAGE, run: iamMatrix },
  security_groups: {
    coverage: SECURITY_GROUP_COVERAGE,
    // securityGroupsOf() reads the types of its GROUP_ATTRIBUTES table (and autoscaling groups' templates).
    run: (index) => [
      securityGroupRules(index),
      index.ofType(...Object.keys(GROUP_ATTRIBUTES), "aws_autoscaling_group")
        .map((resource) => securityGroupsOf(resource, index)),
    ],
  },
  data_stores: { coverage: DATA_STORE_COVERAGE, run: dataStores },
  entry_points: { coverage: ENTRY_POINT_COVERAGE, run: publicEntryPoints },
  recovery: { coverage: RECOVERY_COVERAGE, run: (index) => recoverySection(index, "") },
  compliance: {
    coverage: INSTANCE_TAG_COVERAGE,
    run: (index) => [tagCompliance(index), namingCompliance(index, "dev")],
  },
  diagram: { coverage: CLAIMS_NOTHING, run: buildDiagram },
  operations: {
    coverage: CLAIMS_NOTHING,
    run: (index) => renderOperations(index, { bundleName: "b.tar.gz", root: "b", files: [] }),
  },
  recovery_budget: { coverage: CLAIMS_NOTHING, run: recoveryBudget },
};

interface Reading {
  /** Types of the analyser's family that the stack emits. */
  readonly claimed: ReadonlySet<string>;
  /** Types the analyser looked up. */
  readonly asked: ReadonlySet<string>;
}

function read(analyser: Analyser, stack: Json): Reading {
  const index = new RecordingIndex(stack);
  analyser.run(index);
  const claimed = new Set(index.all.filter(analyser.coverage.claims).map((resource) => resource.type));
  return { claimed, asked: index.asked };
}

/** Types of the family the analyser neither reads nor leaves out. */
function unknownTypes(analyser: Analyser, reading: Reading): string[] {
  return [...reading.claimed]
    .filter((type) => !reading.asked.has(type) && !(type in analyser.coverage.leavesOut))
    .sort(compareText);
}

const stacks = new Map<string, Json>();
function stackOf(configuration: string): Json {
  if (!stacks.has(configuration)) stacks.set(configuration, synthWith(CONFIGURATIONS[configuration]).stack);
  return stacks.get(configuration);
}

Deno.test("every type the stack emits in a family an analyser claims is one it reads or leaves out with a reason", () => {
  const problems: string[] = [];
  for (const configuration of Object.keys(CONFIGURATIONS)) {
    for (const [name, analyser] of Object.entries(ANALYSERS)) {
      for (const type of unknownTypes(analyser, read(analyser, stackOf(configuration)))) {
        problems.push(`${configuration}: ${name} does not know ${type}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("analysers look up only types some configuration emits, and read no type they say they leave out", () => {
  const emitted = new Set(
    Object.keys(CONFIGURATIONS).flatMap((configuration) => new StackIndex(stackOf(configuration)).types),
  );
  for (const [name, analyser] of Object.entries(ANALYSERS)) {
    const asked = new Set(
      Object.keys(CONFIGURATIONS).flatMap((
        configuration,
      ) => [...read(analyser, stackOf(configuration)).asked]),
    );
    const leftOut = Object.keys(analyser.coverage.leavesOut);
    assert.deepEqual([...asked, ...leftOut].filter((type) => !emitted.has(type)).sort(compareText), [], name);
    assert.deepEqual(
      leftOut.filter((type) => asked.has(type)),
      [],
      `${name} reads what it says it leaves out`,
    );
  }
});

/** `a.b[].c` paths of every key naming security groups in a body. */
function securityGroupPaths(body: Json, prefix: string[] = []): string[] {
  if (Array.isArray(body)) return body.flatMap((item) => securityGroupPaths(item, [...prefix, "*"]));
  if (!body || typeof body !== "object") return [];
  return Object.entries(body).flatMap(([key, value]) =>
    key === "//" ? [] : [
      ...(/security_group/.test(key) ? [[...prefix, key].join(".")] : []),
      ...securityGroupPaths(value, [...prefix, key]),
    ]
  );
}

Deno.test("securityGroupsOf() reads exactly the security-group arguments the stack's resources emit", () => {
  const emitted = new Set<string>();
  for (const configuration of Object.keys(CONFIGURATIONS)) {
    for (const resource of new StackIndex(stackOf(configuration)).all) {
      if (/security_group/.test(resource.type)) continue; // groups and rules: securityGroupRules() reads them
      // A block cdktf emits as an object reads like a one-item list (`*` in GROUP_ATTRIBUTES).
      for (const path of securityGroupPaths(resource.body)) emitted.add(`${resource.type} ${path}`);
    }
  }
  const declared = Object.entries(GROUP_ATTRIBUTES).flatMap(([type, paths]) =>
    paths.map((path) => `${type} ${path.filter((step) => step !== "*").join(".")}`)
  );
  const normalized = [...emitted].map((entry) => entry.replaceAll(".*", "")).sort(compareText);
  assert.deepEqual(normalized, [...declared].sort(compareText));
});

Deno.test("the coverage check fails on a type an analyser does not know and on a lookup of a type never emitted", () => {
  const stack = structuredClone(stackOf("default"));
  stack.resource.aws_iam_policy = {
    extra: { provider: "aws.primary", name: "extra-dev", policy: "{}" },
  };
  assert.deepEqual(unknownTypes(ANALYSERS.iam_matrix, read(ANALYSERS.iam_matrix, stack)), ["aws_iam_policy"]);
  const speculative: Analyser = { coverage: CLAIMS_NOTHING, run: (index) => index.ofType("aws_alb") };
  assert.ok(read(speculative, stack).asked.has("aws_alb"));
  assert.ok(!new StackIndex(stack).types.includes("aws_alb"));
});
