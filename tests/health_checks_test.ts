import assert from "node:assert/strict";
import { defaultStack, type Json, resource, resources, resourcesIn, synthWith } from "./helpers.ts";
import { checkerLambdaTimeoutSeconds, samplerLambdaTimeoutSeconds } from "../handlers/lib/contract.ts";
import {
  readAppCheckerEnvironment,
  readCheckerEnvironment,
  readProbeEnvironment,
} from "../handlers/lib/input.ts";
import { loadFailoverConfig } from "../handlers/failover.ts";
import { loadReadinessConfig } from "../handlers/lib/readiness_config.ts";

const CHECKERS = ["db_health", "app_health"] as const;

Deno.test("createHealthChecks() runs both checkers in both regions every minute", () => {
  const { stack } = defaultStack();
  for (const role of ["primary", "secondary"] as const) {
    for (const checker of CHECKERS) {
      const rule = resource(stack, "aws_cloudwatch_event_rule", `health_checks_${role}_${checker}_schedule`);
      assert.equal(rule.schedule_expression, "rate(1 minute)");
      assert.equal(rule.provider, `aws.${role}`);
      const permission = resource(
        stack,
        "aws_lambda_permission",
        `health_checks_${role}_${checker}_schedule_invoke`,
      );
      assert.equal(permission.principal, "events.amazonaws.com");
      assert.equal(
        permission.source_arn,
        `\${aws_cloudwatch_event_rule.health_checks_${role}_${checker}_schedule.arn}`,
      );
      assert.equal(permission.provider, `aws.${role}`);
    }
  }
});

Deno.test("createHealthChecks() puts only the database checker in the VPC, with the checker security group", () => {
  const { stack } = defaultStack();
  for (const role of ["primary", "secondary"] as const) {
    const database = resource(stack, "aws_lambda_function", `health_checks_${role}_db_health`);
    assert.deepEqual(database.vpc_config.security_group_ids, [
      `\${aws_security_group.firewall_${role}_db-checker.id}`,
    ]);
    assert.equal(database.vpc_config.subnet_ids.length, 3);
    assert.equal(database.environment.variables.NODE_EXTRA_CA_CERTS, "/var/runtime/ca-cert.pem");
    assert.equal(
      resource(stack, "aws_lambda_function", `health_checks_${role}_app_health`).vpc_config,
      undefined,
    );
  }
});

Deno.test("createHealthChecks() points each app checker at its own and its peer's load balancer", () => {
  const { stack } = defaultStack();
  const primary =
    resource(stack, "aws_lambda_function", "health_checks_primary_app_health").environment.variables;
  const secondary =
    resource(stack, "aws_lambda_function", "health_checks_secondary_app_health").environment.variables;
  assert.equal(primary.LOCAL_HEALTH_URL, secondary.PEER_HEALTH_URL);
  assert.equal(primary.PEER_HEALTH_URL, secondary.LOCAL_HEALTH_URL);
  assert.match(primary.LOCAL_HEALTH_URL, /^https:\/\/.*\/health\/deep$/);
  assert.equal(primary.APP_HOSTNAME, "app.dr.example.com");
});

Deno.test("every Lambda function: nodejs22.x on arm64, traced, KMS, its log group created first, a failure destination", () => {
  const { stack } = defaultStack();
  const functions = resources(stack, "aws_lambda_function");
  assert.equal(
    Object.keys(functions).length,
    8,
    "two checkers per region, two probers, the orchestrator, readiness",
  );
  const logGroups = Object.entries(resources(stack, "aws_cloudwatch_log_group"));
  const invokeConfigs = Object.values(resources(stack, "aws_lambda_function_event_invoke_config"));
  for (const [id, lambda] of Object.entries(functions)) {
    assert.equal(lambda.runtime, "nodejs22.x", id);
    assert.deepEqual(lambda.architectures, ["arm64"], id);
    assert.equal(lambda.tracing_config.mode, "Active", id);
    assert.ok(lambda.kms_key_arn, id);
    assert.ok(lambda.reserved_concurrent_executions >= 1, id);
    const [logGroupId, logGroup] = logGroups.find(([, group]) =>
      group.name === `/aws/lambda/${lambda.function_name}`
    )!;
    assert.ok(logGroup.kms_key_id && logGroup.retention_in_days, id);
    assert.ok(lambda.depends_on.includes(`aws_cloudwatch_log_group.${logGroupId}`), id);
    assert.match(lambda.filename, /^assets\/.*\.zip$/);
    assert.ok(lambda.source_code_hash, id);
    const invoke = invokeConfigs.find((config) =>
      config.function_name === `\${aws_lambda_function.${id}.function_name}`
    );
    assert.ok(invoke, id);
    if (lambda.provider === "aws.witness") {
      // No topic in the witness region: the standby's witness-silent alarm watches this prober.
      assert.equal(invoke.destination_config, undefined, id);
      assert.equal(
        resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_witness_silent").dimensions.Role,
        "witness",
      );
    } else {
      assert.ok(invoke.destination_config.on_failure.destination, id);
    }
  }
});

