// An in-memory AWS for the failover and failback tests: RDS global cluster, Auto Scaling, SSM and SNS with a
// call log (mutating calls marked), injectable failures, and an Aurora that completes a failover or
// switchover after a few polls.
import assert from "node:assert/strict";
import type { DBCluster, FailoverState, GlobalCluster } from "@aws-sdk/client-rds";
import type { PublishCommandInput } from "@aws-sdk/client-sns";
import {
  type AutoScalingApi,
  MUTATING_METHODS,
  type RdsApi,
  type SsmApi,
} from "../handlers/lib/failover_steps.ts";

export const REGION = "us-east-2";
export const PRIMARY_REGION = "us-east-1";
export const GLOBAL_ID = "txn-global-dev";
export const PRIMARY_ID = "txn-primary-dev";
export const SECONDARY_ID = "txn-secondary-dev";
export const PRIMARY_ARN = `arn:aws:rds:${PRIMARY_REGION}:123456789012:cluster:${PRIMARY_ID}`;
export const SECONDARY_ARN = `arn:aws:rds:${REGION}:123456789012:cluster:${SECONDARY_ID}`;
export const ASG = "asg-us-east-2-dev";
export const ACTIVE_PARAM = "/txn/dev/failover/active-region";
export const WRITER_PARAM = "/txn/dev/database/writer-endpoint";
export const GLOBAL_ENDPOINT = "txn-global-dev.global-abc.global.rds.amazonaws.com";
export const SECONDARY_ENDPOINT = "txn-secondary-dev.cluster-xyz.us-east-2.rds.amazonaws.com";
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
  readonly target: string;
  remainingPolls: number;
}

export class FakeRds implements RdsApi {
  status = "available";
  members = [{ arn: PRIMARY_ARN, writer: true }, { arn: SECONDARY_ARN, writer: false }];
  transition?: Transition;
  /** DescribeGlobalClusters reads before a started failover/switchover completes (Infinity: never). */
  pollsToComplete = 2;
  refuseFailover = false;
  detached?: { status: string; pollsToAvailable: number };

  constructor(private readonly log: CallLog) {}

  async describeGlobalClusters(input: { GlobalClusterIdentifier?: string }) {
    await this.log.record("rds", "describeGlobalClusters", input);
    this.#advance();
    const failoverState: FailoverState | undefined = this.transition
      ? {
        Status: "failing-over",
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
        SynchronizationStatus: "connected",
      })),
    };
    return { GlobalClusters: [cluster] };
  }

  async describeDBClusters(input: { DBClusterIdentifier?: string }) {
    await this.log.record("rds", "describeDBClusters", input);
    if (this.detached && this.detached.pollsToAvailable-- <= 0) this.detached.status = "available";
    const member = this.members.some((m) => m.arn === SECONDARY_ARN);
    const cluster: DBCluster = {
      DBClusterIdentifier: SECONDARY_ID,
      Status: this.detached?.status ?? "available",
      Endpoint: SECONDARY_ENDPOINT,
      ...(member ? { GlobalClusterIdentifier: GLOBAL_ID } : {}),
    };
    return { DBClusters: [cluster] };
  }

  async failoverGlobalCluster(input: { TargetDbClusterIdentifier?: string; AllowDataLoss?: boolean }) {
    await this.log.record("rds", "failoverGlobalCluster", input);
    assert.equal(input.AllowDataLoss, true);
    this.#start("failover", input.TargetDbClusterIdentifier!);
    return {};
  }

  async switchoverGlobalCluster(input: { TargetDbClusterIdentifier?: string }) {
    await this.log.record("rds", "switchoverGlobalCluster", input);
    this.#start("switchover", input.TargetDbClusterIdentifier!);
    return {};
  }

  async removeFromGlobalCluster(input: { DbClusterIdentifier?: string }) {
    await this.log.record("rds", "removeFromGlobalCluster", input);
    this.members = this.members.filter((m) => m.arn !== input.DbClusterIdentifier);
    this.detached = { status: "promoting", pollsToAvailable: 1 };
    return {};
  }

  /** The state after a completed failover to the secondary. */
  secondaryIsWriter(): void {
    this.members = this.members.map((m) => ({ ...m, writer: m.arn === SECONDARY_ARN }));
  }

  #start(kind: Transition["kind"], target: string): void {
    if (this.transition || (kind === "failover" && this.refuseFailover)) {
      throw awsError(
        "InvalidGlobalClusterStateFault",
        `Global cluster ${GLOBAL_ID} is in the state ${this.transition ? this.status : "available"}`,
      );
    }
    this.transition = { kind, target, remainingPolls: this.pollsToComplete };
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

export class FakeAutoScaling implements AutoScalingApi {
  group = { min: 1, desired: 1, max: 6 };
  constructor(private readonly log: CallLog) {}

  async describeAutoScalingGroups(input: { AutoScalingGroupNames?: string[] }) {
    await this.log.record("autoscaling", "describeAutoScalingGroups", input);
    const { min, desired, max } = this.group;
    return {
      AutoScalingGroups: [{
        AutoScalingGroupName: ASG,
        MinSize: min,
        DesiredCapacity: desired,
        MaxSize: max,
        DefaultCooldown: 300,
        AvailabilityZones: [],
        HealthCheckType: "ELB",
        CreatedTime: new Date(0),
      }],
    };
  }

  async updateAutoScalingGroup(input: { MinSize?: number; DesiredCapacity?: number; MaxSize?: number }) {
    await this.log.record("autoscaling", "updateAutoScalingGroup", input);
    this.group = {
      min: input.MinSize ?? this.group.min,
      desired: input.DesiredCapacity ?? this.group.desired,
      max: input.MaxSize ?? this.group.max,
    };
    return {};
  }
}

export class FakeSsm implements SsmApi {
  readonly params: Map<string, string>;
  constructor(
    private readonly log: CallLog,
    private readonly service: string,
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
