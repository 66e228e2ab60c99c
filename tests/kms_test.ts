// Key policies separate administration (one configurable principal, no cryptographic use) from use (this
// account's principals only through the stack's services, plus the service grants each key needs).
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../modules/config.ts";
import { KEY_ADMIN_ACTIONS } from "../modules/kms.ts";
import { defaultStack, type Json, resources, synthWith } from "./helpers.ts";

const CRYPTO = /^kms:(Encrypt|Decrypt|ReEncrypt\w*|GenerateDataKey\w*)$/;

function keyPolicies(stack: Json): Array<[string, Json[]]> {
  return Object.entries(resources(stack, "aws_kms_key")).map(([name, key]) => [
    name,
    JSON.parse(key.policy).Statement,
  ]);
}

Deno.test("createKmsKeys(): the administrator (default the account root) administers every key but cannot use it", () => {
  const { stack, config } = defaultStack();
  const policies = keyPolicies(stack);
  assert.deepEqual(policies.map(([name]) => name).sort(), ["kms_primary", "kms_secondary", "kms_witness"]);
  for (const [name, statements] of policies) {
    const admin = statements.find((statement) => statement.Sid === "KeyAdministration");
    assert.ok(admin, name);
    assert.deepEqual(admin.Principal, { AWS: `arn:aws:iam::${config.accountId}:root` });
    const actions: string[] = [admin.Action].flat();
    for (const action of ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation"]) {
      assert.ok(actions.includes(action), `${name}: ${action}`);
    }
    assert.ok(actions.every((action) => !CRYPTO.test(action)), `${name}: ${actions}`);
    assert.equal(admin.Condition, undefined);
  }
  assert.ok(KEY_ADMIN_ACTIONS.every((action) => !CRYPTO.test(action)));
});

Deno.test("createKmsKeys(): account principals use a key only through the region's stack services", () => {
  const { stack, config } = defaultStack();
  const root = `arn:aws:iam::${config.accountId}:root`;
  for (const [name, statements] of keyPolicies(stack)) {
    const region = name === "kms_witness"
      ? config.witness.region
      : config[name === "kms_primary" ? "primary" : "secondary"].region;
    for (const statement of statements.filter((statement) => statement.Principal.AWS === root)) {
      const crypto = [statement.Action].flat().filter((action: string) => CRYPTO.test(action));
      if (crypto.length === 0) continue;
      const via: string[] = [statement.Condition?.StringEquals?.["kms:ViaService"] ?? []].flat();
      assert.ok(via.length > 0, `${name}.${statement.Sid}: account-wide use without kms:ViaService`);
      assert.ok(via.every((service) => service.endsWith(`.${region}.amazonaws.com`)), `${name}: ${via}`);
      for (const service of ["rds", "s3", "sns", "ssm", "lambda", "dynamodb", "ec2"]) {
        assert.ok(via.includes(`${service}.${region}.amazonaws.com`), `${name}: ${service}`);
      }
      assert.equal(statement.Condition.StringEquals["kms:CallerAccount"], config.accountId);
    }
  }
});

Deno.test("KMS_ADMIN_PRINCIPAL_ARN names the key administrator; a foreign or malformed ARN is refused", () => {
  const adminRole = "arn:aws:iam::123456789012:role/key-admins";
  const { stack } = synthWith({ KMS_ADMIN_PRINCIPAL_ARN: adminRole });
  for (const [name, statements] of keyPolicies(stack)) {
    const admin = statements.find((statement) => statement.Sid === "KeyAdministration");
    assert.deepEqual(admin.Principal, { AWS: adminRole }, name);
  }
  for (const value of ["arn:aws:iam::999999999999:role/other-account", "key-admins"]) {
    assert.throws(
      () => loadConfig({ KMS_ADMIN_PRINCIPAL_ARN: value }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((problem) => problem.startsWith(`KMS_ADMIN_PRINCIPAL_ARN="${value}"`)),
    );
  }
});
