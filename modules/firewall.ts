// The security-group graph of one region, in one place so the open ports can be read at a glance:
//   internet --80/443--> alb --appPort--> app --dbPort--> database <--dbPort-- database checker (Lambda)
// app and checker reach AWS APIs over HTTPS (443): anywhere (through NAT / the S3 endpoint) by default; with
// interface endpoints (VPC_ENDPOINTS=true) only the endpoints' group and, for the app, S3's prefix list.
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js";
import { forEachRegion, type PerRegion, type RegionContext } from "./providers.ts";
import { logicalId } from "./naming.ts";
import type { StackContext } from "./stack_context.ts";
import type { NetworkOutputs } from "./network.ts";

export interface SecurityGroupInputs {
  readonly network: NetworkOutputs;
  readonly appPort: number;
  readonly databasePort: number;
  /** Interface VPC endpoints in the app subnets: HTTPS egress narrows to them (and S3). @default false */
  readonly interfaceEndpoints?: boolean;
}

export interface RegionSecurityGroups {
  readonly albSecurityGroupId: string;
  readonly appSecurityGroupId: string;
  readonly databaseSecurityGroupId: string;
  readonly databaseCheckerSecurityGroupId: string;
  /** Group of the interface endpoints' network interfaces (only with interface endpoints). */
  readonly interfaceEndpointsSecurityGroupId?: string;
}

export type SecurityGroupOutputs = PerRegion<RegionSecurityGroups>;

type Peer =
  | { cidrIpv4: string }
  | { cidrIpv6: string }
  | { referencedSecurityGroupId: string }
  | { prefixListId: string };

export function createSecurityGroups(ctx: StackContext, inputs: SecurityGroupInputs): SecurityGroupOutputs {
  return forEachRegion(ctx.regions, (where) => {
    const rules = firewallRules(ctx, where, inputs.network[where.role].vpcId);
    const alb = rules.group("alb", "Public load balancer: HTTP/HTTPS from anywhere, forwards to the app");
    const app = rules.group("app", "Application instances: app port from the load balancer only");
    const database = rules.group("database", "Aurora: PostgreSQL from the app and the database checker only");
    const checker = rules.group("db-checker", "Database health-checker Lambda");
    const groups = { alb, app, database, checker };
    createTierRules(rules, groups, inputs);
    const outputs = {
      albSecurityGroupId: alb.id,
      appSecurityGroupId: app.id,
      databaseSecurityGroupId: database.id,
      databaseCheckerSecurityGroupId: checker.id,
    };
    if (!inputs.interfaceEndpoints) {
      // Without endpoints the API hosts have public addresses only, reached through the NAT gateways.
      rules.egress(
        app,
        "app_to_aws_apis",
        443,
        { cidrIpv4: "0.0.0.0/0" },
        "AWS APIs (SSM, S3, logs) over HTTPS",
      );
      rules.egress(
        checker,
        "checker_to_aws_apis",
        443,
        { cidrIpv4: "0.0.0.0/0" },
        "AWS APIs (SSM) over HTTPS",
      );
      return outputs;
    }
    const s3PrefixListId = inputs.network[where.role].s3PrefixListId;
    return {
      ...outputs,
      interfaceEndpointsSecurityGroupId: createEndpointRules(rules, groups, s3PrefixListId),
    };
  });
}

type FirewallRules = ReturnType<typeof firewallRules>;

interface TierGroups {
  readonly alb: SecurityGroup;
  readonly app: SecurityGroup;
  readonly database: SecurityGroup;
  readonly checker: SecurityGroup;
}

/** Makers of one region's groups and single-port TCP rules, with logical ids `firewall_<role>_<key>`. */
function firewallRules(ctx: StackContext, { provider, region, role }: RegionContext, vpcId: string) {
  const { scope } = ctx;
  const group = (key: string, description: string) => {
    const groupName = ctx.name("securityGroup", `${key}-sg`, region);
    return new SecurityGroup(scope, logicalId("firewall", role, key), {
      provider,
      // A prefix, not a fixed name: create_before_destroy must be able to create the replacement first.
      namePrefix: `${groupName}-`,
      description,
      vpcId,
      tags: { Name: groupName },
      lifecycle: { createBeforeDestroy: true },
    });
  };
  const ingress = (target: SecurityGroup, key: string, port: number, peer: Peer, description: string) =>
    new VpcSecurityGroupIngressRule(scope, logicalId("firewall", role, `${key}_in`), {
      provider,
      securityGroupId: target.id,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      description,
      ...peer,
    });
  const egress = (source: SecurityGroup, key: string, port: number, peer: Peer, description: string) =>
    new VpcSecurityGroupEgressRule(scope, logicalId("firewall", role, `${key}_out`), {
      provider,
      securityGroupId: source.id,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      description,
      ...peer,
    });
  return { group, ingress, egress };
}

/** internet --80/443--> alb --appPort--> app --dbPort--> database <--dbPort-- checker. */
function createTierRules(
  { ingress, egress }: FirewallRules,
  { alb, app, database, checker }: TierGroups,
  { appPort, databasePort }: SecurityGroupInputs,
): void {
  ingress(alb, "alb_http_ipv4", 80, { cidrIpv4: "0.0.0.0/0" }, "HTTP (redirects to HTTPS)");
  ingress(alb, "alb_http_ipv6", 80, { cidrIpv6: "::/0" }, "HTTP (redirects to HTTPS)");
  ingress(alb, "alb_https_ipv4", 443, { cidrIpv4: "0.0.0.0/0" }, "HTTPS");
  ingress(alb, "alb_https_ipv6", 443, { cidrIpv6: "::/0" }, "HTTPS");
  egress(alb, "alb_to_app", appPort, { referencedSecurityGroupId: app.id }, "to the application");

  ingress(app, "app_from_alb", appPort, { referencedSecurityGroupId: alb.id }, "from the load balancer");
  egress(app, "app_to_database", databasePort, { referencedSecurityGroupId: database.id }, "to Aurora");

  const fromApp = { referencedSecurityGroupId: app.id };
  ingress(database, "database_from_app", databasePort, fromApp, "from the application");
  const fromChecker = { referencedSecurityGroupId: checker.id };
  ingress(database, "database_from_checker", databasePort, fromChecker, "from the database checker");

  egress(
    checker,
    "checker_to_database",
    databasePort,
    { referencedSecurityGroupId: database.id },
    "to Aurora",
  );
}

/** The interface endpoints' group; app and checker reach AWS APIs through it (and S3's gateway) only. */
function createEndpointRules(
  { group, ingress, egress }: FirewallRules,
  { app, checker }: TierGroups,
  s3PrefixListId: string,
): string {
  const endpoints = group(
    "endpoints",
    "Interface VPC endpoints: HTTPS from the app and the database checker",
  );
  for (const [key, caller] of [["app", app], ["checker", checker]] as const) {
    const peer = { referencedSecurityGroupId: caller.id };
    ingress(endpoints, `endpoints_from_${key}`, 443, peer, `AWS APIs for the ${key}`);
    egress(caller, `${key}_to_endpoints`, 443, { referencedSecurityGroupId: endpoints.id }, "AWS APIs");
  }
  // The S3 gateway endpoint: release, RDS CA bundle and the Amazon Linux package repositories.
  egress(app, "app_to_s3", 443, { prefixListId: s3PrefixListId }, "S3 (gateway)");
  return endpoints.id;
}
