import assert from "node:assert/strict";
import { cidrSubnet, subnetCidr } from "../modules/network.ts";
import { defaultStack, resource, resources, resourcesIn } from "./helpers.ts";

Deno.test("cidrSubnet() matches terraform's cidrsubnet()", () => {
  assert.equal(cidrSubnet("10.10.0.0/16", 8, 0), "10.10.0.0/24");
  assert.equal(cidrSubnet("10.10.0.0/16", 4, 1), "10.10.16.0/20");
  assert.equal(cidrSubnet("10.10.0.0/16", 8, 226), "10.10.226.0/24");
  assert.equal(subnetCidr("10.20.0.0/16", "app", 2), "10.20.48.0/20");
});

Deno.test("createNetwork() builds one VPC per region with the configured CIDRs", () => {
  const { stack } = defaultStack();
  assert.equal(resource(stack, "aws_vpc", "network_primary").cidr_block, "10.10.0.0/16");
  assert.equal(resource(stack, "aws_vpc", "network_primary").provider, "aws.primary");
  assert.equal(resource(stack, "aws_vpc", "network_secondary").cidr_block, "10.20.0.0/16");
  assert.equal(resource(stack, "aws_vpc", "network_secondary").provider, "aws.secondary");
});

Deno.test("createNetwork() makes public, app and data subnets in every configured AZ, keyed by AZ", () => {
  const { stack, config } = defaultStack();
  for (const role of ["primary", "secondary"] as const) {
    const subnets = resourcesIn(stack, "aws_subnet", role);
    assert.equal(Object.keys(subnets).length, 9);
    config[role].availabilityZones.forEach((az, index) => {
      for (const tier of ["public", "app", "data"] as const) {
        const subnet = subnets[`network_${role}_${tier}_${az}`];
        assert.equal(subnet.availability_zone, az);
        assert.equal(subnet.cidr_block, subnetCidr(config[role].vpcCidr, tier, index));
        assert.equal(subnet.map_public_ip_on_launch, false);
      }
    });
  }
});

Deno.test("createNetwork() puts one NAT gateway per AZ in the primary and one in the standby", () => {
  const { stack } = defaultStack();
  assert.equal(Object.keys(resourcesIn(stack, "aws_nat_gateway", "primary")).length, 3);
  assert.equal(Object.keys(resourcesIn(stack, "aws_nat_gateway", "secondary")).length, 1);
  const standbyAppRoutes = Object.values(resourcesIn(stack, "aws_route", "secondary"))
    .filter((route) => route.nat_gateway_id !== undefined);
  assert.equal(standbyAppRoutes.length, 3, "every standby app subnet routes through the single NAT");
  assert.ok(
    standbyAppRoutes.every((route) =>
      route.nat_gateway_id === "${aws_nat_gateway.network_secondary_nat_us-east-2a.id}"
    ),
  );
});

Deno.test("createNetwork() keeps data subnets isolated (no default route)", () => {
  const { stack } = defaultStack();
  for (const role of ["primary", "secondary"]) {
    const dataTable = `\${aws_route_table.network_${role}_data_routes.id}`;
    const routes = Object.values(resources(stack, "aws_route")).filter((route) =>
      route.route_table_id === dataTable
    );
    assert.deepEqual(routes, []);
    assert.ok(
      resource(stack, "aws_vpc_endpoint", `network_${role}_s3_endpoint`).route_table_ids.includes(dataTable),
    );
  }
});

Deno.test("createNetwork() strips the default security group and sends flow logs to an encrypted log group", () => {
  const { stack, config } = defaultStack();
  for (const role of ["primary", "secondary"] as const) {
    const defaultGroup = resource(stack, "aws_default_security_group", `network_${role}_default_sg`);
    assert.deepEqual(defaultGroup.ingress, []);
    assert.deepEqual(defaultGroup.egress, []);
    const logGroup = resource(stack, "aws_cloudwatch_log_group", `network_${role}_flow_logs`);
    assert.equal(logGroup.kms_key_id, `\${aws_kms_key.kms_${role}.arn}`);
    assert.equal(logGroup.retention_in_days, config.logRetentionDays);
    assert.equal(resource(stack, "aws_flow_log", `network_${role}_flow_log`).traffic_type, "ALL");
  }
});

Deno.test("createKmsKeys() makes a rotating key with an alias per region and no wildcard action", () => {
  const { stack } = defaultStack();
  for (const role of ["primary", "secondary"]) {
    const key = resource(stack, "aws_kms_key", `kms_${role}`);
    assert.equal(key.provider, `aws.${role}`);
    assert.equal(key.enable_key_rotation, true);
    const policy = JSON.parse(key.policy);
    const actions = policy.Statement.flatMap((statement: { Action: string | string[] }) =>
      [statement.Action].flat()
    );
    assert.ok(actions.every((action: string) => !action.includes("*")), `wildcard in ${actions}`);
    const services = policy.Statement.flatMap((statement: { Principal: { Service?: string | string[] } }) =>
      [statement.Principal.Service ?? []].flat()
    );
    assert.ok(services.some((service: string) => service.startsWith("logs.")));
    assert.ok(services.includes("cloudwatch.amazonaws.com") && services.includes("events.amazonaws.com"));
  }
});
