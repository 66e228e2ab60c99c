// The recovery section: the recovery-time budget (given as Markdown), the RPO mechanisms in the stack, and
// the detection / decision path (Route 53 health checks, alarms, EventBridge rules).
import {
  asList,
  displayName,
  first,
  type Json,
  literal,
  readable,
  referencedResources,
  ResourceIndex,
  type StackResource,
} from "./stack_json.ts";
import { code, flagged, tableOr } from "./markdown.ts";

/** Alarm metrics that measure replication (RPO). */
const REPLICATION_METRIC = /replication|rpo|lag/i;

const COMPARISON: Readonly<Record<string, string>> = {
  GreaterThanOrEqualToThreshold: ">=",
  GreaterThanThreshold: ">",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "<=",
  LessThanLowerOrGreaterThanUpperThreshold: "outside band",
  LessThanLowerThreshold: "< lower",
  GreaterThanUpperThreshold: "> upper",
};

function alarmMetric(alarm: StackResource): string {
  const body = alarm.body;
  if (body.metric_name) return `${readable(body.namespace ?? "")}/${readable(body.metric_name)}`;
  return asList(body.metric_query).map((query: Json) => {
    const metric = first(query.metric);
    return metric
      ? `${query.id}: ${readable(metric.namespace ?? "")}/${readable(metric.metric_name)}`
      : `${query.id} = ${readable(query.expression ?? "")}`;
  }).join("\n");
}

function alarmMetricNames(alarm: StackResource): string[] {
  return [
    alarm.body.metric_name,
    ...asList(alarm.body.metric_query).map((query: Json) => first(query.metric)?.metric_name),
  ]
    .filter((name) => typeof name === "string");
}

function alarmCondition(alarm: StackResource): string {
  const body = alarm.body;
  const operator = COMPARISON[body.comparison_operator] ?? readable(body.comparison_operator ?? "");
  const statistic = body.statistic ?? body.extended_statistic ?? "";
  const period = body.period !== undefined ? ` over ${readable(body.period)} s` : "";
  const evaluation = body.evaluation_periods !== undefined
    ? `, ${readable(body.datapoints_to_alarm ?? body.evaluation_periods)} of ${
      readable(body.evaluation_periods)
    }`
    : "";
  return `${statistic} ${operator} ${
    readable(body.threshold ?? body.threshold_metric_id ?? "")
  }${period}${evaluation}`
    .trim();
}

function targetNames(value: Json, index: ResourceIndex): string {
  const targets = referencedResources(value, index);
  const literals = asList(value).filter((item) => literal(item) !== undefined);
  return [...targets.map((target) => `${displayName(target)} (${target.type})`), ...literals].join("\n");
}

export interface RpoMechanism {
  readonly mechanism: string;
  readonly where: string;
  readonly detail: string;
}

export function rpoMechanisms(index: ResourceIndex): RpoMechanism[] {
  const result: RpoMechanism[] = [];
  for (const global of index.ofType("aws_rds_global_cluster")) {
    const members = index.pointingAt(global, ["aws_rds_cluster"], "global_cluster_identifier");
    result.push({
      mechanism: "Aurora Global Database (storage-level asynchronous replication)",
      where: displayName(global),
      detail: members.map((member) => `${member.role || "?"}: ${displayName(member)} (${member.region})`)
        .join("\n"),
    });
  }
  for (const group of index.ofType("aws_rds_cluster_parameter_group", "aws_db_parameter_group")) {
    for (const parameter of asList(group.body.parameter)) {
      if (parameter.name !== "rds.global_db_rpo") continue;
      result.push({
        mechanism: "commit guard `rds.global_db_rpo` (commits wait when no secondary is within the limit)",
        where: `${displayName(group)} (${group.region})`,
        detail: `${readable(parameter.value)} s`,
      });
    }
  }
  for (const config of index.ofType("aws_s3_bucket_replication_configuration")) {
    const source = referencedResources(config.body.bucket, index, ["aws_s3_bucket"])[0];
    for (const rule of asList(config.body.rule)) {
      const destination = first(rule.destination) ?? {};
      const target = referencedResources(destination.bucket, index, ["aws_s3_bucket"])[0];
      const time = first(destination.replication_time);
      result.push({
        mechanism: time?.status === "Enabled"
          ? `S3 replication with Replication Time Control (${first(time.time)?.minutes ?? 15} min SLA)`
          : "S3 replication (no RTC: no time SLA)",
        where: `${source ? displayName(source) : readable(config.body.bucket)} -> ${
          target ? displayName(target) : readable(destination.bucket)
        }`,
        detail: `rule ${readable(rule.id ?? "")} ${rule.status ?? ""}`.replace(/\s+/g, " ").trim(),
      });
    }
  }
  for (const table of index.ofType("aws_dynamodb_table")) {
    const replicas = asList(table.body.replica).map((replica) => readable(replica.region_name));
    if (replicas.length) {
      result.push({
        mechanism: "DynamoDB global table",
        where: displayName(table),
        detail: `replicas: ${replicas.join(", ")}`,
      });
    }
  }
  for (const alarm of index.ofType("aws_cloudwatch_metric_alarm")) {
    if (!alarmMetricNames(alarm).some((name) => REPLICATION_METRIC.test(name))) continue;
    result.push({
      mechanism: "replication alarm",
      where: `${displayName(alarm)} (${alarm.region})`,
      detail: `${alarmMetric(alarm)} ${alarmCondition(alarm)}`,
    });
  }
  return result;
}

