import assert from "node:assert/strict";
import {
  allResources,
  defaultStack,
  type Json,
  resource,
  resources,
  resourcesIn,
  runSynthCli,
  synthWith,
} from "./helpers.ts";
import { NAME_LIMITS } from "../modules/naming.ts";

Deno.test("synthesize() is deterministic: two synths are byte-identical", () => {
  const first = synthWith();
  const second = synthWith();
  assert.equal(first.jsonText, second.jsonText);
});

Deno.test("synthesize() emits the pair's and the witness's aliased providers accepting hashicorp/aws 5.100.0 and no data sources", () => {
  const { stack, config } = defaultStack();
  assert.deepEqual(
    stack.provider.aws.map((
      provider: { alias: string; region: string },
    ) => [provider.alias, provider.region]),
    [["primary", config.primary.region], ["secondary", config.secondary.region], ["witness", "us-west-2"]],
  );
  const witness = stack.provider.aws.find((provider: { alias: string }) => provider.alias === "witness");
  assert.equal(witness.default_tags[0].tags["DR-Role"], "witness");
  assert.equal(stack.terraform.required_providers.aws.version, "5.100.0");
  assert.equal(stack.terraform.required_version, ">= 1.11.1", "ephemeral variables and *_wo arguments");
  assert.equal(stack.data, undefined, "data sources would call AWS at plan time");
  for (const { type, name, body } of allResources(stack)) {
    assert.match(
      body.provider ?? "",
      /^aws\.(primary|secondary|witness)$/,
      `${type}.${name} names no aliased provider`,
    );
  }
});

Deno.test("the witness region holds only its prober: function, log group, key, role, schedule", () => {
  const { stack } = defaultStack();
  const witness = allResources(stack).filter(({ body }) => body.provider === "aws.witness");
  assert.deepEqual([...new Set(witness.map(({ type }) => type))].sort(), [
    "aws_cloudwatch_event_rule",
    "aws_cloudwatch_event_target",
    "aws_cloudwatch_log_group",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_kms_alias",
    "aws_kms_key",
    "aws_lambda_function",
    "aws_lambda_function_event_invoke_config",
    "aws_lambda_permission",
  ]);
  assert.ok(
    witness.every(({ name }) => name.startsWith("probes_witness_") || name.startsWith("kms_witness")),
  );
  // Nothing outside the witness region refers to it: its failure can only silence its own vote.
  for (const { type, name, body } of allResources(stack)) {
    if (body.provider === "aws.witness") continue;
    assert.ok(
      !JSON.stringify(body).match(/probes_witness_|kms_witness/),
      `${type}.${name} depends on the witness`,
    );
  }
});

/**
 * Concerns whose inline role policies still have a bare name (`app-instance`, `write-flow-logs`): their
 * modules are converted to `ctx.policyName()` next. Empty it then, and drop `aws_iam_role_policy` from
 * SCOPED_NAME_TYPES (tools/lib/compliance.ts).
 */
const BARE_POLICY_NAMES_PENDING = new Set(["compute", "network"]);

Deno.test("every inline role policy is named <base>[-<region>]-<suffix>, like every other name", () => {
  const { stack, config } = defaultStack();
  const regionOf = new Map<string, string>(
    stack.provider.aws.map((provider: { alias: string; region: string }) => [
      `aws.${provider.alias}`,
      provider.region,
    ]),
  );
  const policies = Object.entries(resources(stack, "aws_iam_role_policy"))
    .filter(([id]) => !BARE_POLICY_NAMES_PENDING.has(id.split("_")[0]));
  // The filter leaves every Lambda function's policy in (one role per function, its policy inline).
  const checkedRoles = new Set(policies.map(([, body]) => body.role.replace(/\.(id|name)\}$/, "")));
  for (const [id, fn] of Object.entries(resources(stack, "aws_lambda_function"))) {
    assert.ok(checkedRoles.has(fn.role.replace(/\.arn\}$/, "")), `${id}: its role's policy is checked`);
  }
  for (const [id, body] of policies) {
    // IAM is global: a policy of a global role (`<concern>_global_<key>`) names no region.
    const region = id.split("_")[1] === "global" ? "" : `-${regionOf.get(body.provider)}`;
    assert.match(body.name, new RegExp(`^[a-z0-9-]+${region}-${config.environmentSuffix}$`), id);
  }
});

