import assert from "node:assert/strict";
import { GROUP_METRICS } from "../modules/compute.ts";
import { SESSION_MANAGER_POLICY_ARN } from "../modules/compute_instance_role.ts";
import { ARTIFACT_KEY, decodeUserData, upstreamPort } from "../modules/app_service/user_data.ts";
import { artifactBucketName } from "../modules/naming.ts";
import {
  INSTANCE_FENCE_POLL_SECONDS,
  INSTANCE_FENCE_READ_TIMEOUT_SECONDS,
  parameterName,
  parameterPrefix,
} from "../handlers/lib/contract.ts";
import { defaultStack, type Json, resource, resources, ROLES, synthWith } from "./helpers.ts";

Deno.test("createCompute() resolves the AMI through SSM, requires IMDSv2 and turns on detailed monitoring", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const template = resource(stack, "aws_launch_template", `compute_${role}_template`);
    assert.equal(template.provider, `aws.${role}`);
    assert.equal(template.image_id, `resolve:ssm:${config.compute.amiParameter}`);
    assert.equal(template.instance_type, config.compute.instanceType);
    assert.deepEqual(template.metadata_options, {
      http_endpoint: "enabled",
      http_tokens: "required",
      http_put_response_hop_limit: 1,
      instance_metadata_tags: "disabled",
    });
    assert.deepEqual(template.monitoring, { enabled: true });
    assert.deepEqual(template.vpc_security_group_ids, [`\${aws_security_group.firewall_${role}_app.id}`]);
    assert.equal(
      template.iam_instance_profile.arn,
      `\${aws_iam_instance_profile.compute_${role}_instance_profile.arn}`,
    );
    assert.equal(template.update_default_version, true);
  }
});

Deno.test("createCompute() sizes the gp3 root volume explicitly and encrypts it with the region's own key", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const [root] = resource(stack, "aws_launch_template", `compute_${role}_template`).block_device_mappings;
    assert.equal(root.device_name, "/dev/xvda");
    assert.deepEqual(root.ebs, {
      volume_type: "gp3",
      volume_size: config.compute.rootVolumeGb,
      encrypted: "true",
      kms_key_id: `\${aws_kms_key.kms_${role}.arn}`,
      delete_on_termination: "true",
    });
  }
  const sized = synthWith({ ROOT_VOLUME_GB: "64" }).stack;
  for (const role of ROLES) {
    const [root] = resource(sized, "aws_launch_template", `compute_${role}_template`).block_device_mappings;
    assert.equal(root.ebs.volume_size, 64);
  }
});

Deno.test("createCompute() tags launched instances and volumes (provider default tags do not reach them)", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const region = config[role].region;
    const expected = {
      Name: `app-${region}-${config.environmentSuffix}`,
      Environment: config.environment,
      "DR-Role": role,
      "Cost-Center": config.costCenter,
    };
    const template = resource(stack, "aws_launch_template", `compute_${role}_template`);
    assert.deepEqual(
      template.tag_specifications.map((spec: Json) => spec.resource_type).sort(),
      ["instance", "volume"],
    );
    for (const spec of template.tag_specifications) assert.deepEqual(spec.tags, expected);
    const group = resource(stack, "aws_autoscaling_group", `compute_${role}_group`);
    assert.deepEqual(
      Object.fromEntries(group.tag.map((tag: Json) => [tag.key, tag.value])),
      expected,
    );
    assert.ok(group.tag.every((tag: Json) => tag.propagate_at_launch === true));
  }
});

Deno.test("createCompute() runs the primary at full capacity and the standby at its minimum plus a stopped warm pool", () => {
  const { stack, config } = defaultStack();
  const primary = resource(stack, "aws_autoscaling_group", "compute_primary_group");
  const standby = resource(stack, "aws_autoscaling_group", "compute_secondary_group");
  assert.equal(primary.min_size, config.compute.primaryMinSize);
  assert.equal(primary.desired_capacity, config.compute.primaryDesiredCapacity);
  assert.equal(primary.max_size, config.compute.maxSize);
  assert.equal(primary.warm_pool, undefined);
  assert.equal(standby.min_size, config.compute.standbyMinSize);
  assert.equal(standby.desired_capacity, config.compute.standbyDesiredCapacity);
  assert.equal(standby.max_size, config.compute.maxSize);
  assert.deepEqual(standby.warm_pool, {
    pool_state: "Stopped",
    min_size: 1,
    max_group_prepared_capacity: 2,
    instance_reuse_policy: { reuse_on_scale_in: true },
  });
  assert.deepEqual(primary.lifecycle.ignore_changes, ["desired_capacity"]);
  assert.deepEqual(standby.lifecycle.ignore_changes, ["desired_capacity", "min_size"]);
});