/** The section; `budget` is Markdown (the budget itself, or a sentence saying why there is none). */
export function recoverySection(index: ResourceIndex, budget: string): string {
  const checks = index.ofType("aws_route53_health_check").map((check) => {
    const body = check.body;
    const target = body.type === "CALCULATED"
      ? `${readable(body.child_health_threshold ?? "?")} of: ${
        referencedResources(body.child_healthchecks, index).map((child) => child.logicalId).join(", ")
      }`
      : body.type === "CLOUDWATCH_METRIC"
      ? `alarm ${targetNames(body.cloudwatch_alarm_name, index) || readable(body.cloudwatch_alarm_name)} in ${
        readable(body.cloudwatch_alarm_region ?? "")
      } (insufficient data: ${readable(body.insufficient_data_health_status ?? "LastKnownStatus")})`
      : `${
        targetNames(body.fqdn ?? body.ip_address, index) || readable(body.fqdn ?? body.ip_address ?? "")
      } port ${readable(body.port ?? "")}${
        body.resource_path ? ` path ${readable(body.resource_path)}` : ""
      }`;
    return [
      code(check.logicalId),
      readable(body.type ?? ""),
      target,
      body.request_interval !== undefined ? `${readable(body.request_interval)} s` : "",
      readable(body.failure_threshold ?? ""),
    ];
  });
  const alarms = index.ofType("aws_cloudwatch_metric_alarm").map((alarm) => [
    displayName(alarm),
    alarm.region,
    alarmMetric(alarm),
    alarmCondition(alarm),
    readable(alarm.body.treat_missing_data ?? "missing"),
    targetNames(alarm.body.alarm_actions, index),
  ]);
  const rules = index.ofType("aws_cloudwatch_event_rule").map((rule) => {
    const targets = index.pointingAt(rule, ["aws_cloudwatch_event_target"], "rule")
      .map((target) => targetNames(target.body.arn, index) || readable(target.body.arn));
    return [
      displayName(rule),
      rule.region,
      rule.body.schedule_expression
        ? readable(rule.body.schedule_expression)
        : readable(rule.body.event_pattern ?? ""),
      rule.body.state === "DISABLED" || rule.body.is_enabled === false ? flagged("disabled") : "enabled",
      targets.join("\n"),
    ];
  });
  const rpo = rpoMechanisms(index);
  return [
    "## Recovery: time budget and RPO mechanisms",
    "",
    "### Recovery-time budget",
    "",
    budget,
    "",
    "### RPO mechanisms",
    "",
    tableOr(
      ["mechanism", "where", "detail"],
      rpo.map((item) => [item.mechanism, item.where, item.detail]),
      flagged("No replication in the stack: data written in one region exists only there."),
    ),
    "",
    "### Detection: Route 53 health checks",
    "",
    tableOr(
      ["health check", "type", "target", "interval", "failure threshold"],
      checks,
      "No Route 53 health checks.",
    ),
    "",
    "### Detection: alarms",
    "",
    tableOr(
      ["alarm", "region", "metric", "condition", "missing data", "actions"],
      alarms,
      "No CloudWatch alarms.",
    ),
    "",
    "### Decision: EventBridge rules",
    "",
    tableOr(["rule", "region", "trigger", "state", "targets"], rules, "No EventBridge rules."),
  ].join("\n");
}
