// The real provider: terraform validate and an offline plan of the default stack, and the whole-stack
// policy invariants read from the plan JSON.
import assert from "node:assert/strict";
import {
  allResources,
  available,
  defaultOfflinePlan,
  defaultStack,
  type Json,
  type PlannedResource,
  plannedResources,
  terraform,
  terraformAvailable,
  TEST_VARIABLES,
} from "./helpers.ts";
import { SESSION_MANAGER_POLICY_ARN } from "../modules/compute_instance_role.ts";
import { NAME_ATTRIBUTES, SCOPED_NAME_TYPES } from "../tools/lib/compliance.ts";
import { READINESS_CHECK_NAMES } from "../handlers/lib/contract.ts";

const hasTerraform = available("terraform", terraformAvailable(), "terraform validate and the offline plan");

/** The ALBs' access-log buckets (not replicated; SSE-S3, the only encryption ELB log delivery supports). */
const ALB_LOG_BUCKET = /^aws_s3_bucket\.edge_(primary|secondary)_log_bucket$/;

function planTest(name: string, body: () => void | Promise<void>) {
  Deno.test({ name, ignore: !hasTerraform, fn: body });
}

planTest("terraform validate and an offline plan accept the stack; nothing is updated or deleted", () => {
  const { plan } = defaultOfflinePlan();
  const actions = new Set(
    plan.resource_changes.flatMap((change: { change: { actions: string[] } }) => change.change.actions),
  );
  assert.deepEqual([...actions], ["create"]);
  const synthesized = Object.values(defaultStack().stack.resource).reduce<number>(
    (sum, byName) => sum + Object.keys(byName as object).length,
    0,
  );
  assert.equal(plannedResources(plan).length, synthesized);
});

planTest(
  "every taggable planned resource carries Environment, DR-Role of its provider, and Cost-Center",
  () => {
    const { config } = defaultStack();
    for (const planned of plannedResources(defaultOfflinePlan().plan)) {
      if (planned.after.tags_all === undefined) continue;
      const role = planned.providerKey.replace("aws.", "");
      const tags = planned.after.tags_all;
      assert.equal(tags.Environment, config.environment, planned.address);
      assert.equal(tags["Cost-Center"], config.costCenter, planned.address);
      assert.equal(tags["DR-Role"], role, planned.address);
    }
  },
);

planTest("every physical name carries the environment suffix", () => {
  const suffix = defaultStack().config.environmentSuffix;
  const carriesSuffix = new RegExp(`(^|[-/_.])${suffix}($|[-/_.])`);
  for (const planned of plannedResources(defaultOfflinePlan().plan)) {
    if (SCOPED_NAME_TYPES.has(planned.type)) continue;
    for (const attribute of NAME_ATTRIBUTES) {
      const value = planned.after[attribute];
      if (typeof value !== "string") continue;
      assert.match(value, carriesSuffix, `${planned.address}.${attribute} = ${value}`);
    }
    if (planned.after.tags?.Name) {
      assert.match(planned.after.tags.Name, carriesSuffix, `${planned.address} Name tag`);
    }
  }
});

planTest("everything is destroyable: no deletion protection, no prevent_destroy", () => {
  const { plan } = defaultOfflinePlan();
  for (const planned of plannedResources(plan)) {
    assert.notEqual(planned.after.deletion_protection, true, planned.address);
    assert.notEqual(planned.after.enable_deletion_protection, true, planned.address);
  }
  // The plan's configuration JSON omits lifecycle blocks: read them from the synthesized resources.
  const lifecycles = allResources(defaultStack().stack).filter(({ body }) => body.lifecycle !== undefined);
  assert.ok(lifecycles.length > 0, "the stack has lifecycle blocks to check");
  for (const { type, name, body } of lifecycles) {
    assert.notEqual(body.lifecycle.prevent_destroy, true, `${type}.${name}`);
  }
  assert.ok(!JSON.stringify(defaultStack().stack).includes("prevent_destroy"));
});

