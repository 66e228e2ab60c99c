// Aurora PostgreSQL Global Database: the global cluster (owns the engine version), a primary member with
// writer + reader in two AZs, a secondary member with a promotable reader, each encrypted with its own
// region's key, exporting PostgreSQL logs to an encrypted log group and monitored (Performance Insights,
// enhanced monitoring). The master password is an ephemeral variable feeding write-only arguments only.
import { Construct } from "constructs";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { RdsGlobalCluster } from "@cdktf/provider-aws/lib/rds-global-cluster/index.js";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster/index.js";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance/index.js";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group/index.js";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import type { DatabaseConfig } from "./config.ts";
import type { PerRegion, RegionContext, RegionPair } from "./providers.ts";
import { logicalId, physicalName, type RegionRole } from "./naming.ts";
import { assumeRolePolicy, policyDocument } from "./policy.ts";
import type { KmsOutputs } from "./kms.ts";
import type { NetworkOutputs } from "./network.ts";
import type { SecurityGroupOutputs } from "./security_groups.ts";
import { DATABASE_USERS } from "../handlers/lib/contract.ts";

export interface DatabaseInputs {
  readonly regions: RegionPair;
  /** Data subnets (subnet groups) and AZs (instance placement) per region. */
  readonly network: NetworkOutputs;
  /** `databaseSecurityGroupId` per region: the one security group of the clusters. */
  readonly securityGroups: SecurityGroupOutputs;
  readonly keys: KmsOutputs;
  readonly database: DatabaseConfig;
  readonly accountId: string;
  readonly environmentSuffix: string;
  readonly logRetentionDays: number;
  /** Deletion protection and final snapshots (production profile); default off: the stack stays destroyable. */
  readonly productionProfile?: boolean;
  /** Enhanced-monitoring granularity; default 60. */
  readonly monitoringIntervalSeconds?: number;
  /** Performance Insights retention; default 7 (the free tier). */
  readonly performanceInsightsRetentionDays?: number;
  /** Aurora capacity units when an instance class is `db.serverless`; default 2 to 16. */
  readonly serverlessCapacity?: { readonly minCapacity: number; readonly maxCapacity: number };
}

export interface DatabaseCluster {
  readonly clusterArn: string;
  readonly clusterIdentifier: string;
  /** `cluster-...`: the resource id IAM database authentication (rds-db:connect) is scoped to. */
  readonly clusterResourceId: string;
  readonly readerEndpoint: string;
  readonly clusterEndpoint: string;
}

export interface DatabaseOutputs {
  readonly globalClusterIdentifier: string;
  /** Global writer endpoint: follows the writer across regions after a failover or switchover. */
  readonly globalWriterEndpoint: string;
  readonly port: number;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly clusters: PerRegion<DatabaseCluster>;
  /**
   * `rds-db:connect` resources of each database identity (DATABASE_USERS) on both clusters: the global
   * writer endpoint leads to either, whichever is the writer.
   */
  readonly connectArns: Readonly<Record<keyof typeof DATABASE_USERS, readonly string[]>>;
  /** The ephemeral master password and its version: valid only in write-only (`*_wo`) arguments. */
  readonly masterPassword: { readonly writeOnlyValue: string; readonly version: number };
}

/** Terraform variables an operator sets (`TF_VAR_<name>`). */
export const MASTER_PASSWORD_VARIABLE = "db_master_password";
export const MASTER_PASSWORD_VERSION_VARIABLE = "db_master_password_version";

/** Instances per member: writer + reader in two AZs on the primary, one promotable reader on the standby. */
export const INSTANCE_COUNT: Readonly<Record<RegionRole, number>> = { primary: 2, secondary: 1 };

const ENGINE = "aurora-postgresql";
// Members follow the global cluster's version; a failover or a minor upgrade outside Terraform must not
// produce a plan that detaches, re-attaches or downgrades a member.
const MEMBER_DRIFT_FIELDS = ["replication_source_identifier", "global_cluster_identifier", "engine_version"];

export function clusterParameterGroupFamily(engineVersion: string): string {
  return `${ENGINE}${engineVersion.split(".")[0]}`;
}

