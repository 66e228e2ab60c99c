// PRODUCTION_PROFILE=true, asserted on the offline plan of a stack synthesized with it: deletion protection
// (Aurora, ALBs), final snapshots, an AWS Backup vault (region key), plan and cluster selection per region,
// at least a year of log retention and a 30-day key deletion window. The default stays destroyable.
import assert from "node:assert/strict";
import {
  available,
  defaultStack,
  type Json,
  offlinePlan,
  type PlannedResource,
  plannedResources,
  resources,
  type SynthResult,
  synthWith,
  terraformAvailable,
} from "./helpers.ts";
import { BACKUP_SERVICE_POLICY_ARN } from "../modules/backup.ts";

const hasTerraform = available("terraform", terraformAvailable(), "the production profile's offline plan");

let production: { synth: SynthResult; planned: PlannedResource[]; plan: Json } | undefined;
function productionPlan() {
  if (!production) {
    const synth = synthWith({ PRODUCTION_PROFILE: "true" });
    const { plan } = offlinePlan(synth.stackDir);
    production = { synth, planned: plannedResources(plan), plan };
  }
  return production;
}

const ofType = (planned: PlannedResource[], type: string) =>
  planned.filter((resource) => resource.type === type);

function productionTest(name: string, body: () => void) {
  Deno.test({ name: `PRODUCTION_PROFILE=true: ${name}`, ignore: !hasTerraform, fn: body });
}

productionTest(
  "the Aurora global cluster and both members are deletion-protected and keep a final snapshot",
  () => {
    const { planned } = productionPlan();
    const [global] = ofType(planned, "aws_rds_global_cluster");
    assert.equal(global.after.deletion_protection, true);
    assert.equal(global.after.force_destroy, false);
    const clusters = ofType(planned, "aws_rds_cluster");
    assert.equal(clusters.length, 2);
    for (const cluster of clusters) {
      assert.equal(cluster.after.deletion_protection, true, cluster.address);
      assert.equal(cluster.after.skip_final_snapshot, false, cluster.address);
      assert.equal(cluster.after.final_snapshot_identifier, `${cluster.after.cluster_identifier}-final`);
    }
  },
);

productionTest("both ALBs are deletion-protected", () => {
  const albs = ofType(productionPlan().planned, "aws_lb");
  assert.equal(albs.length, 2);
  for (const alb of albs) assert.equal(alb.after.enable_deletion_protection, true, alb.address);
});

productionTest(
  "AWS Backup: a vault with the region's key, a daily plan and a selection of the region's cluster",
  () => {
    const { planned, plan } = productionPlan();
    const configs = new Map<string, Json>(
      plan.configuration.root_module.resources.map((config: Json) => [config.address, config]),
    );
    for (const role of ["primary", "secondary"]) {
      const vault = `aws_backup_vault.backup_${role}_vault`;
      assert.deepEqual(configs.get(vault).expressions.kms_key_arn.references, [
        `aws_kms_key.kms_${role}.arn`,
        `aws_kms_key.kms_${role}`,
      ]);
      const [backupPlan] = planned.filter((resource) =>
        resource.address === `aws_backup_plan.backup_${role}_plan`
      );
      const [rule] = backupPlan.after.rule;
      assert.match(rule.schedule, /^cron\(/);
      assert.ok(rule.lifecycle[0].delete_after >= 7);
      const selection = configs.get(`aws_backup_selection.backup_${role}_selection`);
      assert.deepEqual(selection.expressions.resources.references, [
        `aws_rds_cluster.database_${role}.arn`,
        `aws_rds_cluster.database_${role}`,
      ]);
      const attachment = planned.find((resource) =>
        resource.address === `aws_iam_role_policy_attachment.backup_${role}_role_policy`
      );
      assert.equal(attachment?.after.policy_arn, BACKUP_SERVICE_POLICY_ARN);
    }
  },
);

productionTest("log groups keep at least 365 days and KMS keys wait 30 days before deletion", () => {
  const { planned } = productionPlan();
  const logGroups = ofType(planned, "aws_cloudwatch_log_group");
  assert.ok(logGroups.length > 0);
  for (const group of logGroups) assert.ok(group.after.retention_in_days >= 365, group.address);
  const keys = ofType(planned, "aws_kms_key");
  assert.equal(keys.length, 3);
  for (const key of keys) assert.equal(key.after.deletion_window_in_days, 30, key.address);
  for (const rule of ofType(planned, "aws_s3_bucket_lifecycle_configuration")) {
    if (!rule.address.includes("_log_lifecycle")) continue;
    assert.equal(rule.after.rule[0].expiration[0].days, 365, rule.address);
  }
});

Deno.test("the default configuration has no AWS Backup, no deletion protection, 7-day key windows", () => {
  const { stack, config } = defaultStack();
  assert.equal(config.protection.productionProfile, false);
  assert.deepEqual(resources(stack, "aws_backup_plan"), {});
  assert.deepEqual(resources(stack, "aws_backup_vault"), {});
  for (const key of Object.values(resources(stack, "aws_kms_key"))) {
    assert.equal(key.deletion_window_in_days, 7);
  }
  for (const cluster of Object.values(resources(stack, "aws_rds_cluster"))) {
    assert.equal(cluster.skip_final_snapshot, true);
  }
  assert.equal(config.logRetentionDays, 30);
  assert.equal(
    synthWith({ PRODUCTION_PROFILE: "true", LOG_RETENTION_DAYS: "731" }).config.logRetentionDays,
    731,
  );
});
