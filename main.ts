// The stack's table of contents: configuration, region pair, then one call per concern.
// `deno run main.ts` synthesizes into a staging folder and, only on success, replaces this stack's generated
// files (modules/synth_output.ts): Terraform state, other stacks and `.terraform/` are never touched.
import { App, TerraformStack } from "cdktf";
import { ConfigError, loadConfig, type StackConfig } from "./modules/config.ts";
import { settingWarnings } from "./modules/config_warnings.ts";
import {
  configureBackend,
  createRegionPair,
  createWitnessRegion,
  forEachRegion,
  requireTerraform,
} from "./modules/providers.ts";
import { createServiceRoles } from "./modules/service_roles.ts";
import { createKmsKeys, createWitnessKey } from "./modules/kms.ts";
import { createNetwork } from "./modules/network.ts";
import { createSecurityGroups } from "./modules/security_groups.ts";
import { createAlerting } from "./modules/alerting.ts";
import { createDatabase } from "./modules/database.ts";
import { createStorage } from "./modules/storage.ts";
import { createBackupPlans } from "./modules/backup.ts";
import { createParameters } from "./modules/parameters.ts";
import { createLoadBalancer } from "./modules/load_balancer.ts";
import { createAccessLogBuckets, createWebAcls } from "./modules/edge_protection.ts";
import { createCompute } from "./modules/compute.ts";
import { createFailoverDns, createHostedZone } from "./modules/failover_dns.ts";
import { createHandlerAssets } from "./modules/lambda_function.ts";
import { createHealthChecks } from "./modules/health_checks.ts";
import { createProbes } from "./modules/probes.ts";
import { createFailoverAutomation } from "./modules/failover_automation.ts";
import { createObservability } from "./modules/observability.ts";
import { createReadiness } from "./modules/readiness.ts";
import { recoveryBudget } from "./modules/recovery_budget.ts";
import { createStackOutputs, OPERATOR_MANIFEST, operatorManifest } from "./modules/stack_outputs.ts";
import { installStack } from "./modules/synth_output.ts";
import { withoutCreationStacks } from "./modules/creation_stacks.ts";
import { DEEP_HEALTH_PATH, metricNamespace } from "./handlers/lib/contract.ts";

export const OUTPUT_DIR = "cdktf.out";
/** Where handler zips are built (git-ignored); cdktf copies them into the stack's assets/. */
const HANDLER_BUILD_DIR = new URL("./.build/handlers", import.meta.url).pathname;

export function stackName(config: StackConfig): string {
  return `dr-${config.environmentSuffix}`;
}

/** Builds the whole stack and writes it under `outdir` (cdktf layout: stacks/<name>/cdk.tf.json). */
export function synthesize(config: StackConfig, outdir: string): string {
  return withoutCreationStacks(() => buildStack(config, outdir));
}