Deno.test("Lambda roles: no wildcard action; '*' resources only for X-Ray, Describe and namespaced PutMetricData", () => {
  const { stack, config } = defaultStack();
  const allowedStar = /^(xray:|ec2:Describe|autoscaling:Describe)/;
  let checked = 0;
  for (const role of ["primary", "secondary", "witness"] as const) {
    for (const [id, policy] of Object.entries(resourcesIn(stack, "aws_iam_role_policy", role))) {
      if (!/^(health_checks|failover|probes)_/.test(id)) continue;
      checked++;
      for (const statement of JSON.parse(policy.policy).Statement) {
        const actions = [statement.Action].flat();
        assert.ok(actions.every((action: string) => !action.includes("*")), `${id}: ${actions}`);
        if (!([statement.Resource].flat().includes("*"))) continue;
        if (actions.includes("cloudwatch:PutMetricData")) {
          assert.deepEqual(actions, ["cloudwatch:PutMetricData"], id);
          assert.deepEqual(statement.Condition, {
            StringEquals: { "cloudwatch:namespace": `TransactionDR/${config.environmentSuffix}` },
          }, id);
          continue;
        }
        assert.ok(actions.every((action: string) => allowedStar.test(action)), `${id}: * for ${actions}`);
      }
    }
  }
  assert.equal(checked, 7, "every function's policy was read");
});

Deno.test("every synthesized function's environment passes its handler's own validation", () => {
  const { stack, config } = defaultStack();
  const functions = resources(stack, "aws_lambda_function");
  const regionOf = (body: { provider: string }) =>
    body.provider === "aws.witness"
      ? config.witness.region
      : config[body.provider === "aws.primary" ? "primary" : "secondary"].region;
  // References resolve at apply: to the referenced resource's literal attribute, or to the ARN AWS will assign.
  const arnOf: Record<string, (body: Json) => string> = {
    aws_rds_cluster: (body) =>
      `arn:aws:rds:${regionOf(body)}:${config.accountId}:cluster:${body.cluster_identifier}`,
    aws_sns_topic: (body) => `arn:aws:sns:${regionOf(body)}:${config.accountId}:${body.name}`,
  };
  const resolve = (value: string) =>
    value.replace(/\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g, (_, type, name, attribute) => {
      const body = resource(stack, type, name);
      return attribute === "arn" ? arnOf[type](body) : body[attribute] ?? `${name}.${attribute}.example.com`;
    });
  const envOf = (id: string) => ({
    ...Object.fromEntries(
      Object.entries(functions[id].environment.variables as Record<string, string>).map((
        [key, value],
      ) => [key, resolve(value)]),
    ),
    AWS_REGION: regionOf(functions[id]),
  });
  for (const role of ["primary", "secondary"] as const) {
    readCheckerEnvironment(envOf(`health_checks_${role}_db_health`));
    readAppCheckerEnvironment(envOf(`health_checks_${role}_app_health`));
  }
  assert.equal(
    readCheckerEnvironment(envOf("health_checks_secondary_db_health")).replicationStallSeconds,
    config.health.replicationStallSeconds,
  );
  for (const vantage of ["secondary", "witness"] as const) {
    const prober = readProbeEnvironment(envOf(`probes_${vantage}_primary_probe`));
    assert.equal(prober.role, vantage);
    assert.equal(prober.metricRegion, config.secondary.region, "every vote lands in the standby region");
    assert.equal(prober.region, vantage === "witness" ? config.witness.region : config.secondary.region);
  }
  const orchestrator = loadFailoverConfig(envOf("failover_secondary_failover"));
  assert.equal(orchestrator.appHostname, "app.dr.example.com");
  assert.equal(orchestrator.failoverCapacity, config.compute.primaryDesiredCapacity);
  const readiness = loadReadinessConfig(envOf("readiness_secondary_readiness"));
  assert.deepEqual(readiness.failover, orchestrator, "readiness evaluates the orchestrator's configuration");
});

Deno.test("createHealthChecks() gives the standby's database checker its stall threshold and a minute of sampling", () => {
  const { stack, config } = defaultStack();
  const standby = resource(stack, "aws_lambda_function", "health_checks_secondary_db_health");
  assert.equal(
    standby.environment.variables.REPLICATION_STALL_SECONDS,
    String(config.health.replicationStallSeconds),
  );
  assert.equal(standby.timeout, samplerLambdaTimeoutSeconds("db_health", config.health.checkTimeoutMs));
  const primary = resource(stack, "aws_lambda_function", "health_checks_primary_db_health");
  assert.equal(
    primary.environment.variables.REPLICATION_STALL_SECONDS,
    undefined,
    "the writer replicates nothing in",
  );
  assert.equal(primary.timeout, checkerLambdaTimeoutSeconds("db_health", config.health.checkTimeoutMs));
  assert.equal(
    synthWith({ REPLICATION_STALL_SECONDS: "20" }).stack.resource.aws_lambda_function
      .health_checks_secondary_db_health.environment.variables.REPLICATION_STALL_SECONDS,
    "20",
  );
});
