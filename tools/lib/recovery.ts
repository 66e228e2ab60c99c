// The recovery section: the recovery-time budget (given as Markdown), the RPO mechanisms in the stack, and
// the detection / decision path (Route 53 health checks, alarms, composite alarms, EventBridge rules).
import {
  asList,
  displayName,
  first,
  type Json,
  literal,
  referenceOf,
  type StackIndex,
  type StackResource,
} from "../../modules/stack_index.ts";
import { code, flagged, readable, tableOr } from "./markdown.ts";
import { type Coverage, typesMatching } from "./coverage.ts";

export const RECOVERY_COVERAGE: Coverage = {
  claims: typesMatching(
    /^aws_cloudwatch_(metric_alarm|composite_alarm|event_rule|event_target)$|^aws_route53_health_check$|replication|^aws_rds_global_cluster$|parameter_group$/,
  ),
  leavesOut: {},
};

/** Alarm metrics that measure replication (RPO). */
const REPLICATION_METRIC = /replication|rpo|lag/i;

const COMPARISON: Readonly<Record<string, string>> = {
  GreaterThanOrEqualToThreshold: ">=",
  GreaterThanThreshold: ">",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "<=",
};

function alarmMetric(alarm: StackResource): string {
  return `${readable(alarm.body.namespace ?? "")}/${readable(alarm.body.metric_name)}`;
}

function alarmCondition(alarm: StackResource): string {
  const body = alarm.body;
  const operator = COMPARISON[body.comparison_operator] ?? readable(body.comparison_operator ?? "");
  const period = body.period !== undefined ? ` over ${readable(body.period)} s` : "";
  const evaluation = body.evaluation_periods !== undefined
    ? `, ${readable(body.datapoints_to_alarm ?? body.evaluation_periods)} of ${
      readable(body.evaluation_periods)
    }`
    : "";
  return `${body.statistic ?? ""} ${operator} ${readable(body.threshold ?? "")}${period}${evaluation}`.trim();
}

/** An expression with each `${type.id.attr}` whose argument is a literal replaced by it (alarm names). */
function withNames(value: Json, index: StackIndex): string {
  return String(value ?? "").replace(/\$\{[^}]*\}/g, (expression) => {
    const reference = referenceOf(expression);
    const target = reference && index.get(reference.type, reference.logicalId);
    return (target && literal(target.body[reference.attribute])) ?? readable(expression);
  });
}

function targetNames(value: Json, index: StackIndex): string {
  const targets = index.referenced(value);
  const literals = asList(value).filter((item) => literal(item) !== undefined);
  return [...targets.map((target) => `${displayName(target)} (${target.type})`), ...literals].join("\n");
}

export interface RpoMechanism {
  readonly mechanism: string;
  readonly where: string;
  readonly detail: string;
}

export function rpoMechanisms(index: StackIndex): RpoMechanism[] {
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
  for (const group of index.ofType("aws_rds_cluster_parameter_group")) {
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
    const source = index.referenced(config.body.bucket, ["aws_s3_bucket"])[0];
    for (const rule of asList(config.body.rule)) {
      const destination = first(rule.destination) ?? {};
      const target = index.referenced(destination.bucket, ["aws_s3_bucket"])[0];
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
  for (const alarm of index.ofType("aws_cloudwatch_metric_alarm")) {
    if (!REPLICATION_METRIC.test(String(alarm.body.metric_name ?? ""))) continue;
    result.push({
      mechanism: "replication alarm",
      where: `${displayName(alarm)} (${alarm.region})`,
      detail: `${alarmMetric(alarm)} ${alarmCondition(alarm)}`,
    });
  }
  return result;
}

/** One row of the health-check table: what the check watches, how often, after how many failures. */
function healthCheckRow(check: StackResource, index: StackIndex): string[] {
  const body = check.body;
  const target = body.type === "CALCULATED"
    ? `${readable(body.child_health_threshold ?? "?")} of: ${
      index.referenced(body.child_healthchecks).map((child) => child.logicalId).join(", ")
    }`
    : body.type === "CLOUDWATCH_METRIC"
    ? `alarm ${targetNames(body.cloudwatch_alarm_name, index) || readable(body.cloudwatch_alarm_name)} in ${
      readable(body.cloudwatch_alarm_region ?? "")
    } (insufficient data: ${readable(body.insufficient_data_health_status ?? "LastKnownStatus")})`
    : `${targetNames(body.fqdn, index) || readable(body.fqdn ?? "")} port ${readable(body.port ?? "")}${
      body.resource_path ? ` path ${readable(body.resource_path)}` : ""
    }`;
  return [
    code(check.logicalId),
    readable(body.type ?? ""),
    target,
    body.request_interval !== undefined ? `${readable(body.request_interval)} s` : "",
    readable(body.failure_threshold ?? ""),
  ];
}

/** The EventBridge rule table row: its trigger, state and targets. */
function eventRuleRow(rule: StackResource, index: StackIndex): string[] {
  const targets = index.pointingAt(rule, ["aws_cloudwatch_event_target"], "rule")
    .map((target) => targetNames(target.body.arn, index) || readable(target.body.arn));
  return [
    displayName(rule),
    rule.region,
    rule.body.schedule_expression
      ? readable(rule.body.schedule_expression)
      : readable(rule.body.event_pattern ?? ""),
    rule.body.state === "DISABLED" ? flagged("disabled") : "enabled",
    targets.join("\n"),
  ];
}

/** The section; `budget` is Markdown (the budget itself, or a sentence saying why there is none). */
export function recoverySection(index: StackIndex, budget: string): string {
  const checks = index.ofType("aws_route53_health_check").map((check) => healthCheckRow(check, index));
  const alarms = index.ofType("aws_cloudwatch_metric_alarm").map((alarm) => [
    displayName(alarm),
    alarm.region,
    alarmMetric(alarm),
    alarmCondition(alarm),
    readable(alarm.body.treat_missing_data ?? "missing"),
    targetNames(alarm.body.alarm_actions, index),
  ]);
  const composites = index.ofType("aws_cloudwatch_composite_alarm").map((alarm) => [
    displayName(alarm),
    alarm.region,
    withNames(alarm.body.alarm_rule, index),
    targetNames(alarm.body.alarm_actions, index),
  ]);
  const rules = index.ofType("aws_cloudwatch_event_rule").map((rule) => eventRuleRow(rule, index));
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
    "### Decision: composite alarms",
    "",
    tableOr(["alarm", "region", "rule", "actions"], composites, "No composite alarms."),
    "",
    "### Decision: EventBridge rules",
    "",
    tableOr(["rule", "region", "trigger", "state", "targets"], rules, "No EventBridge rules."),
  ].join("\n");
}
