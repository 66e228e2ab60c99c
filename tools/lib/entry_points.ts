// Public entry points of a synthesized stack: DNS names, internet-facing load balancers with their listeners and
// web ACLs, security-group rules open to the internet, and S3 buckets without a complete public access block.
import {
  asList,
  compareText,
  displayName,
  first,
  type Json,
  literal,
  type StackIndex,
  type StackResource,
} from "../../modules/stack_index.ts";
import { isOpenToWorld, portText, securityGroupRules, securityGroupsOf } from "./security_groups.ts";
import { code, flagged, readable, tableOr } from "./markdown.ts";
import { type Coverage, typesMatching } from "./coverage.ts";

export const ENTRY_POINT_COVERAGE: Coverage = {
  claims: typesMatching(
    /^aws_(lb|alb|elb)(_|$)|^aws_route53_record$|^aws_lambda_function_url$|^aws_api_?gateway|^aws_cloudfront_|^aws_eip$|^aws_instance$|^aws_globalaccelerator_|^aws_wafv2_|^aws_s3_bucket(_public_access_block|_policy|_acl|_website_configuration)?$/,
  ),
  leavesOut: {
    aws_eip: "NAT gateway addresses: outbound only, nothing listens on them",
    aws_s3_bucket_policy:
      "a complete public access block (read here) makes a public bucket policy ineffective",
  },
};

export interface ListenerEntry {
  readonly port: string;
  readonly protocol: string;
  readonly action: string;
}

export interface LoadBalancerEntry {
  readonly address: string;
  readonly name: string;
  readonly region: string;
  readonly type: string;
  readonly listeners: readonly ListenerEntry[];
  readonly securityGroups: readonly string[];
  /** Web ACLs (WAF) in front of it. */
  readonly webAcls: readonly string[];
}

export interface OpenRuleEntry {
  readonly address: string;
  readonly region: string;
  readonly securityGroup: string;
  readonly direction: "ingress" | "egress";
  readonly protocol: string;
  readonly ports: string;
  readonly cidrs: readonly string[];
  readonly description: string;
}

export interface DnsEntry {
  readonly address: string;
  readonly name: string;
  readonly type: string;
  readonly routing: string;
  readonly target: string;
  readonly healthCheck: string;
}

export interface OtherEntry {
  readonly address: string;
  readonly region: string;
  readonly what: string;
  readonly concern: boolean;
}

export interface PublicEntryPoints {
  readonly loadBalancers: readonly LoadBalancerEntry[];
  readonly internalLoadBalancers: number;
  readonly openRules: readonly OpenRuleEntry[];
  readonly dns: readonly DnsEntry[];
  readonly other: readonly OtherEntry[];
}

function listenerAction(listener: StackResource, index: StackIndex): string {
  return asList(listener.body.default_action).map((action: Json) => {
    if (action.type === "redirect") {
      const redirect = first(action.redirect) ?? {};
      return `redirect to ${redirect.protocol ?? "#{protocol}"}:${redirect.port ?? "#{port}"} (${
        redirect.status_code ?? "HTTP_301"
      })`;
    }
    if (action.type !== "forward") return String(action.type ?? "?");
    const groups = index.referenced(action.target_group_arn, ["aws_lb_target_group"]);
    return `forward to ${
      groups.map((group) =>
        `${displayName(group)} (${group.body.protocol ?? "HTTP"}:${group.body.port ?? "?"})`
      )
        .join(", ") || readable(action.target_group_arn)
    }`;
  }).join("; ");
}

function loadBalancerEntry(balancer: StackResource, index: StackIndex): LoadBalancerEntry {
  return {
    address: balancer.address,
    name: displayName(balancer),
    region: balancer.region,
    type: literal(balancer.body.load_balancer_type) ?? "application",
    listeners: index.pointingAt(balancer, ["aws_lb_listener"], "load_balancer_arn")
      .map((listener) => ({
        port: readable(listener.body.port ?? ""),
        protocol: [
          readable(listener.body.protocol ?? "HTTP"),
          listener.body.ssl_policy ? `(${readable(listener.body.ssl_policy)})` : "",
        ].filter(Boolean).join(" "),
        action: listenerAction(listener, index),
      }))
      .sort((a, b) => Number(a.port) - Number(b.port) || compareText(a.port, b.port)),
    securityGroups: securityGroupsOf(balancer, index).map(displayName),
    webAcls: index.pointingAt(balancer, ["aws_wafv2_web_acl_association"], "resource_arn")
      .flatMap((association) => index.referenced(association.body.web_acl_arn, ["aws_wafv2_web_acl"]))
      .map(displayName),
  };
}

