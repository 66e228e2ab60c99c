// Every data store of the stack with its encryption, backup / point-in-time recovery and replication,
// driven by a table of resource types. A type missing from the stack simply yields no rows; a type missing
// from the table is not a data store.
import {
  asList,
  compareText,
  displayName,
  first,
  type Json,
  literal,
  pointsTo,
  readable,
  referencedResources,
  ResourceIndex,
  type StackResource,
} from "./stack_json.ts";

export interface Finding {
  readonly text: string;
  /** True when a reviewer should look at it (shown bold with a marker). */
  readonly concern?: boolean;
}

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
  readonly kind: (store: StackResource, index: ResourceIndex) => string;
  readonly encryption: (store: StackResource, index: ResourceIndex) => Finding;
  readonly backup: (store: StackResource, index: ResourceIndex) => Finding;
  readonly replication: (store: StackResource, index: ResourceIndex) => Finding;
}

const KEY_TYPES = ["aws_kms_key", "aws_kms_alias", "aws_kms_replica_key"];

/** A KMS key reference as a reviewer reads it: `KMS aws_kms_key.kms_primary (us-east-1)`. */
export function keyText(value: Json, index: ResourceIndex): string {
  const key = referencedResources(value, index, KEY_TYPES)[0];
  if (key) return `KMS ${key.address} (${key.region || "unknown region"})`;
  const text = literal(value);
  if (text?.startsWith("alias/aws/")) return `AWS managed key ${text}`;
  return text ? `KMS ${text}` : `KMS ${readable(value)}`;
}

const notEncrypted: Finding = { text: "not encrypted", concern: true };
const notApplicable: Finding = { text: "n/a" };
const regionalOnly: Finding = { text: "none (regional)" };

function kmsOr(value: Json, index: ResourceIndex, fallback: Finding): Finding {
  return value === undefined || value === "" ? fallback : { text: keyText(value, index) };
}

function companions(store: StackResource, index: ResourceIndex, type: string): StackResource[] {
  return index.pointingAt(store, [type], "bucket");
}

function retentionDays(days: Json): Finding {
  if (days === undefined || days === 0) return { text: "kept forever (no retention)" };
  return { text: `retention ${readable(days)} days` };
}

function clusterMembers(global: StackResource, index: ResourceIndex): StackResource[] {
  return index.pointingAt(global, ["aws_rds_cluster"], "global_cluster_identifier");
}

function memberList(members: readonly StackResource[]): string {
  return members.map((member) => `${displayName(member)} (${member.region || "?"})`).join(", ");
}

function bucketReplication(bucket: StackResource, index: ResourceIndex): Finding {
  const lines: string[] = [];
  let concern = false;
  for (const config of companions(bucket, index, "aws_s3_bucket_replication_configuration")) {
    for (const rule of asList(config.body.rule)) {
      const destination = first(rule.destination) ?? {};
      const target = referencedResources(destination.bucket, index, ["aws_s3_bucket"])[0];
      const where = target ? `${displayName(target)} (${target.region})` : readable(destination.bucket);
      const details: string[] = [];
      const time = first(destination.replication_time);
      if (time?.status === "Enabled") details.push(`RTC ${first(time.time)?.minutes ?? 15} min`);
      if (first(destination.metrics)?.status === "Enabled") details.push("metrics on");
      const deleteMarkers = first(rule.delete_marker_replication)?.status;
      if (deleteMarkers) details.push(`delete markers ${deleteMarkers}`);
      const replicaKey = first(destination.encryption_configuration)?.replica_kms_key_id;
      if (replicaKey) details.push(`replica ${keyText(replicaKey, index)}`);
      if (rule.status !== "Enabled") {
        concern = true;
        details.push(`rule ${rule.status ?? "without status"}`);
      }
      lines.push(`to ${where}${details.length ? `: ${details.join(", ")}` : ""}`);
    }
  }
  for (const config of index.ofType("aws_s3_bucket_replication_configuration")) {
    for (const rule of asList(config.body.rule)) {
      if (!pointsTo(first(rule.destination)?.bucket, bucket)) continue;
      const source = referencedResources(config.body.bucket, index, ["aws_s3_bucket"])[0];
      lines.push(
        `from ${source ? `${displayName(source)} (${source.region})` : readable(config.body.bucket)}`,
      );
    }
  }
  return lines.length ? { text: [...new Set(lines)].join("\n"), concern } : { text: "none" };
}

