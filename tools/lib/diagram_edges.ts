// The arrows of the architecture diagram, each family read from the references between resources: DNS and health
// checks, load balancer -> autoscaling group, compute -> database (through security-group rules), replication.
import {
  asList,
  compareText,
  first,
  pointsTo,
  type StackIndex,
  type StackResource,
} from "../../modules/stack_index.ts";
import { readable } from "./markdown.ts";
import { portText, securityGroupRules, securityGroupsOf } from "./security_groups.ts";

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly style: "flow" | "replication" | "association";
}

/** Adds an arrow when both ends are drawn. */
export type AddEdge = (
  from: StackResource,
  to: StackResource,
  label: string,
  style: DiagramEdge["style"],
) => void;

export function nodeId(resource: StackResource): string {
  return `${resource.type.replace(/^aws_/, "")}_${resource.logicalId}`.replace(/[^A-Za-z0-9_]/g, "_");
}

/** Zone -> record -> alias target (weights); health checks -> record, children, probed endpoints. */
export function dnsEdges(index: StackIndex, edge: AddEdge): void {
  for (const record of index.ofType("aws_route53_record")) {
    for (const zone of index.referenced(record.body.zone_id, ["aws_route53_zone"])) {
      edge(zone, record, "", "association");
    }
    const weight = first(record.body.weighted_routing_policy)?.weight;
    const label = weight !== undefined ? `weight ${readable(weight)}` : "";
    for (const target of index.referenced([first(record.body.alias)?.name, record.body.records])) {
      edge(record, target, label, "flow");
    }
    for (const check of index.referenced(record.body.health_check_id, ["aws_route53_health_check"])) {
      edge(check, record, "health", "association");
    }
  }
  for (const check of index.ofType("aws_route53_health_check")) {
    for (const child of index.referenced(check.body.child_healthchecks, ["aws_route53_health_check"])) {
      edge(child, check, "", "association");
    }
    for (const target of index.referenced(check.body.fqdn)) {
      edge(check, target, "probes", "association");
    }
  }
}

/** Load balancer -> autoscaling group, through listeners forwarding to the group's target groups. */
export function webEdges(index: StackIndex, edge: AddEdge): void {
  const listeners = index.ofType("aws_lb_listener");
  for (const group of index.ofType("aws_autoscaling_group")) {
    const targetGroups = index.referenced(group.body.target_group_arns, ["aws_lb_target_group"]);
    for (const balancer of index.ofType("aws_lb")) {
      const labels = new Set<string>();
      for (const listener of listeners.filter((item) => pointsTo(item.body.load_balancer_arn, balancer))) {
        const forwards = index.referenced(
          asList(listener.body.default_action).map((action) => action.target_group_arn),
          ["aws_lb_target_group"],
        );
        for (const targetGroup of forwards.filter((item) => targetGroups.includes(item))) {
          labels.add(
            `${readable(listener.body.protocol ?? "")} ${readable(listener.body.port ?? "")} to ${
              readable(targetGroup.body.port ?? "")
            }`.trim(),
          );
        }
      }
      if (labels.size) edge(balancer, group, [...labels].sort(compareText).join(", "), "flow");
    }
  }
}

/** Compute -> the databases the network lets it reach: ingress on the store's group from the caller's group. */
export function dataEdges(index: StackIndex, edge: AddEdge): void {
  const rules = securityGroupRules(index).filter((rule) =>
    rule.direction === "ingress" && rule.securityGroup
  );
  const callers = [...index.ofType("aws_autoscaling_group", "aws_lambda_function")];
  for (const store of index.ofType("aws_rds_cluster")) {
    const storeGroups = securityGroupsOf(store, index);
    for (const caller of callers) {
      const callerGroups = securityGroupsOf(caller, index);
      const ports = new Set<string>();
      for (const rule of rules) {
        if (!storeGroups.includes(rule.securityGroup!)) continue;
        if (rule.peerGroups.some((peer) => callerGroups.includes(peer))) ports.add(portText(rule));
      }
      if (ports.size) edge(caller, store, `SQL ${[...ports].sort(compareText).join(", ")}`, "flow");
    }
  }
}

/** Aurora global cluster members (primary role -> others) and S3 replication rules. */
export function replicationEdges(index: StackIndex, edge: AddEdge): void {
  for (const global of index.ofType("aws_rds_global_cluster")) {
    const members = index.pointingAt(global, ["aws_rds_cluster"], "global_cluster_identifier");
    for (const member of members) edge(global, member, "", "association");
    for (const source of members.filter((member) => member.role === "primary")) {
      for (const replica of members.filter((member) => member.role !== "primary")) {
        edge(source, replica, "storage replication", "replication");
      }
    }
  }
  for (const config of index.ofType("aws_s3_bucket_replication_configuration")) {
    const source = index.referenced(config.body.bucket, ["aws_s3_bucket"])[0];
    for (const rule of asList(config.body.rule)) {
      const destination = first(rule.destination) ?? {};
      const target = index.referenced(destination.bucket, ["aws_s3_bucket"])[0];
      const rtc = first(destination.replication_time)?.status === "Enabled" ? " (RTC)" : "";
      if (source && target) edge(source, target, `S3 replication${rtc}`, "replication");
    }
  }
}
