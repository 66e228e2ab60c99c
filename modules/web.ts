// The public entry of one region, written once and called for both: an internet-facing ALB in the public
// subnets, the application target group (shallow health path) and the listeners. TLS by default: an ACM
// certificate per region for the application name, DNS-validated in the hosted zone; or certificates the
// operator already has; or, for a throwaway test domain only, plain HTTP.
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate/index.js";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation/index.js";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record/index.js";
import { Lb } from "@cdktf/provider-aws/lib/lb/index.js";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group/index.js";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener/index.js";
import type { DnsConfig } from "./config.ts";
import { forEachRegion, type PerRegion, type RegionContext } from "./providers.ts";
import { logicalId } from "./naming.ts";
import { DEEP_HEALTH_PATH, SHALLOW_HEALTH_PATH } from "../handlers/lib/contract.ts";
import type { KeyedStackContext } from "./stack_context.ts";
import type { HostedZoneOutputs } from "./failover_dns.ts";
import type { NetworkOutputs } from "./network.ts";
import type { SecurityGroupOutputs } from "./firewall.ts";
import type { RegionAccessLogs } from "./edge_protection.ts";

/**
 * `tlsMode` "acm" (default): certificates made here, validated by a record of `recordTtlSeconds`; "existing":
 * the operator's `primaryCertificateArn` / `secondaryCertificateArn`; "none": HTTP only.
 */
export type TlsSettings = Pick<
  DnsConfig,
  "tlsMode" | "primaryCertificateArn" | "secondaryCertificateArn" | "recordTtlSeconds"
>;

export interface LoadBalancerInputs {
  readonly network: NetworkOutputs;
  readonly securityGroups: SecurityGroupOutputs;
  /** The public zone (validates the certificates) and the application name the certificates carry. */
  readonly zone: HostedZoneOutputs;
  readonly appPort: number;
  readonly tls: TlsSettings;
  /** Seconds an instance keeps finishing requests after deregistration; default 30. */
  readonly deregistrationDelaySeconds?: number;
  /** Where each ALB writes its access logs (edge_protection.ts). */
  readonly accessLogs: PerRegion<RegionAccessLogs>;
}

export interface RegionLoadBalancer {
  readonly albArn: string;
  readonly albArnSuffix: string;
  readonly albDnsName: string;
  readonly albZoneId: string;
  readonly targetGroupArn: string;
  readonly targetGroupArnSuffix: string;
  /** The deep-health URL of this ALB (what the checkers, probers and orchestrator call). */
  readonly deepHealthUrl: string;
  /** Absent when TLS is off. */
  readonly httpsListenerArn?: string;
}

export type LoadBalancerOutputs = PerRegion<RegionLoadBalancer>;

/**
 * TLS 1.3 and 1.2, forward-secret AEAD (GCM / ChaCha20-Poly1305) suites only: the `-Res` ("restricted")
 * variant drops the CBC suites that `ELBSecurityPolicy-TLS13-1-2-2021-06` still offers for TLS 1.2.
 */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06";

export function createLoadBalancer(ctx: KeyedStackContext, inputs: LoadBalancerInputs): LoadBalancerOutputs {
  const { tls } = inputs;
  const certificateArns = tls.tlsMode === "acm"
    ? validatedCertificates(ctx, inputs)
    : tls.tlsMode === "existing"
    ? { primary: tls.primaryCertificateArn, secondary: tls.secondaryCertificateArn }
    : undefined;

  return forEachRegion(ctx.regions, (where) => {
    const alb = createAlb(ctx, inputs, where);
    const targetGroup = createTargetGroup(ctx, inputs, where);
    const httpsListenerArn = createListeners(
      ctx,
      where,
      alb.arn,
      targetGroup.arn,
      certificateArns?.[where.role],
    );
    return {
      albArn: alb.arn,
      albArnSuffix: alb.arnSuffix,
      albDnsName: alb.dnsName,
      albZoneId: alb.zoneId,
      targetGroupArn: targetGroup.arn,
      targetGroupArnSuffix: targetGroup.arnSuffix,
      deepHealthUrl: `${tls.tlsMode === "none" ? "http" : "https"}://${alb.dnsName}${DEEP_HEALTH_PATH}`,
      ...(httpsListenerArn === undefined ? {} : { httpsListenerArn }),
    };
  });
}

/** The internet-facing ALB in the region's public subnets, logging every request. */
function createAlb(ctx: KeyedStackContext, inputs: LoadBalancerInputs, where: RegionContext): Lb {
  const { role } = where;
  const albName = ctx.name("alb", "alb", where.region);
  return new Lb(ctx.scope, logicalId("web", role, "alb"), {
    provider: where.provider,
    name: albName,
    loadBalancerType: "application",
    internal: false,
    securityGroups: [inputs.securityGroups[role].albSecurityGroupId],
    subnets: [...inputs.network[role].publicSubnetIds],
    dropInvalidHeaderFields: true,
    // The production profile protects the ALBs; by default the stack stays destroyable.
    enableDeletionProtection: ctx.productionProfile,
    accessLogs: {
      enabled: true,
      bucket: inputs.accessLogs[role].bucketName,
      prefix: inputs.accessLogs[role].prefix,
    },
    tags: { Name: albName },
  });
}

