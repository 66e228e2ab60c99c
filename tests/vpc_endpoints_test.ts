// VPC_ENDPOINTS: off (default), app and checker keep HTTPS egress to anywhere and no interface endpoint is
// built; on, both regions get the interface endpoints in their app subnets and that egress narrows to the
// endpoints' security group and S3's prefix list. Asserted on the synthesized JSON and on the offline plan.
import assert from "node:assert/strict";
import {
  available,
  configProblems,
  defaultStack,
  type Json,
  offlinePlan,
  type PlannedResource,
  plannedResources,
  resources,
  resourcesIn,
  ROLES,
  type SynthResult,
  synthWith,
  terraformAvailable,
} from "./helpers.ts";
import {
  ENDPOINT_PRICING,
  INTERFACE_ENDPOINT_SERVICES,
  interfaceEndpointMonthlyUsd,
} from "../modules/vpc_endpoints.ts";

const hasTerraform = available("terraform", terraformAvailable(), "the VPC_ENDPOINTS=true offline plan");

let withEndpoints: SynthResult | undefined;
const endpointsStack = () => withEndpoints ??= synthWith({ VPC_ENDPOINTS: "true" });

const group = (role: string, name: string) => `\${aws_security_group.firewall_${role}_${name}.id}`;

/** Egress rules of one group, by logical id. */
function egressOf(stack: Json, role: string, name: string): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(resources(stack, "aws_vpc_security_group_egress_rule"))
      .filter(([, rule]) => rule.security_group_id === group(role, name)),
  );
}

Deno.test("VPC_ENDPOINTS=false (default): no interface endpoint, app and checker HTTPS egress to anywhere", () => {
  const { stack, config } = defaultStack();
  assert.equal(config.protection.vpcEndpoints, false);
  const endpoints = Object.values(resources(stack, "aws_vpc_endpoint"));
  assert.deepEqual(endpoints.map((endpoint) => endpoint.vpc_endpoint_type), ["Gateway", "Gateway"]);
  assert.deepEqual(
    Object.keys(resources(stack, "aws_security_group")).filter((id) => id.includes("endpoints")),
    [],
  );
  for (const role of ROLES) {
    for (const [name, key] of [["app", "app"], ["db-checker", "checker"]]) {
      const https = Object.entries(egressOf(stack, role, name)).filter(([, rule]) => rule.from_port === 443);
      assert.deepEqual(https.map(([id, rule]) => [id, rule.cidr_ipv4]), [
        [`firewall_${role}_${key}_to_aws_apis_out`, "0.0.0.0/0"],
      ]);
    }
  }
});

Deno.test("VPC_ENDPOINTS=true: ssm, ssmmessages, ec2messages and logs endpoints in both regions' app subnets", () => {
  const { stack, config } = endpointsStack();
  for (const role of ROLES) {
    const region = config[role].region;
    const interfaces = Object.entries(resourcesIn(stack, "aws_vpc_endpoint", role))
      .filter(([, endpoint]) => endpoint.vpc_endpoint_type === "Interface");
    assert.deepEqual(
      interfaces.map(([, endpoint]) => endpoint.service_name).sort(),
      INTERFACE_ENDPOINT_SERVICES.map((service) => `com.amazonaws.${region}.${service}`).sort(),
    );
    const appSubnets = config[role].availabilityZones.map((az) =>
      `\${aws_subnet.network_${role}_app_${az}.id}`
    );
    for (const [id, endpoint] of interfaces) {
      assert.equal(endpoint.vpc_id, `\${aws_vpc.network_${role}.id}`, id);
      assert.deepEqual(endpoint.subnet_ids, appSubnets, `${id}: one interface per AZ, beside the callers`);
      assert.deepEqual(endpoint.security_group_ids, [group(role, "endpoints")], id);
      assert.equal(endpoint.private_dns_enabled, true, `${id}: the default API host names resolve to it`);
      assert.equal(endpoint.policy, undefined, `${id}: the default policy; IAM decides`);
    }
  }
});

Deno.test("VPC_ENDPOINTS=true: the endpoints' group admits HTTPS from the app and the checker only", () => {
  const { stack } = endpointsStack();
  for (const role of ROLES) {
    const ingress = Object.values(resources(stack, "aws_vpc_security_group_ingress_rule"))
      .filter((rule) => rule.security_group_id === group(role, "endpoints"));
    assert.deepEqual(
      ingress.map((
        rule,
      ) => [rule.from_port, rule.to_port, rule.referenced_security_group_id, rule.cidr_ipv4]),
      [[443, 443, group(role, "app"), undefined], [443, 443, group(role, "db-checker"), undefined]],
    );
    assert.deepEqual(egressOf(stack, role, "endpoints"), {}, "answers only (security groups are stateful)");
  }
});

