// The contract between the infrastructure (modules/) and the running code (handlers/, instance user data):
// Parameter Store keys, metric names and dimensions, handler environment variables. Dependency-free so
// that both the CDKTF program and the Lambda bundles import it.

export type RegionRole = "primary" | "secondary";
/** Where a prober of the primary runs: the standby region, or the witness region outside the pair. */
export type VantageRole = "secondary" | "witness";

/** Parameter Store layout: `/<app>/<suffix>/<key>`, one copy per region in that region's SSM. */
export function parameterPrefix(appName: string, environmentSuffix: string): string {
  return `/${appName}/${environmentSuffix}`;
}

export const PARAMETER_KEYS = {
  /** Aurora global writer endpoint: follows the writer across regions. */
  writerEndpoint: "database/writer-endpoint",
  /** This region's cluster reader endpoint. */
  readerEndpoint: "database/reader-endpoint",
  port: "database/port",
  databaseName: "database/name",
  masterUsername: "database/master-username",
  /**
   * SecureString (KMS key of the region), written with a write-only value. Break-glass only: no runtime role
   * may read it (instances and checkers connect as DATABASE_USERS with IAM tokens).
   */
  masterPassword: "database/master-password",
  /** `primary` or `secondary`: the role of the region this parameter lives in. */
  regionRole: "region/role",
  peerRegion: "region/peer-region",
  artifactBucket: "storage/artifact-bucket",
  /** The peer region's artifact bucket (the two replicate into each other). */
  peerArtifactBucket: "storage/peer-artifact-bucket",
  /** Region currently serving writes; updated by the failover orchestrator and by failback, not by Terraform. */
  activeRegion: "failover/active-region",
  /**
   * SHA-256 (64 lowercase hex characters) of the published application release, or RELEASE_UNPUBLISHED.
   * Written by `make release` (the deploy role), not by Terraform; instances refuse an archive that differs.
   */
  releaseDigest: "app/release-sha256",
} as const;

/** The value of `app/release-sha256` while nothing is published (Terraform's initial value). */
export const RELEASE_UNPUBLISHED = "none";

export type ParameterKey = keyof typeof PARAMETER_KEYS;

export function parameterName(prefix: string, key: ParameterKey): string {
  return `${prefix}/${PARAMETER_KEYS[key]}`;
}

/**
 * Database identities (created by `make db-bootstrap`, tools/db_bootstrap.ts): the instances and the
 * released application connect as `app`, the database checkers as `checker`, both with IAM authentication
 * tokens; the master user is break-glass and for the bootstrap only.
 */
export const DATABASE_USERS = { app: "dr_app", checker: "dr_checker" } as const;
/** The schema the application role owns; it has no privilege elsewhere. */
export const APP_SCHEMA = "app";

/**
 * How every database client connects (instances, checkers, bootstrap): TLS verified against the RDS CA
 * bundle with the host name checked. IAM tokens are answered only to the cleartext request Aurora's IAM
 * authentication makes (libpq `require_auth=password`), after the server proved its name; the master
 * password of the bootstrap only through SCRAM (`require_auth=scram-sha-256`), never in clear.
 */
export const DATABASE_TLS = {
  sslMode: "verify-full",
  /** Where the instances keep the RDS global CA bundle (written by setup.sh). */
  instanceCaBundlePath: "/etc/dr-app/rds-ca.pem",
  iamRequireAuth: "password",
  passwordRequireAuth: "scram-sha-256",
} as const;

/** IAM authentication tokens are valid 15 minutes; clients renew theirs well before. */
export const DATABASE_TOKEN_REFRESH_SECONDS = 600;

/** Custom metric namespace (Embedded Metric Format, per region). */
export function metricNamespace(environmentSuffix: string): string {
  return `TransactionDR/${environmentSuffix}`;
}

/** Every custom metric is published with exactly these dimensions: the checker's own region and role. */
export const METRIC_DIMENSIONS = ["Region", "Role"] as const;

