// The findings of the data-store table: a KMS key as a reviewer reads it, and what an S3 bucket's companion
// resources (encryption, versioning, lifecycle, replication) say about it.
import {
  asList,
  displayName,
  first,
  type Json,
  pointsTo,
  type StackIndex,
  type StackResource,
} from "../../modules/stack_index.ts";
import { readable } from "./markdown.ts";

export interface Finding {
  readonly text: string;
  /** True when a reviewer should look at it (shown bold with a marker). */
  readonly concern?: boolean;
}

/** A KMS key reference as a reviewer reads it: `KMS aws_kms_key.kms_primary (us-east-1)`. */
export function keyText(value: Json, index: StackIndex): string {
  const key = index.referenced(value, ["aws_kms_key"])[0];
  return key ? `KMS ${key.address} (${key.region || "unknown region"})` : `KMS ${readable(value)}`;
}

export const notEncrypted: Finding = { text: "not encrypted", concern: true };
export const notApplicable: Finding = { text: "n/a" };
export const regionalOnly: Finding = { text: "none (regional)" };

export function kmsOr(value: Json, index: StackIndex, fallback: Finding): Finding {
  return value === undefined || value === "" ? fallback : { text: keyText(value, index) };
}

function companions(store: StackResource, index: StackIndex, type: string): StackResource[] {
  return index.pointingAt(store, [type], "bucket");
}

export function retentionDays(days: Json): Finding {
  if (days === undefined || days === 0) return { text: "kept forever (no retention)" };
  return { text: `retention ${readable(days)} days` };
}

export function bucketReplication(bucket: StackResource, index: StackIndex): Finding {
  const lines: string[] = [];
  let concern = false;
  for (const config of companions(bucket, index, "aws_s3_bucket_replication_configuration")) {
    for (const rule of asList(config.body.rule)) {
      const destination = first(rule.destination) ?? {};
      const target = index.referenced(destination.bucket, ["aws_s3_bucket"])[0];
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
      const source = index.referenced(config.body.bucket, ["aws_s3_bucket"])[0];
      lines.push(
        `from ${source ? `${displayName(source)} (${source.region})` : readable(config.body.bucket)}`,
      );
    }
  }
  return lines.length ? { text: [...new Set(lines)].join("\n"), concern } : { text: "none" };
}

export function bucketEncryption(bucket: StackResource, index: StackIndex): Finding {
  const rules = companions(bucket, index, "aws_s3_bucket_server_side_encryption_configuration")
    .flatMap((config) => asList(config.body.rule));
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

export function bucketBackup(bucket: StackResource, index: StackIndex): Finding {
  const versioning = companions(bucket, index, "aws_s3_bucket_versioning")
    .map((config) => first(config.body.versioning_configuration)?.status)[0];
  const parts = [`versioning ${versioning ?? "off"}`];
  for (const config of companions(bucket, index, "aws_s3_bucket_lifecycle_configuration")) {
    for (const rule of asList(config.body.rule)) {
      const days = first(rule.noncurrent_version_expiration)?.noncurrent_days;
      if (days !== undefined) parts.push(`old versions kept ${readable(days)} days`);
    }
  }
  return { text: parts.join(", "), concern: versioning !== "Enabled" };
}
