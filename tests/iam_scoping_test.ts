// IAM scoping: the database checkers' ENI actions are held to the stack's VPC, subnets and security group;
// the only RDS write actions anywhere are the orchestrator's, on the global cluster and its two members.
import assert from "node:assert/strict";
import { allResources, defaultStack, type Json, resource, ROLES } from "./helpers.ts";

function statements(policy: string): Json[] {
  return [JSON.parse(policy).Statement].flat();
}

const actionsOf = (statement: Json): string[] => [statement.Action].flat();

Deno.test("VPC Lambdas create, delete and re-address ENIs only in the stack's VPC, subnets and security group", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const region = config[role].region;
    const arn = (resource: string) => `arn:aws:ec2:${region}:${config.accountId}:${resource}`;
    const vpcArn = arn(`vpc/\${aws_vpc.network_${role}.id}`);
    const policy = statements(
      resource(stack, "aws_iam_role_policy", `health_checks_${role}_db_health_policy`).policy,
    );
    const eniStatements = policy.filter((statement) =>
      actionsOf(statement).some((action) =>
        /^ec2:(Create|Delete)NetworkInterface$|PrivateIpAddresses$/.test(action)
      )
    );
    assert.ok(eniStatements.length >= 3, JSON.stringify(policy));
    const subnetArns = config[role].availabilityZones.map((zone) =>
      arn(`subnet/\${aws_subnet.network_${role}_app_${zone}.id}`)
    );
    for (const statement of eniStatements) {
      const resources = [statement.Resource].flat();
      if (resources.includes(arn("network-interface/*"))) {
        // Any network interface, but only in this VPC (and, when created, only in the app subnets).
        assert.equal(statement.Condition?.ArnEquals?.["ec2:Vpc"], vpcArn, statement.Sid);
        if (actionsOf(statement).includes("ec2:CreateNetworkInterface")) {
          assert.deepEqual(statement.Condition.ArnEquals["ec2:Subnet"], subnetArns, statement.Sid);
        }
      } else {
        assert.deepEqual(actionsOf(statement), ["ec2:CreateNetworkInterface"], statement.Sid);
        assert.deepEqual(resources, [
          ...subnetArns,
          arn(`security-group/\${aws_security_group.firewall_${role}_db-checker.id}`),
        ]);
      }
      assert.ok(resources.every((value) => !value.endsWith(":*")), `${statement.Sid}: ${resources}`);
    }
  }
});

Deno.test("the only RDS write actions are the orchestrator's failover/switchover, on the global cluster and its members", () => {
  const { stack, config } = defaultStack();
  const writes: Array<{ name: string; statement: Json }> = [];
  for (const { type, name, body } of allResources(stack)) {
    if (!["aws_iam_role_policy", "aws_iam_policy"].includes(type)) continue;
    for (const statement of statements(body.policy)) {
      if (statement.Effect === "Deny") continue;
      const rdsWrites = actionsOf(statement).filter((action) =>
        action.startsWith("rds:") && !/^rds:(Describe|List)/.test(action)
      );
      if (rdsWrites.length > 0) writes.push({ name, statement: { ...statement, Action: rdsWrites } });
    }
  }
  assert.deepEqual(writes.map(({ name }) => name), ["failover_secondary_failover_policy"]);
  const [{ statement }] = writes;
  assert.deepEqual([...statement.Action].sort(), [
    "rds:FailoverGlobalCluster",
    "rds:SwitchoverGlobalCluster",
  ]);
  assert.deepEqual([statement.Resource].flat(), [
    `arn:aws:rds::${config.accountId}:global-cluster:\${aws_rds_global_cluster.database_global.global_cluster_identifier}`,
    "${aws_rds_cluster.database_primary.arn}",
    "${aws_rds_cluster.database_secondary.arn}",
  ]);
});
