import assert from "node:assert/strict";
import { renderReview, resourceCounts } from "../tools/lib/review.ts";
import { publicEntryPoints } from "../tools/lib/entry_points.ts";
import { namingCompliance, tagCompliance } from "../tools/lib/compliance.ts";
import { dataStores } from "../tools/lib/data_stores.ts";
import { iamMatrix } from "../tools/lib/iam_matrix.ts";
import { recoveryBudget } from "../modules/recovery_budget.ts";
import { formatBudget } from "../modules/recovery_budget_text.ts";
import { StackIndex } from "../modules/stack_index.ts";
import { allResources, defaultStack, type Json, synthWith } from "./helpers.ts";
import { handoffFixture, runTool, TOOL_PERMISSIONS } from "./handoff_fixture.ts";

const index = (stack: Json) => new StackIndex(stack);
const store = (stack: Json, address: string) => {
  const found = dataStores(index(stack)).find((item) => item.address === address);
  assert.ok(found, `${address} is not listed as a data store`);
  return found;
};

Deno.test("review counts every resource of the default stack per region and type", () => {
  const { stack } = defaultStack();
  const counts = resourceCounts(index(stack));
  for (const { type, body } of allResources(stack)) {
    const count = counts.find((item) => item.type === type);
    assert.ok(count, type);
    assert.ok((count.byProvider[body.provider] ?? 0) > 0, `${type} in ${body.provider}`);
  }
  const total = counts.reduce((sum, count) => sum + count.total, 0);
  assert.equal(total, allResources(stack).length);
  const vpc = counts.find((count) => count.type === "aws_vpc")!;
  assert.deepEqual(vpc.byProvider, { "aws.primary": 1, "aws.secondary": 1 });
  const text = renderReview(stack);
  assert.match(text, /\| `aws_vpc` \| 1 \| 1 \| 0 \| 2 \|/);
  assert.match(
    text,
    /\| `aws_lambda_function` \| 2 \| 5 \| 1 \| 8 \|/,
    "the witness region holds its prober",
  );
  assert.match(text, /\| `aws_iam_role` \(global\) \|/);
  assert.match(text, new RegExp(`\\| \\*\\*total\\*\\* \\| \\d+ \\| \\d+ \\| \\d+ \\| ${total} \\|`));
});

Deno.test("review lists the default stack's internet-open ingress with ports, and its egress", () => {
  const entry = publicEntryPoints(index(defaultStack().stack));
  const ingress = entry.openRules.filter((rule) => rule.direction === "ingress");
  const listed = new Set(
    ingress.map((rule) => `${rule.region} ${rule.securityGroup} ${rule.protocol}/${rule.ports}`),
  );
  for (
    const expected of [
      "us-east-1 alb-sg-us-east-1-dev tcp/443",
      "us-east-1 alb-sg-us-east-1-dev tcp/80",
      "us-east-2 alb-sg-us-east-2-dev tcp/443",
      "us-east-2 alb-sg-us-east-2-dev tcp/80",
    ]
  ) {
    assert.ok(listed.has(expected), expected);
  }
  assert.ok(ingress.some((rule) => rule.cidrs.includes("::/0")));
  assert.ok(entry.openRules.some((rule) => rule.direction === "egress" && rule.ports === "443"));
});

Deno.test("review finds the ALBs, their listeners' ports and actions, and the weighted DNS records", () => {
  const entry = publicEntryPoints(index(handoffFixture()));
  assert.deepEqual(entry.loadBalancers.map((balancer) => balancer.name), [
    "alb-us-east-1-dev",
    "alb-us-east-2-dev",
  ]);
  const [primary] = entry.loadBalancers;
  assert.deepEqual(
    primary.listeners.map((listener) => `${listener.port} ${listener.protocol}: ${listener.action}`),
    [
      "80 HTTP: redirect to HTTPS:443 (HTTP_301)",
      "443 HTTPS (ELBSecurityPolicy-TLS13-1-2-2021-06): forward to tg-us-east-1-dev (HTTP:8080)",
    ],
  );
  assert.deepEqual(primary.securityGroups, ["alb-sg-us-east-1-dev"]);
  assert.deepEqual(entry.dns.map((record) => `${record.name} ${record.routing} -> ${record.target}`), [
    "app.dr.example.com weighted 100 (primary) -> alias alb-us-east-1-dev (us-east-1), evaluates target health",
    "app.dr.example.com weighted 0 (secondary) -> alias alb-us-east-2-dev (us-east-2), evaluates target health",
  ]);
  assert.deepEqual(entry.other, []);
});

