// The public entry of one region, written once and called for both: an internet-facing ALB in the public
// subnets, the application target group (shallow health path) and the listeners. TLS by default: an ACM
// certificate per region for the application name, DNS-validated in the hosted zone; or certificates the
// operator already has; or, for a throwaway test domain only, plain HTTP.
import { Construct } from "constructs";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate/index.js";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation/index.js";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record/index.js";
import { Lb } from "@cdktf/provider-aws/lib/lb/index.js";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group/index.js";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener/index.js";
import type { TlsMode } from "./config.ts";
import { forEachRegion, type PerRegion, type RegionPair } from "./providers.ts";
import { logicalId, physicalName } from "./naming.ts";
import { SHALLOW_HEALTH_PATH } from "../handlers/lib/contract.ts";
import type { NetworkOutputs } from "./network.ts";
import type { SecurityGroupOutputs } from "./security_groups.ts";
import type { RegionAccessLogs } from "./edge_protection.ts";

export interface LoadBalancerInputs {
  readonly regions: RegionPair;
  readonly network: NetworkOutputs;
  readonly securityGroups: SecurityGroupOutputs;
  readonly environmentSuffix: string;
  readonly appPort: number;
  /** "acm" (default): certificates made here; "existing": `existingCertificateArns`; "none": HTTP only. */
  readonly tlsMode: TlsMode;
  /** ACM certificate ARN per region, used when `tlsMode` is "existing". */
  readonly existingCertificateArns: PerRegion<string>;
  /** Public zone that validates the certificates (tlsMode "acm"). */
  readonly zoneId: string;
  /** Name on the certificates, e.g. `app.dr.example.com`. */
  readonly appFqdn: string;
  /** TTL of the validation record; default 300. */
  readonly validationRecordTtlSeconds?: number;
  /** Seconds an instance keeps finishing requests after deregistration; default 30. */
  readonly deregistrationDelaySeconds?: number;
  /** Where each ALB writes its access logs (edge_protection.ts). */
  readonly accessLogs: PerRegion<RegionAccessLogs>;
  /** Deletion protection on the ALBs (production profile); default false: the stack stays destroyable. */
  readonly deletionProtection?: boolean;
}

export interface RegionLoadBalancer {
  readonly albArn: string;
  readonly albArnSuffix: string;
  readonly albDnsName: string;
  readonly albZoneId: string;
  readonly targetGroupArn: string;
  readonly targetGroupArnSuffix: string;
  /** Absent when TLS is off. */
  readonly httpsListenerArn?: string;
}

export type LoadBalancerOutputs = PerRegion<RegionLoadBalancer>;

/**
 * TLS 1.3 and 1.2, forward-secret AEAD (GCM / ChaCha20-Poly1305) suites only: the `-Res` ("restricted")
 * variant drops the CBC suites that `ELBSecurityPolicy-TLS13-1-2-2021-06` still offers for TLS 1.2.
 */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06";

export const TARGET_HEALTH_CHECK = {
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
} as const;

