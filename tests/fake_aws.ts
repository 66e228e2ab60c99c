// An in-memory AWS for the failover and failback tests: RDS global cluster, Auto Scaling, SSM and SNS with a
// call log (mutating calls marked), injectable failures, and an Aurora that completes a failover or
// switchover after a few polls.
import assert from "node:assert/strict";
import type {
  DBCluster,
  FailoverState,
  GlobalCluster,
  GlobalClusterMemberSynchronizationStatus,
} from "@aws-sdk/client-rds";
import type { AutoScalingGroup } from "@aws-sdk/client-auto-scaling";
import type { PublishCommandInput } from "@aws-sdk/client-sns";
import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import type { DBClusterSnapshot } from "@aws-sdk/client-rds";
import type { RdsApi } from "../handlers/lib/aurora_global.ts";
import { type AutoScalingApi, MUTATING_METHODS, type SsmApi } from "../handlers/lib/aws_ports.ts";

export const REGION = "us-east-2";
export const PRIMARY_REGION = "us-east-1";
export const GLOBAL_ID = "txn-global-dev";
export const PRIMARY_ID = "txn-primary-dev";
export const SECONDARY_ID = "txn-secondary-dev";
export const PRIMARY_ARN = `arn:aws:rds:${PRIMARY_REGION}:123456789012:cluster:${PRIMARY_ID}`;
export const SECONDARY_ARN = `arn:aws:rds:${REGION}:123456789012:cluster:${SECONDARY_ID}`;
export const ASG = "asg-us-east-2-dev";
export const ACTIVE_PARAM = "/txn/dev/failover/active-region";
export const GLOBAL_ENDPOINT = "txn-global-dev.global-abc.global.rds.amazonaws.com";
export const ALARM_AT = "2025-01-01T00:02:00.000+0000";
export const CLOCK_START = Date.parse("2025-01-01T00:05:00Z");
export const POLL_MS = 10_000;

// ---------------------------------------------------------------------------------------------------------
// in-memory AWS

export interface Call {
  readonly service: string;
  readonly method: string;
  readonly input: unknown;
  readonly mutating: boolean;
}

export const MUTATING = new Set<string>([
  ...MUTATING_METHODS,
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "PrimaryFenced",
]);

export class CallLog {
  readonly calls: Call[] = [];
  readonly #failures = new Map<string, unknown[]>();

  /** The next calls of `service.method` throw these errors, in order. */
  failNext(key: string, ...errors: unknown[]): void {
    this.#failures.set(key, [...(this.#failures.get(key) ?? []), ...errors]);
  }

  async record(service: string, method: string, input: unknown): Promise<void> {
    // Yield like a network call would, so concurrent invocations interleave.
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.calls.push({ service, method, input, mutating: MUTATING.has(method) });
    const queued = this.#failures.get(`${service}.${method}`);
    if (queued && queued.length > 0) throw queued.shift();
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  mutations(): string[] {
    return this.calls.filter((c) => c.mutating).map((c) => `${c.service}.${c.method}`);
  }
}

export function awsError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 }, ...extra });
}

export const throttling = () =>
  awsError("ThrottlingException", "Rate exceeded", { $retryable: { throttling: true } });

export interface Transition {
  readonly kind: "failover" | "switchover";
  readonly from: string;
  readonly target: string;
  remainingPolls: number;
}

/**
 * An Aurora global database as DescribeGlobalClusters shows it: a writer member, readers with their
 * synchronization status, and a failover or switchover that completes after `pollsToComplete` reads. The
 * primary-region view (describeDBClusters of the primary cluster) answers with `primaryStatus`, or throws
 * `primaryUnreachable` (the region is gone).
 */
export class FakeRds implements RdsApi {
  status = "available";
  members = [
    { arn: PRIMARY_ARN, writer: true, sync: "connected" as GlobalClusterMemberSynchronizationStatus },
    { arn: SECONDARY_ARN, writer: false, sync: "connected" as GlobalClusterMemberSynchronizationStatus },
  ];
  transition?: Transition;
  /** DescribeGlobalClusters reads before a started failover/switchover completes (Infinity: never). */
  pollsToComplete = 2;
  /** Refuse these requests with InvalidGlobalClusterStateFault (as Aurora does in some states). */
  refuse = new Set<"failover" | "switchover">();
  primaryStatus = "available";
  primaryUnreachable?: Error;

