// Interface VPC endpoints (VPC_ENDPOINTS=true, off by default for their cost): in each region's app subnets,
// private DNS on, behind the endpoints' security group (HTTPS from the app and the database checker only),
// so that the instances and the database checkers reach their AWS APIs without the internet and their
// HTTPS egress can be narrowed to these endpoints and S3's gateway endpoint (firewall.ts).
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint/index.js";
import { forEachRegion, type PerRegion } from "./providers.ts";
import { logicalId } from "./naming.ts";
import type { StackContext } from "./stack_context.ts";
import type { NetworkOutputs } from "./network.ts";
import type { SecurityGroupOutputs } from "./firewall.ts";

/**
 * Every AWS API the VPC's callers use besides S3 (gateway endpoint, free), and who calls it:
 * - ssm: boot_config.py and the fence watch (instances), the database checkers' parameters, the SSM agent;
 * - ssmmessages, ec2messages: the SSM agent (Session Manager, Run Command);
 * - logs: the CloudWatch agent shipping the instance logs.
 * Not here, because nothing in the VPC calls them: KMS (SecureString and SSE-KMS decryption happen inside SSM
 * and S3; the instance role may use its key only through S3), CloudWatch metrics (the agent ships logs only,
 * the checkers publish embedded-metric logs through Lambda), STS (credentials come from the instance
 * metadata and the Lambda runtime), RDS (IAM tokens are signed locally).
 */
export const INTERFACE_ENDPOINT_SERVICES = ["ssm", "ssmmessages", "ec2messages", "logs"] as const;

export type InterfaceEndpointService = typeof INTERFACE_ENDPOINT_SERVICES[number];

/**
 * AWS PrivateLink interface endpoint prices in US East (N. Virginia) and US East (Ohio), read on 2026-12-02 at
 * aws.amazon.com/privatelink/pricing: per endpoint per Availability Zone per hour, and per GB processed (first
 * PB of a month in a region). Hours per month: 730, as in the AWS Pricing Calculator.
 */
export const ENDPOINT_PRICING = { usdPerEndpointAzHour: 0.01, usdPerGb: 0.01, hoursPerMonth: 730 } as const;

export interface VpcEndpointInputs {
  readonly network: NetworkOutputs;
  readonly securityGroups: SecurityGroupOutputs;
}

/** Endpoint id per service, per region. */
export type VpcEndpointOutputs = PerRegion<Readonly<Record<InterfaceEndpointService, string>>>;

/** Hourly part of the endpoints' monthly cost (USD) for these AZ counts per region; traffic comes on top. */
export function interfaceEndpointMonthlyUsd(availabilityZonesPerRegion: readonly number[]): number {
  const endpointAzs = availabilityZonesPerRegion.reduce((sum, azs) => sum + azs, 0) *
    INTERFACE_ENDPOINT_SERVICES.length;
  const { usdPerEndpointAzHour, hoursPerMonth } = ENDPOINT_PRICING;
  return Math.round(endpointAzs * hoursPerMonth * usdPerEndpointAzHour * 100) / 100;
}

export function createVpcEndpoints(ctx: StackContext, inputs: VpcEndpointInputs): VpcEndpointOutputs {
  return forEachRegion(ctx.regions, ({ provider, region, role }) => {
    const groupId = inputs.securityGroups[role].interfaceEndpointsSecurityGroupId;
    if (groupId === undefined) {
      throw new Error("createVpcEndpoints(): the security groups were made without interfaceEndpoints");
    }
    const network = inputs.network[role];
    const endpoint = (service: InterfaceEndpointService) =>
      new VpcEndpoint(ctx.scope, logicalId("endpoints", role, service), {
        provider,
        vpcId: network.vpcId,
        serviceName: `com.amazonaws.${region}.${service}`,
        vpcEndpointType: "Interface",
        subnetIds: [...network.appSubnetIds],
        securityGroupIds: [groupId],
        // The SDKs and agents keep their default host names (ssm.<region>.amazonaws.com, ...).
        privateDnsEnabled: true,
        tags: { Name: ctx.name("generic", `vpce-${service}`, region) },
      }).id;
    return Object.fromEntries(
      INTERFACE_ENDPOINT_SERVICES.map((service) => [service, endpoint(service)]),
    ) as Record<InterfaceEndpointService, string>;
  });
}