Deno.test("createCompute() sizes the warm pool from the configured capacities", () => {
  const { stack } = synthWith({
    PRIMARY_MIN_SIZE: "3",
    PRIMARY_DESIRED_CAPACITY: "4",
    MAX_SIZE: "8",
    STANDBY_MIN_SIZE: "1",
    STANDBY_DESIRED_CAPACITY: "1",
  });
  const standby = resource(stack, "aws_autoscaling_group", "compute_secondary_group");
  assert.equal(standby.warm_pool.min_size, 3);
  assert.equal(standby.warm_pool.max_group_prepared_capacity, 4);
  assert.equal(standby.max_size, 8);
});

Deno.test("createCompute() registers inline in the target group, checks ELB health after the grace period, refreshes on template change", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const group = resource(stack, "aws_autoscaling_group", `compute_${role}_group`);
    assert.deepEqual(group.target_group_arns, [`\${aws_lb_target_group.web_${role}_targets.arn}`]);
    assert.equal(group.health_check_type, "ELB");
    assert.equal(group.health_check_grace_period, config.compute.healthCheckGraceSeconds);
    assert.deepEqual(group.launch_template, {
      id: `\${aws_launch_template.compute_${role}_template.id}`,
      version: `\${aws_launch_template.compute_${role}_template.latest_version}`,
    });
    assert.equal(group.instance_refresh.strategy, "Rolling");
    assert.equal(group.instance_refresh.preferences.min_healthy_percentage, 100);
    assert.equal(group.vpc_zone_identifier.length, config[role].availabilityZones.length);
    assert.ok(
      group.vpc_zone_identifier.every((subnet: string) => subnet.includes(`network_${role}_app_`)),
    );
  }
  assert.deepEqual(resources(stack, "aws_autoscaling_attachment"), {}, "inline target_group_arns only");
});

Deno.test("createCompute() scales by target tracking and publishes the capacity metrics every minute", () => {
  const { stack } = defaultStack();
  for (const role of ROLES) {
    const group = resource(stack, "aws_autoscaling_group", `compute_${role}_group`);
    assert.deepEqual(group.enabled_metrics, GROUP_METRICS);
    assert.ok(group.enabled_metrics.includes("WarmPoolWarmedCapacity"));
    assert.equal(group.metrics_granularity, "1Minute");
    const policy = resource(stack, "aws_autoscaling_policy", `compute_${role}_cpu_target`);
    assert.equal(policy.policy_type, "TargetTrackingScaling");
    assert.equal(policy.autoscaling_group_name, `\${aws_autoscaling_group.compute_${role}_group.name}`);
    assert.equal(
      policy.target_tracking_configuration.predefined_metric_specification.predefined_metric_type,
      "ASGAverageCPUUtilization",
    );
  }
});

