// The reads the readiness evaluation makes, as small ports over the aggregated SDK v3 clients of the standby
// region (tests pass the fakes of tests/fake_aws.ts). The evaluation runs the orchestrator's dry run, which is
// handed the orchestrator's full ports: their mutating methods exist only to satisfy those types and, in
// production, refuse (readOnlyPorts below) as a second guard behind the role's describe/read-only policy.

import type { DBInstance, DescribeDBInstancesCommandInput, RDS } from "@aws-sdk/client-rds";
import type { AutoScaling } from "@aws-sdk/client-auto-scaling";
import type {
  DescribeImagesCommandInput,
  DescribeLaunchTemplateVersionsCommandInput,
  EC2,
  Image,
  LaunchTemplateVersion,
} from "@aws-sdk/client-ec2";
import type { GetParametersCommandInput, Parameter, SSM } from "@aws-sdk/client-ssm";
import type {
  CloudWatch,
  CompositeAlarm,
  DescribeAlarmsCommandInput,
  GetMetricDataCommandInput,
  MetricAlarm,
  MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import type { DescribeTableCommandInput, DynamoDB, TableDescription } from "@aws-sdk/client-dynamodb";
import type {
  FunctionConfiguration,
  GetFunctionConcurrencyCommandInput,
  GetFunctionConfigurationCommandInput,
  Lambda,
} from "@aws-sdk/client-lambda";
import type { DescribeRuleCommandInput, EventBridge } from "@aws-sdk/client-eventbridge";
import type { RdsApi } from "./aurora_global.ts";
import type { AutoScalingApi, SsmApi } from "./aws_ports.ts";

export interface ReadinessRdsApi extends RdsApi {
  describeDBInstances(input: DescribeDBInstancesCommandInput): Promise<{ DBInstances?: DBInstance[] }>;
}

export interface Ec2ReadApi {
  describeLaunchTemplateVersions(
    input: DescribeLaunchTemplateVersionsCommandInput,
  ): Promise<{ LaunchTemplateVersions?: LaunchTemplateVersion[] }>;
  describeImages(input: DescribeImagesCommandInput): Promise<{ Images?: Image[] }>;
}

export interface ReadinessSsmApi extends SsmApi {
  getParameters(
    input: GetParametersCommandInput,
  ): Promise<{ Parameters?: Parameter[]; InvalidParameters?: string[] }>;
}

export interface CloudWatchReadApi {
  describeAlarms(
    input: DescribeAlarmsCommandInput,
  ): Promise<{ MetricAlarms?: MetricAlarm[]; CompositeAlarms?: CompositeAlarm[] }>;
  getMetricData(input: GetMetricDataCommandInput): Promise<{ MetricDataResults?: MetricDataResult[] }>;
}

export interface DynamoDbReadApi {
  describeTable(input: DescribeTableCommandInput): Promise<{ Table?: TableDescription }>;
}

export interface LambdaReadApi {
  getFunctionConfiguration(input: GetFunctionConfigurationCommandInput): Promise<FunctionConfiguration>;
  getFunctionConcurrency(
    input: GetFunctionConcurrencyCommandInput,
  ): Promise<{ ReservedConcurrentExecutions?: number }>;
}

export interface EventsReadApi {
  describeRule(input: DescribeRuleCommandInput): Promise<{ Name?: string; State?: string }>;
}

/** Everything the evaluation reads, all in the standby region. */
export interface ReadinessPorts {
  readonly rds: ReadinessRdsApi;
  readonly autoScaling: AutoScalingApi;
  readonly ec2: Ec2ReadApi;
  readonly ssm: ReadinessSsmApi;
  readonly cloudWatch: CloudWatchReadApi;
  readonly dynamodb: DynamoDbReadApi;
  readonly lambda: LambdaReadApi;
  readonly events: EventsReadApi;
}

export class ReadOnlyViolation extends Error {
  override readonly name = "ReadOnlyViolation";
}

/** A mutating method of a port: always refuses (the readiness evaluation changes nothing). */
export function refuse(action: string): () => Promise<never> {
  return () => Promise.reject(new ReadOnlyViolation(`the readiness evaluation never calls ${action}`));
}

export interface StandbyClients {
  readonly rds: RDS;
  readonly autoScaling: AutoScaling;
  readonly ec2: EC2;
  readonly ssm: SSM;
  readonly cloudWatch: CloudWatch;
  readonly dynamodb: DynamoDB;
  readonly lambda: Lambda;
  readonly events: EventBridge;
}

/** Ports exposing only the reads of the standby region's clients; every mutating method refuses. */
export function readOnlyPorts(c: StandbyClients): ReadinessPorts {
  return {
    rds: {
      describeGlobalClusters: (input) => c.rds.describeGlobalClusters(input),
      describeDBClusters: (input) => c.rds.describeDBClusters(input),
      describeDBInstances: (input) => c.rds.describeDBInstances(input),
      failoverGlobalCluster: refuse("rds:FailoverGlobalCluster"),
      switchoverGlobalCluster: refuse("rds:SwitchoverGlobalCluster"),
    },
    autoScaling: {
      describeAutoScalingGroups: (input) => c.autoScaling.describeAutoScalingGroups(input),
      updateAutoScalingGroup: refuse("autoscaling:UpdateAutoScalingGroup"),
    },
    ec2: {
      describeLaunchTemplateVersions: (input) => c.ec2.describeLaunchTemplateVersions(input),
      describeImages: (input) => c.ec2.describeImages(input),
    },
    ssm: {
      getParameter: (input) => c.ssm.getParameter(input),
      getParameters: (input) => c.ssm.getParameters(input),
      putParameter: refuse("ssm:PutParameter"),
    },
    cloudWatch: {
      describeAlarms: (input) => c.cloudWatch.describeAlarms(input),
      getMetricData: (input) => c.cloudWatch.getMetricData(input),
    },
    dynamodb: { describeTable: (input) => c.dynamodb.describeTable(input) },
    lambda: {
      getFunctionConfiguration: (input) => c.lambda.getFunctionConfiguration(input),
      getFunctionConcurrency: (input) => c.lambda.getFunctionConcurrency(input),
    },
    events: { describeRule: (input) => c.events.describeRule(input) },
  };
}
