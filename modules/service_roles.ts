// Auto Scaling's service-linked role, created by the stack (with a suffix of its own) rather than relied
// upon: the key policies must name it so that Auto Scaling can launch instances whose EBS volumes are
// encrypted with the stack's customer-managed keys, and a key policy cannot name a role that does not exist.
import { IamServiceLinkedRole } from "@cdktf/provider-aws/lib/iam-service-linked-role/index.js";
import { logicalId } from "./naming.ts";
import type { StackContext } from "./stack_context.ts";

export interface ServiceRolesOutputs {
  /** `AWSServiceRoleForAutoScaling_dr-<suffix>`: the role both regions' Auto Scaling groups use. */
  readonly autoScalingRoleArn: string;
}

export function createServiceRoles(ctx: StackContext): ServiceRolesOutputs {
  // IAM is global: one role, made with the primary provider, serves both regions.
  const autoScaling = new IamServiceLinkedRole(
    ctx.scope,
    logicalId("service_roles", "global", "autoscaling"),
    {
      provider: ctx.regions.primary.provider,
      awsServiceName: "autoscaling.amazonaws.com",
      customSuffix: `dr-${ctx.suffix}`,
      description: `Auto Scaling of the DR stack ${ctx.suffix} (uses its KMS keys for EBS)`,
    },
  );
  return { autoScalingRoleArn: autoScaling.arn };
}