Deno.test("createCompute() gives the instance role its own parameters, key through SSM/S3, artifact, logs and Session Manager only", () => {
  const { stack, config } = defaultStack();
  const prefix = parameterPrefix(config.appName, config.environmentSuffix);
  for (const role of ROLES) {
    const region = config[role].region;
    const trust = JSON.parse(
      resource(stack, "aws_iam_role", `compute_${role}_instance_role`).assume_role_policy,
    );
    assert.deepEqual(trust.Statement[0].Principal, { Service: "ec2.amazonaws.com" });
    const policy = JSON.parse(
      resource(stack, "aws_iam_role_policy", `compute_${role}_instance_policy`).policy,
    );
    const bySid = Object.fromEntries(policy.Statement.map((statement: Json) => [statement.Sid, statement]));
    assert.deepEqual(Object.keys(bySid).sort(), [
      "ConnectAsApplicationRole",
      "DecryptArtifactThroughS3",
      "NeverTheMasterPassword",
      "NoOtherParameters",
      "ReadOwnParameters",
      "ReadRdsCaBundle",
      "ReadReleaseArtifact",
      "SeeWhetherReleaseIsPublished",
      "WriteOwnLogs",
    ]);
    assert.ok(
      bySid.ReadOwnParameters.Resource.every((arn: string) =>
        arn.startsWith(`arn:aws:ssm:${region}:${config.accountId}:parameter${prefix}/`)
      ),
    );
    assert.equal(bySid.NoOtherParameters.Effect, "Deny");
    assert.equal(
      bySid.NoOtherParameters.NotResource,
      `arn:aws:ssm:${region}:${config.accountId}:parameter${prefix}/*`,
    );
    assert.deepEqual(bySid.DecryptArtifactThroughS3.Condition, {
      StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` },
    });
    const bucket = artifactBucketName(config.environmentSuffix, config.accountId, region);
    assert.equal(bySid.ReadReleaseArtifact.Resource, `arn:aws:s3:::${bucket}/${ARTIFACT_KEY}`);
    assert.equal(
      bySid.ReadRdsCaBundle.Resource,
      `arn:aws:s3:::${bucket}/\${aws_s3_object.instance_files_${role}_rds_ca_bundle.key}`,
    );
    assert.equal(bySid.SeeWhetherReleaseIsPublished.Resource, `arn:aws:s3:::${bucket}`);
    assert.deepEqual(bySid.WriteOwnLogs.Resource, [
      `\${aws_cloudwatch_log_group.compute_${role}_logs.arn}`,
      `\${aws_cloudwatch_log_group.compute_${role}_logs.arn}:*`,
    ]);
    assert.equal(
      resource(stack, "aws_iam_role_policy_attachment", `compute_${role}_session_manager`).policy_arn,
      SESSION_MANAGER_POLICY_ARN,
    );
    const logGroup = resource(stack, "aws_cloudwatch_log_group", `compute_${role}_logs`);
    assert.equal(logGroup.kms_key_id, `\${aws_kms_key.kms_${role}.arn}`);
    assert.equal(logGroup.retention_in_days, config.logRetentionDays);
  }
  const attachments = Object.values(resources(stack, "aws_iam_role_policy_attachment")).filter((body) =>
    String(body.role).includes("compute_")
  );
  assert.equal(attachments.length, 2, "one managed policy per instance role");
});

/** Whether an identity policy lets `action` on `arn` through: an explicit Deny wins, then any Allow. */
function policyAllows(policy: Json, action: string, arn: string): boolean {
  const matches = (patterns: string | string[], value: string) =>
    [patterns].flat().some((pattern) =>
      new RegExp(
        `^${pattern.split("*").map((part) => part.replace(/[.?+^$()[\]{}|\\]/g, "\\$&")).join(".*")}$`,
      )
        .test(value)
    );
  const applies = (statement: Json) =>
    matches(statement.Action, action) &&
    (statement.Resource !== undefined
      ? matches(statement.Resource, arn)
      : !matches(statement.NotResource, arn));
  const statements: Json[] = policy.Statement;
  if (statements.some((statement) => statement.Effect === "Deny" && applies(statement))) return false;
  return statements.some((statement) => (statement.Effect ?? "Allow") === "Allow" && applies(statement));
}

Deno.test("createCompute() lets each instance read its own region's active-region parameter (the fence) and no other copy", () => {
  const { stack, config } = defaultStack();
  const name = parameterName(parameterPrefix(config.appName, config.environmentSuffix), "activeRegion");
  const arnIn = (region: string) => `arn:aws:ssm:${region}:${config.accountId}:parameter${name}`;
  for (const role of ROLES) {
    const inline = JSON.parse(
      resource(stack, "aws_iam_role_policy", `compute_${role}_instance_policy`).policy,
    );
    // The attached AmazonSSMManagedInstanceCore allows reading every parameter in every region.
    const managed = { Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: "*" };
    const policy = { Statement: [...inline.Statement, managed] };
    const own = config[role].region;
    const peer = config[role === "primary" ? "secondary" : "primary"].region;
    assert.ok(policyAllows(policy, "ssm:GetParameter", arnIn(own)), `${role} reads ${arnIn(own)}`);
    assert.ok(!policyAllows(policy, "ssm:GetParameter", arnIn(peer)), `${role} must not read ${arnIn(peer)}`);
    assert.ok(
      !policyAllows(policy, "ssm:PutParameter", arnIn(own)),
      "only the orchestrator and failback write it",
    );
  }
});

Deno.test("createCompute() user data embeds the service, its settings per region, and fits EC2's 16 KiB", () => {
  const { stack, config } = defaultStack();
  const sourceOf = (name: string) =>
    Deno.readTextFileSync(new URL(`../modules/app_service/${name}`, import.meta.url));
  for (const role of ROLES) {
    const encoded = resource(stack, "aws_launch_template", `compute_${role}_template`).user_data;
    assert.ok(atob(encoded).length <= 16384);
    const script = decodeUserData(encoded);
    assert.match(script, /^#!\/bin\/bash\n/);
    for (const name of ["health_server.py", "boot_config.py", "setup.sh"]) {
      assert.ok(script.includes(`\n${sourceOf(name)}DR_APP_EOF\n`), `${name} is embedded verbatim`);
    }
    const settings =
      /cat >\/etc\/dr-app\/settings\.env <<'DR_APP_EOF'\n([\s\S]*?)DR_APP_EOF/.exec(script)![1];
    const values = Object.fromEntries(settings.trim().split("\n").map((line) => line.split("=", 2)));
    assert.equal(values.AWS_REGION, config[role].region);
    assert.equal(values.PARAMETER_PREFIX, parameterPrefix(config.appName, config.environmentSuffix));
    assert.equal(values.APP_PORT, String(config.compute.appPort));
    assert.equal(values.UPSTREAM_PORT, String(upstreamPort(config.compute.appPort)));
    assert.equal(values.ARTIFACT_KEY, ARTIFACT_KEY);
    assert.equal(values.FENCE_POLL_SECONDS, String(INSTANCE_FENCE_POLL_SECONDS));
    assert.equal(values.FENCE_READ_TIMEOUT_SECONDS, String(INSTANCE_FENCE_READ_TIMEOUT_SECONDS));
    assert.equal(
      values.DB_SSLMODE,
      "verify-full",
      "chain and host name verified, as by every database client (DATABASE_TLS)",
    );
    assert.equal(
      values.LOG_GROUP,
      resource(stack, "aws_cloudwatch_log_group", `compute_${role}_logs`).name,
    );
    assert.match(
      script,
      /systemctl enable dr-app-setup\.service dr-app-health\.service dr-app-release\.service/,
    );
  }
});

Deno.test("every Auto Scaling group launches through the service-linked role that both EBS keys allow", () => {
  const { stack } = defaultStack();
  const slrArn = "${aws_iam_service_linked_role.service_roles_global_autoscaling.arn}";
  const slr = stack.resource.aws_iam_service_linked_role.service_roles_global_autoscaling;
  assert.equal(slr.aws_service_name, "autoscaling.amazonaws.com");
  for (const group of Object.values(resources(stack, "aws_autoscaling_group"))) {
    assert.equal(group.service_linked_role_arn, slrArn);
  }
  for (const role of ["primary", "secondary"] as const) {
    const key = resource(stack, "aws_kms_key", `kms_${role}`);
    const statements = JSON.parse(key.policy).Statement.filter((statement: Json) =>
      statement.Principal.AWS === slrArn
    );
    const actions = statements.flatMap((statement: Json) => [statement.Action].flat());
    for (const action of ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant"]) {
      assert.ok(actions.includes(action), `${action} for Auto Scaling`);
    }
    const grant = statements.find((statement: Json) => [statement.Action].flat().includes("kms:CreateGrant"));
    assert.equal(grant.Condition.Bool["kms:GrantIsForAWSResource"], true);
  }
});
