// The stack's table of contents: configuration, region pair, then one call per concern.
// `deno run main.ts` synthesizes into a staging folder and, only on success, replaces this stack's generated
// files (modules/synth_output.ts): Terraform state, other stacks and `.terraform/` are never touched.
import { App, TerraformStack } from "cdktf";
import { ConfigError, loadConfig, type StackConfig } from "./modules/config.ts";
import { settingWarnings } from "./modules/config_warnings.ts";
import { createStackContext, type KeyedStackContext, withKeys } from "./modules/stack_context.ts";
import { createServiceRoles, type ServiceRolesOutputs } from "./modules/service_roles.ts";
import { createKmsKeys, createWitnessKey, type KeyManagement, keyManagement } from "./modules/kms.ts";
import { createNetwork } from "./modules/network.ts";
import { createSecurityGroups } from "./modules/firewall.ts";
import { createVpcEndpoints } from "./modules/vpc_endpoints.ts";
import { createAlerting } from "./modules/alerting.ts";
import { createDatabase } from "./modules/database.ts";
import { createStorage } from "./modules/storage.ts";
import { createDeployRole, grantDeployRole } from "./modules/release.ts";
import { artifactBucketArn } from "./modules/naming.ts";
import { createBackupPlans } from "./modules/backup.ts";
import { createParameters } from "./modules/parameters.ts";
import { createLoadBalancer } from "./modules/web.ts";
import { createAccessLogBuckets, createWebAcls } from "./modules/edge_protection.ts";
import { createCompute } from "./modules/compute.ts";
import { createRdsCaBundle } from "./modules/rds_ca_bundle.ts";
import { createFailoverDns, createHostedZone } from "./modules/failover_dns.ts";
import { createHandlerAssets } from "./modules/lambda_function.ts";
import { createHealthChecks } from "./modules/health_checks.ts";
import { createProbes } from "./modules/probes.ts";
import { createFailoverAutomation } from "./modules/failover_automation.ts";
import { createObservability } from "./modules/observability.ts";
import { createReadiness } from "./modules/readiness.ts";
import { recoveryBudget } from "./modules/recovery_budget.ts";
import { createStackOutputs } from "./modules/stack_outputs.ts";
import { OPERATOR_MANIFEST, operatorManifest } from "./modules/operator_manifest.ts";
import { observabilitySignals, regionOutputValues, route53HealthCheckIds } from "./modules/wiring.ts";
import { forEachRegion } from "./modules/providers.ts";
import { installStack } from "./modules/synth_output.ts";
import { loadStack } from "./modules/stack_index.ts";
import { withoutCreationStacks } from "./modules/creation_stacks.ts";

export const OUTPUT_DIR = "cdktf.out";
/** Where handler zips are built (git-ignored); cdktf copies them into the stack's assets/. */
const HANDLER_BUILD_DIR = new URL("./.build/handlers", import.meta.url).pathname;
/** Where instance files shipped as assets (the RDS CA bundle) are written before cdktf copies them. */
const INSTANCE_BUILD_DIR = new URL("./.build/instance", import.meta.url).pathname;

export function stackName(config: StackConfig): string {
  return `dr-${config.environmentSuffix}`;
}

/** Builds the whole stack and writes it under `outdir` (cdktf layout: stacks/<name>/cdk.tf.json). */
export function synthesize(config: StackConfig, outdir: string): string {
  return withoutCreationStacks(() => buildStack(config, outdir));
}

function buildStack(config: StackConfig, outdir: string): string {
  const app = new App({ outdir, skipValidation: false });
  const base = createStackContext(new TerraformStack(app, stackName(config)), config);
  const serviceRoles = createServiceRoles(base);
  const keyAdmin = keyManagement(config.protection);
  const keys = createKmsKeys(base, { ...keyAdmin, autoScalingRoleArn: serviceRoles.autoScalingRoleArn });
  const ctx = withKeys(base, keys);

  const foundation = createFoundation(ctx, config);
  const data = createDataTier(ctx, config, foundation);
  const web = createServingTier(ctx, config, { ...foundation, serviceRoles, data });
  const detection = createDetection(ctx, config, { ...foundation, data, web, keyAdmin });
  const recovery = createRecovery(ctx, config, { ...foundation, data, web, detection });
  createOperatorView(ctx, config, { ...foundation, data, web, detection, recovery });

  app.synth();
  return writeOperatorManifest(outdir, stackName(config));
}

type Foundation = ReturnType<typeof createFoundation>;
type DataTier = ReturnType<typeof createDataTier>;
type ServingTier = ReturnType<typeof createServingTier>;
type Detection = ReturnType<typeof createDetection>;
type Recovery = ReturnType<typeof createRecovery>;

/** Network, firewall and the alert topics every later concern uses. */
function createFoundation(ctx: KeyedStackContext, config: StackConfig) {
  const network = createNetwork(ctx, { layout: { primary: config.primary, secondary: config.secondary } });
  const securityGroups = createSecurityGroups(ctx, {
    network,
    appPort: config.compute.appPort,
    databasePort: config.database.port,
    interfaceEndpoints: config.protection.vpcEndpoints,
  });
  if (config.protection.vpcEndpoints) {
    createVpcEndpoints(ctx, { network, securityGroups });
  }
  const alerting = createAlerting(ctx, { alertEmails: config.alertEmails });
  return { network, securityGroups, alerting };
}