planTest("IAM policies in the plan use no wildcard action", () => {
  for (const planned of plannedResources(defaultOfflinePlan().plan)) {
    for (const attribute of ["policy", "assume_role_policy"]) {
      const text = planned.after[attribute];
      if (typeof text !== "string") continue;
      const document = JSON.parse(text);
      for (const statement of [document.Statement].flat()) {
        if (statement.Effect === "Deny") continue; // a wildcard in a Deny narrows access (TLS-only buckets)
        for (const action of [statement.Action ?? []].flat()) {
          assert.ok(action !== "*" && !action.endsWith(":*"), `${planned.address}: ${action}`);
        }
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------------
// Data tier: secrets, encryption at rest, replication, database firewall, destroyability

/** Configuration blocks of the plan by address (expressions carry the references between resources). */
function configurations(plan: Json): Map<string, Json> {
  return new Map(plan.configuration.root_module.resources.map((config: Json) => [config.address, config]));
}

/** Resource addresses an expression refers to (`aws_kms_key.kms_primary`, without attribute). */
function referencedResources(expression: Json): string[] {
  return (expression?.references ?? []).filter((reference: string) => reference.split(".").length === 2);
}

function regionalKey(providerKey: string): string {
  return `aws_kms_key.kms_${providerKey.replace("aws.", "")}`;
}

/** Every file of a zip archive (terraform's saved plan), inflated, as text. */
async function zipEntries(path: string): Promise<Map<string, string>> {
  const bytes = Deno.readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = bytes.length - 22;
  while (end > 0 && view.getUint32(end, true) !== 0x06054b50) end--;
  const entries = new Map<string, string>();
  let offset = view.getUint32(end + 16, true);
  for (let index = 0; index < view.getUint16(end + 10, true); index++) {
    const method = view.getUint16(offset + 10, true);
    const size = view.getUint32(offset + 20, true);
    const nameLength = view.getUint16(offset + 28, true);
    const local = view.getUint32(offset + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(offset + 46, offset + 46 + nameLength));
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = bytes.slice(start, start + size);
    const content = method === 0 ? data : new Uint8Array(
      await new Response(new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw")))
        .arrayBuffer(),
    );
    entries.set(name, new TextDecoder().decode(content));
    offset += 46 + nameLength + view.getUint16(offset + 30, true) + view.getUint16(offset + 32, true);
  }
  return entries;
}

planTest(
  "the master password is nowhere: not in cdk.tf.json, the plan JSON, the saved plan or its state",
  async () => {
    const password = TEST_VARIABLES.db_master_password;
    assert.ok(password && password.length >= 8, "the offline plan must be given a test password");
    const { planText, stateText, workDir } = defaultOfflinePlan();
    assert.ok(!defaultStack().jsonText.includes(password), "cdk.tf.json");
    assert.ok(!planText.includes(password), "terraform show -json");
    assert.ok(!stateText.includes(password), "terraform.tfstate");
    const saved = await zipEntries(`${workDir}/plan.bin`);
    assert.ok(
      saved.has("tfplan") && saved.has("tfstate") && saved.has("tfstate-prev"),
      [...saved.keys()].join(),
    );
    // Positive control: the inflated plan does hold the stack's planned values.
    const bucket = defaultStack().stack.resource.aws_s3_bucket.storage_primary_bucket.bucket;
    assert.ok(saved.get("tfplan")!.includes(bucket), "the plan reader sees planned values");
    for (const [name, content] of saved) assert.ok(!content.includes(password), `plan.bin/${name}`);
    for (const planned of plannedResources(defaultOfflinePlan().plan)) {
      if (planned.type === "aws_rds_cluster") {
        assert.equal(
          planned.after.master_password,
          null,
          planned.address,
        );
      }
    }
  },
);

planTest("a master password Aurora would reject fails the plan, and the error does not echo it", () => {
  const rejected = "has@sign-and-long-enough";
  assert.throws(
    () =>
      terraform(defaultOfflinePlan().workDir, [
        "plan",
        "-input=false",
        "-lock=false",
        "-refresh=false",
        "-var",
        `db_master_password=${rejected}`,
      ]),
    (error: Error) => {
      const output = error.message.split("\n").slice(1).join("\n"); // the first line is our own command
      return /db_master_password must be 8 to 128/.test(output) && !output.includes(rejected);
    },
  );
});

planTest("encryption at rest everywhere data is stored, each with the key of its own region", () => {
  const { plan } = defaultOfflinePlan();
  const configs = configurations(plan);
  const planned = plannedResources(plan);
  const usesRegionalKey = (address: string, providerKey: string, attribute: string) =>
    assert.deepEqual(
      referencedResources(configs.get(address).expressions[attribute]),
      [regionalKey(providerKey)],
      `${address}.${attribute}`,
    );
  const seen = new Map<string, number>();
  for (const resource of planned) {
    seen.set(resource.type, (seen.get(resource.type) ?? 0) + 1);
    switch (resource.type) {
      case "aws_rds_global_cluster":
        assert.equal(resource.after.storage_encrypted, true, resource.address);
        break;
      case "aws_rds_cluster":
        assert.equal(resource.after.storage_encrypted, true, resource.address);
        usesRegionalKey(resource.address, resource.providerKey, "kms_key_id");
        break;
      case "aws_rds_cluster_instance":
        if (resource.after.performance_insights_enabled) {
          usesRegionalKey(resource.address, resource.providerKey, "performance_insights_kms_key_id");
        }
        break;
      case "aws_cloudwatch_log_group":
        usesRegionalKey(resource.address, resource.providerKey, "kms_key_id");
        break;
      case "aws_ssm_parameter":
        if (/password|secret|token/i.test(resource.after.name)) {
          assert.equal(resource.after.type, "SecureString", resource.address);
        }
        if (resource.after.type === "SecureString") {
          usesRegionalKey(resource.address, resource.providerKey, "key_id");
        }
        break;
      case "aws_s3_bucket": {
        const encryption = planned.filter((candidate) =>
          candidate.type === "aws_s3_bucket_server_side_encryption_configuration" &&
          referencedResources(configs.get(candidate.address).expressions.bucket).includes(resource.address)
        );
        assert.equal(encryption.length, 1, `${resource.address} has one default encryption`);
        const [rule] = encryption[0].after.rule;
        if (ALB_LOG_BUCKET.test(resource.address)) {
          // ALB access logs accept SSE-S3 only (edge_protection.ts).
          assert.equal(rule.apply_server_side_encryption_by_default[0].sse_algorithm, "AES256");
          break;
        }
        assert.equal(rule.bucket_key_enabled, true);
        assert.equal(rule.apply_server_side_encryption_by_default[0].sse_algorithm, "aws:kms");
        const [ruleConfig] = configs.get(encryption[0].address).expressions.rule;
        assert.deepEqual(
          referencedResources(ruleConfig.apply_server_side_encryption_by_default[0].kms_master_key_id),
          [regionalKey(resource.providerKey)],
        );
        break;
      }
    }
  }
  for (const type of ["aws_rds_cluster", "aws_s3_bucket", "aws_ssm_parameter", "aws_cloudwatch_log_group"]) {
    assert.ok((seen.get(type) ?? 0) >= 2, `${type} in both regions`);
  }
});

planTest("S3 replication is complete in both directions", () => {
  const { plan } = defaultOfflinePlan();
  const configs = configurations(plan);
  const planned = plannedResources(plan);
  const buckets = planned.filter((resource) =>
    resource.type === "aws_s3_bucket" && !ALB_LOG_BUCKET.test(resource.address)
  );
  assert.equal(buckets.length, 2);
  const versioning = planned.filter((resource) => resource.type === "aws_s3_bucket_versioning");
  assert.ok(versioning.every((resource) => resource.after.versioning_configuration[0].status === "Enabled"));
  for (const source of buckets) {
    const [destination] = buckets.filter((bucket) => bucket !== source);
    const replications = planned.filter((resource) =>
      resource.type === "aws_s3_bucket_replication_configuration" &&
      referencedResources(configs.get(resource.address).expressions.bucket).includes(source.address)
    );
    assert.equal(replications.length, 1, `${source.address}: one replication configuration`);
    const [replication] = replications;
    const config = configs.get(replication.address);
    assert.deepEqual(
      [...config.depends_on].sort(),
      versioning.map((resource) => resource.address).sort(),
      "depends on both versioning resources",
    );
    assert.equal(replication.after.rule.length, 1);
    const [rule] = replication.after.rule;
    const [ruleConfig] = config.expressions.rule;
    assert.equal(rule.status, "Enabled");
    assert.equal(rule.filter.length, 1, "V2 rule with a filter");
    assert.equal(rule.delete_marker_replication[0].status, "Enabled");
    assert.equal(rule.source_selection_criteria[0].sse_kms_encrypted_objects[0].status, "Enabled");
    assert.equal(rule.source_selection_criteria[0].replica_modifications[0].status, "Enabled");
    const [target] = rule.destination;
    assert.deepEqual(target.replication_time, [{ status: "Enabled", time: [{ minutes: 15 }] }]);
    assert.deepEqual(target.metrics, [{ status: "Enabled", event_threshold: [{ minutes: 15 }] }]);
    const [targetConfig] = ruleConfig.destination;
    assert.deepEqual(referencedResources(targetConfig.bucket), [destination.address]);
    assert.deepEqual(
      referencedResources(targetConfig.encryption_configuration[0].replica_kms_key_id),
      [regionalKey(destination.providerKey)],
    );
    const [roleAddress] = referencedResources(config.expressions.role);
    const role = planned.find((resource) => resource.address === roleAddress)!;
    const trust = JSON.parse(role.after.assume_role_policy);
    assert.deepEqual(trust.Statement.map((statement: Json) => statement.Principal), [{
      Service: "s3.amazonaws.com",
    }]);
  }
});

planTest("the database security group admits only security groups, only on the PostgreSQL port", () => {
  const { plan } = defaultOfflinePlan();
  const { config } = defaultStack();
  const configs = configurations(plan);
  const planned = plannedResources(plan);
  const databaseGroups = new Set(
    planned.filter((resource) => resource.type === "aws_rds_cluster").flatMap((cluster) => {
      const groups = referencedResources(configs.get(cluster.address).expressions.vpc_security_group_ids);
      assert.equal(groups.length, 1, `${cluster.address} sits in exactly one security group`);
      return groups;
    }),
  );
  assert.equal(databaseGroups.size, 2);
  assert.ok(
    !planned.some((resource) => resource.type === "aws_security_group_rule"),
    "only per-rule resources",
  );
  for (const group of databaseGroups) {
    assert.equal(configs.get(group).expressions.ingress, undefined, `${group} has no inline ingress`);
    const rules = planned.filter((resource) =>
      resource.type === "aws_vpc_security_group_ingress_rule" &&
      referencedResources(configs.get(resource.address).expressions.security_group_id).includes(group)
    );
    assert.ok(rules.length >= 1, `${group} has ingress rules`);
    for (const rule of rules) {
      assert.equal(rule.after.ip_protocol, "tcp", rule.address);
      assert.equal(rule.after.from_port, config.database.port, rule.address);
      assert.equal(rule.after.to_port, config.database.port, rule.address);
      for (const peer of ["cidr_ipv4", "cidr_ipv6", "prefix_list_id"]) {
        assert.equal(rule.after[peer], null, `${rule.address}.${peer}`);
      }
      const sources = referencedResources(configs.get(rule.address).expressions.referenced_security_group_id);
      assert.equal(sources.length, 1, rule.address);
      assert.match(sources[0], /^aws_security_group\.firewall_(primary|secondary)_(app|db-checker)$/);
    }
  }
});

planTest("data stores are destroyable: no final snapshot, global cluster and buckets force-destroyed", () => {
  const planned = plannedResources(defaultOfflinePlan().plan);
  const byType = (type: string) => planned.filter((resource) => resource.type === type);
  assert.equal(byType("aws_rds_global_cluster").length, 1);
  for (const global of byType("aws_rds_global_cluster")) assert.equal(global.after.force_destroy, true);
  for (const cluster of byType("aws_rds_cluster")) {
    assert.equal(cluster.after.skip_final_snapshot, true, cluster.address);
    assert.equal(cluster.after.deletion_protection, false, cluster.address);
  }
  for (const bucket of byType("aws_s3_bucket")) {
    assert.equal(bucket.after.force_destroy, true, bucket.address);
  }
});

// ---------------------------------------------------------------------------------------------------
// Serving tier: open ports, instance hardening, DNS failover, standby capacity, instance role

/** Configuration expressions by address: where references (unknown at plan time) can still be read. */
function configuredExpressions(): Map<string, Json> {
  const configs = configurations(defaultOfflinePlan().plan);
  return new Map([...configs].map(([address, config]) => [address, config.expressions]));
}

/** The resource address an attribute refers to (`aws_x.name`), or undefined for a constant. */
function referenced(expressions: Json | undefined, attribute: string): string | undefined {
  return referencedResources(expressions?.[attribute])[0];
}

planTest(
  "security groups: the world reaches only the ALB on 80/443, the app port only from the ALB, no ranges",
  () => {
    const { config } = defaultStack();
    const expressions = configuredExpressions();
    const planned = plannedResources(defaultOfflinePlan().plan);
    assert.deepEqual(planned.filter((resource) => resource.type === "aws_security_group_rule"), []);
    for (const group of planned.filter((resource) => resource.type === "aws_security_group")) {
      const configured = expressions.get(group.address) ?? {};
      assert.equal(configured.ingress, undefined, `${group.address}: rules are separate resources`);
      assert.equal(configured.egress, undefined, `${group.address}: rules are separate resources`);
    }
    const rules = planned.filter((resource) =>
      ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"].includes(resource.type)
    );
    assert.ok(rules.length > 0);
    for (const rule of rules) {
      assert.equal(rule.after.ip_protocol, "tcp", rule.address);
      assert.equal(rule.after.from_port, rule.after.to_port, `${rule.address}: no port ranges`);
      if (rule.type !== "aws_vpc_security_group_ingress_rule") continue;
      const target = referenced(expressions.get(rule.address), "security_group_id") ?? "";
      const source = referenced(expressions.get(rule.address), "referenced_security_group_id");
      const role = rule.providerKey.replace("aws.", "");
      if (rule.after.cidr_ipv4 != null || rule.after.cidr_ipv6 != null) {
        assert.equal(target, `aws_security_group.firewall_${role}_alb`, `${rule.address}: world ingress`);
        assert.ok(
          [80, 443].includes(rule.after.from_port),
          `${rule.address}: world on ${rule.after.from_port}`,
        );
      } else {
        assert.ok(source, `${rule.address}: ingress from a security group or nowhere`);
      }
      if (target === `aws_security_group.firewall_${role}_app`) {
        assert.equal(rule.after.from_port, config.compute.appPort, rule.address);
        assert.equal(
          source,
          `aws_security_group.firewall_${role}_alb`,
          `${rule.address}: app only from the ALB`,
        );
      }
      if (rule.after.from_port === config.compute.appPort) {
        assert.equal(
          target,
          `aws_security_group.firewall_${role}_app`,
          `${rule.address}: app port elsewhere`,
        );
      }
    }
  },
);

planTest(
  "every launch template requires IMDSv2 (hop limit 1) and encrypts its volumes with a stack key",
  () => {
    const expressions = configuredExpressions();
    const templates = plannedResources(defaultOfflinePlan().plan).filter((resource) =>
      resource.type === "aws_launch_template"
    );
    assert.deepEqual(templates.map((template) => template.providerKey).sort(), [
      "aws.primary",
      "aws.secondary",
    ]);
    for (const template of templates) {
      const [metadata] = template.after.metadata_options;
      assert.equal(metadata.http_tokens, "required", template.address);
      assert.equal(metadata.http_put_response_hop_limit, 1, template.address);
      assert.ok(template.after.block_device_mappings.length > 0, template.address);
      const configured = expressions.get(template.address)?.block_device_mappings ?? [];
      template.after.block_device_mappings.forEach(
        (mapping: { ebs: Array<{ encrypted: string }> }, index: number) => {
          assert.equal(mapping.ebs[0].encrypted, "true", template.address);
          const key = referenced(configured[index]?.ebs?.[0], "kms_key_id");
          assert.equal(key, `aws_kms_key.kms_${template.providerKey.replace("aws.", "")}`, template.address);
        },
      );
    }
  },
);

planTest(
  "every encryption flag anywhere in the plan is on (volumes, Aurora, and whatever is added later)",
  () => {
    const flags: Array<[string, unknown]> = [];
    const visit = (address: string, value: unknown): void => {
      if (Array.isArray(value)) value.forEach((item) => visit(address, item));
      else if (value !== null && typeof value === "object") {
        for (const [key, child] of Object.entries(value)) {
          if (key === "encrypted" || key === "storage_encrypted") flags.push([address, child]);
          else visit(address, child);
        }
      }
    };
    for (const planned of plannedResources(defaultOfflinePlan().plan)) visit(planned.address, planned.after);
    // 2 launch-template root volumes, the global cluster and 2 member clusters at least
    assert.ok(flags.length >= 5, `${flags.length} encryption flags found`);
    for (const [address, flag] of flags) {
      assert.ok(
        flag === true || flag === "true",
        `${address}: encrypted = ${flag}`,
      );
    }
  },
);

planTest("the application name is weighted 100 (primary) / 0 (standby), each record health-checked", () => {
  const { config } = defaultStack();
  const expressions = configuredExpressions();
  const planned = plannedResources(defaultOfflinePlan().plan);
  const appFqdn = `${config.dns.appRecordName}.${config.dns.domainName}`;
  const records = planned.filter((resource) =>
    resource.type === "aws_route53_record" && resource.after.name === appFqdn
  );
  const weights = Object.fromEntries(records.map((record) => {
    const check = referenced(expressions.get(record.address), "health_check_id");
    assert.match(check ?? "", /^aws_route53_health_check\./, `${record.address} carries no health check`);
    assert.ok(record.after.set_identifier, record.address);
    const alb = referenced(expressions.get(record.address)?.alias?.[0], "name");
    // Only the primary's alias evaluates target health: the standby's calculated check covers its endpoint.
    assert.equal(
      record.after.alias[0].evaluate_target_health,
      alb === "aws_lb.web_primary_alb",
      record.address,
    );
    return [alb, record.after.weighted_routing_policy[0].weight];
  }));
  assert.deepEqual(weights, { "aws_lb.web_primary_alb": 100, "aws_lb.web_secondary_alb": 0 });
  const checks = planned.filter((resource) => resource.type === "aws_route53_health_check");
  for (const check of checks.filter((resource) => resource.after.type === "HTTPS")) {
    assert.equal(check.after.resource_path, "/health/deep", check.address);
    assert.equal(check.after.request_interval, config.dns.healthCheckIntervalSeconds, check.address);
    assert.equal(check.after.failure_threshold, config.dns.healthCheckFailureThreshold, check.address);
  }
  assert.equal(checks.filter((resource) => resource.after.type === "HTTPS").length, 2);
  const calculated = Object.fromEntries(
    checks.filter((resource) => resource.after.type === "CALCULATED")
      .map((check) => [check.address, check.after.child_health_threshold]),
  );
  assert.deepEqual(calculated, {
    "aws_route53_health_check.dns_primary_calculated_check": 2, // endpoint AND not fenced
    "aws_route53_health_check.dns_secondary_calculated_check": 1, // endpoint OR fenced
  });
});

// ---------------------------------------------------------------------------------------------------
// Failover decision and DNS: what may move traffic and what may start a failover

/** Planned metric and composite alarms by alarm name. */
function plannedAlarms(): Map<string, PlannedResource> {
  return new Map(
    plannedResources(defaultOfflinePlan().plan)
      .filter((resource) =>
        resource.type === "aws_cloudwatch_metric_alarm" || resource.type === "aws_cloudwatch_composite_alarm"
      )
      .map((alarm) => [alarm.after.alarm_name, alarm]),
  );
}

planTest(
  "no Route 53 health check reads an alarm other than the fence alarms (no raw probe data in DNS)",
  () => {
    const alarms = plannedAlarms();
    const expressions = configuredExpressions();
    const alarmChecks = plannedResources(defaultOfflinePlan().plan).filter((resource) =>
      resource.type === "aws_route53_health_check" && resource.after.type === "CLOUDWATCH_METRIC"
    );
    assert.deepEqual(
      alarmChecks.map((check) => referenced(expressions.get(check.address), "cloudwatch_alarm_name")).sort(),
      [
        "aws_cloudwatch_metric_alarm.failover_secondary_primary_fenced",
        "aws_cloudwatch_metric_alarm.failover_secondary_primary_unfenced",
      ],
    );
    for (const check of alarmChecks) {
      const alarm = alarms.get(check.after.cloudwatch_alarm_name);
      assert.ok(alarm, `${check.address} reads an alarm that is not planned`);
      assert.equal(
        alarm.after.metric_name,
        "PrimaryFenced",
        `${check.address}: the fence, a published decision`,
      );
      assert.equal(alarm.after.period, 60, "standard resolution: what Route 53 can read");
      assert.equal(alarm.after.treat_missing_data, "ignore", "a gap keeps the fence as it was");
      assert.equal(check.after.insufficient_data_health_status, "LastKnownStatus", check.address);
      assert.equal(check.after.cloudwatch_alarm_region, defaultStack().config.secondary.region);
    }
  },
);

planTest(
  "the decision is one quorum alarm whose every vote evaluates 10 s periods; only it starts the orchestrator",
  () => {
    const alarms = plannedAlarms();
    const quorum = alarms.get("dr-failover-quorum-us-east-2-dev");
    assert.ok(quorum && quorum.type === "aws_cloudwatch_composite_alarm");
    assert.equal(
      quorum.after.alarm_rule,
      'ALARM("dr-primary-down-witness-us-east-2-dev") AND ' +
        '(ALARM("dr-primary-down-standby-us-east-2-dev") OR ALARM("dr-replication-stalled-us-east-2-dev"))',
    );
    const votes = [...quorum.after.alarm_rule.matchAll(/ALARM\("([^"]+)"\)/g)].map((match) => match[1]);
    assert.equal(votes.length, 3);
    for (const name of votes) {
      const vote = alarms.get(name);
      assert.ok(vote, `${name} is not planned`);
      assert.equal(vote.after.period, 10, `${name}: 10 s periods`);
      assert.equal(vote.after.treat_missing_data, "notBreaching", `${name}: a silent vote is no vote`);
      assert.equal(vote.providerKey, "aws.secondary");
    }
    const expressions = configuredExpressions();
    // Event-pattern rules (not schedules): their patterns name ARNs known only after apply, so read the references.
    const triggers = plannedResources(defaultOfflinePlan().plan).filter((resource) =>
      resource.type === "aws_cloudwatch_event_rule" && resource.after.schedule_expression == null
    );
    assert.deepEqual(triggers.map((rule) => rule.address), [
      "aws_cloudwatch_event_rule.failover_secondary_trigger",
    ]);
    assert.deepEqual(referencedResources(expressions.get(triggers[0].address)?.event_pattern), [
      "aws_cloudwatch_composite_alarm.failover_secondary_quorum",
    ]);
  },
);

planTest(
  "the witness prober exists in the witness region, with the witness provider, voting into the standby region",
  () => {
    const { plan } = defaultOfflinePlan();
    const { config } = defaultStack();
    const witnessProvider = plan.configuration.provider_config["aws.witness"];
    assert.equal(witnessProvider?.expressions.region.constant_value, config.witness.region);
    assert.equal(config.witness.region, "us-west-2");
    const probers = plannedResources(plan).filter((resource) =>
      resource.type === "aws_lambda_function" && resource.providerKey === "aws.witness"
    );
    assert.deepEqual(probers.map((prober) => prober.address), [
      "aws_lambda_function.probes_witness_primary_probe",
    ]);
    assert.equal(probers[0].after.function_name, `dr-primary-probe-${config.witness.region}-dev`);
    // The environment holds the primary ALB's name (known after apply): read it from the stack planned.
    const env =
      defaultStack().stack.resource.aws_lambda_function.probes_witness_primary_probe.environment.variables;
    assert.equal(env.REGION_ROLE, "witness");
    assert.equal(env.METRIC_REGION, config.secondary.region);
    const schedule = plannedResources(plan).find((resource) =>
      resource.address === "aws_cloudwatch_event_rule.probes_witness_primary_probe_schedule"
    );
    assert.equal(schedule?.providerKey, "aws.witness");
    assert.equal(schedule?.after.schedule_expression, "rate(1 minute)");
  },
);

planTest("the orchestrator may never detach a cluster (no rds:RemoveFromGlobalCluster anywhere)", () => {
  const { plan, planText } = defaultOfflinePlan();
  const policy = plannedResources(plan).find((resource) =>
    resource.address === "aws_iam_role_policy.failover_secondary_failover_policy"
  );
  assert.ok(policy, "the orchestrator's policy is planned");
  // The policy holds ARNs known only after apply: read its text from the stack the plan was made of.
  const text = typeof policy.after.policy === "string"
    ? policy.after.policy
    : defaultStack().stack.resource.aws_iam_role_policy.failover_secondary_failover_policy.policy;
  const actions = JSON.parse(text).Statement.flatMap((statement: Json) => [statement.Action].flat());
  assert.ok(actions.includes("rds:FailoverGlobalCluster") && actions.includes("rds:SwitchoverGlobalCluster"));
  assert.ok(!actions.includes("rds:RemoveFromGlobalCluster"));
  assert.ok(
    !planText.includes("RemoveFromGlobalCluster") &&
      !defaultStack().jsonText.includes("RemoveFromGlobalCluster"),
  );
});

planTest(
  "standby capacity is at least 1 and below the primary's; the warm pool makes up the difference",
  () => {
    const groups = plannedResources(defaultOfflinePlan().plan).filter((resource) =>
      resource.type === "aws_autoscaling_group"
    );
    const byRole = Object.fromEntries(groups.map((group) => [group.providerKey, group.after]));
    const [primary, standby] = [byRole["aws.primary"], byRole["aws.secondary"]];
    assert.ok(standby.min_size >= 1 && standby.desired_capacity >= 1);
    assert.ok(standby.desired_capacity < primary.desired_capacity);
    assert.equal(primary.desired_capacity, primary.min_size);
    assert.deepEqual(primary.warm_pool, []);
    assert.equal(standby.warm_pool[0].pool_state, "Stopped");
    assert.equal(standby.warm_pool[0].min_size, primary.desired_capacity - standby.desired_capacity);
    for (const group of groups) {
      assert.equal(group.after.health_check_type, "ELB", group.address);
      assert.equal(group.after.max_size, primary.max_size, group.address);
    }
  },
);

planTest(
  "the instance role is least privilege: exact actions, exact resources, Session Manager core only",
  () => {
    const expressions = configuredExpressions();
    const planned = plannedResources(defaultOfflinePlan().plan);
    const instanceRoles = planned.filter((resource) =>
      resource.type === "aws_iam_role" &&
      JSON.parse(resource.after.assume_role_policy).Statement[0].Principal.Service === "ec2.amazonaws.com"
    );
    assert.equal(instanceRoles.length, 2);
    for (const role of instanceRoles) {
      const roleAddress = role.address;
      const attached = (type: string) =>
        planned.filter((resource) =>
          resource.type === type && referenced(expressions.get(resource.address), "role") === roleAddress
        );
      assert.deepEqual(
        attached("aws_iam_role_policy_attachment").map((attachment) => attachment.after.policy_arn),
        [SESSION_MANAGER_POLICY_ARN],
      );
      const policies = attached("aws_iam_role_policy");
      assert.equal(policies.length, 1, roleAddress);
      const document = JSON.parse(expressions.get(policies[0].address)?.policy.constant_value);
      const allows = document.Statement.filter((statement: { Effect: string }) =>
        statement.Effect === "Allow"
      );
      const actions = allows.flatMap((statement: { Action: string | string[] }) => [statement.Action].flat())
        .sort();
      assert.deepEqual([...new Set(actions)], [
        "kms:Decrypt",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "rds-db:connect",
        "s3:GetObject",
        "s3:ListBucket",
        "ssm:GetParameter",
        "ssm:GetParameters",
      ]);
      // The managed Session Manager policy reads every parameter: a Deny keeps only the stack's own path.
      const deny = document.Statement.find((statement: { Effect: string }) => statement.Effect === "Deny");
      assert.ok(
        deny?.Action.includes("ssm:GetParameter") && deny.Action.includes("ssm:GetParameters"),
        roleAddress,
      );
      assert.match(deny.NotResource, /^arn:aws:ssm:[a-z0-9-]+:\d{12}:parameter\/txn\/dev\/\*$/);
      for (const statement of allows) {
        for (const resource of [statement.Resource].flat()) {
          assert.notEqual(resource, "*", `${roleAddress}: ${statement.Sid}`);
          assert.match(
            resource,
            /^(arn:aws:(ssm|s3|logs|kms|rds-db):|\$\{aws_(kms_key|cloudwatch_log_group)\.)/,
          );
        }
        if ([statement.Action].flat().includes("kms:Decrypt")) {
          assert.match(
            statement.Condition.StringEquals["kms:ViaService"],
            /^(ssm|s3)\.[a-z0-9-]+\.amazonaws\.com$/,
          );
        }
      }
    }
  },
);

// ---------------------------------------------------------------------------------------------------
// Failover readiness

planTest(
  "readiness: scheduled in the standby region, every readiness alarm under one composite to the standby topic",
  () => {
    const { config } = defaultStack();
    const expressions = configuredExpressions();
    const planned = new Map(plannedResources(defaultOfflinePlan().plan).map((r) => [r.address, r]));
    const rule = planned.get("aws_cloudwatch_event_rule.readiness_secondary_schedule")!;
    assert.equal(rule.providerKey, "aws.secondary");
    assert.equal(rule.after.schedule_expression, `rate(${config.readiness.scheduleMinutes} minutes)`);
    assert.equal(
      referenced(expressions.get("aws_cloudwatch_event_target.readiness_secondary_schedule_target"), "arn"),
      "aws_lambda_function.readiness_secondary_readiness",
    );
    assert.equal(
      planned.get("aws_lambda_function.readiness_secondary_readiness")!.providerKey,
      "aws.secondary",
    );

    const composite = planned.get("aws_cloudwatch_composite_alarm.readiness_secondary_not_ready")!;
    assert.equal(composite.providerKey, "aws.secondary");
    const configured = expressions.get(composite.address);
    assert.deepEqual(referencedResources(configured.alarm_actions), ["aws_sns_topic.alerting_secondary"]);
    const children = referencedResources(configured.alarm_rule);
    assert.equal(children.length, READINESS_CHECK_NAMES.length + 1, "FailoverReady and one alarm per check");
    for (const child of children) {
      const alarm = planned.get(child)!;
      assert.equal(alarm.providerKey, "aws.secondary", child);
      assert.equal(alarm.after.period, config.readiness.scheduleMinutes * 60, child);
      assert.equal(alarm.after.evaluation_periods, 2, child);
      assert.equal(alarm.after.datapoints_to_alarm, 2, child);
      assert.ok(!alarm.after.alarm_actions?.length, `${child}: notifies through the composite`);
    }
  },
);

planTest(
  "readiness: the role only describes and reads, beyond what every function has (own logs, traces, failure topic)",
  () => {
    // The planned policy names ARNs Terraform computes (unknown in an offline plan): read the document from
    // the configuration the plan was made from.
    const policy = defaultStack().stack.resource.aws_iam_role_policy.readiness_secondary_readiness_policy;
    const statements: Json[] = JSON.parse(policy.policy).Statement;
    const everyFunction = new Set([
      "OwnLogs",
      "Tracing",
      "DecryptOwnEnvironment",
      "FailureDestination",
      "FailureDestinationKey",
    ]);
    const actions = (statement: Json): string[] => [statement.Action].flat();
    for (const statement of statements.filter((s) => !everyFunction.has(s.Sid))) {
      for (const action of actions(statement)) {
        assert.match(action, /^[a-z0-9-]+:(Describe|Get)[A-Za-z]+$/, `${statement.Sid}: ${action}`);
      }
      for (const resource of [statement.Resource].flat()) {
        if (resource !== "*") continue;
        assert.ok(
          actions(statement).every((action) =>
            /^(autoscaling:Describe|ec2:Describe|cloudwatch:GetMetricData$)/.test(action)
          ),
          `${statement.Sid}: "*" only where AWS has no resource-level permission`,
        );
      }
    }
    const writes = statements.flatMap(actions)
      .filter((action) =>
        /:(Put|Update|Delete|Create|Modify|Failover|Switchover|Remove|Promote|Publish|Invoke|Encrypt|GenerateDataKey|Start|Stop|Set|Tag)/
          .test(action)
      )
      .sort();
    assert.deepEqual(writes, [
      "kms:Encrypt", // via SNS only: the failure notification
      "kms:GenerateDataKey",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sns:Publish", // the async failure destination (the standby topic)
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]);
  },
);
