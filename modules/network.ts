// Network of one region, written once and called for both: VPC; public (ALB), private application
// (instances, Lambdas) and isolated data (Aurora) subnets per AZ; internet gateway; NAT gateways; route
// tables; S3 gateway endpoint; the default security group stripped; VPC flow logs to an encrypted log group.
import { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import { Subnet } from "@cdktf/provider-aws/lib/subnet/index.js";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway/index.js";
import { Eip } from "@cdktf/provider-aws/lib/eip/index.js";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway/index.js";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table/index.js";
import { Route } from "@cdktf/provider-aws/lib/route/index.js";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association/index.js";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint/index.js";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import type { RegionConfig } from "./config.ts";
import { forEachRegion, type PerRegion, type RegionContext } from "./providers.ts";
import { logicalId } from "./naming.ts";
import { assumeRolePolicy, policyDocument } from "./policy.ts";
import type { KeyedStackContext } from "./stack_context.ts";

export interface NetworkInputs {
  /** Per-region AZs, VPC CIDR and NAT gateway count. */
  readonly layout: PerRegion<RegionConfig>;
}

export interface RegionNetwork {
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly availabilityZones: readonly string[];
  readonly publicSubnetIds: readonly string[];
  readonly appSubnetIds: readonly string[];
  readonly dataSubnetIds: readonly string[];
  /** Managed prefix list of S3 in the region (the gateway endpoint's): egress rules name it, not a range. */
  readonly s3PrefixListId: string;
}

export type NetworkOutputs = PerRegion<RegionNetwork>;

export type SubnetTier = "public" | "app" | "data";

/** Terraform's cidrsubnet() for IPv4, on configuration values (not tokens). */
export function cidrSubnet(vpcCidr: string, newBits: number, netNumber: number): string {
  const [base, prefix] = vpcCidr.split("/");
  const address = base.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const newPrefix = Number(prefix) + newBits;
  const subnet = address + netNumber * 2 ** (32 - newPrefix);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(subnet / 2 ** shift) % 256);
  return `${octets.join(".")}/${newPrefix}`;
}

/**
 * Subnet plan of a /16: public /24s from x.x.0.0, application /20s from x.x.16.0 (room for many
 * instances and Lambda ENIs), data /24s from x.x.224.0. Index = position of the AZ in the config.
 */
export function subnetCidr(vpcCidr: string, tier: SubnetTier, azIndex: number): string {
  if (tier === "public") return cidrSubnet(vpcCidr, 8, azIndex);
  if (tier === "app") return cidrSubnet(vpcCidr, 4, 1 + azIndex);
  return cidrSubnet(vpcCidr, 8, 224 + azIndex);
}

export function createNetwork(ctx: KeyedStackContext, inputs: NetworkInputs): NetworkOutputs {
  return forEachRegion(ctx.regions, (where) => createRegionNetwork(ctx, where, inputs.layout[where.role]));
}

/** What every step of one region's network needs: where it goes, how it is named, the VPC and its layout. */
interface NetworkStep {
  readonly ctx: KeyedStackContext;
  readonly where: RegionContext;
  readonly layout: RegionConfig;
  readonly vpc: Vpc;
  readonly id: (key?: string) => string;
  readonly name: (base: string) => string;
}

function createRegionNetwork(
  ctx: KeyedStackContext,
  where: RegionContext,
  layout: RegionConfig,
): RegionNetwork {
  const { scope } = ctx;
  const { provider, region, role } = where;
  const id = (key?: string) => logicalId("network", role, key);
  const name = (base: string) => ctx.name("generic", base, region);

  const vpc = new Vpc(scope, id(), {
    provider,
    cidrBlock: layout.vpcCidr,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: { Name: name("vpc") },
  });
  new DefaultSecurityGroup(scope, id("default_sg"), {
    provider,
    vpcId: vpc.id,
    ingress: [],
    egress: [],
    tags: { Name: name("default-sg-unused") },
  });
  const step: NetworkStep = { ctx, where, layout, vpc, id, name };

  const publicSubnets = createSubnets(step, "public");
  const appSubnets = createSubnets(step, "app");
  const dataSubnets = createSubnets(step, "data");
  const natGateways = createPublicTier(step, publicSubnets);
  const appRouteTables = createAppRoutes(step, appSubnets, natGateways);
  const dataRoutes = createDataRoutes(step, dataSubnets);
  const s3Endpoint = new VpcEndpoint(scope, id("s3_endpoint"), {
    provider,
    vpcId: vpc.id,
    serviceName: `com.amazonaws.${region}.s3`,
    vpcEndpointType: "Gateway",
    routeTableIds: [...appRouteTables.map((table) => table.id), dataRoutes.id],
    tags: { Name: name("vpce-s3") },
  });
  createFlowLogs(step);

  return {
    vpcId: vpc.id,
    vpcCidr: layout.vpcCidr,
    availabilityZones: layout.availabilityZones,
    publicSubnetIds: publicSubnets.map((subnet) => subnet.id),
    appSubnetIds: appSubnets.map((subnet) => subnet.id),
    dataSubnetIds: dataSubnets.map((subnet) => subnet.id),
    s3PrefixListId: s3Endpoint.prefixListId,
  };
}

