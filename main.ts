// The stack's table of contents: configuration, region pair, then one call per concern.
// `deno run main.ts` synthesizes into a temporary folder and moves it into place only on success.
import { App, TerraformStack } from "cdktf";
import { ConfigError, loadConfig, type StackConfig } from "./modules/config.ts";
import { configureBackend, createRegionPair, forEachRegion, requireTerraform } from "./modules/providers.ts";
import { createServiceRoles } from "./modules/service_roles.ts";
import { createKmsKeys } from "./modules/kms.ts";
import { createNetwork } from "./modules/network.ts";
import { createSecurityGroups } from "./modules/security_groups.ts";
import { createAlerting } from "./modules/alerting.ts";
import { createDatabase } from "./modules/database.ts";
import { createStorage } from "./modules/storage.ts";
import { createParameters } from "./modules/parameters.ts";
import { createLoadBalancer } from "./modules/load_balancer.ts";
import { createCompute } from "./modules/compute.ts";
import { createFailoverDns, createHostedZone } from "./modules/failover_dns.ts";
import { createHandlerAssets } from "./modules/lambda_function.ts";
import { createHealthChecks } from "./modules/health_checks.ts";
import { createFailoverAutomation } from "./modules/failover_automation.ts";
import { createObservability } from "./modules/observability.ts";
import { createReadiness } from "./modules/readiness.ts";
import { recoveryBudget } from "./modules/recovery_budget.ts";
import { DEEP_HEALTH_PATH, metricNamespace } from "./handlers/lib/contract.ts";

export const OUTPUT_DIR = "cdktf.out";
/** Where the witness prober runs until the WITNESS_REGION setting exists (issue "Failover you can trust"). */
const WITNESS_REGION_DEFAULT = "us-west-2";
/** Where handler zips are built (git-ignored); cdktf copies them into the stack's assets/. */
const HANDLER_BUILD_DIR = new URL("./.build/handlers", import.meta.url).pathname;

export function stackName(config: StackConfig): string {
  return `dr-${config.environmentSuffix}`;
}