/** The application instances behind the ALB, checked on the shallow health path. */
function createTargetGroup(
  ctx: KeyedStackContext,
  inputs: LoadBalancerInputs,
  where: RegionContext,
): LbTargetGroup {
  const targetGroupName = ctx.name("targetGroup", "tg", where.region);
  return new LbTargetGroup(ctx.scope, logicalId("web", where.role, "targets"), {
    provider: where.provider,
    name: targetGroupName,
    port: inputs.appPort,
    protocol: "HTTP",
    targetType: "instance",
    vpcId: inputs.network[where.role].vpcId,
    // Long enough for in-flight requests to finish, short against the RTO: a scale-in or instance refresh
    // never holds an instance for minutes, and on failover the primary's targets are gone anyway.
    deregistrationDelay: String(inputs.deregistrationDelaySeconds ?? 30),
    healthCheck: {
      enabled: true,
      protocol: "HTTP",
      port: "traffic-port",
      path: SHALLOW_HEALTH_PATH,
      matcher: "200",
      interval: 10,
      timeout: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    },
    tags: { Name: targetGroupName },
  });
}

/**
 * HTTPS forwarding to the targets and HTTP redirecting to it; without a certificate (TLS_MODE=none) HTTP
 * forwarding only. Returns the HTTPS listener's ARN, when there is one.
 */
function createListeners(
  ctx: KeyedStackContext,
  where: RegionContext,
  albArn: string,
  targetGroupArn: string,
  certificateArn: string | undefined,
): string | undefined {
  const { provider, region } = where;
  const id = (key: string) => logicalId("web", where.role, key);
  const forward = [{ type: "forward", targetGroupArn }];
  if (certificateArn === undefined) {
    // TLS_MODE=none: plain HTTP, for a throwaway test domain only.
    new LbListener(ctx.scope, id("http"), {
      provider,
      loadBalancerArn: albArn,
      port: 80,
      protocol: "HTTP",
      defaultAction: forward,
      tags: { Name: ctx.name("generic", "http", region) },
    });
    return undefined;
  }
  const https = new LbListener(ctx.scope, id("https"), {
    provider,
    loadBalancerArn: albArn,
    port: 443,
    protocol: "HTTPS",
    sslPolicy: TLS_POLICY,
    certificateArn,
    defaultAction: forward,
    tags: { Name: ctx.name("generic", "https", region) },
  });
  new LbListener(ctx.scope, id("http"), {
    provider,
    loadBalancerArn: albArn,
    port: 80,
    protocol: "HTTP",
    defaultAction: [{
      type: "redirect",
      redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
    }],
    tags: { Name: ctx.name("generic", "http-redirect", region) },
  });
  return https.arn;
}

/**
 * One ACM certificate per region for the application name, and its validation. ACM asks for the same
 * CNAME for a name in every region of an account, so ONE record (from the primary's certificate) validates
 * both; two records would collide.
 */
function validatedCertificates(ctx: KeyedStackContext, inputs: LoadBalancerInputs): PerRegion<string> {
  const { scope } = ctx;
  const certificates = forEachRegion(
    ctx.regions,
    ({ provider, region, role }) =>
      new AcmCertificate(scope, logicalId("web", role, "certificate"), {
        provider,
        domainName: inputs.zone.appFqdn,
        validationMethod: "DNS",
        keyAlgorithm: "RSA_2048",
        tags: { Name: ctx.name("generic", "app-certificate", region) },
        // A listener always holds a valid certificate while a replacement is issued.
        lifecycle: { createBeforeDestroy: true },
      }),
  );
  const challenge = certificates.primary.domainValidationOptions.get(0);
  const record = new Route53Record(scope, logicalId("web", "global", "certificate_validation"), {
    provider: ctx.regions.primary.provider,
    zoneId: inputs.zone.zoneId,
    name: challenge.resourceRecordName,
    type: challenge.resourceRecordType,
    records: [challenge.resourceRecordValue],
    ttl: inputs.tls.recordTtlSeconds,
    // An existing zone may hold this very record from an earlier certificate of the same name.
    allowOverwrite: true,
  });
  return forEachRegion(
    ctx.regions,
    ({ provider, role }) =>
      new AcmCertificateValidation(scope, logicalId("web", role, "certificate_validation"), {
        provider,
        certificateArn: certificates[role].arn,
        validationRecordFqdns: [record.fqdn],
      }).certificateArn,
  );
}
