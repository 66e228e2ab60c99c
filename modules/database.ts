// Aurora PostgreSQL Global Database: the global cluster (owns the engine version), a primary member with
// writer + reader in two AZs, a secondary member with a promotable reader, each encrypted with its own
// region's key, exporting PostgreSQL logs to an encrypted log group and monitored (Performance Insights,
// enhanced monitoring). The master password is an ephemeral variable feeding write-only arguments only.
import { Construct } from "constructs";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { RdsGlobalCluster } from "@cdktf/provider-aws/lib/rds-global-cluster/index.js";
import type { DatabaseConfig } from "./config.ts";
import { type PerRegion, ROLES } from "./providers.ts";
import { logicalId } from "./naming.ts";
import type { KeyedStackContext } from "./stack_context.ts";
import type { NetworkOutputs } from "./network.ts";
import type { SecurityGroupOutputs } from "./security_groups.ts";
import { createMember, type DatabaseCluster, ENGINE } from "./database_member.ts";
import { DATABASE_USERS } from "../handlers/lib/contract.ts";

export interface DatabaseInputs {
  /** Data subnets (subnet groups) and AZs (instance placement) per region. */
  readonly network: NetworkOutputs;
  /** `databaseSecurityGroupId` per region: the one security group of the clusters. */
  readonly securityGroups: SecurityGroupOutputs;
  readonly database: DatabaseConfig;
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

export function createDatabase(ctx: KeyedStackContext, inputs: DatabaseInputs): DatabaseOutputs {
  const config = inputs.database;
  const masterPassword = createMasterPassword(ctx.scope);
  const global = createGlobalCluster(ctx, inputs);
  const member = { globalClusterIdentifier: global.globalClusterIdentifier, masterPassword };
  // The same function for both members (not forEachRegion): the secondary depends on the primary's writer.
  const primary = createMember(ctx, ctx.regions.primary, inputs, member);
  const secondary = createMember(ctx, ctx.regions.secondary, inputs, {
    ...member,
    primaryWriter: primary.writer,
  });
  const clusters = { primary: primary.outputs, secondary: secondary.outputs };
  createOperatorOutputs(ctx.scope, global.endpoint, clusters);
  const connectArns = (user: string) =>
    ROLES.map((role) =>
      `arn:aws:rds-db:${ctx.regions[role].region}:${ctx.accountId}:dbuser:` +
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

function createGlobalCluster(ctx: KeyedStackContext, inputs: DatabaseInputs): RdsGlobalCluster {
  return new RdsGlobalCluster(ctx.scope, logicalId("database", "global"), {
    provider: ctx.regions.primary.provider,
    globalClusterIdentifier: ctx.name("rdsIdentifier", "aurora-global"),
    engine: ENGINE,
    engineVersion: inputs.database.engineVersion,
    databaseName: inputs.database.databaseName,
    storageEncrypted: true,
    deletionProtection: ctx.productionProfile,
    // Removes the members from the global cluster on destroy instead of failing.
    forceDestroy: !ctx.productionProfile,
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
