// DNS failover without an API call: the application name has two weighted alias records, primary 100 and
// standby 0. Route 53 answers with the zero-weight record only while the primary's record is unhealthy.
// DNS moves only on Route 53's own multi-location endpoint checks or on the fence, never on raw probe data:
// an alarm-based check follows the alarm's data stream (one breaching datapoint), not its ALARM state, so
// the only alarms Route 53 reads are the fence alarms, which carry a decision the orchestrator published.
//   primary record: CALCULATED  endpoint(primary) AND not fenced           (threshold 2)
//   standby record: CALCULATED  endpoint(standby) OR fenced                (threshold 1), no target health
// Once fenced the standby record stays healthy, so Route 53 never fails open to the weight-100 primary when
// both endpoints look down. Route 53 is global: its resources use the primary provider.
//
// The zone comes first (createHostedZone) because the load balancers validate their certificates in it;
// the records (createFailoverDns) come after the load balancers they point at.
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone/index.js";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record/index.js";
import { Route53HealthCheck } from "@cdktf/provider-aws/lib/route53-health-check/index.js";
import { TerraformOutput } from "cdktf";
import type { DnsConfig } from "./config.ts";
import { forEachRegion, type PerRegion } from "./providers.ts";
import { logicalId } from "./naming.ts";
import { DEEP_HEALTH_PATH } from "../handlers/lib/contract.ts";
import type { StackContext } from "./stack_context.ts";
import type { LoadBalancerOutputs } from "./web.ts";

/**
 * `domainName`; `hostedZoneId`: an existing public zone for it, empty = the stack creates one (destroyed with
 * the stack); `appRecordName`: label of the application record under the domain, e.g. `app`.
 */
export type HostedZoneInputs = Pick<DnsConfig, "domainName" | "hostedZoneId" | "appRecordName">;

export interface HostedZoneOutputs {
  readonly zoneId: string;
  readonly appFqdn: string;
}

/** The fence as Route 53 reads it: two standard-resolution alarms on PrimaryFenced, in the standby region. */
export interface FenceAlarms {
  /** ALARM while fenced; a reference to the alarm resource, so the check is created after the alarm. */
  readonly fencedAlarmName: string;
  /** ALARM while not fenced (the mirror image, so that "fenced" can make a check healthy). */
  readonly unfencedAlarmName: string;
  readonly alarmRegion: string;
}

/**
 * `tlsMode` "none" probes over HTTP on port 80, otherwise HTTPS on 443; `healthCheckIntervalSeconds`: Route 53
 * probe interval, 10 (fast) or 30; `healthCheckFailureThreshold`: failed probes before an endpoint is unhealthy.
 */
export type EndpointCheckSettings = Pick<
  DnsConfig,
  "tlsMode" | "healthCheckIntervalSeconds" | "healthCheckFailureThreshold"
>;

export interface FailoverDnsInputs {
  readonly zone: HostedZoneOutputs;
  readonly loadBalancers: LoadBalancerOutputs;
  /** The fence alarms: the only alarms any Route 53 health check reads. */
  readonly fence: FenceAlarms;
  readonly settings: EndpointCheckSettings;
}

export interface FailoverDnsOutputs {
  readonly zoneId: string;
  readonly appFqdn: string;
  /** Endpoint (deep-path) health check id per region. */
  readonly healthChecks: PerRegion<string>;
  /** The checks the records carry: primary = endpoint AND not fenced; standby = endpoint OR fenced. */
  readonly calculatedHealthChecks: PerRegion<string>;
}

export const RECORD_WEIGHTS: PerRegion<number> = { primary: 100, secondary: 0 };

export function createHostedZone(ctx: StackContext, inputs: HostedZoneInputs): HostedZoneOutputs {
  const appFqdn = `${inputs.appRecordName}.${inputs.domainName}`;
  if (inputs.hostedZoneId !== "") return { zoneId: inputs.hostedZoneId, appFqdn };
  const zone = new Route53Zone(ctx.scope, logicalId("dns", "global", "zone"), {
    provider: ctx.regions.primary.provider,
    name: inputs.domainName,
    comment: `DR stack ${ctx.suffix}: ${appFqdn} fails over between regions`,
    forceDestroy: true,
  });
  new TerraformOutput(ctx.scope, "dns_name_servers", {
    value: zone.nameServers,
    description: `Delegate ${inputs.domainName} to these name servers (certificate validation waits for it)`,
  });
  return { zoneId: zone.zoneId, appFqdn };
}

