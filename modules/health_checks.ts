// Health checkers in both regions, every 60 s: the database checker (in the VPC, against its region's
// cluster; on the standby it also samples replication every 10 s of its minute) and the application
// checker (its own ALB and the peer region's). They publish metrics in their own region (Embedded Metric
// Format), so the standby's view of the primary survives us-east-1.
import { Construct } from "constructs";
import { forEachRegion, type PerRegion, type RegionPair } from "./providers.ts";
import { logicalId, physicalName } from "./naming.ts";
import type { PolicyStatement } from "./policy.ts";
import type { KmsOutputs } from "./kms.ts";
import type { NetworkOutputs } from "./network.ts";
import type { SecurityGroupOutputs } from "./security_groups.ts";
import type { AlertingOutputs } from "./alerting.ts";
import {
  createLambdaFunction,
  type HandlerCode,
  invokeOnEvent,
  type LambdaFunctionOutputs,
} from "./lambda_function.ts";
import {
  checkerLambdaTimeoutSeconds,
  HANDLER_ENV,
  type ParameterKey,
  parameterName,
  samplerLambdaTimeoutSeconds,
} from "../handlers/lib/contract.ts";

export interface HealthCheckInputs {
  readonly regions: RegionPair;
  readonly code: { readonly dbHealth: HandlerCode; readonly appHealth: HandlerCode };
  readonly keys: KmsOutputs;
  readonly network: NetworkOutputs;
  /** `rds-db:connect` resources of the checker database role (both clusters). */
  readonly checkerConnectArns: readonly string[];
  readonly securityGroups: SecurityGroupOutputs;
  readonly alerting: AlertingOutputs;
  /** Parameter Store prefix `/<app>/<suffix>` (same in both regions). */
  readonly parameterPrefix: string;
  /** Deep-health URL of each region's load balancer. */
  readonly healthUrls: PerRegion<string>;
  /** Public application host name (TLS SNI and Host header of the probes). */
  readonly appHostname: string;
  readonly metricNamespace: string;
  readonly checkTimeoutMs: number;
  /** The standby's database checker counts replication older than this as stalled. */
  readonly replicationStallSeconds: number;
  readonly accountId: string;
  readonly environmentSuffix: string;
  readonly logRetentionDays: number;
}

export interface RegionHealthChecks {
  readonly databaseChecker: LambdaFunctionOutputs;
  readonly appChecker: LambdaFunctionOutputs;
}

export type HealthCheckOutputs = PerRegion<RegionHealthChecks>;

/** How often the checkers run; the recovery-time budget reads it from the synthesized rule. */
const CHECK_SCHEDULE = "rate(1 minute)";

export function createHealthChecks(scope: Construct, inputs: HealthCheckInputs): HealthCheckOutputs {
  return forEachRegion(inputs.regions, (region) => {
    const { role } = region;
    const readParameters = (keys: readonly ParameterKey[]): PolicyStatement => ({
      Sid: "ReadOwnParameters",
      Action: ["ssm:GetParameters"],
      Resource: keys.map((key) =>
        `arn:aws:ssm:${region.region}:${inputs.accountId}:parameter${
          parameterName(inputs.parameterPrefix, key)
        }`
      ),
    });
    const endpoint: ParameterKey = role === "primary" ? "writerEndpoint" : "readerEndpoint";
    const common = {
      region,
      concern: "health_checks",
      environmentSuffix: inputs.environmentSuffix,
      accountId: inputs.accountId,
      keyArn: inputs.keys[role].keyArn,
      logRetentionDays: inputs.logRetentionDays,
      failureTopicArn: inputs.alerting[role].topicArn,
      // A check retried a minute late is worthless: the next scheduled run replaces it.
      maximumRetryAttempts: 0,
      maximumEventAgeSeconds: 60,
      reservedConcurrency: 2,
    };
    const sharedEnvironment = {
      [HANDLER_ENV.parameterPrefix]: inputs.parameterPrefix,
      [HANDLER_ENV.regionRole]: role,
      [HANDLER_ENV.metricNamespace]: inputs.metricNamespace,
      [HANDLER_ENV.checkTimeoutMs]: String(inputs.checkTimeoutMs),
      POWERTOOLS_SERVICE_NAME: "dr-health",
    };

    const databaseChecker = createLambdaFunction(scope, {
      ...common,
      name: "db-health",
      code: inputs.code.dbHealth,
      // The standby's checker samples replication for the rest of its minute over the same connection.
      timeoutSeconds: role === "secondary"
        ? samplerLambdaTimeoutSeconds("db_health", inputs.checkTimeoutMs)
        : checkerLambdaTimeoutSeconds("db_health", inputs.checkTimeoutMs),
      // No password: the checker role logs in with an IAM token (the master password is break-glass).
      statements: [readParameters([endpoint, "port", "databaseName"]), {
        Sid: "ConnectAsCheckerRole",
        Action: ["rds-db:connect"],
        Resource: [...inputs.checkerConnectArns],
      }],
      environment: {
        ...sharedEnvironment,
        ...(role === "secondary"
          ? { [HANDLER_ENV.replicationStallSeconds]: String(inputs.replicationStallSeconds) }
          : {}),
        // The Node.js 20+ runtimes only trust the RDS certificate authorities when asked to.
        NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
      },
      vpc: {
        vpcId: inputs.network[role].vpcId,
        subnetIds: inputs.network[role].appSubnetIds,
        securityGroupId: inputs.securityGroups[role].databaseCheckerSecurityGroupId,
      },
    });
    const appChecker = createLambdaFunction(scope, {
      ...common,
      name: "app-health",
      code: inputs.code.appHealth,
      timeoutSeconds: checkerLambdaTimeoutSeconds("app_health", inputs.checkTimeoutMs),
      // Only the standby reads the active region (to republish the fence); the primary reads nothing.
      statements: role === "secondary" ? [readParameters(["activeRegion"])] : [],
      environment: {
        ...sharedEnvironment,
        [HANDLER_ENV.localHealthUrl]: inputs.healthUrls[role],
        [HANDLER_ENV.peerHealthUrl]: inputs.healthUrls[role === "primary" ? "secondary" : "primary"],
        [HANDLER_ENV.appHostname]: inputs.appHostname,
      },
    });
    for (const [key, checker] of [["db_health", databaseChecker], ["app_health", appChecker]] as const) {
      invokeOnEvent(scope, {
        region,
        ruleId: logicalId("health_checks", role, `${key}_schedule`),
        ruleName: physicalName(
          "eventRule",
          `dr-${key.replaceAll("_", "-")}`,
          inputs.environmentSuffix,
          region.region,
        ),
        description: `Runs ${checker.functionName} every minute`,
        when: { scheduleExpression: CHECK_SCHEDULE },
        functionArn: checker.functionArn,
      });
    }
    return { databaseChecker, appChecker };
  });
}