export const METRICS = {
  databaseHealthy: "DatabaseHealthy",
  databaseLatencyMs: "DatabaseLatencyMs",
  replicationLagMs: "ReplicationLagMs",
  appHealthy: "AppHealthy",
  appLatencyMs: "AppLatencyMs",
  /** The secondary's view of the primary: what drives failover. */
  peerAppHealthy: "PeerAppHealthy",
  peerAppLatencyMs: "PeerAppLatencyMs",
  /** 1 while writes are fenced away from the primary (active region = secondary); republished every minute. */
  primaryFenced: "PrimaryFenced",
  recoverySeconds: "RecoverySeconds",
  /**
   * 1/0 per probe of the primary's deep health (high resolution, every PROBE_INTERVAL_SECONDS), from each
   * vantage point, always published into the standby region's CloudWatch. Dimensions: the prober's own
   * Region and Role (`secondary` or `witness`).
   */
  primaryProbeHealthy: "PrimaryProbeHealthy",
  primaryProbeLatencyMs: "PrimaryProbeLatencyMs",
  /** 1 while the standby's database checker sees replication from the primary stalled (high resolution). */
  replicationStalled: "ReplicationStalled",
  /** Measured phases of a failover: first failed probe -> decision (quorum alarm). */
  failoverDecisionSeconds: "FailoverDecisionSeconds",
  /** Decision -> the standby cluster is the writer. */
  failoverWritableSeconds: "FailoverWritableSeconds",
  /** Writable -> the standby Auto Scaling group has failover capacity in service. */
  failoverFullCapacitySeconds: "FailoverFullCapacitySeconds",
  failoverStepSeconds: "FailoverStepSeconds",
  failoverInvoked: "FailoverInvoked",
  /**
   * 1 ready / 0 not ready to fail over, from the scheduled readiness evaluation in the standby region.
   * Without a READINESS_CHECK_DIMENSION: the overall verdict; with it: that one check's verdict.
   */
  failoverReady: "FailoverReady",
} as const;

/** The extra dimension of a per-check FailoverReady datapoint (beside Region and Role): the check's name. */
export const READINESS_CHECK_DIMENSION = "Check";

/**
 * The readiness checks, in report order: name -> the question it answers (alarm descriptions and docs use
 * these words). A name is part of the contract: it is a metric dimension value and an alarm name.
 */
export const READINESS_CHECKS = {
  "failover-dry-run": "the failover orchestrator's own dry run reads every step's state without an error",
  "orchestrator": "the orchestrator Lambda is active, not throttled to zero, and its trigger rule is enabled",
  "global-cluster": "the Aurora global cluster is available and no failover or switchover is running",
  "standby-in-sync": "the standby cluster is a reader of the global cluster with replication connected",
  "replication-lag": "the standby's replication lag is within the RPO alarm's threshold",
  "standby-cluster": "the standby Aurora cluster is available and has an available instance (never headless)",
  "standby-capacity":
    "the standby Auto Scaling group can reach failover capacity: max size, warm pool, launches not suspended",
  "launch-template":
    "the standby group's launch template version exists and its AMI resolves to an available image",
  "parameters":
    "every Parameter Store entry the orchestrator and the instances read exists in the standby region",
  "witness-prober": "the witness region's prober of the primary reported within the last minutes",
  "standby-prober": "the standby region's prober of the primary reported within the last minutes",
  "decision-alarms":
    "every alarm that votes in the failover decision exists and has data (not INSUFFICIENT_DATA)",
  "fence": "the fence is down while the primary serves (active-region = primary region, PrimaryFenced 0)",
  "lock-table": "the orchestrator's DynamoDB lock table is reachable and ACTIVE",
} as const;

export type ReadinessCheckName = keyof typeof READINESS_CHECKS;
export const READINESS_CHECK_NAMES = Object.keys(READINESS_CHECKS) as ReadinessCheckName[];

