// The standby region as the readiness evaluation reads it: the failover fakes of fake_aws.ts extended with
// the reads only readiness makes (instances, warm pool and launch template, EC2 images, GetParameters,
// GetMetricData, DescribeTable, the orchestrator function and its rule), all on the same call log.
import type { DBInstance } from "@aws-sdk/client-rds";
import type { AutoScalingGroup } from "@aws-sdk/client-auto-scaling";
import type { GetMetricDataCommandInput, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import {
  awsError,
  type CallLog,
  FakeAlarms,
  FakeAutoScaling,
  FakeRds,
  FakeSsm,
  SECONDARY_ID,
} from "./fake_aws.ts";

export class ReadinessRds extends FakeRds {
  standbyClusterStatus = "available";
  instances: DBInstance[] = [
    {
      DBInstanceIdentifier: "aurora-us-east-2a-dev",
      DBInstanceStatus: "available",
      DBInstanceClass: "db.r6g.large",
    },
  ];

  override async describeDBClusters(input: { DBClusterIdentifier?: string }) {
    const out = await super.describeDBClusters(input);
    if (input.DBClusterIdentifier !== SECONDARY_ID) return out;
    return {
      DBClusters: out.DBClusters.map((cluster) => ({ ...cluster, Status: this.standbyClusterStatus })),
    };
  }

  async describeDBInstances(input: { Filters?: Array<{ Name?: string; Values?: string[] }> }) {
    await this.log.record("rds", "describeDBInstances", input);
    const cluster = input.Filters?.find((filter) => filter.Name === "db-cluster-id")?.Values?.[0];
    return { DBInstances: cluster === SECONDARY_ID ? this.instances : [] };
  }
}

export const LAUNCH_TEMPLATE_ID = "lt-0a1b2c3d4e5f67890";

/** The standby group with its warm pool, launch template and suspended processes. */
export class ReadinessAutoScaling extends FakeAutoScaling {
  warmPool?: { state: "Stopped" | "Running" | "Hibernated"; size: number; status?: "PendingDelete" } = {
    state: "Stopped",
    size: 3,
  };
  launchTemplate?: { LaunchTemplateId: string; Version: string } = {
    LaunchTemplateId: LAUNCH_TEMPLATE_ID,
    Version: "3",
  };
  suspended: string[] = [];

  override async describeAutoScalingGroups(input: { AutoScalingGroupNames?: string[] }) {
    const out = await super.describeAutoScalingGroups(input);
    const group: AutoScalingGroup = {
      ...out.AutoScalingGroups[0],
      ...(this.launchTemplate ? { LaunchTemplate: this.launchTemplate } : {}),
      ...(this.warmPool
        ? {
          WarmPoolConfiguration: {
            PoolState: this.warmPool.state,
            MinSize: this.warmPool.size,
            ...(this.warmPool.status ? { Status: this.warmPool.status } : {}),
          },
          WarmPoolSize: this.warmPool.size,
        }
        : {}),
      SuspendedProcesses: this.suspended.map((ProcessName) => ({ ProcessName, SuspensionReason: "User" })),
    };
    return { AutoScalingGroups: [group] };
  }
}

export class FakeEc2 {
  /** Launch template versions by `<id>:<version>`: the image id EC2 resolves (ResolveAlias). */
  readonly versions = new Map<string, string>([[`${LAUNCH_TEMPLATE_ID}:3`, "ami-0123456789abcdef0"]]);
  readonly images = new Map<string, string>([["ami-0123456789abcdef0", "available"]]);
  constructor(private readonly log: CallLog) {}

  async describeLaunchTemplateVersions(input: { LaunchTemplateId?: string; Versions?: string[] }) {
    await this.log.record("ec2", "describeLaunchTemplateVersions", input);
    const version = input.Versions?.[0];
    const imageId = this.versions.get(`${input.LaunchTemplateId}:${version}`);
    if (imageId === undefined) {
      throw awsError("InvalidLaunchTemplateId.VersionNotFound", `version ${version} not found`);
    }
    return {
      LaunchTemplateVersions: [{
        LaunchTemplateId: input.LaunchTemplateId,
        LaunchTemplateName: "app-us-east-2-dev",
        VersionNumber: Number(version),
        LaunchTemplateData: { ImageId: imageId },
      }],
    };
  }

  async describeImages(input: { ImageIds?: string[] }) {
    await this.log.record("ec2", "describeImages", input);
    const id = input.ImageIds?.[0] ?? "";
    const state = this.images.get(id);
    return { Images: state ? [{ ImageId: id, Name: "al2023-ami-2023.6", State: state as "available" }] : [] };
  }
}

export class ReadinessSsm extends FakeSsm {
  async getParameters(input: { Names?: string[] }) {
    await this.log.record(this.service, "getParameters", input);
    const names = input.Names ?? [];
    return {
      Parameters: names.filter((name) => this.params.has(name)).map((Name) => ({
        Name,
        Value: this.params.get(Name),
      })),
      InvalidParameters: names.filter((name) => !this.params.has(name)),
    };
  }
}

/** CloudWatch of the standby region: the alarms of FakeAlarms plus per-minute series for GetMetricData. */
export class FakeCloudWatch extends FakeAlarms {
  /** Datapoints per metric (`<metric>|<dimension values>`), newest first, one per minute before EndTime. */
  readonly series = new Map<string, number[]>();

  static key(metric: string, dimensions: Record<string, string>): string {
    return [metric, ...Object.keys(dimensions).sort().map((name) => `${name}=${dimensions[name]}`)].join("|");
  }

  setSeries(metric: string, dimensions: Record<string, string>, newestFirst: number[]): void {
    this.series.set(FakeCloudWatch.key(metric, dimensions), newestFirst);
  }

  async getMetricData(input: GetMetricDataCommandInput) {
    await this.log.record("cloudwatch", "getMetricData", input);
    const end = input.EndTime!.getTime();
    const minutes = Math.round((end - input.StartTime!.getTime()) / 60_000);
    const results: MetricDataResult[] = (input.MetricDataQueries ?? []).map((query) => {
      const metric = query.MetricStat!.Metric!;
      const dimensions = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name!, d.Value!]));
      const values = (this.series.get(FakeCloudWatch.key(metric.MetricName!, dimensions)) ?? []).slice(
        0,
        minutes,
      );
      return {
        Id: query.Id,
        StatusCode: "Complete",
        Values: values,
        Timestamps: values.map((_, index) => new Date(end - (index + 1) * 60_000)),
      };
    });
    return { MetricDataResults: results };
  }
}