function buildStack(config: StackConfig, outdir: string): string {
  const app = new App({ outdir, skipValidation: false });
  const stack = new TerraformStack(app, stackName(config));
  const suffix = config.environmentSuffix;

  requireTerraform(stack);
  configureBackend(stack, config);
  const regions = createRegionPair(stack, config);
  const witness = createWitnessRegion(stack, config);
  const serviceRoles = createServiceRoles(stack, { regions, environmentSuffix: suffix });
  const keyManagement = {
    adminPrincipalArn: config.protection.kmsAdminPrincipalArn,
    deletionWindowDays: config.protection.productionProfile ? 30 : 7,
  };
  const keys = createKmsKeys(stack, {
    regions,
    accountId: config.accountId,
    environmentSuffix: suffix,
    autoScalingRoleArn: serviceRoles.autoScalingRoleArn,
    ...keyManagement,
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
    productionProfile: config.protection.productionProfile,
  });
  if (config.protection.productionProfile) {
    createBackupPlans(stack, {
      regions,
      keys,
      clusterArns: forEachRegion(regions, ({ role }) => database.clusters[role].clusterArn),
      accountId: config.accountId,
      environmentSuffix: suffix,
    });
  }
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
  const accessLogs = createAccessLogBuckets(stack, {
    regions,
    accountId: config.accountId,
    environmentSuffix: suffix,
    retentionDays: config.protection.productionProfile ? 365 : 90,
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
    accessLogs,
    deletionProtection: config.protection.productionProfile,
  });
  if (config.protection.wafEnabled) {
    createWebAcls(stack, {
      regions,
      environmentSuffix: suffix,
      albArns: forEachRegion(regions, ({ role }) => loadBalancers[role].albArn),
      rateLimitPer5Minutes: config.protection.wafRateLimitPer5Minutes,
    });
  }
  const compute = createCompute(stack, {
    regions,
    network,
    securityGroups,
    keys,
    appConnectArns: database.connectArns.app,
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
    ["db_health", "app_health", "primary_probe", "failover", "readiness"],
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
    checkerConnectArns: database.connectArns.checker,
    securityGroups,
    alerting,
    parameterPrefix: parameters.prefix,
    healthUrls,
    appHostname: zone.appFqdn,
    metricNamespace: namespace,
    checkTimeoutMs: config.health.checkTimeoutMs,
    replicationStallSeconds: config.health.replicationStallSeconds,
    accountId: config.accountId,
    environmentSuffix: suffix,
    logRetentionDays: config.logRetentionDays,
  });
  const probes = createProbes(stack, {
    regions,
    witness,
    code: code.primary_probe,
    keys: {
      secondary: keys.secondary,
      witness: createWitnessKey(stack, {
        witness,
        accountId: config.accountId,
        environmentSuffix: suffix,
        ...keyManagement,
      }),
    },
    alerting,
    primaryHealthUrl: healthUrls.primary,
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
    probes,
    parameterPrefix: parameters.prefix,
    globalClusterIdentifier: database.globalClusterIdentifier,
    primaryClusterArn: database.clusters.primary.clusterArn,
    primaryClusterIdentifier: database.clusters.primary.clusterIdentifier,
    secondaryClusterArn: database.clusters.secondary.clusterArn,
    secondaryClusterIdentifier: database.clusters.secondary.clusterIdentifier,
    secondaryAsgName: compute.secondary.asgName,
    secondaryAsgArn: compute.secondary.asgArn,
    failoverCapacity: config.compute.primaryDesiredCapacity,
    primaryHealthUrl: healthUrls.primary,
    appHostname: zone.appFqdn,
    metricNamespace: namespace,
    checkTimeoutMs: config.health.checkTimeoutMs,
    decisionPeriods: config.health.decisionPeriods,
    autoFailover: config.health.autoFailover,
    rtoTargetSeconds: config.objectives.rtoTargetSeconds,
    auroraPromotionSeconds: config.objectives.auroraPromotionSeconds,
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
    fenceAlarmName: failover.fence.fencedAlarmName,
    witnessRegion: witness.region,
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
    fence: failover.fence,
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
              { key: "primary_probe", functionName: probes.secondary.functionName },
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
      dns.calculatedHealthChecks.primary,
      dns.calculatedHealthChecks.secondary,
    ],
    rtoTargetSeconds: config.objectives.rtoTargetSeconds,
    rpoTargetSeconds: config.objectives.rpoTargetSeconds,
    rpoLagAlarmSeconds: config.objectives.rpoLagAlarmSeconds,
    recoveryBudget: budget,
    probeVantagePoints: budget.vantagePoints,
    checkerAlarmMinutes: config.objectives.checkerAlarmMinutes,
    replicationLatencyAlarmSeconds: config.objectives.replicationLatencyAlarmSeconds,
    readinessPeriodSeconds: readiness.periodSeconds,
  });

  createStackOutputs(stack, {
    regions,
    accountId: config.accountId,
    environmentSuffix: suffix,
    perRegion: forEachRegion(regions, ({ role }) => ({
      albDnsName: loadBalancers[role].albDnsName,
      topicArn: alerting[role].topicArn,
      bucketName: storage[role].bucketName,
      asgName: compute[role].asgName,
      clusterIdentifier: database.clusters[role].clusterIdentifier,
    })),
    hostedZoneId: zone.zoneId,
    globalClusterIdentifier: database.globalClusterIdentifier,
    orchestratorFunctionName: failover.orchestratorFunctionName,
    activeRegionParameterName: parameters.regions.secondary.activeRegionParameterName,
    metricNamespace: namespace,
    fenceAlarmName: failover.fence.fencedAlarmName,
    readinessFunctionName: readiness.functionName,
    witnessRegion: witness.region,
    standbyCapacity: {
      minSize: config.compute.standbyMinSize,
      desiredCapacity: config.compute.standbyDesiredCapacity,
    },
  });

  app.synth();
  const stackDir = `${outdir}/stacks/${stackName(config)}`;
  const manifest = operatorManifest(
    stackName(config),
    JSON.parse(Deno.readTextFileSync(`${stackDir}/cdk.tf.json`)),
  );
  Deno.writeTextFileSync(`${stackDir}/${OPERATOR_MANIFEST}`, `${JSON.stringify(manifest, null, 2)}\n`);
  return `${stackDir}/cdk.tf.json`;
}

function countResources(stackJsonPath: string): number {
  const stack = JSON.parse(Deno.readTextFileSync(stackJsonPath));
  return Object.values(stack.resource ?? {}).reduce<number>(
    (sum, byName) => sum + Object.keys(byName as object).length,
    0,
  );
}

export function main(): number {
  const env = Deno.env.toObject();
  for (const warning of settingWarnings(env)) console.error(`warning: ${warning}`);
  let config: StackConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 2;
  }
  Deno.mkdirSync(OUTPUT_DIR, { recursive: true });
  const staging = Deno.makeTempDirSync({ dir: OUTPUT_DIR, prefix: ".staging-" });
  try {
    synthesize(config, staging);
    const stackJson = installStack(staging, OUTPUT_DIR, stackName(config));
    console.log(`${stackJson} (${countResources(stackJson)} resources)`);
    return 0;
  } catch (error) {
    console.error(`synth failed: ${error instanceof Error ? error.message : error}`);
    return 1;
  } finally {
    Deno.removeSync(staging, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(main());