Deno.test("every S3 bucket is private: all four public-access blocks on, ACLs disabled (owner enforced)", () => {
  const { stack } = defaultStack();
  const controlOf = (type: string, bucketId: string) =>
    Object.values(resources(stack, type)).filter((body) =>
      body.bucket === `\${aws_s3_bucket.${bucketId}.id}`
    );
  const buckets = Object.keys(resources(stack, "aws_s3_bucket"));
  assert.ok(buckets.length > 0);
  for (const bucketId of buckets) {
    const blocks = controlOf("aws_s3_bucket_public_access_block", bucketId);
    assert.equal(blocks.length, 1, `${bucketId}: one public access block`);
    for (
      const flag of [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
      ]
    ) {
      assert.equal(blocks[0][flag], true, `${bucketId}: ${flag}`);
    }
    const ownership = controlOf("aws_s3_bucket_ownership_controls", bucketId);
    assert.deepEqual(ownership.map((body) => body.rule.object_ownership), ["BucketOwnerEnforced"], bucketId);
  }
});

Deno.test("synthesize() keeps local state outside the generated tree, by a relative path", () => {
  const { stack, jsonText, stackDir } = defaultStack();
  assert.deepEqual(stack.terraform.backend.local, {
    path: "../../../state/dr-dev/terraform.tfstate",
    workspace_dir: "../../../state/dr-dev/terraform.tfstate.d",
  });
  assert.ok(!jsonText.includes(stackDir) && !jsonText.includes(Deno.cwd()), "no machine path in the JSON");
  // From cdktf.out/stacks/dr-dev/ the path leads to state/dr-dev/ at the project root, not into cdktf.out/.
  const resolved = new URL(stack.terraform.backend.local.path, `file:///project/cdktf.out/stacks/dr-dev/`);
  assert.equal(resolved.pathname, "/project/state/dr-dev/terraform.tfstate");
});

Deno.test("synthesize() uses an encrypted S3 backend with native locking when STATE_BUCKET is set", () => {
  const { stack } = synthWith({ STATE_BUCKET: "acme-terraform-state" });
  assert.deepEqual(stack.terraform.backend.s3, {
    bucket: "acme-terraform-state",
    key: "dr/dev/terraform.tfstate",
    region: "us-east-1",
    encrypt: true,
    use_lockfile: true,
  });
});

Deno.test("the longest valid suffix synthesizes with every name inside its AWS limit", () => {
  const suffix = "a".repeat(18);
  const { stack } = synthWith({ ENVIRONMENT_SUFFIX: suffix });
  for (const { type, name, body } of allResources(stack)) {
    for (const key of ["name", "bucket", "function_name", "cluster_identifier", "identifier"]) {
      if (typeof body[key] !== "string" || body[key].includes("${")) continue;
      const limit = type === "aws_lb" || type === "aws_lb_target_group" ? NAME_LIMITS.alb : 255;
      assert.ok(body[key].length <= limit, `${type}.${name}.${key} "${body[key]}" exceeds ${limit}`);
    }
  }
});

