// DNS failover without an API call: the application name has two weighted alias records, primary 100 and
// standby 0. Route 53 answers with the zero-weight record only while the primary's record is unhealthy.
// The primary record carries a CALCULATED health check over the HTTPS check of the primary ALB's deep
// health path AND the CloudWatch-alarm checks given by the health-check concern (alarms that live in the
// standby region, so the decision does not depend on the failed one). Route 53 is global: its resources use
// the primary provider.
//
// The zone comes first (createHostedZone) because the load balancers validate their certificates in it;
// the records (createFailoverDns) come after the load balancers they point at.
import { Construct } from "constructs";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone/index.js";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record/index.js";
import { Route53HealthCheck } from "@cdktf/provider-aws/lib/route53-health-check/index.js";
import { TerraformOutput } from "cdktf";
import type { TlsMode } from "./config.ts";
import { forEachRegion, type PerRegion, type RegionPair } from "./providers.ts";
import { logicalId, physicalName } from "./naming.ts";
import { DEEP_HEALTH_PATH } from "../handlers/lib/contract.ts";
import type { LoadBalancerOutputs } from "./load_balancer.ts";

export interface HostedZoneInputs {
  readonly regions: RegionPair;
  readonly domainName: string;
  /** Existing public zone for `domainName`; empty = the stack creates one (destroyed with the stack). */
  readonly hostedZoneId: string;
  /** Label of the application record under the domain, e.g. `app`. */
  readonly appRecordName: string;
  readonly environmentSuffix: string;
}

export interface HostedZoneOutputs {
  readonly zoneId: string;
  readonly appFqdn: string;
}

/** A CloudWatch alarm the primary record's health depends on. */
export interface AlarmCheck {
  /** Stable key for the health check's logical id and Name tag (`primary_unreachable`). */
  readonly key: string;
  /** The alarm's name; a reference to the alarm resource, so the check is created after the alarm. */
  readonly alarmName: string;
  readonly alarmRegion: string;
}

export interface FailoverDnsInputs {
  readonly regions: RegionPair;
  readonly zone: HostedZoneOutputs;
  readonly loadBalancers: LoadBalancerOutputs;
  /** "none" probes over HTTP on port 80; otherwise HTTPS on 443. */
  readonly tlsMode: TlsMode;
  /** Route 53 probe interval: 10 (fast) or 30. */
  readonly healthCheckIntervalSeconds: number;
  /** Consecutive failed probes before an endpoint is unhealthy. */
  readonly healthCheckFailureThreshold: number;
  /**
   * CloudWatch alarms (standard resolution, in the standby region) whose ALARM state takes the primary out
   * of DNS, e.g. "primary unreachable" and "primary fenced". Empty = the endpoint check alone decides.
   */
  readonly primaryAlarmChecks: readonly AlarmCheck[];
  readonly environmentSuffix: string;
}

export interface FailoverDnsOutputs {
  readonly zoneId: string;
  readonly appFqdn: string;
  /** Endpoint (deep-path) health check id per region. */
  readonly healthChecks: PerRegion<string>;
  /** The check the primary record carries: endpoint AND every alarm check. */
  readonly primaryCalculatedHealthCheckId: string;
  /** CLOUDWATCH_METRIC checks, one per alarm in `primaryAlarmChecks`. */
  readonly alarmHealthCheckIds: readonly string[];
}

export const RECORD_WEIGHTS: PerRegion<number> = { primary: 100, secondary: 0 };

export function createHostedZone(scope: Construct, inputs: HostedZoneInputs): HostedZoneOutputs {
  const appFqdn = `${inputs.appRecordName}.${inputs.domainName}`;
  if (inputs.hostedZoneId !== "") return { zoneId: inputs.hostedZoneId, appFqdn };
  const zone = new Route53Zone(scope, logicalId("dns", "global", "zone"), {
    provider: inputs.regions.primary.provider,
    name: inputs.domainName,
    comment: `DR stack ${inputs.environmentSuffix}: ${appFqdn} fails over between regions`,
    forceDestroy: true,
  });
  new TerraformOutput(scope, "dns_name_servers", {
    value: zone.nameServers,
    description: `Delegate ${inputs.domainName} to these name servers (certificate validation waits for it)`,
  });
  return { zoneId: zone.zoneId, appFqdn };
}

