// Public entry points of a synthesized stack: DNS names, internet-facing load balancers with their listeners,
// security-group rules open to the internet (every rule form), and other exposure (function URLs, public
// APIs, public instance addresses, S3 buckets without a complete public access block).
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
import { isOpenToWorld, portText, securityGroupRules, securityGroupsOf } from "./security_groups.ts";
import { code, flagged, tableOr } from "./markdown.ts";

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

const LB_TYPES = ["aws_lb", "aws_alb"];
const LISTENER_TYPES = ["aws_lb_listener", "aws_alb_listener"];
const TARGET_GROUP_TYPES = ["aws_lb_target_group", "aws_alb_target_group"];

function listenerAction(listener: StackResource, index: ResourceIndex): string {
  return asList(listener.body.default_action).map((action: Json) => {
    switch (action.type) {
      case "redirect": {
        const redirect = first(action.redirect) ?? {};
        return `redirect to ${redirect.protocol ?? "#{protocol}"}:${redirect.port ?? "#{port}"} (${
          redirect.status_code ?? "HTTP_301"
        })`;
      }
      case "fixed-response":
        return `fixed response ${first(action.fixed_response)?.status_code ?? ""}`.trim();
      case "forward": {
        const groups = referencedResources(
          [action.target_group_arn, action.forward],
          index,
          TARGET_GROUP_TYPES,
        );
        return `forward to ${
          groups.map((group) =>
            `${displayName(group)} (${group.body.protocol ?? "HTTP"}:${group.body.port ?? "?"})`
          ).join(", ") || readable(action.target_group_arn)
        }`;
      }
      default:
        return String(action.type ?? "?");
    }
  }).join("; ");
}

export function publicEntryPoints(index: ResourceIndex): PublicEntryPoints {
  const balancers = index.ofType(...LB_TYPES);
  const internetFacing = balancers.filter((balancer) => balancer.body.internal !== true);
  const loadBalancers = internetFacing.map((balancer) => ({
    address: balancer.address,
    name: displayName(balancer),
    region: balancer.region,
    type: literal(balancer.body.load_balancer_type) ?? "application",
    listeners: index.ofType(...LISTENER_TYPES)
      .filter((listener) => pointsTo(listener.body.load_balancer_arn, balancer))
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
  }));
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
  const dns = index.ofType("aws_route53_record").map((record) => {
    const body = record.body;
    const alias = first(body.alias);
    const weighted = first(body.weighted_routing_policy);
    const failover = first(body.failover_routing_policy);
    const latency = first(body.latency_routing_policy);
    const routing = weighted
      ? `weighted ${readable(weighted.weight)}`
      : failover
      ? `failover ${readable(failover.type)}`
      : latency
      ? `latency ${readable(latency.region)}`
      : "simple";
    const aliasTarget = alias ? referencedResources(alias.name, index)[0] : undefined;
    const target = alias
      ? `alias ${aliasTarget ? `${displayName(aliasTarget)} (${aliasTarget.region})` : readable(alias.name)}${
        alias.evaluate_target_health === true ? ", evaluates target health" : ""
      }`
      : asList(body.records).map(readable).join(", ");
    const check = referencedResources(body.health_check_id, index, ["aws_route53_health_check"])[0];
    const zone = referencedResources(body.zone_id, index, ["aws_route53_zone"])[0];
    const name = readable(body.name ?? "");
    return {
      address: record.address,
      name: zone && !name.includes(".") ? `${name}.${displayName(zone)}` : name,
      type: readable(body.type ?? ""),
      routing: `${routing}${body.set_identifier ? ` (${readable(body.set_identifier)})` : ""}`,
      target,
      healthCheck: check ? check.logicalId : body.health_check_id ? readable(body.health_check_id) : "",
    };
  });
  const other: OtherEntry[] = [];
  for (const url of index.ofType("aws_lambda_function_url")) {
    const open = url.body.authorization_type === "NONE";
    other.push({
      address: url.address,
      region: url.region,
      what: `Lambda function URL, authorization ${readable(url.body.authorization_type)}`,
      concern: open,
    });
  }
  for (
    const api of index.ofType(
      "aws_api_gateway_rest_api",
      "aws_apigatewayv2_api",
      "aws_cloudfront_distribution",
    )
  ) {
    other.push({
      address: api.address,
      region: api.region,
      what: "public HTTP API / distribution",
      concern: false,
    });
  }
  for (const template of index.ofType("aws_launch_template")) {
    if (asList(template.body.network_interfaces).some((nic) => nic.associate_public_ip_address === true)) {
      other.push({
        address: template.address,
        region: template.region,
        what: "instances get public IP addresses",
        concern: true,
      });
    }
  }
  for (const bucket of index.ofType("aws_s3_bucket")) {
    const block = index.pointingAt(bucket, ["aws_s3_bucket_public_access_block"], "bucket")[0]?.body;
    const complete = block &&
      ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]
        .every((key) => block[key] === true);
    if (!complete) {
      other.push({
        address: bucket.address,
        region: bucket.region,
        what: `S3 bucket ${displayName(bucket)} without a complete public access block`,
        concern: true,
      });
    }
  }
  return {
    loadBalancers,
    internalLoadBalancers: balancers.length - internetFacing.length,
    openRules,
    dns,
    other,
  };
}

export function entryPointsSection(index: ResourceIndex): string {
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
      ["load balancer", "region", "listeners (port protocol: action)", "security groups"],
      entry.loadBalancers.map((balancer) => [
        `${balancer.name} (${balancer.type})`,
        balancer.region,
        balancer.listeners.map((listener) => `${listener.port} ${listener.protocol}: ${listener.action}`)
          .join("\n") ||
        "no listeners",
        balancer.securityGroups.join(", "),
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
      "None: no function URLs, public APIs, public instance addresses or S3 buckets without a public access block.",
    ),
  ].join("\n");
}
