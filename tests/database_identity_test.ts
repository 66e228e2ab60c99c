// IAM side of the database identities, on the synthesized JSON: the instances may connect as the
// application role and the database checkers as the checker role (rds-db:connect on both clusters, nothing
// else), and no policy of the stack lets anything read the master password.
import assert from "node:assert/strict";
import { defaultStack, type Json, resource, resources, ROLES } from "./helpers.ts";
import { DATABASE_USERS, PARAMETER_KEYS, parameterName, parameterPrefix } from "../handlers/lib/contract.ts";
import { INSTANCE_PARAMETER_KEYS } from "../modules/compute_instance_role.ts";

function statements(body: Json): Json[] {
  return JSON.parse(body.policy).Statement;
}

const asList = (value: unknown) => (Array.isArray(value) ? value : [value]);

function connectResources(user: string): string[] {
  const { config } = defaultStack();
  return ROLES.map((role) =>
    `arn:aws:rds-db:${config[role].region}:${config.accountId}:dbuser:` +
    `\${aws_rds_cluster.database_${role}.cluster_resource_id}/${user}`
  );
}

/** Every rds-db:connect grant of the stack, by policy logical id. */
function connectGrants(): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const [id, body] of Object.entries(resources(defaultStack().stack, "aws_iam_role_policy"))) {
    for (const statement of statements(body)) {
      if (
        statement.Effect === "Allow" && asList(statement.Action).some((a: string) => a.startsWith("rds-db:"))
      ) {
        assert.deepEqual(asList(statement.Action), ["rds-db:connect"], id);
        grants[id] = asList(statement.Resource);
      }
    }
  }
  return grants;
}

Deno.test("rds-db:connect: instances as the application role, database checkers as the checker role, nothing else", () => {
  const grants = connectGrants();
  const app = connectResources(DATABASE_USERS.app);
  const checker = connectResources(DATABASE_USERS.checker);
  const expected: Record<string, string[]> = {};
  for (const role of ROLES) {
    expected[`compute_${role}_instance_policy`] = app;
    const checkerPolicy = Object.keys(grants).find((id) => id.includes(role) && id.includes("db_health"));
    assert.ok(checkerPolicy, `a db-health policy grants rds-db:connect in ${role}: ${Object.keys(grants)}`);
    expected[checkerPolicy] = checker;
  }
  assert.deepEqual(grants, expected);
});

Deno.test("no policy allows reading the master password; the instance role denies it outright", () => {
  const { stack, config } = defaultStack();
  const prefix = parameterPrefix(config.appName, config.environmentSuffix);
  const passwordName = parameterName(prefix, "masterPassword");
  for (const [id, body] of Object.entries(resources(stack, "aws_iam_role_policy"))) {
    for (const statement of statements(body)) {
      if (statement.Effect !== "Allow") continue;
      const reads = asList(statement.Action).some((action: string) => /^ssm:(Get|\*)/.test(action));
      if (!reads) continue;
      for (const arn of asList(statement.Resource) as string[]) {
        const pattern = new RegExp(`^${arn.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")}$`);
        const region = arn.split(":")[3];
        assert.ok(
          !pattern.test(`arn:aws:ssm:${region}:${config.accountId}:parameter${passwordName}`),
          `${id} (${statement.Sid}) may read the master password through ${arn}`,
        );
      }
    }
  }
  for (const role of ROLES) {
    const deny = statements(resource(stack, "aws_iam_role_policy", `compute_${role}_instance_policy`))
      .find((statement: Json) => statement.Sid === "NeverTheMasterPassword");
    assert.equal(deny.Effect, "Deny");
    assert.equal(
      deny.Resource,
      `arn:aws:ssm:${config[role].region}:${config.accountId}:parameter${passwordName}`,
    );
    assert.ok(asList(deny.Action).includes("ssm:GetParameters"));
  }
});

Deno.test("the instance role may read exactly the parameters boot_config.py and the fence read", () => {
  const source = Deno.readTextFileSync(new URL("../modules/app_service/boot_config.py", import.meta.url));
  const booted = [...source.matchAll(/^ {4}"([a-z0-9/-]+)": "[A-Z0-9_]+",$/gm)].map(([, key]) => key);
  const fence = /^ACTIVE_REGION_KEY = "([a-z/-]+)"$/m.exec(source)![1];
  const granted = INSTANCE_PARAMETER_KEYS.map((key) => PARAMETER_KEYS[key]);
  assert.deepEqual([...granted].sort(), [...booted, fence].sort());
});
