// Security-group rules in all three Terraform forms (per-rule resources, aws_security_group_rule, inline
// blocks), and which groups a resource sits in: the network graph the review and the diagram read.
import {
  asList,
  compareText,
  first,
  type Json,
  literal,
  referencedResources,
  ResourceIndex,
  type StackResource,
} from "./stack_json.ts";

export const WORLD_CIDRS: readonly string[] = ["0.0.0.0/0", "::/0"];

export interface SecurityGroupRule {
  /** Address of the resource holding the rule (the group itself for inline rules). */
  readonly address: string;
  readonly region: string;
  readonly direction: "ingress" | "egress";
  /** The group the rule belongs to, when it is a resource of the stack. */
  readonly securityGroup?: StackResource;
  /** `tcp`, `udp`, `icmp` or `all`. */
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidrs: readonly string[];
  /** Groups named as source (ingress) or destination (egress). */
  readonly peerGroups: readonly StackResource[];
  readonly description: string;
}

const GROUP_TYPE = ["aws_security_group"];

function protocolName(value: Json): string {
  const text = String(value ?? "all").toLowerCase();
  return text === "-1" || text === "all" ? "all" : text === "6" ? "tcp" : text === "17" ? "udp" : text;
}

function port(value: Json): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/** Every security-group rule of the stack, sorted by address then direction. */
export function securityGroupRules(index: ResourceIndex): SecurityGroupRule[] {
  const rules: SecurityGroupRule[] = [];
  const groupOf = (value: Json) => referencedResources(value, index, GROUP_TYPE)[0];
  for (
    const resource of index.ofType(
      "aws_vpc_security_group_ingress_rule",
      "aws_vpc_security_group_egress_rule",
    )
  ) {
    const body = resource.body;
    rules.push({
      address: resource.address,
      region: resource.region,
      direction: resource.type.endsWith("ingress_rule") ? "ingress" : "egress",
      securityGroup: groupOf(body.security_group_id),
      protocol: protocolName(body.ip_protocol),
      fromPort: port(body.from_port),
      toPort: port(body.to_port),
      cidrs: [body.cidr_ipv4, body.cidr_ipv6].filter((cidr) => typeof cidr === "string"),
      peerGroups: referencedResources(body.referenced_security_group_id, index, GROUP_TYPE),
      description: literal(body.description) ?? "",
    });
  }
  for (const resource of index.ofType("aws_security_group_rule")) {
    const body = resource.body;
    rules.push({
      address: resource.address,
      region: resource.region,
      direction: body.type === "egress" ? "egress" : "ingress",
      securityGroup: groupOf(body.security_group_id),
      protocol: protocolName(body.protocol),
      fromPort: port(body.from_port),
      toPort: port(body.to_port),
      cidrs: [...asList(body.cidr_blocks), ...asList(body.ipv6_cidr_blocks)].map(String),
      peerGroups: referencedResources(body.source_security_group_id, index, GROUP_TYPE),
      description: literal(body.description) ?? "",
    });
  }
  for (const group of index.ofType("aws_security_group", "aws_default_security_group")) {
    for (const direction of ["ingress", "egress"] as const) {
      for (const block of asList(group.body[direction])) {
        rules.push({
          address: group.address,
          region: group.region,
          direction,
          securityGroup: group,
          protocol: protocolName(block.protocol),
          fromPort: port(block.from_port),
          toPort: port(block.to_port),
          cidrs: [...asList(block.cidr_blocks), ...asList(block.ipv6_cidr_blocks)].map(String),
          peerGroups: referencedResources(block.security_groups, index, GROUP_TYPE),
          description: literal(block.description) ?? "",
        });
      }
    }
  }
  return rules.sort((a, b) => compareText(a.address, b.address) || compareText(a.direction, b.direction));
}

/** `443`, `8000-8100`, or `all`. */
export function portText(rule: Pick<SecurityGroupRule, "protocol" | "fromPort" | "toPort">): string {
  if (rule.protocol === "all") return "all";
  if (rule.fromPort === undefined) return "all";
  if (rule.fromPort === rule.toPort || rule.toPort === undefined) return String(rule.fromPort);
  if (rule.fromPort === 0 && rule.toPort === 65535) return "all";
  return `${rule.fromPort}-${rule.toPort}`;
}

export function isOpenToWorld(rule: SecurityGroupRule): boolean {
  return rule.cidrs.some((cidr) => WORLD_CIDRS.includes(cidr));
}

/** Where each type names its security groups (paths into the body; `*` = every item of a block). */
const GROUP_ATTRIBUTES: Readonly<Record<string, readonly string[][]>> = {
  aws_lb: [["security_groups"]],
  aws_alb: [["security_groups"]],
  aws_rds_cluster: [["vpc_security_group_ids"]],
  aws_db_instance: [["vpc_security_group_ids"]],
  aws_lambda_function: [["vpc_config", "*", "security_group_ids"]],
  aws_instance: [["vpc_security_group_ids"], ["security_groups"]],
  aws_launch_template: [["vpc_security_group_ids"], ["security_group_names"], [
    "network_interfaces",
    "*",
    "security_groups",
  ]],
  aws_elasticache_replication_group: [["security_group_ids"]],
  aws_vpc_endpoint: [["security_group_ids"]],
};

function valuesAt(body: Json, path: readonly string[]): Json[] {
  if (path.length === 0) return [body];
  const [head, ...rest] = path;
  if (head === "*") return asList(body).flatMap((item) => valuesAt(item, rest));
  return body && typeof body === "object" ? valuesAt(body[head], rest) : [];
}

/** The launch template an autoscaling group launches from (plain or mixed-instances form). */
export function launchTemplateOf(group: StackResource, index: ResourceIndex): StackResource | undefined {
  const spec = first(group.body.launch_template) ??
    first(first(first(group.body.mixed_instances_policy)?.launch_template)?.launch_template_specification);
  return referencedResources(spec, index, ["aws_launch_template"])[0];
}

/** The security groups a resource sits in (an autoscaling group: those of its launch template). */
export function securityGroupsOf(resource: StackResource, index: ResourceIndex): StackResource[] {
  if (resource.type === "aws_autoscaling_group") {
    const template = launchTemplateOf(resource, index);
    return template ? securityGroupsOf(template, index) : [];
  }
  const paths = GROUP_ATTRIBUTES[resource.type] ?? [];
  const values = paths.flatMap((path) => valuesAt(resource.body, path));
  return referencedResources(values, index, GROUP_TYPE);
}