function dnsEntry(record: StackResource, index: StackIndex): DnsEntry {
  const body = record.body;
  const alias = first(body.alias);
  const weighted = first(body.weighted_routing_policy);
  const routing = weighted ? `weighted ${readable(weighted.weight)}` : "simple";
  const aliasTarget = alias ? index.referenced(alias.name)[0] : undefined;
  const target = alias
    ? `alias ${aliasTarget ? `${displayName(aliasTarget)} (${aliasTarget.region})` : readable(alias.name)}${
      alias.evaluate_target_health === true ? ", evaluates target health" : ""
    }`
    : asList(body.records).map(readable).join(", ");
  const check = index.referenced(body.health_check_id, ["aws_route53_health_check"])[0];
  const zone = index.referenced(body.zone_id, ["aws_route53_zone"])[0];
  const name = readable(body.name ?? "");
  return {
    address: record.address,
    name: zone && !name.includes(".") ? `${name}.${displayName(zone)}` : name,
    type: readable(body.type ?? ""),
    routing: `${routing}${body.set_identifier ? ` (${readable(body.set_identifier)})` : ""}`,
    target,
    healthCheck: check ? check.logicalId : body.health_check_id ? readable(body.health_check_id) : "",
  };
}

const PUBLIC_ACCESS_BLOCKS = [
  "block_public_acls",
  "block_public_policy",
  "ignore_public_acls",
  "restrict_public_buckets",
];

/** Buckets without a public access block that sets all four switches. */
function openBuckets(index: StackIndex): OtherEntry[] {
  return index.ofType("aws_s3_bucket").filter((bucket) => {
    const block = index.pointingAt(bucket, ["aws_s3_bucket_public_access_block"], "bucket")[0]?.body;
    return !block || !PUBLIC_ACCESS_BLOCKS.every((key) => block[key] === true);
  }).map((bucket) => ({
    address: bucket.address,
    region: bucket.region,
    what: `S3 bucket ${displayName(bucket)} without a complete public access block`,
    concern: true,
  }));
}

export function publicEntryPoints(index: StackIndex): PublicEntryPoints {
  const balancers = index.ofType("aws_lb");
  const internetFacing = balancers.filter((balancer) => balancer.body.internal !== true);
  const openRules = securityGroupRules(index).filter(isOpenToWorld).map((rule) => ({
    address: rule.address,
    region: rule.region,
    securityGroup: rule.securityGroup ? displayName(rule.securityGroup) : "?",
    direction: rule.direction,
    protocol: rule.protocol,
    ports: portText(rule),
    cidrs: rule.cidrs,
    description: rule.description,
  }));
  return {
    loadBalancers: internetFacing.map((balancer) => loadBalancerEntry(balancer, index)),
    internalLoadBalancers: balancers.length - internetFacing.length,
    openRules,
    dns: index.ofType("aws_route53_record").map((record) => dnsEntry(record, index)),
    other: openBuckets(index),
  };
}

export function entryPointsSection(index: StackIndex): string {
  const entry = publicEntryPoints(index);
  const ingress = entry.openRules.filter((rule) => rule.direction === "ingress");
  const egress = entry.openRules.filter((rule) => rule.direction === "egress");
  const ruleRows = (rules: readonly OpenRuleEntry[]) =>
    rules.map((rule) => [
      rule.region,
      rule.securityGroup,
      rule.protocol,
      rule.ports,
      rule.cidrs.join(", "),
      rule.description,
      code(rule.address),
    ]);
  const ruleHeaders = [
    "region",
    "security group",
    "protocol",
    "ports",
    "from / to",
    "description",
    "resource",
  ];
  return [
    "## Public entry points",
    "",
    "### DNS names",
    "",
    tableOr(
      ["name", "type", "routing", "answers with", "health check"],
      entry.dns.map((
        record,
      ) => [record.name, record.type, record.routing, record.target, record.healthCheck]),
      "No DNS records in the stack.",
    ),
    "",
    "### Internet-facing load balancers",
    "",
    tableOr(
      ["load balancer", "region", "listeners (port protocol: action)", "security groups", "web ACL"],
      entry.loadBalancers.map((balancer) => [
        `${balancer.name} (${balancer.type})`,
        balancer.region,
        balancer.listeners.map((listener) => `${listener.port} ${listener.protocol}: ${listener.action}`)
          .join("\n") ||
        "no listeners",
        balancer.securityGroups.join(", "),
        balancer.webAcls.join(", ") || flagged("none"),
      ]),
      "No internet-facing load balancers in the stack.",
    ) + (entry.internalLoadBalancers ? `\n\nInternal load balancers: ${entry.internalLoadBalancers}.` : ""),
    "",
    "### Security-group ingress open to the internet (0.0.0.0/0, ::/0)",
    "",
    tableOr(ruleHeaders, ruleRows(ingress), "None."),
    "",
    "### Security-group egress to the internet",
    "",
    tableOr(ruleHeaders, ruleRows(egress), "None."),
    "",
    "### Other exposure",
    "",
    tableOr(
      ["resource", "region", "what"],
      entry.other.map((
        item,
      ) => [code(item.address), item.region, item.concern ? flagged(item.what) : item.what]),
      "None: every S3 bucket has a complete public access block.",
    ),
  ].join("\n");
}
