// The architecture diagram (Mermaid flowchart) generated from the synthesized JSON: one subgraph per region,
// a global layer, data flows and replication arrows. What is drawn is decided by a table of resource types
// and by the references between resources, so a type that is not in the stack is simply not drawn.
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
import { portText, securityGroupRules, securityGroupsOf } from "./security_groups.ts";

export const DIAGRAM_START = "<!-- diagram:start -->";
export const DIAGRAM_END = "<!-- diagram:end -->";

interface NodeKind {
  readonly type: string;
  readonly scope: "regional" | "global";
  readonly label: (resource: StackResource, index: ResourceIndex) => string;
}

/** What the diagram draws, in drawing order. */
export const NODE_KINDS: readonly NodeKind[] = [
  { type: "aws_route53_zone", scope: "global", label: (zone) => `Route 53 zone<br/>${displayName(zone)}` },
  {
    type: "aws_route53_record",
    scope: "global",
    label: (record) => {
      const name = literal(record.body.name);
      const type = literal(record.body.type);
      // A name computed at apply (an ACM validation record) would show a raw Terraform expression.
      if (!name || !type) return `DNS record, name set at apply<br/>${record.logicalId}`;
      const set = literal(record.body.set_identifier);
      return `DNS ${type} ${name}${set ? `<br/>${set}` : ""}`;
    },
  },
  {
    type: "aws_route53_health_check",
    scope: "global",
    label: (check) => `health check ${readable(check.body.type ?? "")}<br/>${check.logicalId}`,
  },
  {
    type: "aws_rds_global_cluster",
    scope: "global",
    label: (cluster) => `Aurora global cluster<br/>${displayName(cluster)}`,
  },
  {
    type: "aws_vpc",
    scope: "regional",
    label: (vpc) => `VPC ${readable(vpc.body.cidr_block ?? "")}<br/>${displayName(vpc)}`,
  },
  { type: "aws_lb", scope: "regional", label: (balancer) => `ALB<br/>${displayName(balancer)}` },
  {
    type: "aws_autoscaling_group",
    scope: "regional",
    label: (group) =>
      `ASG ${readable(group.body.min_size ?? "?")}/${readable(group.body.desired_capacity ?? "?")}/${
        readable(group.body.max_size ?? "?")
      }<br/>${displayName(group)}`,
  },
  {
    type: "aws_rds_cluster",
    scope: "regional",
    label: (cluster, index) => {
      const instances = index.pointingAt(cluster, ["aws_rds_cluster_instance"], "cluster_identifier").length;
      const global = index.ofType("aws_rds_global_cluster").some((candidate) =>
        pointsTo(cluster.body.global_cluster_identifier, candidate)
      );
      const role = global ? (cluster.role === "primary" ? "writer" : "secondary") : "";
      return `Aurora ${role ? `${role} ` : ""}cluster, ${instances} instance${
        instances === 1 ? "" : "s"
      }<br/>${displayName(cluster)}`;
    },
  },
  { type: "aws_s3_bucket", scope: "regional", label: (bucket) => `S3<br/>${displayName(bucket)}` },
  { type: "aws_lambda_function", scope: "regional", label: (lambda) => `Lambda<br/>${displayName(lambda)}` },
  { type: "aws_sns_topic", scope: "regional", label: (topic) => `SNS<br/>${displayName(topic)}` },
  {
    type: "aws_cloudwatch_dashboard",
    scope: "regional",
    label: (dashboard) => `dashboard<br/>${displayName(dashboard)}`,
  },
];

/** Types drawn as one summary node in the global layer. */
export const SUMMARY_KINDS: ReadonlyArray<
  { readonly type: string; readonly id: string; readonly label: string }
> = [
  { type: "aws_iam_role", id: "iam_roles", label: "IAM roles" },
];

export interface DiagramNode {
  readonly id: string;
  readonly label: string;
  /** Provider alias of a regional node, `global` for the global layer. */
  readonly group: string;
}

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly style: "flow" | "replication" | "association";
}

export interface Diagram {
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
}

export function nodeId(resource: StackResource): string {
  return `${resource.type.replace(/^aws_/, "")}_${resource.logicalId}`.replace(/[^A-Za-z0-9_]/g, "_");
}

