// One member cluster of the Aurora Global Database in one region (logical ids `database_<role>_*`): its data
// subnets, cluster parameters, an encrypted PostgreSQL log group, the enhanced-monitoring role, the cluster
// (credentials only on the primary) and its instances, one per AZ.
import type { ITerraformDependable } from "cdktf";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster/index.js";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance/index.js";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group/index.js";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import type { RegionContext } from "./providers.ts";
import { logicalId, type RegionRole } from "./naming.ts";
import { assumeRolePolicy, policyDocument } from "./policy.ts";
import type { DatabaseInputs, MasterPassword } from "./database.ts";
import type { KeyedStackContext } from "./stack_context.ts";

export const ENGINE = "aurora-postgresql";

/** Instances per member: writer + reader in two AZs on the primary, one promotable reader on the standby. */
export const INSTANCE_COUNT: Readonly<Record<RegionRole, number>> = { primary: 2, secondary: 1 };

// Members follow the global cluster's version; a failover or a minor upgrade outside Terraform must not
// produce a plan that detaches, re-attaches or downgrades a member.
const MEMBER_DRIFT_FIELDS = ["replication_source_identifier", "global_cluster_identifier", "engine_version"];

export function clusterParameterGroupFamily(engineVersion: string): string {
  return `${ENGINE}${engineVersion.split(".")[0]}`;
}

/** What a member needs besides the database's inputs. */
export interface MemberContext {
  readonly globalClusterIdentifier: string;
  /** Used by the primary only: a cross-region member must not carry credentials (it replicates them). */
  readonly masterPassword: MasterPassword;
  /** The secondary can join only once the primary has a writer instance. */
  readonly primaryWriter?: ITerraformDependable;
}

export interface DatabaseCluster {
  readonly clusterArn: string;
  readonly clusterIdentifier: string;
  /** `cluster-...`: the resource id IAM database authentication (rds-db:connect) is scoped to. */
  readonly clusterResourceId: string;
  readonly readerEndpoint: string;
  readonly clusterEndpoint: string;
}

export interface Member {
  /** The instance in the first zone: the intended writer. */
  readonly writer: ITerraformDependable;
  readonly outputs: DatabaseCluster;
}

/** Where a member's resources go: the region, its logical ids and its cluster's physical name. */
interface MemberPlace {
  readonly region: RegionContext;
  readonly id: (key?: string) => string;
  readonly clusterIdentifier: string;
  readonly keyArn: string;
}

export function createMember(
  ctx: KeyedStackContext,
  region: RegionContext,
  inputs: DatabaseInputs,
  context: MemberContext,
): Member {
  const scope = ctx.scope;
  const place: MemberPlace = {
    region,
    id: (key?: string) => logicalId("database", region.role, key),
    clusterIdentifier: ctx.name("rdsIdentifier", "aurora", region.region),
    keyArn: ctx.keys[region.role].keyArn,
  };
  const subnetGroup = new DbSubnetGroup(scope, place.id("subnets"), {
    provider: region.provider,
    name: ctx.name("dbSubnetGroup", "aurora-data", region.region),
    description: `Aurora data subnets (${region.region})`,
    subnetIds: [...inputs.network[region.role].dataSubnetIds],
  });
  const parameterGroup = createParameterGroup(ctx, place, inputs);
  // Created here (encrypted, with retention, destroyable) before RDS creates it unencrypted on first export.
  const logGroup = new CloudwatchLogGroup(scope, place.id("postgresql_logs"), {
    provider: region.provider,
    name: `/aws/rds/cluster/${place.clusterIdentifier}/postgresql`,
    retentionInDays: ctx.logRetentionDays,
    kmsKeyId: place.keyArn,
  });
  const monitoring = createMonitoringRole(ctx, place);
  const cluster = createCluster(ctx, place, inputs, context, {
    subnetGroupName: subnetGroup.name,
    parameterGroupName: parameterGroup.name,
    dependsOn: context.primaryWriter ? [logGroup, context.primaryWriter] : [logGroup],
  });
  const instances = createInstances(ctx, place, inputs, {
    clusterId: cluster.id,
    subnetGroupName: subnetGroup.name,
    monitoring,
  });
  return {
    writer: instances[0],
    outputs: {
      clusterArn: cluster.arn,
      clusterIdentifier: cluster.clusterIdentifier,
      clusterResourceId: cluster.clusterResourceId,
      readerEndpoint: cluster.readerEndpoint,
      clusterEndpoint: cluster.endpoint,
    },
  };
}

function createParameterGroup(ctx: KeyedStackContext, place: MemberPlace, inputs: DatabaseInputs) {
  const { provider, region, role } = place.region;
  const config = inputs.database;
  const parameters = [{ name: "rds.force_ssl", value: "1", applyMethod: "immediate" }];
  // Blocks commits on the writer when no secondary is within the limit; with two regions only the
  // primary's group may carry it, or a promoted standby with no peer would refuse every commit.
  if (role === "primary" && config.rpoGuardSeconds > 0) {
    parameters.push({
      name: "rds.global_db_rpo",
      value: String(config.rpoGuardSeconds),
      applyMethod: "immediate",
    });
  }
  return new RdsClusterParameterGroup(ctx.scope, place.id("cluster_parameters"), {
    provider,
    name: ctx.name("parameterGroup", "aurora-cluster", region),
    family: clusterParameterGroupFamily(config.engineVersion),
    description: `Aurora PostgreSQL cluster parameters (${role})`,
    parameter: parameters,
  });
}

interface Monitoring {
  readonly roleArn: string;
  /** Instances wait for it: enhanced monitoring must be able to publish when an instance starts. */
  readonly policy: ITerraformDependable;
}

