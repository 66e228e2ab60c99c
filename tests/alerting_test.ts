import assert from "node:assert/strict";
import { emailKey } from "../modules/alerting.ts";
import { defaultStack, resource, resourcesIn, synthWith } from "./helpers.ts";

Deno.test("createAlerting() makes a KMS-encrypted topic in each region", () => {
  const { stack } = defaultStack();
  for (const role of ["primary", "secondary"] as const) {
    const topic = resource(stack, "aws_sns_topic", `alerting_${role}`);
    assert.equal(topic.provider, `aws.${role}`);
    assert.equal(topic.kms_master_key_id, `\${aws_kms_key.kms_${role}.arn}`);
  }
});

Deno.test("createAlerting() lets only this account's alarms and events publish, over TLS", () => {
  const { stack, config } = defaultStack();
  const policy = JSON.parse(resource(stack, "aws_sns_topic_policy", "alerting_secondary_policy").policy);
  const allow = policy.Statement.find((statement: { Effect: string }) => statement.Effect === "Allow");
  assert.deepEqual(allow.Principal.Service, ["cloudwatch.amazonaws.com", "events.amazonaws.com"]);
  assert.equal(allow.Condition.StringEquals["aws:SourceAccount"], config.accountId);
  const deny = policy.Statement.find((statement: { Effect: string }) => statement.Effect === "Deny");
  assert.equal(deny.Condition.Bool["aws:SecureTransport"], "false");
});

Deno.test("createAlerting() subscribes every configured address in both regions", () => {
  const emails = ["ops@example.com", "dr.oncall@example.org"];
  const { stack } = synthWith({ ALERT_EMAILS: emails.join(",") });
  for (const role of ["primary", "secondary"] as const) {
    const subscriptions = Object.values(resourcesIn(stack, "aws_sns_topic_subscription", role));
    assert.deepEqual(subscriptions.map((subscription) => subscription.endpoint).sort(), [...emails].sort());
    assert.ok(subscriptions.every((subscription) => subscription.protocol === "email"));
  }
  assert.equal(emailKey("dr.oncall@example.org"), "dr_oncall_at_example_org");
});