export function createFailoverDns(scope: Construct, inputs: FailoverDnsInputs): FailoverDnsOutputs {
  const provider = inputs.regions.primary.provider;
  const suffix = inputs.environmentSuffix;
  const https = inputs.tlsMode !== "none";

  const endpointChecks = forEachRegion(
    inputs.regions,
    ({ role, region }) =>
      new Route53HealthCheck(scope, logicalId("dns", role, "endpoint_check"), {
        provider,
        type: https ? "HTTPS" : "HTTP",
        // The ALB itself, not the application name: the check must see this region, not the DNS answer.
        fqdn: inputs.loadBalancers[role].albDnsName,
        port: https ? 443 : 80,
        resourcePath: DEEP_HEALTH_PATH,
        requestInterval: inputs.healthCheckIntervalSeconds,
        failureThreshold: inputs.healthCheckFailureThreshold,
        measureLatency: true,
        ...(https ? { enableSni: true } : {}),
        tags: { Name: physicalName("generic", "app-deep-health", suffix, region) },
      }),
  );

  const alarmChecks = inputs.primaryAlarmChecks.map((alarm) =>
    new Route53HealthCheck(scope, logicalId("dns", "primary", `alarm_${alarm.key}`), {
      provider,
      type: "CLOUDWATCH_METRIC",
      cloudwatchAlarmName: alarm.alarmName,
      cloudwatchAlarmRegion: alarm.alarmRegion,
      // A gap in the alarm's data neither starts a failover nor ends one: keep the last decision.
      insufficientDataHealthStatus: "LastKnownStatus",
      tags: { Name: physicalName("generic", `alarm-${alarm.key.replaceAll("_", "-")}`, suffix) },
    })
  );

  const children = [endpointChecks.primary.id, ...alarmChecks.map((check) => check.id)];
  const primaryCalculated = new Route53HealthCheck(scope, logicalId("dns", "primary", "calculated_check"), {
    provider,
    type: "CALCULATED",
    childHealthchecks: children,
    // Every child must be healthy: any alarm or a failing endpoint takes the primary out.
    childHealthThreshold: children.length,
    tags: { Name: physicalName("generic", "app-primary-serving", suffix) },
  });
  const recordChecks: PerRegion<string> = {
    primary: primaryCalculated.id,
    secondary: endpointChecks.secondary.id,
  };

  forEachRegion(
    inputs.regions,
    ({ role, region }) =>
      new Route53Record(scope, logicalId("dns", role, "app_record"), {
        provider,
        zoneId: inputs.zone.zoneId,
        name: inputs.zone.appFqdn,
        type: "A",
        setIdentifier: `${role}-${region}`,
        weightedRoutingPolicy: { weight: RECORD_WEIGHTS[role] },
        healthCheckId: recordChecks[role],
        alias: {
          name: inputs.loadBalancers[role].albDnsName,
          zoneId: inputs.loadBalancers[role].albZoneId,
          evaluateTargetHealth: true,
        },
      }),
  );

  new TerraformOutput(scope, "app_url", {
    value: `${inputs.tlsMode === "none" ? "http" : "https"}://${inputs.zone.appFqdn}`,
    description: "The application: weighted 100 (primary) / 0 (standby), fails over on health",
  });
  return {
    zoneId: inputs.zone.zoneId,
    appFqdn: inputs.zone.appFqdn,
    healthChecks: { primary: endpointChecks.primary.id, secondary: endpointChecks.secondary.id },
    primaryCalculatedHealthCheckId: primaryCalculated.id,
    alarmHealthCheckIds: alarmChecks.map((check) => check.id),
  };
}
