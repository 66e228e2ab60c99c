// What an operator needs after apply, as described Terraform outputs (`terraform output`); operator_manifest.ts
// writes the same outputs at synth into `operator.json` beside cdk.tf.json for the operator tools.
import { TerraformOutput } from "cdktf";
import { ROLES } from "./providers.ts";
import type { StackContext } from "./stack_context.ts";

/** Per-region values the outputs publish; names may be tokens (`${aws_x.y.name}`). */
export interface RegionOutputValues {
  readonly albDnsName: string;
  readonly topicArn: string;
  readonly bucketName: string;
  readonly asgName: string;
  readonly clusterIdentifier: string;
}

export interface StackOutputsInputs {
  readonly perRegion: { readonly primary: RegionOutputValues; readonly secondary: RegionOutputValues };
  readonly hostedZoneId: string;
  readonly globalClusterIdentifier: string;
  readonly orchestratorFunctionName: string;
  /** The `failover/active-region` parameter (the same name in both regions). */
  readonly activeRegionParameterName: string;
  /** The standby-region alarm Route 53's fence check reads (ALARM while the primary is fenced). */
  readonly fenceAlarmName: string;
  /** The scheduled readiness evaluation in the standby region (make readiness runs its configuration). */
  readonly readinessFunctionName: string;
  /** What failback restores the standby Auto Scaling group to. */
  readonly standbyCapacity: { readonly minSize: number; readonly desiredCapacity: number };
  /** The role `make release` assumes: the only writer of releases and of their digests. */
  readonly releaseDeployRoleArn: string;
  /** The `app/release-sha256` parameter (the same name in both regions). */
  readonly releaseDigestParameterName: string;
}

/** Creates the operator outputs (each described); output names are stable: tools and runbooks use them. */
export function createStackOutputs(ctx: StackContext, inputs: StackOutputsInputs): void {
  const output = (name: string, description: string, value: unknown) =>
    new TerraformOutput(ctx.scope, name, { description, value });
  output("aws_account_id", "Account the providers are locked to (allowed_account_ids)", ctx.accountId);
  output("regions", "Region of each role: primary serves, secondary stands by, witness only probes", {
    primary: ctx.regions.primary.region,
    secondary: ctx.regions.secondary.region,
    witness: ctx.witness.region,
  });
  output("dns_hosted_zone_id", "Route 53 hosted zone holding the failover records", inputs.hostedZoneId);
  output("database_global_cluster_id", "Aurora global cluster identifier", inputs.globalClusterIdentifier);
  output(
    "failover_orchestrator_function_name",
    `Failover orchestrator Lambda in ${ctx.regions.secondary.region} (make drill invokes it)`,
    inputs.orchestratorFunctionName,
  );
  output(
    "failover_active_region_parameter",
    "SSM parameter (both regions) naming the region that holds the writer",
    inputs.activeRegionParameterName,
  );
  output("metric_namespace", "CloudWatch namespace of the DR metrics", ctx.metricNamespace);
  output(
    "readiness_function_name",
    `Readiness evaluation in ${ctx.regions.secondary.region}: would a failover succeed now (make readiness)`,
    inputs.readinessFunctionName,
  );
  output(
    "failover_fence_alarm_name",
    `Alarm in ${ctx.regions.secondary.region} that keeps DNS on the standby while the primary is fenced`,
    inputs.fenceAlarmName,
  );
  output("compute_secondary_standby_capacity", "Standby group size that failback restores", {
    min_size: inputs.standbyCapacity.minSize,
    desired_capacity: inputs.standbyCapacity.desiredCapacity,
  });
  output(
    "release_deploy_role_arn",
    "IAM role make release assumes: the only writer of app/* in the artifact buckets and of the digests",
    inputs.releaseDeployRoleArn,
  );
  output(
    "release_digest_parameter",
    "SSM parameter (both regions) pinning the SHA-256 of the published release; instances refuse others",
    inputs.releaseDigestParameterName,
  );
  for (const role of ROLES) {
    const { region } = ctx.regions[role];
    const values = inputs.perRegion[role];
    const dashboard = ctx.name("dashboard", "dr-recovery", region);
    output(`load_balancer_${role}_dns_name`, `DNS name of the ${role} ALB (${region})`, values.albDnsName);
    output(`alerting_${role}_topic_arn`, `SNS alert topic in ${region}`, values.topicArn);
    output(
      `storage_${role}_bucket_name`,
      `Artifact bucket in ${region} (replicates both ways)`,
      values.bucketName,
    );
    output(`compute_${role}_asg_name`, `Application Auto Scaling group in ${region}`, values.asgName);
    output(`database_${role}_cluster_id`, `Aurora cluster identifier in ${region}`, values.clusterIdentifier);
    output(`observability_${role}_dashboard_name`, `Recovery dashboard in ${region}`, dashboard);
    output(
      `observability_${role}_dashboard_url`,
      `Console link to the recovery dashboard in ${region}`,
      `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboard}`,
    );
  }
}