export function createDatabase(scope: Construct, inputs: DatabaseInputs): DatabaseOutputs {
  const suffix = inputs.environmentSuffix;
  const config = inputs.database;
  const monitoringIntervalSeconds = inputs.monitoringIntervalSeconds ?? 60;
  const performanceInsightsRetentionDays = inputs.performanceInsightsRetentionDays ?? 7;
  const serverlessCapacity = inputs.serverlessCapacity ?? { minCapacity: 2, maxCapacity: 16 };

  const password = new TerraformVariable(scope, MASTER_PASSWORD_VARIABLE, {
    type: "string",
    sensitive: true,
    nullable: false,
    description:
      "Aurora master password (ephemeral: feeds write-only arguments, never stored in plan or state)",
    validation: [{
      condition:
        `\${length(var.${MASTER_PASSWORD_VARIABLE}) >= 8 && length(var.${MASTER_PASSWORD_VARIABLE}) <= 128 ` +
        `&& !can(regex("[/@\\" ]", var.${MASTER_PASSWORD_VARIABLE}))}`,
      errorMessage: 'db_master_password must be 8 to 128 printable characters without /, @, " or spaces.',
    }],
  });
  // cdktf 0.21 has no typed `ephemeral` flag (Terraform >= 1.10); without it the value would be saved in the plan.
  password.addOverride("ephemeral", true);
  const passwordVersion = new TerraformVariable(scope, MASTER_PASSWORD_VERSION_VARIABLE, {
    type: "number",
    default: 1,
    nullable: false,
    description: "Increment to write a new db_master_password to Aurora and Parameter Store",
  });

  const global = new RdsGlobalCluster(scope, logicalId("database", "global"), {
    provider: inputs.regions.primary.provider,
    globalClusterIdentifier: physicalName("rdsIdentifier", "aurora-global", suffix),
    engine: ENGINE,
    engineVersion: config.engineVersion,
    databaseName: config.databaseName,
    storageEncrypted: true,
    deletionProtection: inputs.productionProfile ?? false,
    // Removes the members from the global cluster on destroy instead of failing.
    forceDestroy: !inputs.productionProfile,
  });

  const member = (context: RegionContext, primaryWriter?: RdsClusterInstance) => {
    const { provider, region, role } = context;
    const id = (key?: string) => logicalId("database", role, key);
    const keyArn = inputs.keys[role].keyArn;
    const instanceClass = role === "primary" ? config.primaryInstanceClass : config.secondaryInstanceClass;
    const clusterIdentifier = physicalName("rdsIdentifier", "aurora", suffix, region);

    const subnetGroup = new DbSubnetGroup(scope, id("subnets"), {
      provider,
      name: physicalName("dbSubnetGroup", "aurora-data", suffix, region),
      description: `Aurora data subnets (${region})`,
      subnetIds: [...inputs.network[role].dataSubnetIds],
    });

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
    const parameterGroup = new RdsClusterParameterGroup(scope, id("cluster_parameters"), {
      provider,
      name: physicalName("parameterGroup", "aurora-cluster", suffix, region),
      family: clusterParameterGroupFamily(config.engineVersion),
      description: `Aurora PostgreSQL cluster parameters (${role})`,
      parameter: parameters,
    });

    // Created here (encrypted, with retention, destroyable) before RDS creates it unencrypted on first export.
    const logGroup = new CloudwatchLogGroup(scope, id("postgresql_logs"), {
      provider,
      name: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retentionInDays: inputs.logRetentionDays,
      kmsKeyId: keyArn,
    });

    const monitoringRole = new IamRole(scope, id("monitoring_role"), {
      provider,
      name: physicalName("iamRole", "rds-monitoring", suffix, region),
      assumeRolePolicy: assumeRolePolicy("monitoring.rds.amazonaws.com", inputs.accountId),
    });
    // Enhanced monitoring writes OS metrics to the account's shared RDSOSMetrics log group of the region.
    const osMetrics = `arn:aws:logs:${region}:${inputs.accountId}:log-group:RDSOSMetrics`;
    const monitoringPolicy = new IamRolePolicy(scope, id("monitoring_policy"), {
      provider,
      name: "publish-os-metrics",
      role: monitoringRole.id,
      policy: policyDocument([
        { Action: ["logs:CreateLogGroup", "logs:PutRetentionPolicy"], Resource: osMetrics },
        {
          Action: [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogStreams",
            "logs:GetLogEvents",
          ],
          Resource: `${osMetrics}:log-stream:*`,
        },
      ]),
    });

    const cluster = new RdsCluster(scope, id(), {
      provider,
      clusterIdentifier,
      engine: ENGINE,
      engineVersion: config.engineVersion,
      globalClusterIdentifier: global.globalClusterIdentifier,
      // Only the primary carries credentials: a cross-region member must not (it replicates them).
      ...(role === "primary"
        ? {
          databaseName: config.databaseName,
          masterUsername: config.masterUsername,
          masterPasswordWo: password.stringValue,
          masterPasswordWoVersion: passwordVersion.numberValue,
        }
        : {}),
      port: config.port,
      dbSubnetGroupName: subnetGroup.name,
      // The security-group graph lives in security_groups.ts: PostgreSQL from the app and checker SGs only.
      vpcSecurityGroupIds: [inputs.securityGroups[role].databaseSecurityGroupId],
      dbClusterParameterGroupName: parameterGroup.name,
      storageEncrypted: true,
      kmsKeyId: keyArn,
      backupRetentionPeriod: config.backupRetentionDays,
      preferredBackupWindow: config.backupWindow,
      preferredMaintenanceWindow: config.maintenanceWindow,
      copyTagsToSnapshot: true,
      ...(inputs.productionProfile
        ? {
          skipFinalSnapshot: false,
          finalSnapshotIdentifier: `${clusterIdentifier}-final`,
          deletionProtection: true,
        }
        : { skipFinalSnapshot: true, deletionProtection: false }),
      iamDatabaseAuthenticationEnabled: true,
      enabledCloudwatchLogsExports: ["postgresql"],
      ...(instanceClass === "db.serverless" ? { serverlessv2ScalingConfiguration: serverlessCapacity } : {}),
      // The secondary can join only once the primary has a writer instance.
      dependsOn: primaryWriter ? [logGroup, primaryWriter] : [logGroup],
      lifecycle: { ignoreChanges: MEMBER_DRIFT_FIELDS },
    });

    const zones = inputs.network[role].availabilityZones.slice(0, INSTANCE_COUNT[role]);
    if (zones.length < INSTANCE_COUNT[role]) {
      throw new Error(`the ${role} cluster needs ${INSTANCE_COUNT[role]} availability zones`);
    }
    const instances: RdsClusterInstance[] = [];
    zones.forEach((zone, index) => {
      instances.push(
        new RdsClusterInstance(scope, id(`instance_${zone}`), {
          provider,
          identifier: physicalName("rdsIdentifier", "aurora", suffix, zone),
          clusterIdentifier: cluster.id,
          engine: ENGINE,
          engineVersion: config.engineVersion,
          instanceClass,
          availabilityZone: zone,
          // The first zone's instance is the intended writer; the others are failover targets in order.
          promotionTier: index,
          dbSubnetGroupName: subnetGroup.name,
          publiclyAccessible: false,
          // Versions move only through the global cluster (config): an automatic minor upgrade would make
          // the next plan a downgrade of the global cluster.
          autoMinorVersionUpgrade: false,
          copyTagsToSnapshot: true,
          preferredMaintenanceWindow: config.maintenanceWindow,
          performanceInsightsEnabled: true,
          performanceInsightsKmsKeyId: keyArn,
          performanceInsightsRetentionPeriod: performanceInsightsRetentionDays,
          monitoringInterval: monitoringIntervalSeconds,
          monitoringRoleArn: monitoringRole.arn,
          // The first instance created becomes the writer: the others wait for the one in the first zone.
          dependsOn: [monitoringPolicy, ...instances.slice(0, 1)],
          lifecycle: { ignoreChanges: ["engine_version"] },
        }),
      );
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
  };

  // The same function for both members (not forEachRegion): the secondary depends on the primary's writer.
  const primary = member(inputs.regions.primary);
  const secondary = member(inputs.regions.secondary, primary.writer);

  // What operators and applications need after apply (`terraform output`).
  new TerraformOutput(scope, "database_global_writer_endpoint", {
    value: global.endpoint,
    description: "Aurora global writer endpoint: follows the writer across regions (applications write here)",
  });
  for (const [role, outputs] of [["primary", primary.outputs], ["secondary", secondary.outputs]] as const) {
    new TerraformOutput(scope, `database_${role}_reader_endpoint`, {
      value: outputs.readerEndpoint,
      description: `Reader endpoint of the ${role} region's cluster`,
    });
    new TerraformOutput(scope, `database_${role}_cluster_arn`, {
      value: outputs.clusterArn,
      description: `ARN of the ${role} region's Aurora cluster`,
    });
  }

  const clusters = { primary: primary.outputs, secondary: secondary.outputs };
  const connectArns = (user: string) =>
    (["primary", "secondary"] as const).map((role) =>
      `arn:aws:rds-db:${inputs.regions[role].region}:${inputs.accountId}:dbuser:` +
      `${clusters[role].clusterResourceId}/${user}`
    );
  return {
    globalClusterIdentifier: global.globalClusterIdentifier,
    globalWriterEndpoint: global.endpoint,
    port: config.port,
    databaseName: config.databaseName,
    masterUsername: config.masterUsername,
    clusters,
    connectArns: { app: connectArns(DATABASE_USERS.app), checker: connectArns(DATABASE_USERS.checker) },
    masterPassword: { writeOnlyValue: password.stringValue, version: passwordVersion.numberValue },
  };
}