function targetGroupsOf(group: StackResource, index: ResourceIndex): StackResource[] {
  const attachments = index.pointingAt(group, ["aws_autoscaling_attachment"], "autoscaling_group_name")
    .map((attachment) => attachment.body.lb_target_group_arn);
  return referencedResources(
    [
      group.body.target_group_arns,
      asList(group.body.traffic_source).map((source) => source.identifier),
      attachments,
    ],
    index,
    ["aws_lb_target_group"],
  );
}

/** The diagram's nodes and edges, sorted: the same stack gives the same text. */
export function buildDiagram(stack: Json): Diagram {
  const index = new ResourceIndex(stack);
  const nodes: DiagramNode[] = [];
  const drawn = new Map<string, StackResource>();
  for (const kind of NODE_KINDS) {
    for (const resource of index.ofType(kind.type)) {
      const node = {
        id: nodeId(resource),
        label: kind.label(resource, index),
        group: kind.scope === "global" ? "global" : resource.role || "unknown",
      };
      nodes.push(node);
      drawn.set(node.id, resource);
    }
  }
  for (const summary of SUMMARY_KINDS) {
    const count = index.ofType(summary.type).length;
    if (count) nodes.push({ id: summary.id, label: `${summary.label} (${count})`, group: "global" });
  }
  const isDrawn = (resource: StackResource | undefined): resource is StackResource =>
    resource !== undefined && drawn.has(nodeId(resource));
  const edges: DiagramEdge[] = [];
  const edge = (from: StackResource, to: StackResource, label: string, style: DiagramEdge["style"]) => {
    if (isDrawn(from) && isDrawn(to)) edges.push({ from: nodeId(from), to: nodeId(to), label, style });
  };

  // DNS: zone -> record -> alias target (weights); health checks -> record, children, probed endpoints.
  for (const record of index.ofType("aws_route53_record")) {
    for (const zone of referencedResources(record.body.zone_id, index, ["aws_route53_zone"])) {
      edge(zone, record, "", "association");
    }
    const weight = first(record.body.weighted_routing_policy)?.weight;
    const failover = first(record.body.failover_routing_policy)?.type;
    const label = weight !== undefined
      ? `weight ${readable(weight)}`
      : failover
      ? `failover ${readable(failover)}`
      : "";
    for (const target of referencedResources([first(record.body.alias)?.name, record.body.records], index)) {
      edge(record, target, label, "flow");
    }
    for (
      const check of referencedResources(record.body.health_check_id, index, ["aws_route53_health_check"])
    ) {
      edge(check, record, "health", "association");
    }
  }
  for (const check of index.ofType("aws_route53_health_check")) {
    for (
      const child of referencedResources(check.body.child_healthchecks, index, ["aws_route53_health_check"])
    ) {
      edge(child, check, "", "association");
    }
    for (const target of referencedResources([check.body.fqdn, check.body.ip_address], index)) {
      edge(check, target, "probes", "association");
    }
  }

  // Load balancer -> autoscaling group through listeners forwarding to the groups' target groups.
  const listeners = index.ofType("aws_lb_listener");
  for (const group of index.ofType("aws_autoscaling_group")) {
    const targetGroups = targetGroupsOf(group, index);
    for (const balancer of index.ofType("aws_lb")) {
      const labels = new Set<string>();
      for (const listener of listeners.filter((item) => pointsTo(item.body.load_balancer_arn, balancer))) {
        const forwards = referencedResources(
          asList(listener.body.default_action).map((action) => [action.target_group_arn, action.forward]),
          index,
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

  // Compute -> data stores the network lets it reach: ingress on the store's group from the caller's group.
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

  // Replication: Aurora global cluster members (primary role -> others), explicit replicas, S3 rules.
  for (const global of index.ofType("aws_rds_global_cluster")) {
    const members = index.pointingAt(global, ["aws_rds_cluster"], "global_cluster_identifier");
    for (const member of members) edge(global, member, "", "association");
    for (const source of members.filter((member) => member.role === "primary")) {
      for (const replica of members.filter((member) => member.role !== "primary")) {
        edge(source, replica, "storage replication", "replication");
      }
    }
  }
  for (const cluster of index.ofType("aws_rds_cluster")) {
    for (
      const source of referencedResources(cluster.body.replication_source_identifier, index, [
        "aws_rds_cluster",
      ])
    ) {
      edge(source, cluster, "replication", "replication");
    }
  }
  for (const config of index.ofType("aws_s3_bucket_replication_configuration")) {
    const source = referencedResources(config.body.bucket, index, ["aws_s3_bucket"])[0] ??
      index.ofType("aws_s3_bucket").find((bucket) => pointsTo(config.body.bucket, bucket));
    for (const rule of asList(config.body.rule)) {
      const destination = first(rule.destination) ?? {};
      const target = index.ofType("aws_s3_bucket").find((bucket) => pointsTo(destination.bucket, bucket));
      const rtc = first(destination.replication_time)?.status === "Enabled" ? " (RTC)" : "";
      if (source && target) edge(source, target, `S3 replication${rtc}`, "replication");
    }
  }

  const uniqueEdges = [
    ...new Map(edges.map((item) => [`${item.from}|${item.to}|${item.label}|${item.style}`, item]))
      .values(),
  ]
    .sort((a, b) => compareText(a.from, b.from) || compareText(a.to, b.to) || compareText(a.label, b.label));
  return { nodes, edges: uniqueEdges };
}

function escapeLabel(text: string): string {
  return text.replace(/"/g, "#quot;");
}

const ARROWS: Readonly<Record<DiagramEdge["style"], (label: string) => string>> = {
  flow: (label) => label ? `-->|"${escapeLabel(label)}"|` : "-->",
  replication: (label) => label ? `==>|"${escapeLabel(label)}"|` : "==>",
  association: (label) => label ? `-.-|"${escapeLabel(label)}"|` : "-.-",
};

/** Mermaid `flowchart` text of the stack (no code fence). */
export function renderDiagram(stack: Json): string {
  const index = new ResourceIndex(stack);
  const { nodes, edges } = buildDiagram(stack);
  const lines = ["flowchart TB"];
  const groups: Array<{ id: string; title: string; members: DiagramNode[] }> = [
    {
      id: "global",
      title: "global",
      members: nodes.filter((node) => node.group === "global"),
    },
    ...index.providers.map((provider) => ({
      id: `region_${provider.alias}`,
      title: `${provider.region} (${provider.alias})`,
      members: nodes.filter((node) => node.group === provider.alias),
    })),
  ];
  for (const group of groups) {
    if (group.members.length === 0) continue;
    lines.push(`  subgraph ${group.id}["${escapeLabel(group.title)}"]`);
    for (const node of group.members) lines.push(`    ${node.id}["${escapeLabel(node.label)}"]`);
    lines.push("  end");
  }
  for (const item of edges) lines.push(`  ${item.from} ${ARROWS[item.style](item.label)} ${item.to}`);
  return lines.join("\n") + "\n";
}

/** The README block: markers, a blank line each side (as `deno fmt` leaves it), a mermaid fence. */
export function diagramBlock(diagram: string): string {
  return `${DIAGRAM_START}\n\n\`\`\`mermaid\n${diagram.trimEnd()}\n\`\`\`\n\n${DIAGRAM_END}`;
}

/** The diagram text between the README's markers (without the fence), or undefined when there are none. */
export function diagramInReadme(readme: string): string | undefined {
  const start = readme.indexOf(DIAGRAM_START);
  const end = readme.indexOf(DIAGRAM_END);
  if (start === -1 || end === -1 || end < start) return undefined;
  const inner = readme.slice(start + DIAGRAM_START.length, end).trim();
  return inner.replace(/^```mermaid\n/, "").replace(/\n?```$/, "") + "\n";
}

/** The README with the block between its markers replaced; throws when the markers are missing. */
export function replaceDiagram(readme: string, diagram: string): string {
  const start = readme.indexOf(DIAGRAM_START);
  const end = readme.indexOf(DIAGRAM_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`README has no ${DIAGRAM_START} ... ${DIAGRAM_END} markers`);
  }
  return readme.slice(0, start) + diagramBlock(diagram) + readme.slice(end + DIAGRAM_END.length);
}
