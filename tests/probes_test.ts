import assert from "node:assert/strict";
import { samplerLambdaTimeoutSeconds } from "../handlers/lib/contract.ts";
import { defaultStack, type Json, resource, synthWith } from "./helpers.ts";

const VANTAGES = ["secondary", "witness"] as const;

Deno.test("createProbes() runs a prober of the primary in the standby region and in the witness region, every minute", () => {
  const { stack, config } = defaultStack();
  for (const vantage of VANTAGES) {
    const region = vantage === "witness" ? config.witness.region : config.secondary.region;
    const prober = resource(stack, "aws_lambda_function", `probes_${vantage}_primary_probe`);
    assert.equal(prober.provider, `aws.${vantage}`);
    assert.equal(prober.function_name, `dr-primary-probe-${region}-dev`);
    assert.equal(prober.timeout, samplerLambdaTimeoutSeconds("primary_probe", config.health.checkTimeoutMs));
    assert.equal(prober.reserved_concurrent_executions, 2, "a run lasts a little over its minute");
    assert.equal(prober.kms_key_arn, `\${aws_kms_key.kms_${vantage}.arn}`);
    assert.deepEqual(prober.environment.variables, {
      REGION_ROLE: vantage,
      METRIC_NAMESPACE: "TransactionDR/dev",
      METRIC_REGION: config.secondary.region,
      CHECK_TIMEOUT_MS: String(config.health.checkTimeoutMs),
      PRIMARY_HEALTH_URL: "https://${aws_lb.web_primary_alb.dns_name}/health/deep",
      APP_HOSTNAME: "app.dr.example.com",
      PROBE_INTERVAL_SECONDS: "10",
      PROBES_PER_INVOCATION: "6",
      POWERTOOLS_SERVICE_NAME: "dr-primary-probe",
    });
    const schedule = resource(stack, "aws_cloudwatch_event_rule", `probes_${vantage}_primary_probe_schedule`);
    assert.equal(schedule.provider, `aws.${vantage}`);
    assert.equal(schedule.schedule_expression, "rate(1 minute)");
    const permission = resource(
      stack,
      "aws_lambda_permission",
      `probes_${vantage}_primary_probe_schedule_invoke`,
    );
    assert.equal(
      permission.source_arn,
      `\${aws_cloudwatch_event_rule.probes_${vantage}_primary_probe_schedule.arn}`,
    );
    assert.equal(permission.provider, `aws.${vantage}`);
    const invoke = resource(
      stack,
      "aws_lambda_function_event_invoke_config",
      `probes_${vantage}_primary_probe_async`,
    );
    assert.equal(invoke.maximum_retry_attempts, 0, "a probe retried late is worthless");
    assert.equal(invoke.maximum_event_age_in_seconds, 60);
  }
});

Deno.test("createProbes() lets a prober publish only into the stack's metric namespace", () => {
  const { stack } = defaultStack();
  for (const vantage of VANTAGES) {
    const policy = JSON.parse(
      resource(stack, "aws_iam_role_policy", `probes_${vantage}_primary_probe_policy`).policy,
    );
    const publish = policy.Statement.find((statement: Json) => statement.Sid === "PublishProbeResults");
    assert.deepEqual(publish, {
      Effect: "Allow",
      Sid: "PublishProbeResults",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": "TransactionDR/dev" } },
    });
    const actions = policy.Statement.flatMap((statement: Json) => [statement.Action].flat());
    assert.ok(!actions.some((action: string) => /^(ssm|rds|autoscaling|dynamodb):/.test(action)), vantage);
  }
});

Deno.test("createProbes() sends the standby prober's failures to the standby topic; the witness has no topic to send to", () => {
  const { stack } = defaultStack();
  const secondary = resource(
    stack,
    "aws_lambda_function_event_invoke_config",
    "probes_secondary_primary_probe_async",
  );
  assert.equal(
    secondary.destination_config.on_failure.destination,
    "${aws_sns_topic.alerting_secondary.arn}",
  );
  const witness = resource(
    stack,
    "aws_lambda_function_event_invoke_config",
    "probes_witness_primary_probe_async",
  );
  assert.equal(witness.destination_config, undefined);
  const policy = JSON.parse(
    resource(stack, "aws_iam_role_policy", "probes_witness_primary_probe_policy").policy,
  );
  assert.ok(!policy.Statement.some((statement: Json) => statement.Sid === "FailureDestination"));
});

Deno.test("createProbes() puts the witness prober in WITNESS_REGION, its logs under the witness region's own key", () => {
  const { stack } = synthWith({ WITNESS_REGION: "ca-central-1" });
  assert.equal(
    stack.provider.aws.find((provider: { alias: string }) => provider.alias === "witness").region,
    "ca-central-1",
  );
  assert.equal(
    resource(stack, "aws_lambda_function", "probes_witness_primary_probe").function_name,
    "dr-primary-probe-ca-central-1-dev",
  );
  const logs = resource(stack, "aws_cloudwatch_log_group", "probes_witness_primary_probe_logs");
  assert.equal(logs.kms_key_id, "${aws_kms_key.kms_witness.arn}");
  const key = JSON.parse(resource(stack, "aws_kms_key", "kms_witness").policy);
  assert.deepEqual(key.Statement.map((statement: Json) => statement.Sid), [
    "KeyAdministration",
    "UseThroughStackServices",
    "CloudWatchLogsOfThisAccount",
  ]);
  assert.deepEqual(key.Statement[2].Principal, { Service: "logs.ca-central-1.amazonaws.com" });
  const alarm = resource(stack, "aws_cloudwatch_metric_alarm", "failover_secondary_primary_down_witness");
  assert.deepEqual(alarm.dimensions, { Region: "ca-central-1", Role: "witness" });
});