Deno.test("make synth with bad input exits 2, names each field and rule, and writes nothing", () => {
  const cwd = Deno.makeTempDirSync({ prefix: "dr-cli-" });
  Deno.mkdirSync(`${cwd}/cdktf.out/stacks/dr-dev`, { recursive: true });
  Deno.writeTextFileSync(`${cwd}/cdktf.out/stacks/dr-dev/cdk.tf.json`, "previous output");
  const result = runSynthCli(cwd, {
    ENVIRONMENT_SUFFIX: "Bad!",
    AWS_ACCOUNT_ID: "42",
    PRIMARY_AZS: "us-east-1a",
  });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /ENVIRONMENT_SUFFIX="Bad!": must be lowercase/);
  assert.match(result.stderr, /AWS_ACCOUNT_ID="42": must be exactly 12 digits/);
  assert.match(result.stderr, /PRIMARY_AZS="us-east-1a": must list 2 to 6/);
  assert.equal(Deno.readTextFileSync(`${cwd}/cdktf.out/stacks/dr-dev/cdk.tf.json`), "previous output");
  assert.deepEqual([...Deno.readDirSync(cwd)].map((entry) => entry.name), ["cdktf.out"]);
});

Deno.test("make synth on defaults replaces the output and prints the path and resource count", () => {
  const cwd = Deno.makeTempDirSync({ prefix: "dr-cli-" });
  const result = runSynthCli(cwd, {});
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^cdktf\.out\/stacks\/dr-dev\/cdk\.tf\.json \(\d+ resources\)$/m);
  assert.deepEqual([...Deno.readDirSync(cwd)].map((entry) => entry.name), ["cdktf.out"]);
  assert.equal(Deno.readTextFileSync(`${cwd}/cdktf.out/stacks/dr-dev/cdk.tf.json`), defaultStack().jsonText);
});

const OPERATOR_OUTPUTS = [
  "alerting_primary_topic_arn",
  "alerting_secondary_topic_arn",
  "app_url",
  "aws_account_id",
  "compute_primary_asg_name",
  "compute_secondary_asg_name",
  "compute_secondary_standby_capacity",
  "database_global_cluster_id",
  "database_global_writer_endpoint",
  "database_primary_cluster_arn",
  "database_primary_cluster_id",
  "database_primary_reader_endpoint",
  "database_secondary_cluster_arn",
  "database_secondary_cluster_id",
  "database_secondary_reader_endpoint",
  "dns_hosted_zone_id",
  "dns_name_servers",
  "failover_active_region_parameter",
  "failover_fence_alarm_name",
  "failover_orchestrator_function_name",
  "load_balancer_primary_dns_name",
  "load_balancer_secondary_dns_name",
  "metric_namespace",
  "observability_primary_dashboard_name",
  "observability_primary_dashboard_url",
  "observability_secondary_dashboard_name",
  "observability_secondary_dashboard_url",
  "readiness_function_name",
  "regions",
  "release_deploy_role_arn",
  "release_digest_parameter",
  "storage_primary_bucket_name",
  "storage_secondary_bucket_name",
];

Deno.test("synthesize() publishes what operators need after apply as described Terraform outputs", () => {
  const { stack } = defaultStack();
  assert.deepEqual(Object.keys(stack.output).sort(), OPERATOR_OUTPUTS);
  for (const [name, output] of Object.entries<Json>(stack.output)) {
    assert.ok(output.description?.length > 10, `output ${name} has no description`);
  }
  assert.equal(stack.output.app_url.value, "https://app.dr.example.com");
  assert.equal(stack.output.load_balancer_primary_dns_name.value, "${aws_lb.web_primary_alb.dns_name}");
  assert.equal(stack.output.load_balancer_secondary_dns_name.value, "${aws_lb.web_secondary_alb.dns_name}");
  assert.equal(stack.output.dns_hosted_zone_id.value, "${aws_route53_zone.dns_global_zone.zone_id}");
  assert.equal(
    stack.output.database_global_writer_endpoint.value,
    "${aws_rds_global_cluster.database_global.endpoint}",
  );
});

Deno.test("the dashboard outputs name dashboards the stack really has, in their region", () => {
  const { stack } = defaultStack();
  for (const role of ["primary", "secondary"] as const) {
    const name = stack.output[`observability_${role}_dashboard_name`].value;
    const dashboards = Object.values(resourcesIn(stack, "aws_cloudwatch_dashboard", role));
    assert.ok(dashboards.some((body) => body.dashboard_name === name), `${role}: no dashboard ${name}`);
    const region = role === "primary" ? "us-east-1" : "us-east-2";
    assert.equal(
      stack.output[`observability_${role}_dashboard_url`].value,
      `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${name}`,
    );
  }
});

