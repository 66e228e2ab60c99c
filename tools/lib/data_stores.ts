// Every data store of the stack with its encryption, backup / point-in-time recovery and replication,
// driven by a table of resource types. A type missing from the stack simply yields no rows; a type missing
// from the table is not a data store.
import {
  asList,
  compareText,
  displayName,
  first,
  literal,
  pointsTo,
  type StackIndex,
  type StackResource,
} from "../../modules/stack_index.ts";
import { type Coverage, hasKey } from "./coverage.ts";
import { readable } from "./markdown.ts";
import {
  bucketBackup,
  bucketEncryption,
  bucketReplication,
  type Finding,
  keyText,
  kmsOr,
  notApplicable,
  notEncrypted,
  regionalOnly,
  retentionDays,
} from "./store_findings.ts";

/** Where data at rest lives: these services, and anything with an encryption-at-rest argument. */
const STORE_TYPE = /^aws_(s3_bucket|rds_|dynamodb_|ssm_parameter|backup_)/;
const AT_REST_KEY = /kms_key|kms_master_key|storage_encrypted|^encrypted$/;

export const DATA_STORE_COVERAGE: Coverage = {
  claims: (resource) => STORE_TYPE.test(resource.type) || hasKey(resource.body, AT_REST_KEY),
  leavesOut: {
    aws_lambda_function: "its key encrypts the environment variables; a function keeps no data",
    aws_rds_cluster_parameter_group: "engine settings; its commit guard is listed under recovery",
    aws_s3_bucket_ownership_controls:
      "object ownership (ACLs off): no bearing on encryption, backup or replication",
    aws_s3_bucket_logging: "an audit trail of requests (docs/security.md), not how the data is kept",
    aws_s3_bucket_policy: "who may reach the data, not how it is kept",
    aws_s3_bucket_public_access_block: "exposure: listed under public entry points",
  },
};

export interface DataStore {
  readonly address: string;
  readonly name: string;
  readonly kind: string;
  readonly region: string;
  readonly role: string;
  readonly encryption: Finding;
  readonly backup: Finding;
  readonly replication: Finding;
}

interface DataStoreRule {
  readonly type: string;
  readonly kind: (store: StackResource, index: StackIndex) => string;
  readonly encryption: (store: StackResource, index: StackIndex) => Finding;
  readonly backup: (store: StackResource, index: StackIndex) => Finding;
  readonly replication: (store: StackResource, index: StackIndex) => Finding;
}

/** The AWS Backup plans whose selections name `store`: `AWS Backup daily cron(...), kept 35 days`. */
function backupPlans(store: StackResource, index: StackIndex): string[] {
  const selections = index.ofType("aws_backup_selection")
    .filter((selection) => asList(selection.body.resources).some((item) => pointsTo(item, store)));
  return index.referenced(selections.map((selection) => selection.body.plan_id), ["aws_backup_plan"])
    .flatMap((plan) =>
      asList(plan.body.rule).map((rule) => {
        const days = first(rule.lifecycle)?.delete_after;
        return `AWS Backup ${readable(rule.rule_name)} ${readable(rule.schedule)}, ${
          days === undefined ? "kept until deleted" : `kept ${readable(days)} days`
        }`;
      })
    );
}

function clusterMembers(global: StackResource, index: StackIndex): StackResource[] {
  return index.pointingAt(global, ["aws_rds_cluster"], "global_cluster_identifier");
}

function memberList(members: readonly StackResource[]): string {
  return members.map((member) => `${displayName(member)} (${member.region || "?"})`).join(", ");
}

