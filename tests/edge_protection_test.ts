// The guarded edge: a WAFv2 web ACL on each ALB (switchable), access logs to an SSE-S3, expiring, private bucket
// that only the region's ELB log writer may fill, an AEAD-only TLS policy, and TLS_MODE=none refused unless
// acknowledged.
import assert from "node:assert/strict";
import { ELB_LOG_ACCOUNTS, ELB_LOG_DELIVERY_SERVICE, elbLogWriter } from "../modules/edge_protection.ts";
import { TLS_POLICY } from "../modules/web.ts";
import { configProblems, defaultStack, type Json, resource, resources, ROLES, synthWith } from "./helpers.ts";

Deno.test("createWebAcls() puts a regional web ACL with the managed groups and a per-IP rate rule on each ALB", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const acl = resource(stack, "aws_wafv2_web_acl", `edge_${role}_web_acl`);
    assert.equal(acl.provider, `aws.${role}`);
    assert.equal(acl.scope, "REGIONAL");
    assert.deepEqual(acl.default_action, { allow: {} });
    const rules: Json[] = acl.rule;
    const rate = rules.find((rule) => rule.statement.rate_based_statement);
    assert.ok(rate, "a rate-based rule");
    assert.deepEqual(rate.action, { block: {} });
    assert.equal(rate.statement.rate_based_statement.aggregate_key_type, "IP");
    assert.equal(rate.statement.rate_based_statement.limit, config.protection.wafRateLimitPer5Minutes);
    const managed = rules.filter((rule) => rule.statement.managed_rule_group_statement)
      .map((rule) => rule.statement.managed_rule_group_statement);
    assert.deepEqual(managed.map((group) => group.name).sort(), [
      "AWSManagedRulesAmazonIpReputationList",
      "AWSManagedRulesCommonRuleSet",
      "AWSManagedRulesKnownBadInputsRuleSet",
    ]);
    assert.ok(managed.every((group) => group.vendor_name === "AWS"));
    // Managed groups keep their own block actions (override "none", not "count").
    for (const rule of rules.filter((rule) => rule.statement.managed_rule_group_statement)) {
      assert.deepEqual(rule.override_action, { none: {} }, rule.name);
    }
    assert.equal(new Set(rules.map((rule) => rule.priority)).size, rules.length, "distinct priorities");
    for (const rule of rules) assert.equal(rule.visibility_config.cloudwatch_metrics_enabled, true);

    const association = resource(stack, "aws_wafv2_web_acl_association", `edge_${role}_web_acl_association`);
    assert.equal(association.provider, `aws.${role}`);
    assert.equal(association.resource_arn, `\${aws_lb.web_${role}_alb.arn}`);
    assert.equal(association.web_acl_arn, `\${aws_wafv2_web_acl.edge_${role}_web_acl.arn}`);
  }
});

Deno.test("WAF_ENABLED=false leaves the ALBs without a web ACL; WAF_RATE_LIMIT sets the rate rule", () => {
  const off = synthWith({ WAF_ENABLED: "false" }).stack;
  assert.deepEqual(resources(off, "aws_wafv2_web_acl"), {});
  assert.deepEqual(resources(off, "aws_wafv2_web_acl_association"), {});
  const tight = synthWith({ WAF_RATE_LIMIT: "500" }).stack;
  const acl = resource(tight, "aws_wafv2_web_acl", "edge_primary_web_acl");
  assert.equal(
    acl.rule.find((rule: Json) => rule.statement.rate_based_statement).statement
      .rate_based_statement.limit,
    500,
  );
  assert.ok(
    configProblems({ WAF_RATE_LIMIT: "50" }).some((problem) => problem.startsWith('WAF_RATE_LIMIT="50"')),
  );
  assert.ok(
    configProblems({ WAF_ENABLED: "on" }).some((problem) => problem.includes("must be true or false")),
  );
});