export class FakeDynamoDbTables {
  readonly tables = new Map<string, string>();
  constructor(private readonly log: CallLog) {}

  async describeTable(input: { TableName?: string }) {
    await this.log.record("dynamodb", "describeTable", input);
    const status = this.tables.get(input.TableName!);
    if (!status) {
      throw awsError("ResourceNotFoundException", `Requested resource not found: Table: ${input.TableName}`);
    }
    return { Table: { TableName: input.TableName, TableStatus: status as "ACTIVE" } };
  }
}

export class FakeLambda {
  readonly functions = new Map<string, { state: string; reserved?: number }>();
  constructor(private readonly log: CallLog) {}

  async getFunctionConfiguration(input: { FunctionName?: string }) {
    await this.log.record("lambda", "getFunctionConfiguration", input);
    const fn = this.functions.get(input.FunctionName!);
    if (!fn) throw awsError("ResourceNotFoundException", `Function not found: ${input.FunctionName}`);
    return {
      FunctionName: input.FunctionName,
      State: fn.state as "Active",
      LastUpdateStatus: "Successful" as const,
    };
  }

  async getFunctionConcurrency(input: { FunctionName?: string }) {
    await this.log.record("lambda", "getFunctionConcurrency", input);
    const reserved = this.functions.get(input.FunctionName!)?.reserved;
    return reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved };
  }
}

export class FakeEvents {
  readonly rules = new Map<string, string>();
  constructor(private readonly log: CallLog) {}

  async describeRule(input: { Name?: string }) {
    await this.log.record("events", "describeRule", input);
    const state = this.rules.get(input.Name!);
    if (!state) throw awsError("ResourceNotFoundException", `Rule ${input.Name} does not exist.`);
    return { Name: input.Name, State: state };
  }
}