/** The table: one rule per data-store type. */
export const DATA_STORE_RULES: readonly DataStoreRule[] = [
  {
    type: "aws_rds_global_cluster",
    kind: (store) =>
      `Aurora global cluster (${literal(store.body.engine) ?? "engine ?"} ${
        literal(store.body.engine_version) ?? ""
      })`.replace(" )", ")"),
    encryption: (store) =>
      store.body.storage_encrypted === true
        ? { text: "storage encrypted (each member with its region's key)" }
        : notEncrypted,
    backup: () => ({ text: "by the member clusters" }),
    replication: (store, index) => {
      const members = clusterMembers(store, index);
      return members.length
        ? { text: `members: ${memberList(members)}` }
        : { text: "no member clusters", concern: true };
    },
  },
  {
    type: "aws_rds_cluster",
    kind: (store, index) => {
      const instances = index.pointingAt(store, ["aws_rds_cluster_instance"], "cluster_identifier");
      const classes = [...new Set(instances.map((instance) => readable(instance.body.instance_class)))];
      const engine = literal(store.body.engine) ?? "RDS";
      return `${
        engine === "aurora-postgresql" ? "Aurora PostgreSQL" : engine
      } cluster (${instances.length} × ${classes.join("/") || "no instances"})`;
    },
    encryption: (store, index) =>
      store.body.storage_encrypted === true
        ? kmsOr(store.body.kms_key_id, index, { text: "AWS managed key aws/rds" })
        : notEncrypted,
    backup: (store, index) => {
      const days = store.body.backup_retention_period ?? 1;
      const window = literal(store.body.preferred_backup_window);
      const parts = [`backups + PITR ${readable(days)} days${window ? ` (window ${window} UTC)` : ""}`];
      parts.push(...backupPlans(store, index));
      if (store.body.skip_final_snapshot === true) parts.push("no final snapshot on destroy");
      return { text: parts.join(", ") };
    },
    replication: (store, index) => {
      const global = index.ofType("aws_rds_global_cluster").find((candidate) =>
        pointsTo(store.body.global_cluster_identifier, candidate)
      );
      if (global) {
        const peers = clusterMembers(global, index).filter((member) => member.address !== store.address);
        const direction = store.role === "primary" ? "replicates to" : "replica of";
        return {
          text: `global cluster ${displayName(global)}: ${direction} ${memberList(peers) || "nothing"}`,
          concern: peers.length === 0,
        };
      }
      return { text: "none (single region)" };
    },
  },
  {
    type: "aws_s3_bucket",
    kind: () => "S3 bucket",
    encryption: bucketEncryption,
    backup: bucketBackup,
    replication: bucketReplication,
  },
  {
    type: "aws_dynamodb_table",
    kind: (store) => `DynamoDB table (${literal(store.body.billing_mode) ?? "PROVISIONED"})`,
    encryption: (store, index) => {
      const sse = first(store.body.server_side_encryption);
      return sse?.enabled === true
        ? kmsOr(sse.kms_key_arn, index, { text: "AWS managed key aws/dynamodb" })
        : { text: "AWS owned key (DynamoDB default)" };
    },
    backup: (store) => {
      const pitr = first(store.body.point_in_time_recovery);
      return pitr?.enabled === true
        ? { text: `PITR ${readable(pitr.recovery_period_in_days ?? 35)} days` }
        : { text: "no PITR", concern: true };
    },
    replication: () => regionalOnly,
  },
  {
    type: "aws_ssm_parameter",
    kind: (store) => {
      const type = literal(store.body.type) ?? "String";
      const writeOnly = store.body.value_wo !== undefined ? ", write-only value (not in state)" : "";
      return `SSM ${type}${writeOnly}`;
    },
    encryption: (store, index) =>
      store.body.type === "SecureString"
        ? kmsOr(store.body.key_id, index, { text: "AWS managed key aws/ssm" })
        : { text: "n/a (String: not a secret)" },
    backup: () => ({ text: "none (Terraform re-creates it)" }),
    replication: (store, index) => {
      const name = literal(store.body.name);
      const copies = index.ofType("aws_ssm_parameter").filter((other) =>
        other.address !== store.address && name !== undefined && literal(other.body.name) === name
      );
      return copies.length
        ? { text: `a copy in ${copies.map((copy) => copy.region).join(", ")}` }
        : regionalOnly;
    },
  },
  {
    type: "aws_cloudwatch_log_group",
    kind: () => "CloudWatch log group",
    encryption: (store, index) =>
      kmsOr(store.body.kms_key_id, index, { text: "CloudWatch Logs default (AWS owned key)", concern: true }),
    backup: (store) => retentionDays(store.body.retention_in_days),
    replication: () => regionalOnly,
  },
  {
    type: "aws_sns_topic",
    kind: () => "SNS topic (messages in transit)",
    encryption: (store, index) => kmsOr(store.body.kms_master_key_id, index, notEncrypted),
    backup: () => notApplicable,
    replication: () => regionalOnly,
  },
  {
    type: "aws_launch_template",
    kind: () => "EC2 volumes (launch template)",
    encryption: (store, index) => {
      const volumes = asList(store.body.block_device_mappings).map((mapping) => first(mapping.ebs)).filter(
        Boolean,
      );
      if (volumes.length === 0) return { text: "not set: AMI snapshot / account default", concern: true };
      if (volumes.some((volume) => volume.encrypted !== true && volume.encrypted !== "true")) {
        return notEncrypted;
      }
      const keys = [
        ...new Set(volumes.map((volume) => volume.kms_key_id ? keyText(volume.kms_key_id, index) : "")),
      ];
      return {
        text: `EBS encrypted${keys.filter(Boolean).length ? `, ${keys.filter(Boolean).join(", ")}` : ""}`,
      };
    },
    backup: () => ({ text: "none (instances are stateless)" }),
    replication: () => notApplicable,
  },
  {
    type: "aws_backup_vault",
    kind: () => "AWS Backup vault (recovery points)",
    encryption: (store, index) =>
      kmsOr(store.body.kms_key_arn, index, { text: "AWS managed key aws/backup" }),
    backup: () => ({ text: "n/a (it holds the backups)" }),
    replication: () => regionalOnly,
  },
];

/** The data stores of the stack, in table order, then by region and name. */
export function dataStores(index: StackIndex): DataStore[] {
  return DATA_STORE_RULES.flatMap((rule) =>
    index.ofType(rule.type)
      .map((store) => ({
        address: store.address,
        name: displayName(store),
        kind: rule.kind(store, index),
        region: store.region,
        role: store.role,
        encryption: rule.encryption(store, index),
        backup: rule.backup(store, index),
        replication: rule.replication(store, index),
      }))
      .sort((a, b) => compareText(a.region, b.region) || compareText(a.name, b.name))
  );
}
