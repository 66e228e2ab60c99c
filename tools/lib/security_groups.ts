// Security-group rules (per-rule resources, and the inline blocks of a group) and which groups a resource sits
// in: the network graph the review and the diagram read.
import {
  asList,
  compareText,
  first,
  type Json,
  literal,
  type StackIndex,
  type StackResource,
} from "../../modules/stack_index.ts";
import { type Coverage, hasKey } from "./coverage.ts";

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

/** A resource that names security groups, or a group or a rule itself. */
const SECURITY_GROUP_KEY = /security_group/;

export const SECURITY_GROUP_COVERAGE: Coverage = {
  claims: (resource) => SECURITY_GROUP_KEY.test(resource.type) || hasKey(resource.body, SECURITY_GROUP_KEY),
  leavesOut: {},
};

const RULE_TYPES = ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"];
/** Groups whose inline `ingress` / `egress` blocks are rules (the default group's are emitted empty). */
const INLINE_RULE_TYPES = ["aws_security_group", "aws_default_security_group"];

function inlineRules(group: StackResource, index: StackIndex): SecurityGroupRule[] {
  return (["ingress", "egress"] as const).flatMap((direction) =>
    asList(group.body[direction]).map((block) => ({
      address: group.address,
      region: group.region,
      direction,
      securityGroup: group,
      protocol: protocolName(block.protocol),
      fromPort: port(block.from_port),
      toPort: port(block.to_port),
      cidrs: [...asList(block.cidr_blocks), ...asList(block.ipv6_cidr_blocks)].map(String),
      peerGroups: index.referenced(block.security_groups, GROUP_TYPE),
      description: literal(block.description) ?? "",
    }))
  );
}

/** Every security-group rule of the stack, sorted by address then direction. */
export function securityGroupRules(index: StackIndex): SecurityGroupRule[] {
  const rules: SecurityGroupRule[] = index.ofType(...RULE_TYPES).map((resource) => ({
    address: resource.address,
    region: resource.region,
    direction: resource.type.endsWith("ingress_rule") ? "ingress" : "egress",
    securityGroup: index.referenced(resource.body.security_group_id, GROUP_TYPE)[0],
    protocol: protocolName(resource.body.ip_protocol),
    fromPort: port(resource.body.from_port),
    toPort: port(resource.body.to_port),
    cidrs: [resource.body.cidr_ipv4, resource.body.cidr_ipv6].filter((cidr) => typeof cidr === "string"),
    peerGroups: index.referenced(resource.body.referenced_security_group_id, GROUP_TYPE),
    description: literal(resource.body.description) ?? "",
  }));
  for (const group of index.ofType(...INLINE_RULE_TYPES)) rules.push(...inlineRules(group, index));
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
export const GROUP_ATTRIBUTES: Readonly<Record<string, readonly (readonly string[])[]>> = {
  aws_lb: [["security_groups"]],
  aws_rds_cluster: [["vpc_security_group_ids"]],
  aws_lambda_function: [["vpc_config", "*", "security_group_ids"]],
  aws_launch_template: [["vpc_security_group_ids"]],
};

function valuesAt(body: Json, path: readonly string[]): Json[] {
  if (path.length === 0) return [body];
  const [head, ...rest] = path;
  if (head === "*") return asList(body).flatMap((item) => valuesAt(item, rest));
  return body && typeof body === "object" ? valuesAt(body[head], rest) : [];
}

/** The launch template an autoscaling group launches from. */
export function launchTemplateOf(group: StackResource, index: StackIndex): StackResource | undefined {
  return index.referenced(first(group.body.launch_template), ["aws_launch_template"])[0];
}

/** The security groups a resource sits in (an autoscaling group: those of its launch template). */
export function securityGroupsOf(resource: StackResource, index: StackIndex): StackResource[] {
  if (resource.type === "aws_autoscaling_group") {
    const template = launchTemplateOf(resource, index);
    return template ? securityGroupsOf(template, index) : [];
  }
  const paths = GROUP_ATTRIBUTES[resource.type] ?? [];
  return index.referenced(paths.flatMap((path) => valuesAt(resource.body, path)), GROUP_TYPE);
}