function createMonitoringRole(ctx: KeyedStackContext, place: MemberPlace): Monitoring {
  const { provider, region } = place.region;
  const role = new IamRole(ctx.scope, place.id("monitoring_role"), {
    provider,
    name: ctx.name("iamRole", "rds-monitoring", region),
    assumeRolePolicy: assumeRolePolicy("monitoring.rds.amazonaws.com", ctx.accountId),
  });
  // Enhanced monitoring writes OS metrics to the account's shared RDSOSMetrics log group of the region.
  const osMetrics = `arn:aws:logs:${region}:${ctx.accountId}:log-group:RDSOSMetrics`;
  const policy = new IamRolePolicy(ctx.scope, place.id("monitoring_policy"), {
    provider,
    name: ctx.policyName("publish-os-metrics", region),
    role: role.id,
    policy: policyDocument([
      { Action: ["logs:CreateLogGroup", "logs:PutRetentionPolicy"], Resource: osMetrics },
      {
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:GetLogEvents"],
        Resource: `${osMetrics}:log-stream:*`,
      },
    ]),
  });
  return { roleArn: role.arn, policy };
}

function createCluster(
  ctx: KeyedStackContext,
  place: MemberPlace,
  inputs: DatabaseInputs,
  context: MemberContext,
  links: { subnetGroupName: string; parameterGroupName: string; dependsOn: ITerraformDependable[] },
): RdsCluster {
  const { provider, role } = place.region;
  const config = inputs.database;
  const clusterIdentifier = place.clusterIdentifier;
  return new RdsCluster(ctx.scope, place.id(), {
    provider,
    clusterIdentifier,
    engine: ENGINE,
    engineVersion: config.engineVersion,
    globalClusterIdentifier: context.globalClusterIdentifier,
    ...(role === "primary"
      ? {
        databaseName: config.databaseName,
        masterUsername: config.masterUsername,
        masterPasswordWo: context.masterPassword.writeOnlyValue,
        masterPasswordWoVersion: context.masterPassword.version,
      }
      : {}),
    port: config.port,
    dbSubnetGroupName: links.subnetGroupName,
    // The security-group graph lives in security_groups.ts: PostgreSQL from the app and checker SGs only.
    vpcSecurityGroupIds: [inputs.securityGroups[role].databaseSecurityGroupId],
    dbClusterParameterGroupName: links.parameterGroupName,
    storageEncrypted: true,
    kmsKeyId: place.keyArn,
    backupRetentionPeriod: config.backupRetentionDays,
    preferredBackupWindow: config.backupWindow,
    preferredMaintenanceWindow: config.maintenanceWindow,
    copyTagsToSnapshot: true,
    ...(ctx.productionProfile
      ? {
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `${clusterIdentifier}-final`,
        deletionProtection: true,
      }
      : { skipFinalSnapshot: true, deletionProtection: false }),
    iamDatabaseAuthenticationEnabled: true,
    enabledCloudwatchLogsExports: ["postgresql"],
    ...(instanceClass(inputs, role) === "db.serverless"
      ? { serverlessv2ScalingConfiguration: inputs.serverlessCapacity ?? { minCapacity: 2, maxCapacity: 16 } }
      : {}),
    dependsOn: links.dependsOn,
    lifecycle: { ignoreChanges: MEMBER_DRIFT_FIELDS },
  });
}

function instanceClass(inputs: DatabaseInputs, role: RegionRole): string {
  return role === "primary" ? inputs.database.primaryInstanceClass : inputs.database.secondaryInstanceClass;
}

/** One instance per zone, in the first INSTANCE_COUNT zones: the first is the writer, the others its heirs. */
function createInstances(
  ctx: KeyedStackContext,
  place: MemberPlace,
  inputs: DatabaseInputs,
  links: { clusterId: string; subnetGroupName: string; monitoring: Monitoring },
): RdsClusterInstance[] {
  const { provider, role } = place.region;
  const config = inputs.database;
  const zones = inputs.network[role].availabilityZones.slice(0, INSTANCE_COUNT[role]);
  if (zones.length < INSTANCE_COUNT[role]) {
    throw new Error(`the ${role} cluster needs ${INSTANCE_COUNT[role]} availability zones`);
  }
  const instances: RdsClusterInstance[] = [];
  zones.forEach((zone, index) => {
    instances.push(
      new RdsClusterInstance(ctx.scope, place.id(`instance_${zone}`), {
        provider,
        identifier: ctx.name("rdsIdentifier", "aurora", zone),
        clusterIdentifier: links.clusterId,
        engine: ENGINE,
        engineVersion: config.engineVersion,
        instanceClass: instanceClass(inputs, role),
        availabilityZone: zone,
        // The first zone's instance is the intended writer; the others are failover targets in order.
        promotionTier: index,
        dbSubnetGroupName: links.subnetGroupName,
        publiclyAccessible: false,
        // Versions move only through the global cluster (config): an automatic minor upgrade would make
        // the next plan a downgrade of the global cluster.
        autoMinorVersionUpgrade: false,
        copyTagsToSnapshot: true,
        preferredMaintenanceWindow: config.maintenanceWindow,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: place.keyArn,
        performanceInsightsRetentionPeriod: inputs.performanceInsightsRetentionDays ?? 7,
        monitoringInterval: inputs.monitoringIntervalSeconds ?? 60,
        monitoringRoleArn: links.monitoring.roleArn,
        // The first instance created becomes the writer: the others wait for the one in the first zone.
        dependsOn: [links.monitoring.policy, ...instances.slice(0, 1)],
        lifecycle: { ignoreChanges: ["engine_version"] },
      }),
    );
  });
  return instances;
}
