// The architecture diagram (Mermaid flowchart) generated from the synthesized JSON: one subgraph per region,
// a global layer, data flows and replication arrows. What is drawn is decided by a table of resource types
// and by the references between resources, so a type that is not in the stack is simply not drawn.
import {
  compareText,
  displayName,
  type Json,
  literal,
  pointsTo,
  type StackIndex,
  stackIndex,
  type StackResource,
} from "../../modules/stack_index.ts";
import { readable } from "./markdown.ts";
import {
  type AddEdge,
  dataEdges,
  type DiagramEdge,
  dnsEdges,
  nodeId,
  replicationEdges,
  webEdges,
} from "./diagram_edges.ts";

export const DIAGRAM_START = "<!-- diagram:start -->";
export const DIAGRAM_END = "<!-- diagram:end -->";

interface NodeKind {
  readonly type: string;
  readonly scope: "regional" | "global";
  readonly label: (resource: StackResource, index: StackIndex) => string;
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

export interface Diagram {
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
}

/** The diagram's nodes and edges, sorted: the same stack gives the same text. */
export function buildDiagram(stack: Json | StackIndex): Diagram {
  const index = stackIndex(stack);
  const nodes: DiagramNode[] = [];
  for (const kind of NODE_KINDS) {
    for (const resource of index.ofType(kind.type)) {
      nodes.push({
        id: nodeId(resource),
        label: kind.label(resource, index),
        group: kind.scope === "global" ? "global" : resource.role || "unknown",
      });
    }
  }
  const drawn = new Set(nodes.map((node) => node.id));
  for (const summary of SUMMARY_KINDS) {
    const count = index.ofType(summary.type).length;
    if (count) nodes.push({ id: summary.id, label: `${summary.label} (${count})`, group: "global" });
  }
  const edges: DiagramEdge[] = [];
  const edge: AddEdge = (from, to, label, style) => {
    if (drawn.has(nodeId(from)) && drawn.has(nodeId(to))) {
      edges.push({ from: nodeId(from), to: nodeId(to), label, style });
    }
  };
  for (const add of [dnsEdges, webEdges, dataEdges, replicationEdges]) add(index, edge);
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
export function renderDiagram(stack: Json | StackIndex): string {
  const index = stackIndex(stack);
  const { nodes, edges } = buildDiagram(index);
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