/**
 * The Aurora global database (and its AWS Backup plans in production), the access-log buckets, the release
 * deploy role, the artifact buckets and the parameters.
 */
function createDataTier(
  ctx: KeyedStackContext,
  config: StackConfig,
  { network, securityGroups }: Foundation,
) {
  const database = createDatabase(ctx, { network, securityGroups, database: config.database });
  if (ctx.productionProfile) createBackupPlans(ctx, { clusters: database.clusters });
  const accessLogs = createAccessLogBuckets(ctx, {
    retentionDays: ctx.productionProfile ? 365 : 90,
    s3AccessLogSourceArns: forEachRegion(
      ctx.regions,
      ({ region }) => artifactBucketArn(ctx.suffix, ctx.accountId, region),
    ),
  });
  const deployRole = createDeployRole(ctx, {
    trustedPrincipalArn: config.protection.deployTrustedPrincipalArn,
  });
  const storage = createStorage(ctx, {
    noncurrentVersionDays: config.noncurrentVersionDays,
    deployRoleArn: deployRole.roleArn,
    accessLogs: forEachRegion(ctx.regions, ({ role }) => ({
      bucketName: accessLogs[role].bucketName,
      prefix: accessLogs[role].s3AccessLogPrefix,
    })),
  });
  const parameters = createParameters(ctx, { database, storage, appName: config.appName });
  grantDeployRole(ctx, { role: deployRole, storage, parameters });
  return { database, accessLogs, deployRole, storage, parameters };
}

/** The hosted zone, the load balancers (WAF) and the application's Auto Scaling groups. */
function createServingTier(
  ctx: KeyedStackContext,
  config: StackConfig,
  inputs: Foundation & { serviceRoles: ServiceRolesOutputs; data: DataTier },
) {
  const { network, securityGroups } = inputs;
  const zone = createHostedZone(ctx, config.dns);
  const loadBalancers = createLoadBalancer(ctx, {
    network,
    securityGroups,
    zone,
    accessLogs: inputs.data.accessLogs,
    appPort: config.compute.appPort,
    tls: config.dns,
  });
  if (config.protection.wafEnabled) {
    createWebAcls(ctx, {
      albArns: forEachRegion(ctx.regions, ({ role }) => loadBalancers[role].albArn),
      rateLimitPer5Minutes: config.protection.wafRateLimitPer5Minutes,
    });
  }
  const rdsCaBundle = createRdsCaBundle(ctx, {
    storage: inputs.data.storage,
    buildDir: INSTANCE_BUILD_DIR,
  });
  const compute = createCompute(ctx, {
    network,
    securityGroups,
    appConnectArns: inputs.data.database.connectArns.app,
    autoScalingRoleArn: inputs.serviceRoles.autoScalingRoleArn,
    loadBalancers,
    compute: config.compute,
    appName: config.appName,
    environment: config.environment,
    costCenter: config.costCenter,
    rdsCaBundle,
  });
  return { zone, loadBalancers, compute };
}

/** The handler bundles, the health checkers of both regions and the probers of the primary. */
function createDetection(
  ctx: KeyedStackContext,
  config: StackConfig,
  inputs: Foundation & { data: DataTier; web: ServingTier; keyAdmin: KeyManagement },
) {
  const { zone, loadBalancers } = inputs.web;
  const code = createHandlerAssets(
    ctx,
    ["db_health", "app_health", "primary_probe", "failover", "readiness"],
    HANDLER_BUILD_DIR,
  );
  const healthChecks = createHealthChecks(ctx, {
    code: { dbHealth: code.db_health, appHealth: code.app_health },
    network: inputs.network,
    checkerConnectArns: inputs.data.database.connectArns.checker,
    securityGroups: inputs.securityGroups,
    alerting: inputs.alerting,
    parameterPrefix: inputs.data.parameters.prefix,
    loadBalancers,
    appHostname: zone.appFqdn,
    settings: config.health,
  });
  const probes = createProbes(ctx, {
    code: code.primary_probe,
    witnessKey: createWitnessKey(ctx, inputs.keyAdmin),
    alerting: inputs.alerting,
    primaryHealthUrl: loadBalancers.primary.deepHealthUrl,
    appHostname: zone.appFqdn,
    checkTimeoutMs: config.health.checkTimeoutMs,
  });
  return { code, healthChecks, probes };
}