export function createFailoverDns(ctx: StackContext, inputs: FailoverDnsInputs): FailoverDnsOutputs {
  const { scope } = ctx;
  const provider = ctx.regions.primary.provider;
  const { settings } = inputs;
  const https = settings.tlsMode !== "none";

  const endpointChecks = forEachRegion(
    ctx.regions,
    ({ role, region }) =>
      new Route53HealthCheck(scope, logicalId("dns", role, "endpoint_check"), {
        provider,
        type: https ? "HTTPS" : "HTTP",
        // The ALB itself, not the application name: the check must see this region, not the DNS answer.
        fqdn: inputs.loadBalancers[role].albDnsName,
        port: https ? 443 : 80,
        resourcePath: DEEP_HEALTH_PATH,
        requestInterval: settings.healthCheckIntervalSeconds,
        failureThreshold: settings.healthCheckFailureThreshold,
        measureLatency: true,
        ...(https ? { enableSni: true } : {}),
        tags: { Name: ctx.name("generic", "app-deep-health", region) },
      }),
  );

  const calculated = recordHealthChecks(ctx, inputs, endpointChecks);
  forEachRegion(
    ctx.regions,
    ({ role, region }) =>
      new Route53Record(scope, logicalId("dns", role, "app_record"), {
        provider,
        zoneId: inputs.zone.zoneId,
        name: inputs.zone.appFqdn,
        type: "A",
        setIdentifier: `${role}-${region}`,
        weightedRoutingPolicy: { weight: RECORD_WEIGHTS[role] },
        healthCheckId: calculated[role].id,
        alias: {
          name: inputs.loadBalancers[role].albDnsName,
          zoneId: inputs.loadBalancers[role].albZoneId,
          // The standby's calculated check already covers its endpoint; target health on top of it would
          // take a fenced standby out when its targets fail, and Route 53 would fail open to the primary.
          evaluateTargetHealth: role === "primary",
        },
      }),
  );

  new TerraformOutput(scope, "app_url", {
    value: `${https ? "https" : "http"}://${inputs.zone.appFqdn}`,
    description: "The application: weighted 100 (primary) / 0 (standby), fails over on health",
  });
  return {
    zoneId: inputs.zone.zoneId,
    appFqdn: inputs.zone.appFqdn,
    healthChecks: { primary: endpointChecks.primary.id, secondary: endpointChecks.secondary.id },
    calculatedHealthChecks: { primary: calculated.primary.id, secondary: calculated.secondary.id },
  };
}

/** The checks the records carry: each region's endpoint check combined with the fence, as its record needs. */
function recordHealthChecks(
  ctx: StackContext,
  inputs: FailoverDnsInputs,
  endpointChecks: PerRegion<Route53HealthCheck>,
): PerRegion<Route53HealthCheck> {
  const { scope } = ctx;
  const provider = ctx.regions.primary.provider;
  // The fence, as each record needs it: the primary's check is healthy while NOT fenced, the standby's
  // while fenced. A gap in the alarm's data keeps the last decision.
  const fenceAlarm: PerRegion<string> = {
    primary: inputs.fence.fencedAlarmName,
    secondary: inputs.fence.unfencedAlarmName,
  };
  const fenceChecks = forEachRegion(
    ctx.regions,
    ({ role }) =>
      new Route53HealthCheck(scope, logicalId("dns", role, "fence_check"), {
        provider,
        type: "CLOUDWATCH_METRIC",
        cloudwatchAlarmName: fenceAlarm[role],
        cloudwatchAlarmRegion: inputs.fence.alarmRegion,
        insufficientDataHealthStatus: "LastKnownStatus",
        tags: { Name: ctx.name("generic", `app-${role}-fence`) },
      }),
  );
  const calculated = forEachRegion(ctx.regions, ({ role }) => {
    const primary = role === "primary";
    return new Route53HealthCheck(scope, logicalId("dns", role, "calculated_check"), {
      provider,
      type: "CALCULATED",
      childHealthchecks: [endpointChecks[role].id, fenceChecks[role].id],
      // primary: its endpoint AND not fenced; standby: its endpoint OR fenced (so a fence holds it up).
      childHealthThreshold: primary ? 2 : 1,
      tags: {
        Name: ctx.name("generic", primary ? "app-primary-serving" : "app-standby-serving"),
      },
    });
  });
  return calculated;
}
