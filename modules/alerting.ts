// SNS topic per region (KMS-encrypted), which only CloudWatch alarms and EventBridge of this account may
// publish to as services, TLS only; e-mail subscriptions for every configured address in both regions.
// Each region alerts through its own topic, so a dead primary region cannot silence the standby's alarms.
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic/index.js";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy/index.js";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription/index.js";
import { forEachRegion, type PerRegion } from "./providers.ts";
import { logicalId } from "./naming.ts";
import { policyDocument } from "./policy.ts";
import type { KeyedStackContext } from "./stack_context.ts";

export interface AlertingInputs {
  /** Addresses subscribed in both regions (each must confirm once). */
  readonly alertEmails: readonly string[];
}

export interface RegionAlerting {
  readonly topicArn: string;
  readonly topicName: string;
}

export type AlertingOutputs = PerRegion<RegionAlerting>;

/** Stable subscription key from an address: `ops@example.com` -> `ops_at_example_com`. */
export function emailKey(email: string): string {
  return email.toLowerCase().replace("@", "_at_").replace(/[^a-z0-9_]/g, "_");
}

export function createAlerting(ctx: KeyedStackContext, inputs: AlertingInputs): AlertingOutputs {
  const { scope } = ctx;
  return forEachRegion(ctx.regions, ({ provider, region, role }) => {
    const topicName = ctx.name("snsTopic", "dr-alerts", region);
    const topic = new SnsTopic(scope, logicalId("alerting", role), {
      provider,
      name: topicName,
      displayName: `DR alerts ${region} ${ctx.suffix}`,
      kmsMasterKeyId: ctx.keys[role].keyArn,
    });
    new SnsTopicPolicy(scope, logicalId("alerting", role, "policy"), {
      provider,
      arn: topic.arn,
      policy: policyDocument([
        {
          Sid: "AlarmsAndEventsOfThisAccount",
          Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
          Action: "sns:Publish",
          Resource: topic.arn,
          Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
        },
        {
          Sid: "TlsOnly",
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: "sns:Publish",
          Resource: topic.arn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]),
    });
    for (const email of inputs.alertEmails) {
      new SnsTopicSubscription(scope, logicalId("alerting", role, `email_${emailKey(email)}`), {
        provider,
        topicArn: topic.arn,
        protocol: "email",
        endpoint: email,
      });
    }
    return { topicArn: topic.arn, topicName };
  });
}