function bucketEncryption(bucket: StackResource, index: ResourceIndex): Finding {
  const configs = companions(bucket, index, "aws_s3_bucket_server_side_encryption_configuration");
  const rules = configs.length
    ? configs.flatMap((config) => asList(config.body.rule))
    : asList(first(bucket.body.server_side_encryption_configuration)?.rule);
  const defaults = rules.map((rule) => first(rule.apply_server_side_encryption_by_default)).filter(Boolean);
  if (defaults.length === 0) return { text: "SSE-S3 (the S3 default; no configuration in the stack)" };
  return {
    text: defaults.map((entry) => {
      const algorithm = entry.sse_algorithm ?? "AES256";
      if (algorithm === "AES256") return "SSE-S3 (AES256)";
      return `${algorithm}, ${
        entry.kms_master_key_id ? keyText(entry.kms_master_key_id, index) : "AWS managed key aws/s3"
      }`;
    }).join("\n"),
  };
}

function bucketBackup(bucket: StackResource, index: ResourceIndex): Finding {
  const versioning = companions(bucket, index, "aws_s3_bucket_versioning")
    .map((config) => first(config.body.versioning_configuration)?.status)[0] ??
    (first(bucket.body.versioning)?.enabled === true ? "Enabled" : undefined);
  const parts = [`versioning ${versioning ?? "off"}`];
  for (const config of companions(bucket, index, "aws_s3_bucket_lifecycle_configuration")) {
    for (const rule of asList(config.body.rule)) {
      const days = first(rule.noncurrent_version_expiration)?.noncurrent_days;
      if (days !== undefined) parts.push(`old versions kept ${readable(days)} days`);
    }
  }
  if (companions(bucket, index, "aws_s3_bucket_object_lock_configuration").length) parts.push("object lock");
  return { text: parts.join(", "), concern: versioning !== "Enabled" };
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
    backup: (store) => {
      const days = store.body.backup_retention_period ?? 1;
      const window = literal(store.body.preferred_backup_window);
      const parts = [`backups + PITR ${readable(days)} days${window ? ` (window ${window} UTC)` : ""}`];
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
      if (store.body.replication_source_identifier) {
        return { text: `replica of ${readable(store.body.replication_source_identifier)}` };
      }
      return { text: "none (single region)" };
    },
  },
  {
    type: "aws_db_instance",
    kind: (store) => `RDS instance (${literal(store.body.engine) ?? "?"})`,
    encryption: (store, index) =>
      store.body.storage_encrypted === true
        ? kmsOr(store.body.kms_key_id, index, { text: "AWS managed key aws/rds" })
        : notEncrypted,
    backup: (store) => ({
      text: `backups + PITR ${readable(store.body.backup_retention_period ?? 0)} days`,
      concern: !store.body.backup_retention_period,
    }),
    replication: (store) =>
      store.body.replicate_source_db
        ? { text: `replica of ${readable(store.body.replicate_source_db)}` }
        : { text: "none (single region)" },
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
    replication: (store, index) => {
      const regions = [
        ...asList(store.body.replica).map((replica) => readable(replica.region_name)),
        ...index.pointingAt(store, ["aws_dynamodb_table_replica"], "global_table_arn").map((replica) =>
          replica.region
        ),
      ];
      return regions.length ? { text: `global table replicas: ${regions.join(", ")}` } : regionalOnly;
    },
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
    type: "aws_secretsmanager_secret",
    kind: () => "Secrets Manager secret",
    encryption: (store, index) =>
      kmsOr(store.body.kms_key_id, index, { text: "AWS managed key aws/secretsmanager" }),
    backup: (store) => ({
      text: `recovery window ${readable(store.body.recovery_window_in_days ?? 30)} days`,
    }),
    replication: (store) => {
      const regions = asList(store.body.replica).map((replica) => readable(replica.region));
      return regions.length ? { text: `replicas: ${regions.join(", ")}` } : regionalOnly;
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
    type: "aws_sqs_queue",
    kind: () => "SQS queue",
    encryption: (store, index) =>
      store.body.kms_master_key_id
        ? { text: keyText(store.body.kms_master_key_id, index) }
        : store.body.sqs_managed_sse_enabled === false
        ? notEncrypted
        : { text: "SQS managed SSE" },
    backup: (store) => ({
      text: `messages kept ${readable(store.body.message_retention_seconds ?? 345600)} s`,
    }),
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
];

/** The data stores of the stack, in table order, then by region and name. */
export function dataStores(index: ResourceIndex): DataStore[] {
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