Deno.test("review flags world-open rules (rule resources and inline blocks), public buckets; counts internal ALBs", () => {
  const stack = handoffFixture();
  stack.resource.aws_vpc_security_group_ingress_rule.ssh = {
    provider: "aws.primary",
    security_group_id: "${aws_security_group.firewall_primary_app.id}",
    ip_protocol: "tcp",
    from_port: 22,
    to_port: 22,
    cidr_ipv4: "0.0.0.0/0",
  };
  stack.resource.aws_security_group.firewall_secondary_app.ingress = [
    { protocol: "-1", from_port: 0, to_port: 0, ipv6_cidr_blocks: ["::/0"] },
  ];
  delete stack.resource.aws_s3_bucket_public_access_block.storage_secondary_public_access;
  stack.resource.aws_lb.web_secondary.internal = true;
  const entry = publicEntryPoints(index(stack));
  const ingress = entry.openRules.filter((rule) => rule.direction === "ingress");
  assert.ok(ingress.some((rule) => rule.securityGroup === "app-sg-us-east-1-dev" && rule.ports === "22"));
  assert.ok(ingress.some((rule) => rule.securityGroup === "app-sg-us-east-2-dev" && rule.ports === "all"));
  assert.deepEqual(entry.other.map((item) => [item.address, item.concern]), [
    ["aws_s3_bucket.storage_secondary", true],
  ]);
  assert.equal(entry.loadBalancers.length, 1);
  assert.equal(entry.internalLoadBalancers, 1);
  const text = renderReview(stack);
  assert.match(
    text,
    /\*\*S3 bucket artifacts-123456789012-us-east-2-dev without a complete public access block\*\* ⚠/,
  );
  assert.match(text, /Internal load balancers: 1\./);
});

Deno.test("review shows Aurora's encryption key, backups/PITR and global replication in both directions", () => {
  const stack = handoffFixture();
  const global = store(stack, "aws_rds_global_cluster.database_global");
  assert.equal(
    global.replication.text,
    "members: aurora-us-east-1-dev (us-east-1), aurora-us-east-2-dev (us-east-2)",
  );
  const primary = store(stack, "aws_rds_cluster.database_primary");
  assert.equal(primary.kind, "Aurora PostgreSQL cluster (2 × db.r6g.large)");
  assert.equal(primary.encryption.text, "KMS aws_kms_key.kms_primary (us-east-1)");
  assert.match(primary.backup.text, /^backups \+ PITR 7 days \(window 03:00-04:00 UTC\)/);
  assert.equal(
    primary.replication.text,
    "global cluster aurora-global-dev: replicates to aurora-us-east-2-dev (us-east-2)",
  );
  const secondary = store(stack, "aws_rds_cluster.database_secondary");
  assert.equal(secondary.encryption.text, "KMS aws_kms_key.kms_secondary (us-east-2)");
  assert.equal(
    secondary.replication.text,
    "global cluster aurora-global-dev: replica of aurora-us-east-1-dev (us-east-1)",
  );
  for (const item of [global, primary, secondary]) {
    assert.ok(!item.encryption.concern && !item.backup.concern && !item.replication.concern, item.address);
  }
});

Deno.test("review shows S3 encryption, versioning and replication (RTC) both ways; DynamoDB, SSM, logs", () => {
  const stack = handoffFixture();
  const bucket = store(stack, "aws_s3_bucket.storage_primary");
  assert.equal(bucket.encryption.text, "aws:kms, KMS aws_kms_key.kms_primary (us-east-1)");
  assert.equal(bucket.backup.text, "versioning Enabled, old versions kept 30 days");
  assert.equal(
    bucket.replication.text,
    "to artifacts-123456789012-us-east-2-dev (us-east-2): RTC 15 min, metrics on, delete markers Enabled, " +
      "replica KMS aws_kms_key.kms_secondary (us-east-2)\nfrom artifacts-123456789012-us-east-2-dev (us-east-2)",
  );
  const table = store(stack, "aws_dynamodb_table.failover_primary_lock");
  assert.equal(table.backup.text, "PITR 35 days");
  assert.equal(table.encryption.text, "KMS aws_kms_key.kms_primary (us-east-1)");
  const secret = store(stack, "aws_ssm_parameter.parameters_secondary_master-password");
  assert.equal(secret.kind, "SSM SecureString, write-only value (not in state)");
  assert.equal(secret.encryption.text, "KMS aws_kms_key.kms_secondary (us-east-2)");
  assert.equal(secret.replication.text, "a copy in us-east-1");
  assert.equal(
    store(stack, "aws_ssm_parameter.parameters_primary_writer-endpoint").encryption.text,
    "n/a (String: not a secret)",
  );
  const logs = store(stack, "aws_cloudwatch_log_group.health_primary_db-checker_logs");
  assert.deepEqual([logs.encryption.text, logs.backup.text], [
    "KMS aws_kms_key.kms_primary (us-east-1)",
    "retention 30 days",
  ]);
  assert.equal(
    store(stack, "aws_launch_template.compute_primary").encryption.text,
    "EBS encrypted, KMS aws_kms_key.kms_primary (us-east-1)",
  );
});