export function createLoadBalancer(scope: Construct, inputs: LoadBalancerInputs): LoadBalancerOutputs {
  const certificateArns = inputs.tlsMode === "acm"
    ? validatedCertificates(scope, inputs)
    : inputs.tlsMode === "existing"
    ? inputs.existingCertificateArns
    : undefined;
  const suffix = inputs.environmentSuffix;

  return forEachRegion(inputs.regions, ({ provider, region, role }) => {
    const id = (key?: string) => logicalId("web", role, key);
    const albName = physicalName("alb", "alb", suffix, region);
    const alb = new Lb(scope, id("alb"), {
      provider,
      name: albName,
      loadBalancerType: "application",
      internal: false,
      securityGroups: [inputs.securityGroups[role].albSecurityGroupId],
      subnets: [...inputs.network[role].publicSubnetIds],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: inputs.deletionProtection ?? false,
      accessLogs: {
        enabled: true,
        bucket: inputs.accessLogs[role].bucketName,
        prefix: inputs.accessLogs[role].prefix,
      },
      tags: { Name: albName },
    });

    const targetGroupName = physicalName("targetGroup", "tg", suffix, region);
    const targetGroup = new LbTargetGroup(scope, id("targets"), {
      provider,
      name: targetGroupName,
      port: inputs.appPort,
      protocol: "HTTP",
      targetType: "instance",
      vpcId: inputs.network[role].vpcId,
      // Long enough for in-flight requests to finish, short against the RTO: a scale-in or instance refresh
      // never holds an instance for minutes, and on failover the primary's targets are gone anyway.
      deregistrationDelay: String(inputs.deregistrationDelaySeconds ?? 30),
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path: SHALLOW_HEALTH_PATH,
        matcher: "200",
        interval: TARGET_HEALTH_CHECK.intervalSeconds,
        timeout: TARGET_HEALTH_CHECK.timeoutSeconds,
        healthyThreshold: TARGET_HEALTH_CHECK.healthyThreshold,
        unhealthyThreshold: TARGET_HEALTH_CHECK.unhealthyThreshold,
      },
      tags: { Name: targetGroupName },
    });
    const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];

    const certificateArn = certificateArns?.[role];
    let httpsListenerArn: string | undefined;
    if (certificateArn === undefined) {
      // TLS_MODE=none: plain HTTP, for a throwaway test domain only.
      new LbListener(scope, id("http"), {
        provider,
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultAction: forward,
        tags: { Name: physicalName("generic", "http", suffix, region) },
      });
    } else {
      const https = new LbListener(scope, id("https"), {
        provider,
        loadBalancerArn: alb.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: TLS_POLICY,
        certificateArn,
        defaultAction: forward,
        tags: { Name: physicalName("generic", "https", suffix, region) },
      });
      httpsListenerArn = https.arn;
      new LbListener(scope, id("http"), {
        provider,
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultAction: [{
          type: "redirect",
          redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
        }],
        tags: { Name: physicalName("generic", "http-redirect", suffix, region) },
      });
    }

    return {
      albArn: alb.arn,
      albArnSuffix: alb.arnSuffix,
      albDnsName: alb.dnsName,
      albZoneId: alb.zoneId,
      targetGroupArn: targetGroup.arn,
      targetGroupArnSuffix: targetGroup.arnSuffix,
      ...(httpsListenerArn === undefined ? {} : { httpsListenerArn }),
    };
  });
}

/**
 * One ACM certificate per region for the application name, and its validation. ACM asks for the same
 * CNAME for a name in every region of an account, so ONE record (from the primary's certificate) validates
 * both; two records would collide.
 */
function validatedCertificates(scope: Construct, inputs: LoadBalancerInputs): PerRegion<string> {
  const suffix = inputs.environmentSuffix;
  const certificates = forEachRegion(
    inputs.regions,
    ({ provider, region, role }) =>
      new AcmCertificate(scope, logicalId("web", role, "certificate"), {
        provider,
        domainName: inputs.appFqdn,
        validationMethod: "DNS",
        keyAlgorithm: "RSA_2048",
        tags: { Name: physicalName("generic", "app-certificate", suffix, region) },
        // A listener always holds a valid certificate while a replacement is issued.
        lifecycle: { createBeforeDestroy: true },
      }),
  );
  const challenge = certificates.primary.domainValidationOptions.get(0);
  const record = new Route53Record(scope, logicalId("web", "global", "certificate_validation"), {
    provider: inputs.regions.primary.provider,
    zoneId: inputs.zoneId,
    name: challenge.resourceRecordName,
    type: challenge.resourceRecordType,
    records: [challenge.resourceRecordValue],
    ttl: inputs.validationRecordTtlSeconds ?? 300,
    // An existing zone may hold this very record from an earlier certificate of the same name.
    allowOverwrite: true,
  });
  return forEachRegion(
    inputs.regions,
    ({ provider, role }) =>
      new AcmCertificateValidation(scope, logicalId("web", role, "certificate_validation"), {
        provider,
        certificateArn: certificates[role].arn,
        validationRecordFqdns: [record.fqdn],
      }).certificateArn,
  );
}