/** Environment variables the infrastructure sets on the handlers. */
export const HANDLER_ENV = {
  parameterPrefix: "PARAMETER_PREFIX",
  regionRole: "REGION_ROLE",
  metricNamespace: "METRIC_NAMESPACE",
  checkTimeoutMs: "CHECK_TIMEOUT_MS",
  /** https URL of the local region's ALB deep-health path. */
  localHealthUrl: "LOCAL_HEALTH_URL",
  /** https URL of the peer region's ALB deep-health path. */
  peerHealthUrl: "PEER_HEALTH_URL",
  /** https URL of the primary region's ALB deep-health path: what a prober of the primary GETs. */
  primaryHealthUrl: "PRIMARY_HEALTH_URL",
  /**
   * The application's public host name (the certificate's name): sent as TLS SNI and Host header when the
   * app checker probes an ALB by its own DNS name.
   */
  appHostname: "APP_HOSTNAME",
  globalClusterId: "GLOBAL_CLUSTER_ID",
  secondaryClusterArn: "SECONDARY_CLUSTER_ARN",
  secondaryClusterId: "SECONDARY_CLUSTER_ID",
  secondaryAsgName: "SECONDARY_ASG_NAME",
  /** Capacity the standby ASG is raised to on failover (min = desired = this). */
  failoverCapacity: "FAILOVER_CAPACITY",
  topicArn: "TOPIC_ARN",
  idempotencyTable: "IDEMPOTENCY_TABLE",
  autoFailover: "AUTO_FAILOVER",
  /** Recovery-time objective (s): bounds how long the orchestrator waits for Aurora to promote the secondary. */
  rtoTargetSeconds: "RTO_TARGET_SECONDS",
  /** Region whose CloudWatch receives a prober's metrics (the standby region, also for the witness). */
  metricRegion: "METRIC_REGION",
  /** Seconds between two probes of one prober invocation (high-resolution metrics). */
  probeIntervalSeconds: "PROBE_INTERVAL_SECONDS",
  /** Probes per prober invocation (one scheduled invocation a minute). */
  probesPerInvocation: "PROBES_PER_INVOCATION",
  primaryRegion: "PRIMARY_REGION",
  primaryClusterArn: "PRIMARY_CLUSTER_ARN",
  primaryClusterId: "PRIMARY_CLUSTER_ID",
  /** Assumed Aurora promotion time (s): the budget's figure, and how long the orchestrator expects to wait. */
  auroraPromotionSeconds: "AURORA_PROMOTION_SECONDS",
  /** Seconds between two reads of the global cluster while the orchestrator waits. */
  pollIntervalSeconds: "POLL_INTERVAL_SECONDS",
  /** Names of the alarms that vote in the failover decision (comma-separated, standby region). */
  decisionAlarmNames: "DECISION_ALARM_NAMES",
  /** Seconds after which the standby's database checker counts replication from the primary as stalled. */
  replicationStallSeconds: "REPLICATION_STALL_SECONDS",
  /** Region of the witness prober (its PrimaryProbeHealthy datapoints arrive in the standby region). */
  witnessRegion: "WITNESS_REGION",
  /** The failover orchestrator's function and the EventBridge rule that starts it (readiness reads both). */
  orchestratorFunctionName: "ORCHESTRATOR_FUNCTION_NAME",
  failoverTriggerRule: "FAILOVER_TRIGGER_RULE",
  /** The standby-region alarm in ALARM while PrimaryFenced >= 1. */
  fenceAlarmName: "FENCE_ALARM_NAME",
  /** Replication lag (s) at which the RPO alarm fires: readiness fails its lag check above it. */
  rpoLagAlarmSeconds: "RPO_LAG_ALARM_SECONDS",
} as const;

/** Deep-health path served by the instances (checks the database writer through the global endpoint). */
export const DEEP_HEALTH_PATH = "/health/deep";
/** Shallow health path (process alive) used by the ALB target group. */
export const SHALLOW_HEALTH_PATH = "/health";

/**
 * Lambda timeout covering a checker's sequential external calls, each bounded by CHECK_TIMEOUT_MS plus at
 * most 1 s of client-side grace: db_health = Parameter Store, connect, SELECT 1, lag query; app_health =
 * both probes (in parallel), then Parameter Store. Plus 2 s for a cold start.
 */
