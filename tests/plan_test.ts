// The real provider: terraform validate and an offline plan of the default stack, and the whole-stack
// policy invariants read from the plan JSON.
import assert from "node:assert/strict";
import {
  defaultOfflinePlan,
  defaultStack,
  plannedResources,
  terraformAvailable,
  warnSkip,
} from "./helpers.ts";

const hasTerraform = terraformAvailable();
if (!hasTerraform) warnSkip("plan_test.ts");

function planTest(name: string, body: () => void) {
  Deno.test({ name, ignore: !hasTerraform, fn: body });
}

planTest("terraform validate and an offline plan accept the stack; nothing is updated or deleted", () => {
  const { plan } = defaultOfflinePlan();
  const actions = new Set(
    plan.resource_changes.flatMap((change: { change: { actions: string[] } }) => change.change.actions),
  );
  assert.deepEqual([...actions], ["create"]);
  const synthesized = Object.values(defaultStack().stack.resource).reduce<number>(
    (sum, byName) => sum + Object.keys(byName as object).length,
    0,
  );
  assert.equal(plannedResources(plan).length, synthesized);
});

planTest(
  "every taggable planned resource carries Environment, DR-Role of its provider, and Cost-Center",
  () => {
    const { config } = defaultStack();
    for (const planned of plannedResources(defaultOfflinePlan().plan)) {
      if (planned.after.tags_all === undefined) continue;
      const role = planned.providerKey.replace("aws.", "");
      const tags = planned.after.tags_all;
      assert.equal(tags.Environment, config.environment, planned.address);
      assert.equal(tags["Cost-Center"], config.costCenter, planned.address);
      assert.equal(tags["DR-Role"], role, planned.address);
    }
  },
);

const NAME_ATTRIBUTES = [
  "name",
  "bucket",
  "function_name",
  "cluster_identifier",
  "identifier",
  "global_cluster_identifier",
  "alarm_name",
  "dashboard_name",
  "table_name",
];
// Names scoped inside a parent that already carries the suffix.
const SCOPED_NAMES = new Set(["aws_iam_role_policy"]);

planTest("every physical name carries the environment suffix", () => {
  const suffix = defaultStack().config.environmentSuffix;
  const carriesSuffix = new RegExp(`(^|[-/_.])${suffix}($|[-/_.])`);
  for (const planned of plannedResources(defaultOfflinePlan().plan)) {
    if (SCOPED_NAMES.has(planned.type)) continue;
    for (const attribute of NAME_ATTRIBUTES) {
      const value = planned.after[attribute];
      if (typeof value !== "string") continue;
      assert.match(value, carriesSuffix, `${planned.address}.${attribute} = ${value}`);
    }
    if (planned.after.tags?.Name) {
      assert.match(planned.after.tags.Name, carriesSuffix, `${planned.address} Name tag`);
    }
  }
});

planTest("everything is destroyable: no deletion protection, no prevent_destroy", () => {
  const { plan } = defaultOfflinePlan();
  for (const planned of plannedResources(plan)) {
    assert.notEqual(planned.after.deletion_protection, true, planned.address);
    assert.notEqual(planned.after.enable_deletion_protection, true, planned.address);
  }
  for (const config of plan.configuration.root_module.resources) {
    assert.notEqual(config.prevent_destroy, true, config.address);
  }
  assert.ok(!JSON.stringify(defaultStack().stack).includes("prevent_destroy"));
});

planTest("IAM policies in the plan use no wildcard action", () => {
  for (const planned of plannedResources(defaultOfflinePlan().plan)) {
    for (const attribute of ["policy", "assume_role_policy"]) {
      const text = planned.after[attribute];
      if (typeof text !== "string") continue;
      const document = JSON.parse(text);
      for (const statement of [document.Statement].flat()) {
        for (const action of [statement.Action ?? []].flat()) {
          assert.ok(action !== "*" && !action.endsWith(":*"), `${planned.address}: ${action}`);
        }
      }
    }
  }
});
