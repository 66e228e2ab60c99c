// The contract between the infrastructure (modules/) and the running code (handlers/, instance user data):
// Parameter Store keys, metric names and dimensions, handler environment variables. Dependency-free so
// that both the CDKTF program and the Lambda bundles import it.

export type RegionRole = "primary" | "secondary";

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
  /** SecureString (KMS key of the region), written with a write-only value. */
  masterPassword: "database/master-password",
  /** `primary` or `secondary`: the role of the region this parameter lives in. */
  regionRole: "region/role",
  peerRegion: "region/peer-region",
  artifactBucket: "storage/artifact-bucket",
  /** The peer region's artifact bucket (the two replicate into each other). */
  peerArtifactBucket: "storage/peer-artifact-bucket",
  /** Region currently serving writes; updated by the failover orchestrator and by failback, not by Terraform. */
  activeRegion: "failover/active-region",
} as const;

export type ParameterKey = keyof typeof PARAMETER_KEYS;

export function parameterName(prefix: string, key: ParameterKey): string {
  return `${prefix}/${PARAMETER_KEYS[key]}`;
}

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
  failoverStepSeconds: "FailoverStepSeconds",
  failoverInvoked: "FailoverInvoked",
} as const;

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