Deno.test("each ALB writes access logs to its region's SSE-S3, private, TLS-only, expiring log bucket", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const region = config[role].region;
    const alb = resource(stack, "aws_lb", `web_${role}_alb`);
    // The bucket name is read from the bucket policy: the ALB waits for ELB's write permission.
    assert.deepEqual(alb.access_logs, {
      enabled: true,
      bucket: `\${aws_s3_bucket_policy.edge_${role}_log_policy.bucket}`,
      prefix: "alb",
    });
    const bucket = resource(stack, "aws_s3_bucket", `edge_${role}_log_bucket`);
    assert.equal(bucket.bucket, `alb-logs-${config.accountId}-${region}-${config.environmentSuffix}`);
    assert.equal(bucket.force_destroy, true);
    const sse = resource(
      stack,
      "aws_s3_bucket_server_side_encryption_configuration",
      `edge_${role}_log_encryption`,
    );
    // ALB access logs accept SSE-S3 only; a KMS default would make ELB's writes fail.
    assert.deepEqual(sse.rule, [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }]);
    // Public access and ownership: stack_test.ts checks every bucket of the stack.
    const lifecycle = resource(stack, "aws_s3_bucket_lifecycle_configuration", `edge_${role}_log_lifecycle`);
    assert.deepEqual(lifecycle.rule[0].expiration, [{ days: 90 }]);
    assert.equal(lifecycle.rule[0].status, "Enabled");

    const policy = JSON.parse(resource(stack, "aws_s3_bucket_policy", `edge_${role}_log_policy`).policy);
    const deny = policy.Statement.find((statement: Json) => statement.Effect === "Deny");
    assert.deepEqual(deny.Condition, { Bool: { "aws:SecureTransport": "false" } });
    const allows = policy.Statement.filter((statement: Json) =>
      statement.Effect === "Allow" && statement.Sid !== "S3ServerAccessLogs"
    );
    assert.equal(allows.length, 1);
    assert.deepEqual(allows[0].Principal, { AWS: `arn:aws:iam::${ELB_LOG_ACCOUNTS[region]}:root` });
    assert.equal(allows[0].Action, "s3:PutObject");
    assert.equal(
      allows[0].Resource,
      `\${aws_s3_bucket.edge_${role}_log_bucket.arn}/alb/AWSLogs/${config.accountId}/*`,
    );
  }
});

Deno.test("each log bucket admits S3 server access logs of exactly its region's artifact bucket and account", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const policy = JSON.parse(resource(stack, "aws_s3_bucket_policy", `edge_${role}_log_policy`).policy);
    const logging = policy.Statement.filter((statement: Json) =>
      statement.Principal?.Service === "logging.s3.amazonaws.com"
    );
    assert.deepEqual(logging, [{
      Effect: "Allow",
      Sid: "S3ServerAccessLogs",
      // A single string, as moto's PutBucketLogging check (5.2.1) also requires.
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `\${aws_s3_bucket.edge_${role}_log_bucket.arn}/s3-access/*`,
      Condition: {
        ArnLike: {
          "aws:SourceArn": `arn:aws:s3:::${
            resource(stack, "aws_s3_bucket", `storage_${role}_bucket`).bucket
          }`,
        },
        StringEquals: { "aws:SourceAccount": config.accountId },
      },
    }]);
    // The prefix S3 delivers under is the one the policy admits.
    const target = resource(stack, "aws_s3_bucket_logging", `storage_${role}_access_logging`).target_prefix;
    assert.equal(`${target}*`, logging[0].Resource.split("/").slice(1).join("/"));
  }
});

Deno.test("elbLogWriter(): the ELB account of regions opened before August 2022, else the log-delivery service", () => {
  assert.deepEqual(elbLogWriter("us-east-1"), { AWS: "arn:aws:iam::127311923021:root" });
  assert.deepEqual(elbLogWriter("us-east-2"), { AWS: "arn:aws:iam::033677994240:root" });
  assert.deepEqual(elbLogWriter("eu-south-2"), { Service: ELB_LOG_DELIVERY_SERVICE });
});

Deno.test("the HTTPS listeners use the AEAD-only (-Res) TLS 1.3/1.2 policy", () => {
  assert.equal(TLS_POLICY, "ELBSecurityPolicy-TLS13-1-2-Res-2021-06");
  const { stack } = defaultStack();
  for (const role of ROLES) {
    assert.equal(resource(stack, "aws_lb_listener", `web_${role}_https`).ssl_policy, TLS_POLICY);
  }
});

Deno.test("TLS_MODE=none is refused unless TLS_NONE_ACKNOWLEDGED=yes, and the error names both", () => {
  const problems = configProblems({ TLS_MODE: "none" });
  const problem = problems.find((line) => line.startsWith('TLS_MODE="none"'));
  assert.ok(problem, problems.join("\n"));
  assert.match(problem, /TLS_NONE_ACKNOWLEDGED=yes/);
  assert.deepEqual(configProblems({ TLS_MODE: "none", TLS_NONE_ACKNOWLEDGED: "yes" }), []);
  assert.ok(
    configProblems({ TLS_NONE_ACKNOWLEDGED: "maybe" }).some((line) => line.includes("must be yes or no")),
  );
});
