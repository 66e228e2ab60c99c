// Auto Scaling's service-linked role, created by the stack (with a suffix of its own) rather than relied
// upon: the key policies must name it so that Auto Scaling can launch instances whose EBS volumes are
// encrypted with the stack's customer-managed keys, and a key policy cannot name a role that does not exist.
import { Construct } from "constructs";
import { IamServiceLinkedRole } from "@cdktf/provider-aws/lib/iam-service-linked-role/index.js";
import type { RegionPair } from "./providers.ts";
import { logicalId } from "./naming.ts";

export interface ServiceRolesInputs {
  readonly regions: RegionPair;
  readonly environmentSuffix: string;
}

export interface ServiceRolesOutputs {
  /** `AWSServiceRoleForAutoScaling_dr-<suffix>`: the role both regions' Auto Scaling groups use. */
  readonly autoScalingRoleArn: string;
}

export function createServiceRoles(scope: Construct, inputs: ServiceRolesInputs): ServiceRolesOutputs {
  // IAM is global: one role, made with the primary provider, serves both regions.
  const autoScaling = new IamServiceLinkedRole(scope, logicalId("service_roles", "global", "autoscaling"), {
    provider: inputs.regions.primary.provider,
    awsServiceName: "autoscaling.amazonaws.com",
    customSuffix: `dr-${inputs.environmentSuffix}`,
    description: `Auto Scaling of the DR stack ${inputs.environmentSuffix} (uses its KMS keys for EBS)`,
  });
  return { autoScalingRoleArn: autoScaling.arn };
}
