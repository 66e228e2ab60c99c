// The real provider: terraform validate and an offline plan of the default stack, and the whole-stack
// policy invariants read from the plan JSON.
import assert from "node:assert/strict";
import {
  defaultOfflinePlan,
  defaultStack,
  plannedResources,
  terraformAvailable,
  warnSkip,
} from "./helpers.ts";
import { SESSION_MANAGER_POLICY_ARN } from "../modules/compute.ts";

const hasTerraform = terraformAvailable();
if (!hasTerraform) warnSkip("plan_test.ts");

function planTest(name: string, body: () => void) {
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

const NAME_ATTRIBUTES = [
  "name",
  "bucket",
  "function_name",
  "cluster_identifier",
  "identifier",
  "global_cluster_identifier",
  "alarm_name",
  "dashboard_name",
  "table_name",
];
// Names scoped inside a parent that already carries the suffix.
const SCOPED_NAMES = new Set(["aws_iam_role_policy"]);
// DNS names are the operator's domain (one per environment by configuration), not ours to suffix.
SCOPED_NAMES.add("aws_route53_zone").add("aws_route53_record");

planTest("every physical name carries the environment suffix", () => {
  const suffix = defaultStack().config.environmentSuffix;
  const carriesSuffix = new RegExp(`(^|[-/_.])${suffix}($|[-/_.])`);
  for (const planned of plannedResources(defaultOfflinePlan().plan)) {
    if (SCOPED_NAMES.has(planned.type)) continue;
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
  for (const config of plan.configuration.root_module.resources) {
    assert.notEqual(config.prevent_destroy, true, config.address);
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
        for (const action of [statement.Action ?? []].flat()) {
          assert.ok(action !== "*" && !action.endsWith(":*"), `${planned.address}: ${action}`);
        }
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------------
// Serving tier: open ports, instance hardening, DNS failover, standby capacity, instance role

// deno-lint-ignore no-explicit-any
type Expressions = Record<string, any>;

/** Configuration expressions by address: where references (unknown at plan time) can still be read. */
function configuredExpressions(): Map<string, Expressions> {
  const { plan } = defaultOfflinePlan();
  return new Map(
    plan.configuration.root_module.resources.map((
      config: { address: string; expressions: Expressions },
    ) => [config.address, config.expressions]),
  );
}

/** The resource address an attribute refers to (`aws_x.name`), or undefined for a constant. */
function referenced(expressions: Expressions | undefined, attribute: string): string | undefined {
  const references: string[] = expressions?.[attribute]?.references ?? [];
  return references.find((reference) => reference.split(".").length === 2);
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
    for (
      const volume of plannedResources(defaultOfflinePlan().plan).filter((r) => r.type === "aws_ebs_volume")
    ) {
      assert.equal(volume.after.encrypted, true, volume.address);
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
    assert.equal(record.after.alias[0].evaluate_target_health, true, record.address);
    const alb = referenced(expressions.get(record.address)?.alias?.[0], "name");
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
  const calculated = checks.find((resource) => resource.after.type === "CALCULATED");
  assert.equal(calculated?.after.child_health_threshold, 1, "every child check must be healthy");
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
      const actions = document.Statement.flatMap((statement: { Action: string | string[] }) =>
        [statement.Action].flat()
      ).sort();
      assert.deepEqual([...new Set(actions)], [
        "kms:Decrypt",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "s3:GetObject",
        "s3:ListBucket",
        "ssm:GetParameter",
        "ssm:GetParameters",
      ]);
      for (const statement of document.Statement) {
        assert.equal(statement.Effect, "Allow");
        for (const resource of [statement.Resource].flat()) {
          assert.notEqual(resource, "*", `${roleAddress}: ${statement.Sid}`);
          assert.match(resource, /^(arn:aws:(ssm|s3|logs|kms):|\$\{aws_(kms_key|cloudwatch_log_group)\.)/);
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