/** One subnet of the tier per configured AZ, keyed by AZ. */
function createSubnets({ ctx, where, layout, vpc, id }: NetworkStep, tier: SubnetTier): Subnet[] {
  return layout.availabilityZones.map((az, index) =>
    new Subnet(ctx.scope, id(`${tier}_${az}`), {
      provider: where.provider,
      vpcId: vpc.id,
      availabilityZone: az,
      cidrBlock: subnetCidr(layout.vpcCidr, tier, index),
      mapPublicIpOnLaunch: false,
      tags: { Name: ctx.name("generic", `subnet-${tier}`, az), Tier: tier },
    })
  );
}

/**
 * The internet gateway, the public route table and the NAT gateways (in the first `natGateways` AZs' public
 * subnets); returns the NAT gateway of each AZ that has one.
 */
function createPublicTier(step: NetworkStep, publicSubnets: readonly Subnet[]): Map<string, NatGateway> {
  const { ctx: { scope }, where: { provider }, layout, vpc, id, name } = step;
  const internetGateway = new InternetGateway(scope, id("igw"), {
    provider,
    vpcId: vpc.id,
    tags: { Name: name("igw") },
  });
  const publicRoutes = new RouteTable(scope, id("public_routes"), {
    provider,
    vpcId: vpc.id,
    tags: { Name: name("rt-public") },
  });
  new Route(scope, id("public_default_route"), {
    provider,
    routeTableId: publicRoutes.id,
    destinationCidrBlock: "0.0.0.0/0",
    gatewayId: internetGateway.id,
  });
  publicSubnets.forEach((subnet, index) =>
    new RouteTableAssociation(scope, id(`public_route_assoc_${layout.availabilityZones[index]}`), {
      provider,
      subnetId: subnet.id,
      routeTableId: publicRoutes.id,
    })
  );

  const natAzs = layout.availabilityZones.slice(0, layout.natGateways);
  return new Map(natAzs.map((az, index) => {
    const address = new Eip(scope, id(`nat_eip_${az}`), {
      provider,
      domain: "vpc",
      tags: { Name: name(`eip-nat-${az}`) },
    });
    const gateway = new NatGateway(scope, id(`nat_${az}`), {
      provider,
      allocationId: address.allocationId,
      subnetId: publicSubnets[index].id,
      tags: { Name: name(`nat-${az}`) },
      dependsOn: [internetGateway],
    });
    return [az, gateway] as const;
  }));
}

/** One route table per app AZ, defaulting to the AZ's own NAT gateway (else the first one). */
function createAppRoutes(
  { ctx: { scope }, where: { provider }, layout, vpc, id, name }: NetworkStep,
  appSubnets: readonly Subnet[],
  natGateways: ReadonlyMap<string, NatGateway>,
): RouteTable[] {
  const firstNat = natGateways.get(layout.availabilityZones[0])!;
  return layout.availabilityZones.map((az, index) => {
    const table = new RouteTable(scope, id(`app_routes_${az}`), {
      provider,
      vpcId: vpc.id,
      tags: { Name: name(`rt-app-${az}`) },
    });
    new Route(scope, id(`app_default_route_${az}`), {
      provider,
      routeTableId: table.id,
      destinationCidrBlock: "0.0.0.0/0",
      natGatewayId: (natGateways.get(az) ?? firstNat).id,
    });
    new RouteTableAssociation(scope, id(`app_route_assoc_${az}`), {
      provider,
      subnetId: appSubnets[index].id,
      routeTableId: table.id,
    });
    return table;
  });
}

/** Data subnets have no default route: Aurora needs no internet path. */
function createDataRoutes(
  { ctx: { scope }, where: { provider }, layout, vpc, id, name }: NetworkStep,
  dataSubnets: readonly Subnet[],
): RouteTable {
  const dataRoutes = new RouteTable(scope, id("data_routes"), {
    provider,
    vpcId: vpc.id,
    tags: { Name: name("rt-data") },
  });
  dataSubnets.forEach((subnet, index) =>
    new RouteTableAssociation(scope, id(`data_route_assoc_${layout.availabilityZones[index]}`), {
      provider,
      subnetId: subnet.id,
      routeTableId: dataRoutes.id,
    })
  );
  return dataRoutes;
}

/** VPC flow logs (all traffic) to a log group encrypted with the region's key. */
function createFlowLogs({ ctx, where: { provider, region, role }, vpc, id, name }: NetworkStep): void {
  const { scope } = ctx;
  const flowLogGroup = new CloudwatchLogGroup(scope, id("flow_logs"), {
    provider,
    name: `/aws/vpc/${name("flow-logs")}`,
    retentionInDays: ctx.logRetentionDays,
    kmsKeyId: ctx.keys[role].keyArn,
  });
  const flowLogRole = new IamRole(scope, id("flow_logs_role"), {
    provider,
    name: ctx.name("iamRole", "vpc-flow-logs", region),
    assumeRolePolicy: assumeRolePolicy("vpc-flow-logs.amazonaws.com", ctx.accountId),
  });
  new IamRolePolicy(scope, id("flow_logs_policy"), {
    provider,
    name: ctx.policyName("write-flow-logs", region),
    role: flowLogRole.id,
    policy: policyDocument([{
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [flowLogGroup.arn, `${flowLogGroup.arn}:*`],
    }]),
  });
  new FlowLog(scope, id("flow_log"), {
    provider,
    vpcId: vpc.id,
    trafficType: "ALL",
    logDestinationType: "cloud-watch-logs",
    logDestination: flowLogGroup.arn,
    iamRoleArn: flowLogRole.arn,
    maxAggregationInterval: 60,
    tags: { Name: name("flow-log") },
  });
}
