import assert from "node:assert/strict";
import {
  buildDiagram,
  DIAGRAM_END,
  DIAGRAM_START,
  diagramBlock,
  diagramInReadme,
  NODE_KINDS,
  renderDiagram,
  replaceDiagram,
} from "../tools/lib/diagram.ts";
import { nodeId } from "../tools/lib/diagram_edges.ts";
import { StackIndex } from "../modules/stack_index.ts";
import { defaultStack, type Json, PROJECT_ROOT } from "./helpers.ts";
import { handoffFixture } from "./handoff_fixture.ts";

const edgeLines = (stack: Json) =>
  buildDiagram(stack).edges.map((edge) =>
    `${edge.from} ${edge.style} ${edge.to}${edge.label ? ` ${edge.label}` : ""}`
  );

Deno.test("the README's architecture diagram is the one generated from the default stack (run make diagram)", () => {
  const readme = Deno.readTextFileSync(`${PROJECT_ROOT}/README.md`);
  const committed = diagramInReadme(readme);
  assert.ok(committed, `README.md has no ${DIAGRAM_START} ... ${DIAGRAM_END} block`);
  // deno fmt leaves mermaid fences alone; only the blank lines around the markers are its own.
  assert.equal(committed, renderDiagram(defaultStack().stack), "README diagram is stale: run `make diagram`");
  assert.ok(readme.includes(diagramBlock(committed)), "the block is not in the form `deno fmt` keeps");
});

