// Health checkers in both regions, every 60 s: the database checker (in the VPC, against its region's
// cluster; on the standby it also samples replication every 10 s of its minute) and the application
// checker (its own ALB and the peer region's). They publish metrics in their own region (Embedded Metric
// Format), so the standby's view of the primary survives us-east-1.
import { forEachRegion, type PerRegion, type RegionContext } from "./providers.ts";
import { logicalId } from "./naming.ts";
import type { PolicyStatement } from "./policy.ts";
import type { KeyedStackContext } from "./stack_context.ts";
import type { HealthConfig } from "./config.ts";
import type { LoadBalancerOutputs } from "./web.ts";
import type { NetworkOutputs } from "./network.ts";
import type { SecurityGroupOutputs } from "./firewall.ts";
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
  readonly code: { readonly dbHealth: HandlerCode; readonly appHealth: HandlerCode };
  readonly network: NetworkOutputs;
  /** `rds-db:connect` resources of the checker database role (both clusters). */
  readonly checkerConnectArns: readonly string[];
  readonly securityGroups: SecurityGroupOutputs;
  readonly alerting: AlertingOutputs;
  /** Parameter Store prefix `/<app>/<suffix>` (same in both regions). */
  readonly parameterPrefix: string;
  /** Each checker calls its own region's and the peer's load balancer (their deep-health URLs). */
  readonly loadBalancers: LoadBalancerOutputs;
  /** Public application host name (TLS SNI and Host header of the probes). */
  readonly appHostname: string;
  /** The call timeout, and the replication age the standby's database checker counts as stalled. */
  readonly settings: Pick<HealthConfig, "checkTimeoutMs" | "replicationStallSeconds">;
}

export interface RegionHealthChecks {
  readonly databaseChecker: LambdaFunctionOutputs;
  readonly appChecker: LambdaFunctionOutputs;
}

export type HealthCheckOutputs = PerRegion<RegionHealthChecks>;

/** How often the checkers run; the recovery-time budget reads it from the synthesized rule. */
const CHECK_SCHEDULE = "rate(1 minute)";

export function createHealthChecks(ctx: KeyedStackContext, inputs: HealthCheckInputs): HealthCheckOutputs {
  return forEachRegion(ctx.regions, (where) => {
    const base = checkerBase(ctx, inputs, where);
    const databaseChecker = createDatabaseChecker(ctx, inputs, where, base);
    const appChecker = createAppChecker(ctx, inputs, where, base);
    for (const [key, checker] of [["db_health", databaseChecker], ["app_health", appChecker]] as const) {
      invokeOnEvent(ctx, {
        region: where,
        ruleId: logicalId("health_checks", where.role, `${key}_schedule`),
        ruleName: ctx.name("eventRule", `dr-${key.replaceAll("_", "-")}`, where.region),
        description: `Runs ${checker.functionName} every minute`,
        when: { scheduleExpression: CHECK_SCHEDULE },
        functionArn: checker.functionArn,
      });
    }
    return { databaseChecker, appChecker };
  });
}

type CheckerBase = ReturnType<typeof checkerBase>;

/** What both checkers of a region share: function settings, environment, and the parameter-read grant. */
function checkerBase(ctx: KeyedStackContext, inputs: HealthCheckInputs, where: RegionContext) {
  const { role } = where;
  const readParameters = (keys: readonly ParameterKey[]): PolicyStatement => ({
    Sid: "ReadOwnParameters",
    Action: ["ssm:GetParameters"],
    Resource: keys.map((key) =>
      `arn:aws:ssm:${where.region}:${ctx.accountId}:parameter${parameterName(inputs.parameterPrefix, key)}`
    ),
  });
  const common = {
    region: where,
    concern: "health_checks",
    keyArn: ctx.keys[role].keyArn,
    failureTopicArn: inputs.alerting[role].topicArn,
    // A check retried a minute late is worthless: the next scheduled run replaces it.
    maximumRetryAttempts: 0,
    maximumEventAgeSeconds: 60,
    reservedConcurrency: 2,
  };
  const sharedEnvironment = {
    [HANDLER_ENV.parameterPrefix]: inputs.parameterPrefix,
    [HANDLER_ENV.regionRole]: role,
    [HANDLER_ENV.metricNamespace]: ctx.metricNamespace,
    [HANDLER_ENV.checkTimeoutMs]: String(inputs.settings.checkTimeoutMs),
    POWERTOOLS_SERVICE_NAME: "dr-health",
  };
  return { readParameters, common, sharedEnvironment };
}

/** Each checker is one Lambda function per region, made from the same shared parts. */
type CreateChecker = (
  ctx: KeyedStackContext,
  inputs: HealthCheckInputs,
  where: RegionContext,
  base: CheckerBase,
) => LambdaFunctionOutputs;

/** The database checker, in the VPC against its region's cluster; the standby's also samples replication. */
const createDatabaseChecker: CreateChecker = (ctx, inputs, where, base) => {
  const { role } = where;
  const { checkTimeoutMs, replicationStallSeconds } = inputs.settings;
  const endpoint: ParameterKey = role === "primary" ? "writerEndpoint" : "readerEndpoint";
  return createLambdaFunction(ctx, {
    ...base.common,
    name: "db-health",
    code: inputs.code.dbHealth,
    // The standby's checker samples replication for the rest of its minute over the same connection.
    timeoutSeconds: role === "secondary"
      ? samplerLambdaTimeoutSeconds("db_health", checkTimeoutMs)
      : checkerLambdaTimeoutSeconds("db_health", checkTimeoutMs),
    // No password: the checker role logs in with an IAM token (the master password is break-glass).
    statements: [base.readParameters([endpoint, "port", "databaseName"]), {
      Sid: "ConnectAsCheckerRole",
      Action: ["rds-db:connect"],
      Resource: [...inputs.checkerConnectArns],
    }],
    environment: {
      ...base.sharedEnvironment,
      ...(role === "secondary"
        ? { [HANDLER_ENV.replicationStallSeconds]: String(replicationStallSeconds) }
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
};

/** The application checker: its own region's ALB and the peer's, by their deep-health URLs. */
const createAppChecker: CreateChecker = (ctx, inputs, where, base) => {
  const { role } = where;
  return createLambdaFunction(ctx, {
    ...base.common,
    name: "app-health",
    code: inputs.code.appHealth,
    timeoutSeconds: checkerLambdaTimeoutSeconds("app_health", inputs.settings.checkTimeoutMs),
    // Only the standby reads the active region (to republish the fence); the primary reads nothing.
    statements: role === "secondary" ? [base.readParameters(["activeRegion"])] : [],
    environment: {
      ...base.sharedEnvironment,
      [HANDLER_ENV.localHealthUrl]: inputs.loadBalancers[role].deepHealthUrl,
      [HANDLER_ENV.peerHealthUrl]:
        inputs.loadBalancers[role === "primary" ? "secondary" : "primary"].deepHealthUrl,
      [HANDLER_ENV.appHostname]: inputs.appHostname,
    },
  });
};