Deno.test("review flags unencrypted stores, missing PITR, versioning off and a headless global cluster", () => {
  const stack = handoffFixture();
  stack.resource.aws_rds_cluster.database_secondary.storage_encrypted = false;
  stack.resource.aws_dynamodb_table.failover_primary_lock.point_in_time_recovery = { enabled: false };
  stack.resource.aws_s3_bucket_versioning.storage_primary_versioning.versioning_configuration.status =
    "Suspended";
  delete stack.resource.aws_cloudwatch_log_group["health_secondary_db-checker_logs"].kms_key_id;
  stack.resource.aws_sns_topic.alerting_primary.kms_master_key_id = undefined;
  const concerns = dataStores(index(stack)).flatMap((item) =>
    (["encryption", "backup", "replication"] as const).filter((column) => item[column].concern)
      .map((column) => `${item.address} ${column}: ${item[column].text}`)
  );
  assert.deepEqual(concerns, [
    "aws_rds_cluster.database_secondary encryption: not encrypted",
    "aws_s3_bucket.storage_primary backup: versioning Suspended, old versions kept 30 days",
    "aws_dynamodb_table.failover_primary_lock backup: no PITR",
    "aws_cloudwatch_log_group.health_secondary_db-checker_logs encryption: CloudWatch Logs default (AWS owned key)",
    "aws_sns_topic.alerting_primary encryption: not encrypted",
  ]);
  assert.match(renderReview(stack), /\| \*\*not encrypted\*\* ⚠ \|/);

  const headless = handoffFixture();
  delete headless.resource.aws_rds_cluster;
  assert.equal(store(headless, "aws_rds_global_cluster.database_global").replication.concern, true);
});

Deno.test("review's IAM matrix: role -> trusted service -> actions -> resources, wildcards bold and marked", () => {
  const stack = handoffFixture();
  const rows = iamMatrix(index(stack));
  assert.deepEqual(rows.map((row) => `${row.role} <- ${row.trustedBy.join(",")}: ${row.source}`), [
    "failover-orchestrator-dev <- lambda.amazonaws.com: inline failover-orchestrator-dev",
    "failover-orchestrator-dev <- lambda.amazonaws.com: inline failover-orchestrator-dev",
    "failover-orchestrator-dev <- lambda.amazonaws.com: managed arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "health-checker-dev <- lambda.amazonaws.com: managed arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    "s3-replication-dev <- s3.amazonaws.com: inline replicate-us-east-1-dev",
  ]);
  assert.deepEqual(rows[0].resources, [
    "aws_rds_global_cluster.database_global.arn",
    "aws_rds_cluster.database_secondary.arn",
  ]);
  assert.equal(rows[0].starResource, false);
  assert.equal(rows[1].starResource, true);
  assert.deepEqual(rows[1].conditions, ["StringEquals cloudwatch:namespace"]);
  const text = renderReview(stack);
  assert.match(text, /\*\*1 statement\(s\) with a wildcard\*\* ⚠: failover-orchestrator-dev\./);
  assert.match(
    text,
    /\| `cloudwatch:PutMetricData` \| \*\*`\*`\*\* ⚠ \| StringEquals cloudwatch:namespace \|/,
  );

  stack.resource.aws_iam_role_policy.storage_replication_policy.policy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: ["s3:*", "s3:GetObject"], Resource: "arn:aws:s3:::x/*" }],
  });
  stack.resource.aws_iam_role_policy_attachment.health_checker_vpc.policy_arn =
    "arn:aws:iam::aws:policy/AdministratorAccess";
  const widened = iamMatrix(index(stack));
  assert.deepEqual(widened.find((row) => row.role === "s3-replication-dev")!.wildcardActions, ["s3:*"]);
  assert.equal(widened.find((row) => row.role === "health-checker-dev")!.broadManagedPolicy, true);
  const widenedText = renderReview(stack);
  assert.match(widenedText, /\*\*`s3:\*`\*\* ⚠<br>`s3:GetObject`/);
  assert.match(widenedText, /\*\*managed arn:aws:iam::aws:policy\/AdministratorAccess\*\* ⚠/);
});