  constructor(protected readonly log: CallLog, protected readonly service = "rds") {}

  async describeGlobalClusters(input: { GlobalClusterIdentifier?: string }) {
    await this.log.record(this.service, "describeGlobalClusters", input);
    this.#advance();
    const failoverState: FailoverState | undefined = this.transition
      ? {
        Status: "failing-over",
        FromDbClusterArn: this.transition.from,
        ToDbClusterArn: this.transition.target,
        IsDataLossAllowed: this.transition.kind === "failover",
      }
      : undefined;
    const cluster: GlobalCluster = {
      GlobalClusterIdentifier: GLOBAL_ID,
      Status: this.status,
      Endpoint: GLOBAL_ENDPOINT,
      ...(failoverState ? { FailoverState: failoverState } : {}),
      GlobalClusterMembers: this.members.map((m) => ({
        DBClusterArn: m.arn,
        IsWriter: m.writer,
        ...(m.writer ? {} : { SynchronizationStatus: m.sync }),
      })),
    };
    return { GlobalClusters: [cluster] };
  }

  async describeDBClusters(input: { DBClusterIdentifier?: string }) {
    await this.log.record(this.service, "describeDBClusters", input);
    if (this.primaryUnreachable) throw this.primaryUnreachable;
    const cluster: DBCluster = {
      DBClusterIdentifier: input.DBClusterIdentifier,
      Status: input.DBClusterIdentifier === PRIMARY_ID ? this.primaryStatus : "available",
      GlobalClusterIdentifier: GLOBAL_ID,
    };
    return { DBClusters: [cluster] };
  }

  async failoverGlobalCluster(input: { TargetDbClusterIdentifier?: string; AllowDataLoss?: boolean }) {
    await this.log.record(this.service, "failoverGlobalCluster", input);
    assert.equal(input.AllowDataLoss, true);
    this.#start("failover", input.TargetDbClusterIdentifier!);
    return {};
  }

  async switchoverGlobalCluster(input: { TargetDbClusterIdentifier?: string }) {
    await this.log.record(this.service, "switchoverGlobalCluster", input);
    this.#start("switchover", input.TargetDbClusterIdentifier!);
    return {};
  }

  /** The state after a completed failover to the secondary (the old primary rejoined as a reader). */
  secondaryIsWriter(): void {
    this.members = this.members.map((m) => ({ ...m, writer: m.arn === SECONDARY_ARN }));
  }

  member(arn: string) {
    return this.members.find((m) => m.arn === arn)!;
  }

  #start(kind: Transition["kind"], target: string): void {
    if (this.transition || this.refuse.has(kind)) {
      throw awsError(
        "InvalidGlobalClusterStateFault",
        `Global cluster ${GLOBAL_ID} is in the state ${this.status}`,
      );
    }
    const from = this.members.find((m) => m.writer)!.arn;
    this.transition = { kind, from, target, remainingPolls: this.pollsToComplete };
    this.status = kind === "failover" ? "failing-over" : "switching-over";
  }

  #advance(): void {
    if (!this.transition || this.transition.remainingPolls-- > 0) return;
    const target = this.transition.target;
    this.members = this.members.map((m) => ({ ...m, writer: m.arn === target }));
    this.transition = undefined;
    this.status = "available";
  }
}

/** An Auto Scaling group whose instances come into service `pollsToInService` reads after a raise. */
export class FakeAutoScaling implements AutoScalingApi {
  group = { min: 1, desired: 1, max: 6 };
  inService = 1;
  pollsToInService = 1;
  #pending = 0;
  constructor(private readonly log: CallLog) {}