/** The failover orchestrator and its fence, the readiness evaluation, and the failover DNS records. */
function createRecovery(
  ctx: KeyedStackContext,
  config: StackConfig,
  inputs: Foundation & { data: DataTier; web: ServingTier; detection: Detection },
) {
  const { database, parameters } = inputs.data;
  const { zone, loadBalancers, compute } = inputs.web;
  const failover = createFailoverAutomation(ctx, {
    code: inputs.detection.code.failover,
    alerting: inputs.alerting,
    probes: inputs.detection.probes,
    parameterPrefix: parameters.prefix,
    globalClusterIdentifier: database.globalClusterIdentifier,
    primaryClusterArn: database.clusters.primary.clusterArn,
    primaryClusterIdentifier: database.clusters.primary.clusterIdentifier,
    secondaryClusterArn: database.clusters.secondary.clusterArn,
    secondaryClusterIdentifier: database.clusters.secondary.clusterIdentifier,
    secondaryAsgName: compute.secondary.asgName,
    secondaryAsgArn: compute.secondary.asgArn,
    failoverCapacity: config.compute.primaryDesiredCapacity,
    primaryHealthUrl: loadBalancers.primary.deepHealthUrl,
    appHostname: zone.appFqdn,
    ...config.health,
    rtoTargetSeconds: config.objectives.rtoTargetSeconds,
    auroraPromotionSeconds: config.objectives.auroraPromotionSeconds,
  });
  const readiness = createReadiness(ctx, {
    code: inputs.detection.code.readiness,
    alerting: inputs.alerting,
    orchestratorEnvironment: failover.orchestratorEnvironment,
    orchestratorFunctionName: failover.orchestratorFunctionName,
    triggerRuleName: failover.triggerRuleName,
    lockTableName: failover.lockTableName,
    decisionAlarmNames: failover.decisionAlarmNames,
    fenceAlarmName: failover.fence.fencedAlarmName,
    witnessRegion: ctx.witness.region,
    parameterPrefix: parameters.prefix,
    globalClusterIdentifier: database.globalClusterIdentifier,
    secondaryClusterIdentifier: database.clusters.secondary.clusterIdentifier,
    amiParameter: config.compute.amiParameter,
    rpoLagAlarmSeconds: config.objectives.rpoLagAlarmSeconds,
    scheduleMinutes: config.readiness.scheduleMinutes,
  });
  const dns = createFailoverDns(ctx, { zone, loadBalancers, fence: failover.fence, settings: config.dns });
  return { failover, readiness, dns };
}

/** Dashboards and alarms of both regions, and the operator outputs. */
function createOperatorView(
  ctx: KeyedStackContext,
  config: StackConfig,
  inputs: Foundation & { data: DataTier; web: ServingTier; detection: Detection; recovery: Recovery },
) {
  const { database, storage, parameters } = inputs.data;
  const { zone, loadBalancers, compute } = inputs.web;
  const { failover, readiness, dns } = inputs.recovery;
  // The dashboards draw the budget of this very stack (the same figure `make rto` prints).
  const budget = recoveryBudget(ctx.scope.toTerraform());
  createObservability(ctx, {
    alerting: inputs.alerting,
    signals: observabilitySignals(ctx.regions, {
      ...inputs.data,
      ...inputs.web,
      ...inputs.detection,
      ...inputs.recovery,
    }),
    orchestratorFunctionName: failover.orchestratorFunctionName,
    route53HealthCheckIds: route53HealthCheckIds(dns),
    ...config.objectives,
    recoveryBudget: budget,
    probeVantagePoints: budget.vantagePoints,
    readinessPeriodSeconds: readiness.periodSeconds,
  });
  createStackOutputs(ctx, {
    perRegion: regionOutputValues(ctx.regions, { ...inputs, database, storage, loadBalancers, compute }),
    hostedZoneId: zone.zoneId,
    globalClusterIdentifier: database.globalClusterIdentifier,
    orchestratorFunctionName: failover.orchestratorFunctionName,
    activeRegionParameterName: parameters.regions.secondary.activeRegionParameterName,
    fenceAlarmName: failover.fence.fencedAlarmName,
    readinessFunctionName: readiness.functionName,
    standbyCapacity: {
      minSize: config.compute.standbyMinSize,
      desiredCapacity: config.compute.standbyDesiredCapacity,
    },
    releaseDeployRoleArn: inputs.data.deployRole.roleArn,
    releaseDigestParameterName: parameters.regions.primary.releaseDigestParameterName,
  });
}

/** Writes operator.json beside cdk.tf.json (the outputs as known at synth); returns cdk.tf.json's path. */
function writeOperatorManifest(outdir: string, name: string): string {
  const stackDir = `${outdir}/stacks/${name}`;
  const manifest = operatorManifest(name, loadStack(`${stackDir}/cdk.tf.json`));
  Deno.writeTextFileSync(`${stackDir}/${OPERATOR_MANIFEST}`, `${JSON.stringify(manifest, null, 2)}\n`);
  return `${stackDir}/cdk.tf.json`;
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
    console.log(`${stackJson} (${loadStack(stackJson).all.length} resources)`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) { // a setting only synth can judge (e.g. a region the CA bundle lacks)
      console.error(error.message);
      return 2;
    }
    console.error(`synth failed: ${error instanceof Error ? error.message : error}`);
    return 1;
  } finally {
    Deno.removeSync(staging, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(main());