Deno.test("review's IAM matrix on the default stack: flow-log roles, exact log-group ARNs, no wildcard", () => {
  const rows = iamMatrix(index(defaultStack().stack)).filter((row) => row.role.startsWith("vpc-flow-logs-"));
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.deepEqual(row.trustedBy, ["vpc-flow-logs.amazonaws.com"]);
    assert.deepEqual(row.wildcardActions, []);
    assert.equal(row.starResource, false);
    assert.ok(row.resources.every((resource) => resource.startsWith("aws_cloudwatch_log_group.")), row.role);
  }
  const noWildcards = handoffFixture();
  delete noWildcards.resource.aws_iam_role_policy.failover_orchestrator_policy;
  assert.match(renderReview(noWildcards), /No wildcard action, no `\*` resource, no broad managed policy\./);
});

Deno.test("review reads what the default stack adds to the fixture: service-linked role, web ACLs, quorum alarm", () => {
  const { stack } = defaultStack();
  const linked = iamMatrix(index(stack)).filter((row) => row.source === "service-linked");
  assert.deepEqual(linked.map((row) => [row.role, row.trustedBy.join(",")]), [
    ["service-linked role of autoscaling.amazonaws.com (dr-dev)", "autoscaling.amazonaws.com"],
  ]);
  const balancers = publicEntryPoints(index(stack)).loadBalancers;
  assert.deepEqual(balancers.map((balancer) => balancer.webAcls), [["dr-web-acl-us-east-1-dev"], [
    "dr-web-acl-us-east-2-dev",
  ]]);
  const text = renderReview(stack);
  assert.match(
    text,
    /\| dr-failover-quorum-us-east-2-dev \| us-east-2 \| ALARM\("dr-primary-down-witness-us-east-2-dev"\) AND \(/,
  );
  const withoutWaf = publicEntryPoints(index(synthWith({ WAF_ENABLED: "false" }).stack)).loadBalancers;
  assert.deepEqual(withoutWaf.map((balancer) => balancer.webAcls), [[], []]);
});

Deno.test("review shows AWS Backup (production profile): the vault as a data store, the plan on each cluster", () => {
  const { stack } = synthWith({ PRODUCTION_PROFILE: "true" });
  const vault = store(stack, "aws_backup_vault.backup_primary_vault");
  assert.equal(vault.encryption.text, "KMS aws_kms_key.kms_primary (us-east-1)");
  assert.match(
    store(stack, "aws_rds_cluster.database_primary").backup.text,
    /, AWS Backup daily cron\(0 5 \* \* \? \*\), kept 35 days/,
  );
});

Deno.test("review checks tags: provider default_tags, overrides, and ASG instance tags", () => {
  const good = tagCompliance(index(handoffFixture()));
  assert.ok(good.providers.every((provider) => provider.missing.length === 0 && !provider.roleMismatch));
  assert.deepEqual([good.untagged, good.overrides], [[], []]);
  assert.ok(good.autoscalingGroups.every((group) => group.missing.length === 0));

  const stack = handoffFixture();
  delete stack.provider.aws[1].default_tags[0].tags["Cost-Center"];
  stack.resource.aws_vpc.network_primary.tags["DR-Role"] = "secondary";
  stack.resource.aws_autoscaling_group.compute_secondary.tag = [];
  stack.resource.aws_launch_template.compute_secondary.tag_specifications = [
    { resource_type: "instance", tags: { Environment: "dev", "DR-Role": "secondary" } },
  ];
  const bad = tagCompliance(index(stack));
  assert.deepEqual(bad.providers.map((provider) => provider.missing), [[], ["Cost-Center"]]);
  assert.ok(bad.untagged.includes("aws_vpc.network_secondary"));
  assert.ok(!bad.untagged.includes("aws_vpc.network_primary"));
  assert.deepEqual(bad.overrides, ["aws_vpc.network_primary"]);
  const asg = bad.autoscalingGroups.find((group) =>
    group.address === "aws_autoscaling_group.compute_secondary"
  )!;
  assert.deepEqual(asg.missing, ["Cost-Center"]);
  assert.equal(asg.propagated.Environment, "dev (launch template)");
  assert.match(renderReview(stack), /resource\(s\) without a compliant provider\*\* ⚠/);
});

Deno.test("review checks that every physical name carries the suffix (default stack: all do)", () => {
  const names = namingCompliance(index(defaultStack().stack), "dev");
  assert.ok(names.checked.length > 20);
  assert.deepEqual(names.violations, []);
  assert.ok(
    names.checked.some((name) => name.value === "vpc-us-east-1-dev" && name.attribute === "tags.Name"),
  );

  const stack = handoffFixture();
  stack.resource.aws_s3_bucket.storage_primary.bucket = "artifacts-shared";
  stack.resource.aws_lb.web_primary.name = "alb-us-east-1-develop";
  const bad = namingCompliance(index(stack), "dev");
  assert.deepEqual(bad.violations.map((name) => `${name.address} ${name.value}`), [
    "aws_lb.web_primary alb-us-east-1-develop",
    "aws_s3_bucket.storage_primary artifacts-shared",
  ]);
  assert.match(renderReview(stack), /\*\*2 of \d+ names lack the suffix\*\* ⚠/);
});

Deno.test("review lists the RPO mechanisms and the detection path from the JSON", () => {
  const text = renderReview(handoffFixture());
  assert.match(
    text,
    /\| Aurora Global Database \(storage-level asynchronous replication\) \| aurora-global-dev \|/,
  );
  assert.match(
    text,
    /commit guard `rds\.global_db_rpo`.* \| aurora-params-us-east-1-dev \(us-east-1\) \| 20 s \|/,
  );
  assert.match(
    text,
    /S3 replication with Replication Time Control \(15 min SLA\) \| artifacts-123456789012-us-east-2-dev -> /,
  );
  assert.match(
    text,
    /\| replication alarm \| aurora-rpo-lag-us-east-2-dev \(us-east-2\) \| AWS\/RDS\/AuroraGlobalDBRPOLag Maximum > 30000 over 60 s, 2 of 2 \|/,
  );
  assert.match(
    text,
    /\| `dns_primary_calculated` \| CALCULATED \| 2 of: dns_primary_https, dns_primary_peer_view \|/,
  );
  assert.match(text, /alarm primary-unreachable-us-east-2-dev \(aws_cloudwatch_metric_alarm\) in us-east-2/);
  assert.match(
    text,
    /\| failover-trigger-us-east-2-dev \| us-east-2 \| .* \| enabled \| failover-us-east-2-dev \(aws_lambda_function\) \|/,
  );
  assert.match(
    text,
    /### Recovery-time budget\n\nRecovery budget: unplanned loss[\s\S]*\| step \| seconds \| at \| source \|/,
  );
  const single = handoffFixture();
  for (
    const type of [
      "aws_rds_global_cluster",
      "aws_s3_bucket_replication_configuration",
      "aws_cloudwatch_metric_alarm",
    ]
  ) {
    delete single.resource[type];
  }
  for (const group of Object.values(single.resource.aws_rds_cluster_parameter_group) as Json[]) {
    group.parameter = [];
  }
  assert.match(renderReview(single), /\*\*No replication in the stack/);
});

Deno.test("the review carries the recovery budget computed from the same JSON", () => {
  const { stack } = defaultStack();
  const review = renderReview(stack);
  assert.ok(review.includes(formatBudget(recoveryBudget(stack))));
  // Whether both targets hold on the default stack: tests/recovery_budget_test.ts (the real-stack test).
  assert.match(review, /^Time to decision: .*decision target/m);
  assert.match(review, /^Time to first write: .*RTO target/m);
});

Deno.test("make review prints REVIEW.md of a synthesized stack; a missing stack exits 2", () => {
  const { stackDir, stack } = defaultStack();
  const result = runTool("review.ts", TOOL_PERMISSIONS.review, [`${stackDir}/cdk.tf.json`]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, renderReview(stack));
  assert.match(result.stdout, /^# Review: dr-dev\n/);
  for (
    const heading of [
      "## Resources per region and type",
      "## Public entry points",
      "## Data stores",
      "## IAM matrix",
      "## Tag compliance",
      "## Naming compliance",
      "## Recovery: time budget and RPO mechanisms",
    ]
  ) {
    assert.ok(result.stdout.includes(`\n${heading}\n`), heading);
  }
  const missing = runTool("review.ts", TOOL_PERMISSIONS.review, ["/nonexistent/cdk.tf.json"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /run make synth/);
});

Deno.test("renderReview() is deterministic: resource order in the JSON does not matter", () => {
  const stack = handoffFixture();
  const reversed = { ...stack, resource: {} as Json };
  for (const type of Object.keys(stack.resource).reverse()) {
    reversed.resource[type] = Object.fromEntries(Object.entries(stack.resource[type]).reverse());
  }
  assert.equal(renderReview(reversed), renderReview(stack));
});
