// A small synthetic cdk.tf.json in the shape cdktf emits (max-1 blocks as objects, lists as arrays, references
// as `${type.id.attr}`) covering every type the hand-off tools read: Aurora global database, S3 with two-way
// replication, SSM, DynamoDB, ALB/ASG, Route 53, Lambda, IAM, alarms, EventBridge, dashboards. Tests change
// it to build cases the real stack must never have. Each call returns a fresh object.
import { type Json, ROLES } from "./helpers.ts";

const ACCOUNT = "123456789012";
const REGION = { primary: "us-east-1", secondary: "us-east-2" } as const;
const PEER = { primary: "secondary", secondary: "primary" } as const;

const ref = (type: string, id: string, attribute: string) => `\${${type}.${id}.${attribute}}`;
const policy = (statements: Json[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements.map((s) => ({ Effect: "Allow", ...s })) });
const trust = (service: string) => policy([{ Action: "sts:AssumeRole", Principal: { Service: service } }]);

export function handoffFixture(): Json {
  const resource: Record<string, Record<string, Json>> = {};
  const add = (type: string, id: string, body: Json) => {
    (resource[type] ??= {})[id] = body;
  };

  add("aws_rds_global_cluster", "database_global", {
    provider: "aws.primary",
    global_cluster_identifier: "aurora-global-dev",
    engine: "aurora-postgresql",
    engine_version: "16.6",
    storage_encrypted: true,
    force_destroy: true,
  });
  add("aws_route53_zone", "dns_zone", { provider: "aws.primary", name: "dr.example.com" });
  add("aws_dynamodb_table", "failover_primary_lock", {
    provider: "aws.primary",
    name: "dr-failover-lock-dev",
    billing_mode: "PAY_PER_REQUEST",
    hash_key: "id",
    attribute: [{ name: "id", type: "S" }],
    point_in_time_recovery: { enabled: true },
    server_side_encryption: { enabled: true, kms_key_arn: ref("aws_kms_key", "kms_primary", "arn") },
  });

  for (const role of ROLES) {
    const region = REGION[role];
    const p = `aws.${role}`;
    const key = ref("aws_kms_key", `kms_${role}`, "arn");
    const sg = (name: string) => ref("aws_security_group", `firewall_${role}_${name}`, "id");
    add("aws_kms_key", `kms_${role}`, { provider: p, enable_key_rotation: true, deletion_window_in_days: 7 });
    add("aws_vpc", `network_${role}`, {
      provider: p,
      cidr_block: role === "primary" ? "10.10.0.0/16" : "10.20.0.0/16",
      tags: { Name: `vpc-${region}-dev` },
    });
    for (const name of ["alb", "app", "database", "db-checker"]) {
      add("aws_security_group", `firewall_${role}_${name}`, {
        provider: p,
        name: `${name}-sg-${region}-dev`,
        vpc_id: ref("aws_vpc", `network_${role}`, "id"),
      });
    }
    add("aws_vpc_security_group_ingress_rule", `firewall_${role}_alb_https_ipv4_in`, {
      provider: p,
      security_group_id: sg("alb"),
      cidr_ipv4: "0.0.0.0/0",
      ip_protocol: "tcp",
      from_port: 443,
      to_port: 443,
      description: "HTTPS",
    });
    add("aws_vpc_security_group_ingress_rule", `firewall_${role}_app_from_alb_in`, {
      provider: p,
      security_group_id: sg("app"),
      referenced_security_group_id: sg("alb"),
      ip_protocol: "tcp",
      from_port: 8080,
      to_port: 8080,
    });
    for (const caller of ["app", "db-checker"]) {
      add("aws_vpc_security_group_ingress_rule", `firewall_${role}_database_from_${caller}_in`, {
        provider: p,
        security_group_id: sg("database"),
        referenced_security_group_id: sg(caller),
        ip_protocol: "tcp",
        from_port: 5432,
        to_port: 5432,
      });
    }

    // Aurora: the secondary has no master credentials (it replicates).
    add("aws_rds_cluster", `database_${role}`, {
      provider: p,
      cluster_identifier: `aurora-${region}-dev`,
      engine: "aurora-postgresql",
      global_cluster_identifier: ref("aws_rds_global_cluster", "database_global", "id"),
      storage_encrypted: true,
      kms_key_id: key,
      backup_retention_period: 7,
      preferred_backup_window: "03:00-04:00",
      skip_final_snapshot: true,
      vpc_security_group_ids: [sg("database")],
      ...(role === "primary"
        ? { master_username: "txn_admin", master_password_wo: "${var.db_master_password}" }
        : {}),
      lifecycle: { ignore_changes: ["replication_source_identifier", "global_cluster_identifier"] },
    });
    for (const name of role === "primary" ? ["a", "b"] : ["a"]) {
      add("aws_rds_cluster_instance", `database_${role}_${name}`, {
        provider: p,
        identifier: `aurora-${region}-${name}-dev`,
        cluster_identifier: ref("aws_rds_cluster", `database_${role}`, "id"),
        instance_class: "db.r6g.large",
      });
    }
    add("aws_rds_cluster_parameter_group", `database_${role}_parameters`, {
      provider: p,
      name: `aurora-params-${region}-dev`,
      family: "aurora-postgresql16",
      parameter: role === "primary" ? [{ name: "rds.global_db_rpo", value: "20" }] : [],
    });

    // S3 with replication to the peer bucket.
    const bucket = `storage_${role}`;
    add("aws_s3_bucket", bucket, { provider: p, bucket: `artifacts-${ACCOUNT}-${region}-dev` });
    add("aws_s3_bucket_versioning", `${bucket}_versioning`, {
      provider: p,
      bucket: ref("aws_s3_bucket", bucket, "id"),
      versioning_configuration: { status: "Enabled" },
    });
    add("aws_s3_bucket_server_side_encryption_configuration", `${bucket}_encryption`, {
      provider: p,
      bucket: ref("aws_s3_bucket", bucket, "id"),
      rule: [{
        apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: key },
      }],
    });
    add("aws_s3_bucket_public_access_block", `${bucket}_public_access`, {
      provider: p,
      bucket: ref("aws_s3_bucket", bucket, "id"),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    add("aws_s3_bucket_lifecycle_configuration", `${bucket}_lifecycle`, {
      provider: p,
      bucket: ref("aws_s3_bucket", bucket, "id"),
      rule: [{
        id: "old-versions",
        status: "Enabled",
        filter: {},
        noncurrent_version_expiration: { noncurrent_days: 30 },
      }],
    });
    add("aws_s3_bucket_replication_configuration", `${bucket}_replication`, {
      provider: p,
      bucket: ref("aws_s3_bucket", bucket, "id"),
      role: ref("aws_iam_role", "storage_replication", "arn"),
      rule: [{
        id: `to-${PEER[role]}`,
        status: "Enabled",
        filter: {},
        delete_marker_replication: { status: "Enabled" },
        destination: {
          bucket: ref("aws_s3_bucket", `storage_${PEER[role]}`, "arn"),
          replication_time: { status: "Enabled", time: { minutes: 15 } },
          metrics: { status: "Enabled", event_threshold: { minutes: 15 } },
          encryption_configuration: { replica_kms_key_id: ref("aws_kms_key", `kms_${PEER[role]}`, "arn") },
        },
      }],
    });

    add("aws_ssm_parameter", `parameters_${role}_master-password`, {
      provider: p,
      name: "/txn/dev/database/master-password",
      type: "SecureString",
      key_id: key,
      value_wo: "${var.db_master_password}",
    });
    add("aws_ssm_parameter", `parameters_${role}_writer-endpoint`, {
      provider: p,
      name: "/txn/dev/database/writer-endpoint",
      type: "String",
      value: ref("aws_rds_global_cluster", "database_global", "endpoint"),
    });

    // Web tier: ALB (HTTPS forward, HTTP redirect) -> target group <- ASG.
    add("aws_lb", `web_${role}`, {
      provider: p,
      name: `alb-${region}-dev`,
      internal: false,
      load_balancer_type: "application",
      security_groups: [sg("alb")],
    });
    add("aws_lb_target_group", `web_${role}_app`, {
      provider: p,
      name: `tg-${region}-dev`,
      port: 8080,
      protocol: "HTTP",
    });
    add("aws_lb_listener", `web_${role}_https`, {
      provider: p,
      load_balancer_arn: ref("aws_lb", `web_${role}`, "arn"),
      port: 443,
      protocol: "HTTPS",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      default_action: [{
        type: "forward",
        target_group_arn: ref("aws_lb_target_group", `web_${role}_app`, "arn"),
      }],
    });
    add("aws_lb_listener", `web_${role}_http`, {
      provider: p,
      load_balancer_arn: ref("aws_lb", `web_${role}`, "arn"),
      port: 80,
      protocol: "HTTP",
      default_action: [{
        type: "redirect",
        redirect: { port: "443", protocol: "HTTPS", status_code: "HTTP_301" },
      }],
    });
    add("aws_launch_template", `compute_${role}`, {
      provider: p,
      name: `app-${region}-dev`,
      vpc_security_group_ids: [sg("app")],
      block_device_mappings: [{ device_name: "/dev/xvda", ebs: { encrypted: true, kms_key_id: key } }],
    });
    add("aws_autoscaling_group", `compute_${role}`, {
      provider: p,
      name: `asg-${region}-dev`,
      min_size: role === "primary" ? 2 : 1,
      desired_capacity: role === "primary" ? 2 : 1,
      max_size: 6,
      launch_template: { id: ref("aws_launch_template", `compute_${role}`, "id"), version: "$Latest" },
      target_group_arns: [ref("aws_lb_target_group", `web_${role}_app`, "arn")],
      tag: [
        { key: "Environment", value: "dev", propagate_at_launch: true },
        { key: "DR-Role", value: role, propagate_at_launch: true },
        { key: "Cost-Center", value: "transactions-dr", propagate_at_launch: true },
      ],
    });

    // DNS: weighted alias records 100 / 0, the primary guarded by a calculated check.
    add("aws_route53_record", `dns_${role}`, {
      provider: "aws.primary",
      zone_id: ref("aws_route53_zone", "dns_zone", "zone_id"),
      name: "app",
      type: "A",
      set_identifier: role,
      weighted_routing_policy: { weight: role === "primary" ? 100 : 0 },
      alias: {
        name: ref("aws_lb", `web_${role}`, "dns_name"),
        zone_id: ref("aws_lb", `web_${role}`, "zone_id"),
        evaluate_target_health: true,
      },
      ...(role === "primary"
        ? { health_check_id: ref("aws_route53_health_check", "dns_primary_calculated", "id") }
        : {}),
    });

    // Health checkers and the failover orchestrator.
    add("aws_lambda_function", `health_${role}_db-checker`, {
      provider: p,
      function_name: `db-checker-${region}-dev`,
      role: ref("aws_iam_role", "health_checker", "arn"),
      runtime: "nodejs22.x",
      filename: "assets/health-checker/0123456789ABCDEF0123456789ABCDEF/checker.zip",
      vpc_config: { security_group_ids: [sg("db-checker")], subnet_ids: [] },
    });
    add("aws_cloudwatch_log_group", `health_${role}_db-checker_logs`, {
      provider: p,
      name: `/aws/lambda/db-checker-${region}-dev`,
      retention_in_days: 30,
      kms_key_id: key,
    });
    add("aws_cloudwatch_event_rule", `health_${role}_schedule`, {
      provider: p,
      name: `health-checks-${region}-dev`,
      schedule_expression: "rate(1 minute)",
    });
    add("aws_cloudwatch_event_target", `health_${role}_schedule_target`, {
      provider: p,
      rule: ref("aws_cloudwatch_event_rule", `health_${role}_schedule`, "name"),
      arn: ref("aws_lambda_function", `health_${role}_db-checker`, "arn"),
    });
    add("aws_sns_topic", `alerting_${role}`, {
      provider: p,
      name: `dr-alerts-${region}-dev`,
      kms_master_key_id: key,
    });
    add("aws_cloudwatch_dashboard", `observability_${role}`, {
      provider: p,
      dashboard_name: `dr-${region}-dev`,
      dashboard_body: "{}",
    });
  }

  add("aws_route53_health_check", "dns_primary_https", {
    provider: "aws.primary",
    type: "HTTPS",
    fqdn: ref("aws_lb", "web_primary", "dns_name"),
    port: 443,
    resource_path: "/health",
    request_interval: 10,
    failure_threshold: 3,
  });
  add("aws_route53_health_check", "dns_primary_peer_view", {
    provider: "aws.primary",
    type: "CLOUDWATCH_METRIC",
    cloudwatch_alarm_name: ref(
      "aws_cloudwatch_metric_alarm",
      "health_secondary_peer_unreachable",
      "alarm_name",
    ),
    cloudwatch_alarm_region: "us-east-2",
    insufficient_data_health_status: "LastKnownStatus",
  });
  add("aws_route53_health_check", "dns_primary_calculated", {
    provider: "aws.primary",
    type: "CALCULATED",
    child_health_threshold: 2,
    child_healthchecks: [
      ref("aws_route53_health_check", "dns_primary_https", "id"),
      ref("aws_route53_health_check", "dns_primary_peer_view", "id"),
    ],
  });
  add("aws_cloudwatch_metric_alarm", "database_secondary_rpo_lag", {
    provider: "aws.secondary",
    alarm_name: "aurora-rpo-lag-us-east-2-dev",
    namespace: "AWS/RDS",
    metric_name: "AuroraGlobalDBRPOLag",
    statistic: "Maximum",
    comparison_operator: "GreaterThanThreshold",
    threshold: 30000,
    period: 60,
    evaluation_periods: 2,
    treat_missing_data: "breaching",
    alarm_actions: [ref("aws_sns_topic", "alerting_secondary", "arn")],
  });
  add("aws_cloudwatch_metric_alarm", "health_secondary_peer_unreachable", {
    provider: "aws.secondary",
    alarm_name: "primary-unreachable-us-east-2-dev",
    comparison_operator: "LessThanThreshold",
    threshold: 1,
    evaluation_periods: 2,
    treat_missing_data: "breaching",
    metric_query: [
      {
        id: "peer",
        metric: {
          namespace: "TransactionDR/dev",
          metric_name: "PeerAppHealthy",
          period: 60,
          stat: "Minimum",
        },
      },
      { id: "healthy", expression: "FILL(peer, 0)", return_data: true },
    ],
    alarm_actions: [ref("aws_sns_topic", "alerting_secondary", "arn")],
  });
  add("aws_cloudwatch_event_rule", "failover_secondary_trigger", {
    provider: "aws.secondary",
    name: "failover-trigger-us-east-2-dev",
    event_pattern: JSON.stringify({
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
    }),
  });
  add("aws_cloudwatch_event_target", "failover_secondary_trigger_target", {
    provider: "aws.secondary",
    rule: ref("aws_cloudwatch_event_rule", "failover_secondary_trigger", "name"),
    arn: ref("aws_lambda_function", "failover_secondary_orchestrator", "arn"),
  });
  add("aws_lambda_function", "failover_secondary_orchestrator", {
    provider: "aws.secondary",
    function_name: "failover-us-east-2-dev",
    role: ref("aws_iam_role", "failover_orchestrator", "arn"),
    runtime: "nodejs22.x",
  });

  // IAM (global, primary provider): inline policies with exact ARNs, one AWS-required `*` resource.
  add("aws_iam_role", "failover_orchestrator", {
    provider: "aws.primary",
    name: "failover-orchestrator-dev",
    assume_role_policy: trust("lambda.amazonaws.com"),
  });
  add("aws_iam_role_policy", "failover_orchestrator_policy", {
    provider: "aws.primary",
    name: "failover-orchestrator-dev",
    role: ref("aws_iam_role", "failover_orchestrator", "id"),
    policy: policy([
      {
        Action: ["rds:FailoverGlobalCluster", "rds:SwitchoverGlobalCluster"],
        Resource: [
          ref("aws_rds_global_cluster", "database_global", "arn"),
          ref("aws_rds_cluster", "database_secondary", "arn"),
        ],
      },
      {
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": "TransactionDR/dev" } },
      },
    ]),
  });
  add("aws_iam_role_policy_attachment", "failover_orchestrator_logs", {
    provider: "aws.primary",
    role: ref("aws_iam_role", "failover_orchestrator", "name"),
    policy_arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
  });
  add("aws_iam_role", "health_checker", {
    provider: "aws.primary",
    name: "health-checker-dev",
    assume_role_policy: trust("lambda.amazonaws.com"),
  });
  add("aws_iam_role_policy_attachment", "health_checker_vpc", {
    provider: "aws.primary",
    role: ref("aws_iam_role", "health_checker", "name"),
    policy_arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
  });
  add("aws_iam_role", "storage_replication", {
    provider: "aws.primary",
    name: "s3-replication-dev",
    assume_role_policy: trust("s3.amazonaws.com"),
  });
  add("aws_iam_role_policy", "storage_replication_policy", {
    provider: "aws.primary",
    name: "replicate-us-east-1-dev",
    role: ref("aws_iam_role", "storage_replication", "id"),
    policy: policy([{
      Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
      Resource: [
        ref("aws_s3_bucket", "storage_primary", "arn"),
        ref("aws_s3_bucket", "storage_secondary", "arn"),
      ],
    }]),
  });

  const provider = (alias: "primary" | "secondary") => ({
    alias,
    region: REGION[alias],
    allowed_account_ids: [ACCOUNT],
    default_tags: [{ tags: { "Cost-Center": "transactions-dr", "DR-Role": alias, Environment: "dev" } }],
  });
  return {
    "//": { metadata: { backend: "local", stackName: "dr-dev", version: "0.21.0" }, outputs: {} },
    provider: { aws: [provider("primary"), provider("secondary")] },
    resource,
    terraform: {
      backend: { local: { path: "terraform.tfstate" } },
      required_providers: { aws: { source: "aws", version: "5.100.0" } },
    },
    variable: {
      db_master_password: {
        type: "string",
        sensitive: true,
        ephemeral: true,
        nullable: false,
        description: "Aurora master password",
      },
      db_master_password_version: { type: "number", default: 1, description: "rotation counter" },
    },
  };
}

export interface ToolRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `deno run <permissions> tools/<script>` as the Makefile does (same permission flags). */
export function runTool(
  script: string,
  permissions: readonly string[],
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): ToolRun {
  const root = new URL("..", import.meta.url).pathname;
  const result = new Deno.Command(Deno.execPath(), {
    args: ["run", "--config", `${root}deno.json`, ...permissions, `${root}tools/${script}`, ...args],
    cwd: options.cwd ?? root,
    env: options.env,
  }).outputSync();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: result.code, stdout: decode(result.stdout), stderr: decode(result.stderr) };
}

/** The permission flags of each tool's Makefile target. */
export const TOOL_PERMISSIONS = {
  bundle: ["--allow-read", "--allow-write", "--allow-env", "--allow-run=git"],
  verifyBundle: ["--allow-read", "--allow-write", "--allow-env", "--allow-run=terraform"],
  review: ["--allow-read", "--allow-env"],
} as const;