Deno.test("operator.json holds every output with its description and its value as known at synth", () => {
  const { stack, stackDir } = defaultStack();
  const manifest = JSON.parse(Deno.readTextFileSync(`${stackDir}/operator.json`));
  assert.equal(manifest.stack, "dr-dev");
  assert.deepEqual(Object.keys(manifest.outputs), OPERATOR_OUTPUTS);
  for (const name of OPERATOR_OUTPUTS) {
    assert.equal(manifest.outputs[name].description, stack.output[name].description, name);
  }
  const value = (name: string) => manifest.outputs[name].value;
  // Names and ARNs follow from arguments the stack sets; what AWS assigns at apply is null.
  assert.equal(
    value("compute_secondary_asg_name"),
    resource(stack, "aws_autoscaling_group", "compute_secondary_group").name,
  );
  assert.equal(
    value("alerting_secondary_topic_arn"),
    "arn:aws:sns:us-east-2:123456789012:dr-alerts-us-east-2-dev",
  );
  assert.equal(
    value("database_primary_cluster_arn"),
    "arn:aws:rds:us-east-1:123456789012:cluster:aurora-us-east-1-dev",
  );
  assert.deepEqual(value("regions"), { primary: "us-east-1", secondary: "us-east-2", witness: "us-west-2" });
  assert.equal(value("readiness_function_name"), "dr-readiness-us-east-2-dev");
  assert.deepEqual(value("compute_secondary_standby_capacity"), { min_size: 1, desired_capacity: 1 });
  assert.equal(value("failover_fence_alarm_name"), "dr-primary-fenced-us-east-2-dev", "failback waits on it");
  assert.equal(value("release_deploy_role_arn"), "arn:aws:iam::123456789012:role/release-deploy-dev");
  assert.equal(value("release_digest_parameter"), "/txn/dev/app/release-sha256");
  for (
    const name of ["load_balancer_primary_dns_name", "dns_hosted_zone_id", "database_global_writer_endpoint"]
  ) {
    assert.equal(value(name), null, `${name} is known only after apply`);
  }
});

Deno.test("with HOSTED_ZONE_ID given, the zone id output is that id, known at synth", () => {
  const { stackDir } = synthWith({ HOSTED_ZONE_ID: "Z0123456789ABCDEFGHIJ" });
  const manifest = JSON.parse(Deno.readTextFileSync(`${stackDir}/operator.json`));
  assert.equal(manifest.outputs.dns_hosted_zone_id.value, "Z0123456789ABCDEFGHIJ");
});

for (
  const [label, env, expected] of [
    ["an invalid suffix", { ENVIRONMENT_SUFFIX: "Prod" }, 'ENVIRONMENT_SUFFIX="Prod"'],
    ["overlapping VPCs", { SECONDARY_VPC_CIDR: "10.10.0.0/16" }, 'SECONDARY_VPC_CIDR="10.10.0.0/16"'],
    [
      "a burstable database class",
      { DB_INSTANCE_CLASS: "db.t4g.medium" },
      'DB_INSTANCE_CLASS="db.t4g.medium"',
    ],
    ["a standby as large as the primary", { STANDBY_DESIRED_CAPACITY: "2" }, 'STANDBY_DESIRED_CAPACITY="2"'],
  ] as const
) {
  Deno.test(`make synth with ${label} exits 2 naming it, and writes nothing`, () => {
    const cwd = Deno.makeTempDirSync({ prefix: "dr-cli-" });
    const result = runSynthCli(cwd, env);
    assert.equal(result.code, 2, result.stderr);
    assert.ok(result.stderr.includes(expected), result.stderr);
    assert.equal(result.stdout, "");
    assert.deepEqual([...Deno.readDirSync(cwd)], []);
  });
}