  async describeAutoScalingGroups(input: { AutoScalingGroupNames?: string[] }) {
    await this.log.record("autoscaling", "describeAutoScalingGroups", input);
    if (this.inService < this.group.desired && this.#pending-- <= 0) this.inService = this.group.desired;
    const { min, desired, max } = this.group;
    const group: AutoScalingGroup = {
      AutoScalingGroupName: ASG,
      MinSize: min,
      DesiredCapacity: desired,
      MaxSize: max,
      DefaultCooldown: 300,
      AvailabilityZones: [],
      HealthCheckType: "ELB",
      CreatedTime: new Date(0),
      Instances: Array.from({ length: this.inService }, (_, i) => ({
        InstanceId: `i-${i}`,
        AvailabilityZone: "us-east-2a",
        LifecycleState: "InService" as const,
        HealthStatus: "Healthy",
        ProtectedFromScaleIn: false,
      })),
    };
    return { AutoScalingGroups: [group] };
  }

  async updateAutoScalingGroup(input: { MinSize?: number; DesiredCapacity?: number; MaxSize?: number }) {
    await this.log.record("autoscaling", "updateAutoScalingGroup", input);
    this.group = {
      min: input.MinSize ?? this.group.min,
      desired: input.DesiredCapacity ?? this.group.desired,
      max: input.MaxSize ?? this.group.max,
    };
    this.#pending = this.pollsToInService;
    if (this.inService > this.group.desired) this.inService = this.group.desired;
    return {};
  }
}

export class FakeSsm implements SsmApi {
  readonly params: Map<string, string>;
  constructor(
    protected readonly log: CallLog,
    protected readonly service: string,
    initial: Record<string, string>,
  ) {
    this.params = new Map(Object.entries(initial));
  }

  async getParameter(input: { Name?: string }) {
    await this.log.record(this.service, "getParameter", input);
    const value = this.params.get(input.Name!);
    if (value === undefined) throw awsError("ParameterNotFound", `${input.Name} not found`);
    return { Parameter: { Name: input.Name, Value: value } };
  }

  async putParameter(input: { Name?: string; Value?: string; Overwrite?: boolean }) {
    await this.log.record(this.service, "putParameter", input);
    assert.equal(input.Overwrite, true);
    this.params.set(input.Name!, input.Value!);
    return {};
  }
}

export class FakeSns {
  readonly published: PublishCommandInput[] = [];
  constructor(private readonly log: CallLog) {}
  async publish(input: PublishCommandInput) {
    await this.log.record("sns", "publish", input);
    this.published.push(input);
    return { MessageId: String(this.published.length) };
  }
}

/** The standby region's CloudWatch alarms, as DescribeAlarms returns them. */
export class FakeAlarms {
  readonly alarms = new Map<string, MetricAlarm>();
  constructor(protected readonly log: CallLog) {}

  set(
    name: string,
    metricName: string,
    state: "OK" | "ALARM" | "INSUFFICIENT_DATA",
    firstFailure?: string,
  ): void {
    const reasonData = firstFailure
      ? JSON.stringify({ version: "1.0", evaluatedDatapoints: [{ timestamp: firstFailure, value: 0 }] })
      : undefined;
    this.alarms.set(name, {
      AlarmName: name,
      MetricName: metricName,
      StateValue: state,
      StateReason: state === "ALARM" ? "Threshold Crossed" : "no breach",
      ...(reasonData ? { StateReasonData: reasonData } : {}),
    });
  }

  async describeAlarms(input: { AlarmNames?: string[] }) {
    await this.log.record("cloudwatch", "describeAlarms", input);
    return { MetricAlarms: (input.AlarmNames ?? []).flatMap((name) => this.alarms.get(name) ?? []) };
  }
}

/** Cluster snapshots of the primary region (Aurora's unplanned-failover snapshot among them). */
export class FakeSnapshots {
  readonly snapshots: DBClusterSnapshot[] = [];
  constructor(private readonly log: CallLog) {}

  async describeDBClusterSnapshots(input: { DBClusterIdentifier?: string }) {
    await this.log.record("rds-primary", "describeDBClusterSnapshots", input);
    return {
      DBClusterSnapshots: this.snapshots.filter((s) => s.DBClusterIdentifier === input.DBClusterIdentifier),
    };
  }

  async copyDBClusterSnapshot(
    input: { SourceDBClusterSnapshotIdentifier?: string; TargetDBClusterSnapshotIdentifier?: string },
  ) {
    await this.log.record("rds-primary", "copyDBClusterSnapshot", input);
    const source = this.snapshots.find((s) =>
      s.DBClusterSnapshotIdentifier === input.SourceDBClusterSnapshotIdentifier
    );
    if (!source) {
      throw awsError(
        "DBClusterSnapshotNotFoundFault",
        `${input.SourceDBClusterSnapshotIdentifier} not found`,
      );
    }
    this.snapshots.push({
      ...source,
      DBClusterSnapshotIdentifier: input.TargetDBClusterSnapshotIdentifier,
      SnapshotType: "manual",
    });
    return {};
  }
}