Deno.test("renderDiagram() labels show names, never a raw Terraform expression", () => {
  const text = renderDiagram(defaultStack().stack);
  for (const [, label] of text.matchAll(/\["([^"]*)"\]/g)) {
    assert.doesNotMatch(label, /\$\{|tolist\(|\baws_[a-z0-9_]+\.[a-z]/, label);
  }
  assert.match(text, /\["DNS record, name set at apply<br\/>web_global_certificate_validation"\]/);
});

Deno.test("renderDiagram() draws one subgraph per region plus the global layer: a node per drawn resource", () => {
  const { stack } = defaultStack();
  const text = renderDiagram(stack);
  assert.match(text, /^flowchart TB\n/);
  assert.match(
    text,
    /subgraph region_primary\["us-east-1 \(primary\)"\]\n {4}vpc_network_primary\["VPC 10\.10\.0\.0\/16/,
  );
  assert.match(text, /subgraph region_secondary\["us-east-2 \(secondary\)"\]/);
  const drawn = new Set(buildDiagram(stack).nodes.map((node) => node.id));
  const expected = new StackIndex(stack).ofType(...NODE_KINDS.map((kind) => kind.type));
  assert.ok(expected.length > 0);
  for (const resource of expected) assert.ok(drawn.has(nodeId(resource)), resource.address);
  assert.equal(drawn.size, expected.length + (stack.resource.aws_iam_role ? 1 : 0));
  const roles = Object.keys(stack.resource.aws_iam_role ?? {}).length;
  assert.equal(text.includes(`iam_roles["IAM roles (${roles})"]`), roles > 0);
});

Deno.test("buildDiagram() leaves out what the stack lacks: no ALB, no ALB nodes or arrows", () => {
  const stack = handoffFixture();
  delete stack.resource.aws_lb;
  delete stack.resource.aws_lb_listener;
  const { nodes, edges } = buildDiagram(stack);
  assert.ok(!nodes.some((node) => node.id.startsWith("lb_")));
  assert.ok(!edges.some((edge) => edge.from.startsWith("lb_") || edge.to.startsWith("lb_")));
  assert.ok(nodes.some((node) => node.id === "autoscaling_group_compute_primary"));
  assert.ok(
    edges.some((edge) => edge.from === "autoscaling_group_compute_primary"),
    "the rest is still drawn",
  );
});

Deno.test("buildDiagram() draws DNS weights, ALB -> ASG, app -> Aurora writer and replication arrows", () => {
  const stack = handoffFixture();
  const edges = edgeLines(stack);
  for (
    const expected of [
      "route53_record_dns_primary flow lb_web_primary weight 100",
      "route53_record_dns_secondary flow lb_web_secondary weight 0",
      "lb_web_primary flow autoscaling_group_compute_primary HTTPS 443 to 8080",
      "lb_web_secondary flow autoscaling_group_compute_secondary HTTPS 443 to 8080",
      "autoscaling_group_compute_primary flow rds_cluster_database_primary SQL 5432",
      "lambda_function_health_primary_db_checker flow rds_cluster_database_primary SQL 5432",
      "rds_cluster_database_primary replication rds_cluster_database_secondary storage replication",
      "s3_bucket_storage_primary replication s3_bucket_storage_secondary S3 replication (RTC)",
      "s3_bucket_storage_secondary replication s3_bucket_storage_primary S3 replication (RTC)",
      "route53_health_check_dns_primary_calculated association route53_record_dns_primary health",
      "route53_health_check_dns_primary_https association lb_web_primary probes",
      "rds_global_cluster_database_global association rds_cluster_database_secondary",
    ]
  ) {
    assert.ok(edges.includes(expected), `missing edge: ${expected}\n${edges.join("\n")}`);
  }
  assert.ok(
    !edges.some((edge) => edge.startsWith("rds_cluster_database_secondary replication")),
    "one direction only",
  );
  const nodes = buildDiagram(stack).nodes;
  const groupOf = (id: string) => nodes.find((node) => node.id === id)?.group;
  assert.equal(groupOf("rds_global_cluster_database_global"), "global");
  assert.equal(groupOf("route53_zone_dns_zone"), "global");
  assert.equal(groupOf("rds_cluster_database_secondary"), "secondary");
  assert.equal(groupOf("cloudwatch_dashboard_observability_primary"), "primary");
  assert.match(
    renderDiagram(stack),
    /rds_cluster_database_primary\["Aurora writer cluster, 2 instances<br\/>aurora-us-east-1-dev"\]/,
  );
  assert.match(renderDiagram(stack), / route53_record_dns_primary -->\|"weight 100"\| lb_web_primary\n/);
  assert.match(
    renderDiagram(stack),
    / s3_bucket_storage_primary ==>\|"S3 replication \(RTC\)"\| s3_bucket_storage_secondary\n/,
  );
});

Deno.test("buildDiagram() follows the network, not names: no SG rule from the app, no arrow to Aurora", () => {
  const stack = handoffFixture();
  delete stack.resource.aws_vpc_security_group_ingress_rule.firewall_secondary_database_from_app_in;
  const edges = edgeLines(stack);
  assert.ok(!edges.some((edge) => edge.startsWith("autoscaling_group_compute_secondary flow rds_cluster")));
  assert.ok(
    edges.some((edge) =>
      edge.startsWith("autoscaling_group_compute_primary flow rds_cluster_database_primary")
    ),
  );
});

Deno.test("renderDiagram() is deterministic: resource order in the JSON does not matter", () => {
  const stack = handoffFixture();
  const reversed = { ...stack, resource: {} as Json };
  for (const type of Object.keys(stack.resource).reverse()) {
    reversed.resource[type] = Object.fromEntries(Object.entries(stack.resource[type]).reverse());
  }
  assert.equal(renderDiagram(reversed), renderDiagram(stack));
});

Deno.test("replaceDiagram() rewrites only the block between the markers and needs both markers", () => {
  const readme = `# x\n\n${DIAGRAM_START}\n\nold\n\n${DIAGRAM_END}\n\nrest\n`;
  const updated = replaceDiagram(readme, "flowchart TB\n  a --> b\n");
  assert.equal(updated, `# x\n\n${diagramBlock("flowchart TB\n  a --> b\n")}\n\nrest\n`);
  assert.equal(diagramInReadme(updated), "flowchart TB\n  a --> b\n");
  assert.equal(replaceDiagram(updated, "flowchart TB\n  a --> b\n"), updated);
  assert.throws(() => replaceDiagram("# no markers\n", "x"), /no <!-- diagram:start -->/);
});

Deno.test("renderDiagram() escapes quotes in labels", () => {
  const stack = handoffFixture();
  stack.resource.aws_sns_topic.alerting_primary.name = 'dr-"alerts"-dev';
  assert.match(renderDiagram(stack), /SNS<br\/>dr-#quot;alerts#quot;-dev/);
});
