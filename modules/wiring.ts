// Records that join several concerns' outputs for one consumer: what synthesize() would otherwise assemble
// inline. Pure functions of named outputs; they make no resources.
import { forEachRegion, type PerRegion, type RegionPair } from "./providers.ts";
import type { AlertingOutputs } from "./alerting.ts";
import type { ComputeOutputs } from "./compute.ts";
import type { DatabaseOutputs } from "./database.ts";
import type { FailoverAutomationOutputs } from "./failover_automation.ts";
import type { FailoverDnsOutputs } from "./failover_dns.ts";
import type { HealthCheckOutputs } from "./health_checks.ts";
import type { LoadBalancerOutputs } from "./web.ts";
import type { RegionSignals } from "./observability.ts";
import type { ProbesOutputs } from "./probes.ts";
import type { ReadinessOutputs } from "./readiness.ts";
import type { RegionOutputValues } from "./stack_outputs.ts";
import type { StorageOutputs } from "./storage.ts";

/** What the dashboards and alarms of each region watch: its cluster, bucket, ALB, group and functions. */
export function observabilitySignals(regions: RegionPair, tiers: {
  readonly database: DatabaseOutputs;
  readonly storage: StorageOutputs;
  readonly loadBalancers: LoadBalancerOutputs;
  readonly compute: ComputeOutputs;
  readonly healthChecks: HealthCheckOutputs;
  readonly probes: ProbesOutputs;
  readonly failover: FailoverAutomationOutputs;
  readonly readiness: ReadinessOutputs;
}): PerRegion<RegionSignals> {
  const { database, storage, loadBalancers, compute, healthChecks } = tiers;
  return forEachRegion(regions, ({ role }) => {
    const peer = role === "primary" ? "secondary" : "primary";
    return {
      clusterIdentifier: database.clusters[role].clusterIdentifier,
      bucketName: storage[role].bucketName,
      peerBucketName: storage[peer].bucketName,
      replicationRuleId: storage[role].replicationRuleId,
      albArnSuffix: loadBalancers[role].albArnSuffix,
      targetGroupArnSuffix: loadBalancers[role].targetGroupArnSuffix,
      asgName: compute[role].asgName,
      functions: [
        { key: "db_health", functionName: healthChecks[role].databaseChecker.functionName },
        { key: "app_health", functionName: healthChecks[role].appChecker.functionName },
        ...(role === "secondary"
          ? [
            { key: "primary_probe", functionName: tiers.probes.secondary.functionName },
            { key: "failover", functionName: tiers.failover.orchestratorFunctionName },
            { key: "readiness", functionName: tiers.readiness.functionName },
          ]
          : []),
      ],
    };
  });
}

/** Every Route 53 health check of the records: endpoint checks first, then the calculated ones. */
export function route53HealthCheckIds(dns: FailoverDnsOutputs): string[] {
  return [
    dns.healthChecks.primary,
    dns.healthChecks.secondary,
    dns.calculatedHealthChecks.primary,
    dns.calculatedHealthChecks.secondary,
  ];
}

/** The per-region values the operator outputs publish. */
export function regionOutputValues(regions: RegionPair, tiers: {
  readonly loadBalancers: LoadBalancerOutputs;
  readonly alerting: AlertingOutputs;
  readonly storage: StorageOutputs;
  readonly compute: ComputeOutputs;
  readonly database: DatabaseOutputs;
}): PerRegion<RegionOutputValues> {
  return forEachRegion(regions, ({ role }) => ({
    albDnsName: tiers.loadBalancers[role].albDnsName,
    topicArn: tiers.alerting[role].topicArn,
    bucketName: tiers.storage[role].bucketName,
    asgName: tiers.compute[role].asgName,
    clusterIdentifier: tiers.database.clusters[role].clusterIdentifier,
  }));
}
