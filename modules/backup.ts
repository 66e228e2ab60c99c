// Production profile only: AWS Backup of each region's Aurora cluster (a vault encrypted with the region's key,
// a daily plan kept 35 days, a selection of the cluster), on top of Aurora's own automated backups and the
// global database's replica. Off by default: a vault holding recovery points cannot be destroyed.
import { BackupVault } from "@cdktf/provider-aws/lib/backup-vault/index.js";
import { BackupPlan } from "@cdktf/provider-aws/lib/backup-plan/index.js";
import { BackupSelection } from "@cdktf/provider-aws/lib/backup-selection/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import { forEachRegion, type PerRegion } from "./providers.ts";
import { logicalId } from "./naming.ts";
import { assumeRolePolicy } from "./policy.ts";
import type { KeyedStackContext } from "./stack_context.ts";

export interface BackupInputs {
  /** The Aurora cluster of each region (the database's outputs). */
  readonly clusters: PerRegion<{ readonly clusterArn: string }>;
  /** Days a recovery point is kept; default 35 (Aurora's longest automated-backup window). */
  readonly retentionDays?: number;
}

/** AWS managed policy that lets AWS Backup snapshot the selected resources. */
export const BACKUP_SERVICE_POLICY_ARN =
  "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup";

export function createBackupPlans(
  ctx: KeyedStackContext,
  inputs: BackupInputs,
): PerRegion<{ vaultName: string }> {
  const { scope } = ctx;
  return forEachRegion(ctx.regions, ({ provider, region, role }) => {
    const id = (key: string) => logicalId("backup", role, key);
    const vault = new BackupVault(scope, id("vault"), {
      provider,
      name: ctx.name("generic", "dr-backup", region),
      kmsKeyArn: ctx.keys[role].keyArn,
    });
    const plan = new BackupPlan(scope, id("plan"), {
      provider,
      name: ctx.name("generic", "dr-aurora-daily", region),
      rule: [{
        ruleName: "daily",
        targetVaultName: vault.name,
        schedule: "cron(0 5 * * ? *)", // after DB_BACKUP_WINDOW's default 03:00-04:00 UTC
        lifecycle: { deleteAfter: inputs.retentionDays ?? 35 },
      }],
    });
    const backupRole = new IamRole(scope, id("role"), {
      provider,
      name: ctx.name("iamRole", "backup", region),
      assumeRolePolicy: assumeRolePolicy("backup.amazonaws.com", ctx.accountId),
    });
    const attachment = new IamRolePolicyAttachment(scope, id("role_policy"), {
      provider,
      role: backupRole.name,
      policyArn: BACKUP_SERVICE_POLICY_ARN,
    });
    new BackupSelection(scope, id("selection"), {
      provider,
      name: ctx.name("generic", "dr-aurora", region),
      planId: plan.id,
      iamRoleArn: backupRole.arn,
      resources: [inputs.clusters[role].clusterArn],
      dependsOn: [attachment],
    });
    return { vaultName: vault.name };
  });
}