Deno.test("VPC_ENDPOINTS=true: app and checker HTTPS goes to the endpoints and (app) S3's prefix list only", () => {
  const { stack } = endpointsStack();
  for (const role of ROLES) {
    const s3 = `\${aws_vpc_endpoint.network_${role}_s3_endpoint.prefix_list_id}`;
    const expectations: Array<[string, string[]]> = [
      ["app", [group(role, "endpoints"), s3]],
      ["db-checker", [group(role, "endpoints")]],
    ];
    for (const [name, expected] of expectations) {
      const rules = Object.values(egressOf(stack, role, name));
      for (const rule of rules) {
        assert.equal(rule.cidr_ipv4, undefined, `${name}: no address range`);
        assert.equal(rule.cidr_ipv6, undefined, `${name}: no address range`);
      }
      const https = rules.filter((rule) => rule.from_port === 443);
      assert.deepEqual(
        https.map((rule) => rule.referenced_security_group_id ?? rule.prefix_list_id),
        expected,
      );
      assert.ok(
        rules.every((rule) =>
          rule.from_port === 443 || rule.referenced_security_group_id === group(role, "database")
        ),
      );
    }
  }
});

Deno.test("VPC_ENDPOINTS accepts only true or false, naming the setting; empty is not unset", () => {
  for (const value of ["yes", "TRUE"]) {
    assert.deepEqual(configProblems({ VPC_ENDPOINTS: value }), [
      `VPC_ENDPOINTS="${value}": must be true or false`,
    ]);
  }
  assert.match(configProblems({ VPC_ENDPOINTS: "" }).join("\n"), /VPC_ENDPOINTS="": is set but empty/);
});

Deno.test("docs/security.md states the endpoints' monthly cost computed from the default settings and the quoted prices", () => {
  const { config } = defaultStack();
  const azCounts = [config.primary.availabilityZones.length, config.secondary.availabilityZones.length];
  const monthly = interfaceEndpointMonthlyUsd(azCounts);
  assert.equal(monthly, 175.2, "4 endpoints x 3 AZs x 2 regions x 730 h x $0.01");
  const text = Deno.readTextFileSync(new URL("../docs/security.md", import.meta.url));
  const endpointAzs = INTERFACE_ENDPOINT_SERVICES.length * azCounts.reduce((sum, count) => sum + count, 0);
  const sentence =
    `${INTERFACE_ENDPOINT_SERVICES.length} endpoints x ${
      azCounts.join(" + ")
    } AZs = ${endpointAzs} endpoint-AZs x ` +
    `${ENDPOINT_PRICING.hoursPerMonth} h x $${ENDPOINT_PRICING.usdPerEndpointAzHour} = $${
      monthly.toFixed(2)
    } per month`;
  assert.ok(text.replace(/\s+/g, " ").includes(sentence), `docs/security.md must say: ${sentence}`);
  assert.ok(text.includes(`$${ENDPOINT_PRICING.usdPerGb} per GB`) && text.includes("2026-12-02"));
});

// ---------------------------------------------------------------------------------------------------
// The offline plan with VPC_ENDPOINTS=true: the provider accepts it, and what it plans to create.

let planned: { resources: PlannedResource[]; plan: Json } | undefined;
function endpointsPlan() {
  if (!planned) {
    const { plan } = offlinePlan(endpointsStack().stackDir);
    planned = { resources: plannedResources(plan), plan };
  }
  return planned;
}

Deno.test({
  name:
    "VPC_ENDPOINTS=true, offline plan: endpoints in both regions, no 0.0.0.0/0 egress, no data source read",
  ignore: !hasTerraform,
  fn() {
    const { resources: planned, plan } = endpointsPlan();
    const interfaces = planned.filter((resource) =>
      resource.type === "aws_vpc_endpoint" && resource.after.vpc_endpoint_type === "Interface"
    );
    assert.deepEqual(
      ROLES.map((role) => interfaces.filter((endpoint) => endpoint.providerKey === `aws.${role}`).length),
      [INTERFACE_ENDPOINT_SERVICES.length, INTERFACE_ENDPOINT_SERVICES.length],
    );
    const egress = planned.filter((resource) => resource.type === "aws_vpc_security_group_egress_rule");
    assert.ok(egress.length > 0);
    for (const rule of egress) {
      assert.equal(rule.after.cidr_ipv4 ?? null, null, `${rule.address}: no egress to an address range`);
      assert.equal(rule.after.cidr_ipv6 ?? null, null, `${rule.address}: no egress to an address range`);
    }
    const configured = new Map<string, Json>(
      plan.configuration.root_module.resources.map((config: Json) => [config.address, config]),
    );
    for (const role of ROLES) {
      const s3 = configured.get(`aws_vpc_security_group_egress_rule.firewall_${role}_app_to_s3_out`);
      assert.deepEqual(s3.expressions.prefix_list_id.references, [
        `aws_vpc_endpoint.network_${role}_s3_endpoint.prefix_list_id`,
        `aws_vpc_endpoint.network_${role}_s3_endpoint`,
      ]);
    }
    assert.deepEqual(
      plan.configuration.root_module.resources.filter((config: Json) => config.mode === "data"),
      [],
      "the prefix list comes from the gateway endpoint, not a data source",
    );
  },
});