export function checkerLambdaTimeoutSeconds(
  check: "db_health" | "app_health",
  checkTimeoutMs: number,
): number {
  const sequentialCalls = check === "db_health" ? 4 : 2;
  return Math.ceil((sequentialCalls * (checkTimeoutMs + 1000)) / 1000) + 2;
}

/** Seconds between two probes of the primary: the period of every alarm that feeds the failover decision. */
export const PROBE_INTERVAL_SECONDS = 10;
/** One scheduled invocation a minute runs this many probes, PROBE_INTERVAL_SECONDS apart. */
export const PROBES_PER_INVOCATION = 6;

/**
 * Lambda timeout of a handler that samples on the PROBE_INTERVAL_SECONDS boundaries of one minute (the
 * window starts after its set-up calls): primary_probe = no set-up, then GET + PutMetricData per sample;
 * db_health on the standby = Parameter Store, connect, SELECT 1, then one status query per sample. Every
 * call is bounded by CHECK_TIMEOUT_MS plus at most 1 s of client-side grace; plus 2 s for a cold start.
 */
export function samplerLambdaTimeoutSeconds(
  check: "primary_probe" | "db_health",
  checkTimeoutMs: number,
): number {
  const [setupCalls, callsPerSample] = check === "db_health" ? [3, 1] : [0, 2];
  const window = PROBES_PER_INVOCATION * PROBE_INTERVAL_SECONDS;
  return Math.ceil(((setupCalls + callsPerSample) * (checkTimeoutMs + 1000)) / 1000) + window + 2;
}

/**
 * The instances' own fence: every instance reads `activeRegion` from its region's Parameter Store this often,
 * and a primary instance's deep health fails while it names another region. Bounds how long a demoted
 * primary whose copy the orchestrator could write still looks healthy.
 */
export const INSTANCE_FENCE_POLL_SECONDS = 15;
/** Hard bound on one such read (the CLI is killed after it): below the poll, so reads never pile up. */
export const INSTANCE_FENCE_READ_TIMEOUT_SECONDS = 10;

/**
 * Numeric limits enforced both at synth (modules/config/) and at a handler's cold start: defined once so
 * that a value synth accepts is never rejected by the running code (or the other way round). Both sides read
 * them through settings.ts `limited()`; tests/limits_test.ts proves they agree.
 */
export const LIMITS = {
  /** RTO_TARGET_SECONDS: the orchestrator bounds its waits by it (a Lambda runs at most 900 s). */
  rtoTargetSeconds: { min: 60, max: 3600 },
  /** CHECK_TIMEOUT_MS: a probe must end before the next one starts (PROBE_INTERVAL_SECONDS). */
  checkTimeoutMs: { min: 500, max: 8000 },
  /** Standby capacity after failover. */
  failoverCapacity: { min: 1, max: 1000 },
  /** DECISION_PERIODS: consecutive failed 10 s periods before a vantage point votes "down". */
  decisionPeriods: { min: 2, max: 5 },
  /** AURORA_PROMOTION_SECONDS: assumed promotion time of the standby cluster. */
  auroraPromotionSeconds: { min: 30, max: 900 },
  /** POLL_INTERVAL_SECONDS: between two reads of the global cluster. */
  pollIntervalSeconds: { min: 1, max: 60 },
  /**
   * REPLICATION_STALL_SECONDS: the standby counts replication as stalled when the primary's data it sees is
   * older than this. Above 60 the signal could not help a decision that must fall within 60 s.
   */
  replicationStallSeconds: { min: 5, max: 60 },
  /** RPO_LAG_ALARM_SECONDS: the replication-lag alarm's threshold; readiness fails its lag check above it. */
  rpoLagAlarmSeconds: { min: 1, max: 86400 },
} as const;

export type LimitName = keyof typeof LIMITS;

/** True when `value` is an integer inside the named limit. */
export function withinLimit(name: LimitName, value: number): boolean {
  const { min, max } = LIMITS[name];
  return Number.isInteger(value) && value >= min && value <= max;
}

/** "an integer between MIN and MAX": the rule text both sides print. */
export function limitRule(name: LimitName): string {
  return `must be an integer between ${LIMITS[name].min} and ${LIMITS[name].max}`;
}
