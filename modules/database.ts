// Aurora PostgreSQL Global Database: the global cluster (owns the engine version), a primary member with
// writer + reader in two AZs, a secondary member with a promotable reader, each encrypted with its own
// region's key, exporting PostgreSQL logs to an encrypted log group and monitored (Performance Insights,
// enhanced monitoring). The master password is an ephemeral variable feeding write-only arguments only.
import { Construct } from "constructs";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { RdsGlobalCluster } from "@cdktf/provider-aws/lib/rds-global-cluster/index.js";
import type { DatabaseConfig } from "./config.ts";
import { type PerRegion, type RegionPair, ROLES } from "./providers.ts";
import { logicalId, physicalName } from "./naming.ts";
import type { KmsOutputs } from "./kms.ts";
import type { NetworkOutputs } from "./network.ts";
import type { SecurityGroupOutputs } from "./firewall.ts";
import { createMember, type DatabaseCluster, ENGINE } from "./database_member.ts";
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
  readonly masterPassword: MasterPassword;
}

/** The ephemeral master password and its version: valid only in write-only (`*_wo`) arguments. */
export interface MasterPassword {
  readonly writeOnlyValue: string;
  readonly version: number;
}

/** Terraform variables an operator sets (`TF_VAR_<name>`). */
export const MASTER_PASSWORD_VARIABLE = "db_master_password";
export const MASTER_PASSWORD_VERSION_VARIABLE = "db_master_password_version";

export function createDatabase(scope: Construct, inputs: DatabaseInputs): DatabaseOutputs {
  const config = inputs.database;
  const masterPassword = createMasterPassword(scope);
  const global = createGlobalCluster(scope, inputs);
  const member = { globalClusterIdentifier: global.globalClusterIdentifier, masterPassword };
  // The same function for both members (not forEachRegion): the secondary depends on the primary's writer.
  const primary = createMember(scope, inputs.regions.primary, inputs, member);
  const secondary = createMember(scope, inputs.regions.secondary, inputs, {
    ...member,
    primaryWriter: primary.writer,
  });
  const clusters = { primary: primary.outputs, secondary: secondary.outputs };
  createOperatorOutputs(scope, global.endpoint, clusters);
  const connectArns = (user: string) =>
    ROLES.map((role) =>
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
    masterPassword,
  };
}

function createMasterPassword(scope: Construct): MasterPassword {
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
  const version = new TerraformVariable(scope, MASTER_PASSWORD_VERSION_VARIABLE, {
    type: "number",
    default: 1,
    nullable: false,
    description: "Increment to write a new db_master_password to Aurora and Parameter Store",
  });
  return { writeOnlyValue: password.stringValue, version: version.numberValue };
}

function createGlobalCluster(scope: Construct, inputs: DatabaseInputs): RdsGlobalCluster {
  return new RdsGlobalCluster(scope, logicalId("database", "global"), {
    provider: inputs.regions.primary.provider,
    globalClusterIdentifier: physicalName("rdsIdentifier", "aurora-global", inputs.environmentSuffix),
    engine: ENGINE,
    engineVersion: inputs.database.engineVersion,
    databaseName: inputs.database.databaseName,
    storageEncrypted: true,
    deletionProtection: inputs.productionProfile ?? false,
    // Removes the members from the global cluster on destroy instead of failing.
    forceDestroy: !inputs.productionProfile,
  });
}

/** What operators and applications need after apply (`terraform output`). */
function createOperatorOutputs(
  scope: Construct,
  globalWriterEndpoint: string,
  clusters: PerRegion<DatabaseCluster>,
): void {
  new TerraformOutput(scope, "database_global_writer_endpoint", {
    value: globalWriterEndpoint,
    description: "Aurora global writer endpoint: follows the writer across regions (applications write here)",
  });
  for (const role of ROLES) {
    new TerraformOutput(scope, `database_${role}_reader_endpoint`, {
      value: clusters[role].readerEndpoint,
      description: `Reader endpoint of the ${role} region's cluster`,
    });
    new TerraformOutput(scope, `database_${role}_cluster_arn`, {
      value: clusters[role].clusterArn,
      description: `ARN of the ${role} region's Aurora cluster`,
    });
  }
}