/** Builds the whole stack and writes it under `outdir` (cdktf layout: stacks/<name>/cdk.tf.json). */
export function synthesize(config: StackConfig, outdir: string): string {
  const app = new App({ outdir, skipValidation: false });
  const stack = new TerraformStack(app, stackName(config));
  const suffix = config.environmentSuffix;

  requireTerraform(stack);
  configureBackend(stack, config);
  const regions = createRegionPair(stack, config);
  const serviceRoles = createServiceRoles(stack, { regions, environmentSuffix: suffix });
  const keys = createKmsKeys(stack, {
    regions,
    accountId: config.accountId,
    environmentSuffix: suffix,
    autoScalingRoleArn: serviceRoles.autoScalingRoleArn,
  });
  const network = createNetwork(stack, {
    regions,
    layout: { primary: config.primary, secondary: config.secondary },
    keys,
    accountId: config.accountId,
    environmentSuffix: suffix,
    logRetentionDays: config.logRetentionDays,
  });
  const securityGroups = createSecurityGroups(stack, {
    regions,
    network,
    environmentSuffix: suffix,
    appPort: config.compute.appPort,
    databasePort: config.database.port,
  });
  const alerting = createAlerting(stack, {
    regions,
    keys,
    accountId: config.accountId,
    environmentSuffix: suffix,
    alertEmails: config.alertEmails,
  });
  const database = createDatabase(stack, {
    regions,
    network,
    securityGroups,
    keys,
    database: config.database,
    accountId: config.accountId,
    environmentSuffix: suffix,
    logRetentionDays: config.logRetentionDays,
  });
  const storage = createStorage(stack, {
    regions,
    keys,
    accountId: config.accountId,
    environmentSuffix: suffix,
    noncurrentVersionDays: config.noncurrentVersionDays,
  });
  const parameters = createParameters(stack, {
    regions,
    keys,
    database,
    storage,
    appName: config.appName,
    accountId: config.accountId,
    environmentSuffix: suffix,
  });

  const zone = createHostedZone(stack, {
    regions,
    domainName: config.dns.domainName,
    hostedZoneId: config.dns.hostedZoneId,
    appRecordName: config.dns.appRecordName,
    environmentSuffix: suffix,
  });
  const loadBalancers = createLoadBalancer(stack, {
    regions,
    network,
    securityGroups,
    environmentSuffix: suffix,
    appPort: config.compute.appPort,
    tlsMode: config.dns.tlsMode,
    existingCertificateArns: {
      primary: config.dns.primaryCertificateArn,
      secondary: config.dns.secondaryCertificateArn,
    },
    zoneId: zone.zoneId,
    appFqdn: zone.appFqdn,
    validationRecordTtlSeconds: config.dns.recordTtlSeconds,
  });
  const compute = createCompute(stack, {
    regions,
    network,
    securityGroups,
    keys,
    autoScalingRoleArn: serviceRoles.autoScalingRoleArn,
    loadBalancers,
    compute: config.compute,
    accountId: config.accountId,
    appName: config.appName,
    environmentSuffix: suffix,
    environment: config.environment,
    costCenter: config.costCenter,
    logRetentionDays: config.logRetentionDays,
  });
  const code = createHandlerAssets(
    stack,
    ["db_health", "app_health", "failover", "readiness"],
    HANDLER_BUILD_DIR,
  );
  const scheme = config.dns.tlsMode === "none" ? "http" : "https";
  const healthUrls = forEachRegion(
    regions,
    ({ role }) => `${scheme}://${loadBalancers[role].albDnsName}${DEEP_HEALTH_PATH}`,
  );
  const namespace = metricNamespace(suffix);
  const healthChecks = createHealthChecks(stack, {
    regions,
    code: { dbHealth: code.db_health, appHealth: code.app_health },
    keys,
    network,
    securityGroups,
    alerting,
    parameterPrefix: parameters.prefix,
    healthUrls,
    appHostname: zone.appFqdn,
    metricNamespace: namespace,
    checkTimeoutMs: config.health.checkTimeoutMs,
    accountId: config.accountId,
    environmentSuffix: suffix,
    logRetentionDays: config.logRetentionDays,
  });
  const failover = createFailoverAutomation(stack, {
    regions,
    code: code.failover,
    keys,
    alerting,
    parameterPrefix: parameters.prefix,
    globalClusterIdentifier: database.globalClusterIdentifier,
    primaryClusterArn: database.clusters.primary.clusterArn,
    secondaryClusterArn: database.clusters.secondary.clusterArn,
    secondaryClusterIdentifier: database.clusters.secondary.clusterIdentifier,
    secondaryAsgName: compute.secondary.asgName,
    secondaryAsgArn: compute.secondary.asgArn,
    failoverCapacity: config.compute.primaryDesiredCapacity,
    primaryHealthUrl: healthUrls.primary,
    appHostname: zone.appFqdn,
    metricNamespace: namespace,
    checkTimeoutMs: config.health.checkTimeoutMs,
    primaryUnreachableMinutes: config.health.primaryUnreachableMinutes,
    autoFailover: config.health.autoFailover,
    rtoTargetSeconds: config.objectives.rtoTargetSeconds,
    accountId: config.accountId,
    environmentSuffix: suffix,
    logRetentionDays: config.logRetentionDays,
  });
  const readiness = createReadiness(stack, {
    regions,
    code: code.readiness,
    keys,
    alerting,
    orchestratorEnvironment: failover.orchestratorEnvironment,
    orchestratorFunctionName: failover.orchestratorFunctionName,
    triggerRuleName: failover.triggerRuleName,
    lockTableName: failover.lockTableName,
    decisionAlarmNames: failover.decisionAlarmNames,
    fenceAlarmName: failover.fenceAlarmName,
    // The witness prober's region: its own setting (WITNESS_REGION) arrives with the witness prober.
    witnessRegion: WITNESS_REGION_DEFAULT,
    parameterPrefix: parameters.prefix,
    globalClusterIdentifier: database.globalClusterIdentifier,
    secondaryClusterIdentifier: database.clusters.secondary.clusterIdentifier,
    amiParameter: config.compute.amiParameter,
    rpoLagAlarmSeconds: config.objectives.rpoLagAlarmSeconds,
    scheduleMinutes: config.readiness.scheduleMinutes,
    metricNamespace: namespace,
    accountId: config.accountId,
    environmentSuffix: suffix,
    logRetentionDays: config.logRetentionDays,
  });
  const dns = createFailoverDns(stack, {
    regions,
    zone,
    loadBalancers,
    tlsMode: config.dns.tlsMode,
    healthCheckIntervalSeconds: config.dns.healthCheckIntervalSeconds,
    healthCheckFailureThreshold: config.dns.healthCheckFailureThreshold,
    primaryAlarmChecks: failover.primaryAlarmChecks,
    environmentSuffix: suffix,
  });

  // The dashboards draw the budget of this very stack (the same figure `make rto` prints).
  const budget = recoveryBudget(stack.toTerraform());
  createObservability(stack, {
    regions,
    alerting,
    signals: forEachRegion(regions, ({ role }) => {
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
              { key: "failover", functionName: failover.orchestratorFunctionName },
              { key: "readiness", functionName: readiness.functionName },
            ]
            : []),
        ],
      };
    }),
    metricNamespace: namespace,
    environmentSuffix: suffix,
    orchestratorFunctionName: failover.orchestratorFunctionName,
    route53HealthCheckIds: [
      dns.healthChecks.primary,
      dns.healthChecks.secondary,
      dns.primaryCalculatedHealthCheckId,
    ],
    rtoTargetSeconds: config.objectives.rtoTargetSeconds,
    rpoTargetSeconds: config.objectives.rpoTargetSeconds,
    rpoLagAlarmSeconds: config.objectives.rpoLagAlarmSeconds,
    recoveryBudgetSeconds: budget.totalSeconds,
    checkerAlarmMinutes: config.objectives.checkerAlarmMinutes,
    replicationLatencyAlarmSeconds: config.objectives.replicationLatencyAlarmSeconds,
    readinessPeriodSeconds: readiness.periodSeconds,
  });

  app.synth();
  return `${outdir}/stacks/${stackName(config)}/cdk.tf.json`;
}

function countResources(stackJsonPath: string): number {
  const stack = JSON.parse(Deno.readTextFileSync(stackJsonPath));
  return Object.values(stack.resource ?? {}).reduce<number>(
    (sum, byName) => sum + Object.keys(byName as object).length,
    0,
  );
}

function main(): number {
  let config: StackConfig;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 2;
  }
  const staging = `${OUTPUT_DIR}.staging-${Deno.pid}`;
  const previous = `${OUTPUT_DIR}.previous-${Deno.pid}`;
  try {
    const stagedJson = synthesize(config, staging);
    const hadOutput = existsSync(OUTPUT_DIR);
    if (hadOutput) Deno.renameSync(OUTPUT_DIR, previous);
    Deno.renameSync(staging, OUTPUT_DIR);
    if (hadOutput) Deno.removeSync(previous, { recursive: true });
    const stackJson = stagedJson.replace(staging, OUTPUT_DIR);
    console.log(`${stackJson} (${countResources(stackJson)} resources)`);
    return 0;
  } catch (error) {
    if (existsSync(staging)) Deno.removeSync(staging, { recursive: true });
    console.error(`synth failed: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) Deno.exit(main());
