import assert from "node:assert/strict";
import { ConfigError, loadConfig, SETTINGS } from "../modules/config.ts";
import { maxSuffixLength } from "../modules/naming.ts";

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

Deno.test("loadConfig() defaults make a valid two-region configuration", () => {
  const config = loadConfig({});
  assert.equal(config.environmentSuffix, "dev");
  assert.equal(config.environment, "dev");
  assert.equal(config.primary.region, "us-east-1");
  assert.equal(config.secondary.region, "us-east-2");
  assert.deepEqual(config.primary.availabilityZones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
  assert.deepEqual(config.secondary.availabilityZones, ["us-east-2a", "us-east-2b", "us-east-2c"]);
  assert.equal(config.primary.natGateways, 3);
  assert.equal(config.secondary.natGateways, 1);
  assert.ok(config.compute.standbyDesiredCapacity >= 1);
  assert.ok(config.compute.standbyDesiredCapacity < config.compute.primaryDesiredCapacity);
});

Deno.test("loadConfig() derives dependent defaults from the values given", () => {
  const config = loadConfig({
    ENVIRONMENT_SUFFIX: "stg",
    PRIMARY_REGION: "eu-west-1",
    SECONDARY_REGION: "eu-central-1",
  });
  assert.equal(config.environment, "stg");
  assert.deepEqual(config.primary.availabilityZones, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
  assert.equal(config.stateKey, "dr/stg/terraform.tfstate");
});

const INVALID: ReadonlyArray<[string, Record<string, string>, string]> = [
  ["uppercase suffix", { ENVIRONMENT_SUFFIX: "Prod" }, 'ENVIRONMENT_SUFFIX="Prod": must be lowercase'],
  ["suffix with trailing hyphen", { ENVIRONMENT_SUFFIX: "dev-" }, "ENVIRONMENT_SUFFIX"],
  ["suffix with a double hyphen", { ENVIRONMENT_SUFFIX: "a--b" }, "must not contain two hyphens in a row"],
  [
    "suffix too long for an ALB name",
    { ENVIRONMENT_SUFFIX: "a".repeat(19) },
    "must be at most 18 characters",
  ],
  [
    "account id not 12 digits",
    { AWS_ACCOUNT_ID: "12345" },
    'AWS_ACCOUNT_ID="12345": must be exactly 12 digits',
  ],
  ["unknown region", { PRIMARY_REGION: "us-middle-9x" }, 'PRIMARY_REGION="us-middle-9x"'],
  ["same region twice", { SECONDARY_REGION: "us-east-1" }, 'SECONDARY_REGION="us-east-1": must differ'],
  ["one AZ", { PRIMARY_AZS: "us-east-1a" }, 'PRIMARY_AZS="us-east-1a": must list 2 to 6'],
  ["AZ outside its region", { SECONDARY_AZS: "us-east-2a,us-east-1b" }, "every zone must be in us-east-2"],
  ["overlapping VPCs", { SECONDARY_VPC_CIDR: "10.10.0.0/16" }, "must not overlap PRIMARY_VPC_CIDR"],
  [
    "VPC not a /16",
    { PRIMARY_VPC_CIDR: "10.10.0.0/20" },
    'PRIMARY_VPC_CIDR="10.10.0.0/20": must be an IPv4 /16',
  ],
  ["malformed CIDR", { PRIMARY_VPC_CIDR: "10.300.0.0/16" }, "PRIMARY_VPC_CIDR"],
  ["bad domain", { DOMAIN_NAME: "not a domain" }, 'DOMAIN_NAME="not a domain"'],
  ["bad e-mail", { ALERT_EMAILS: "ops@example.com,nobody" }, "ALERT_EMAILS"],
  ["empty cost center", { COST_CENTER: "  " }, "COST_CENTER"],
  [
    "more NAT gateways than AZs",
    { SECONDARY_NAT_GATEWAYS: "4" },
    'SECONDARY_NAT_GATEWAYS="4": must be a whole number from 1 to 3',
  ],
  ["retention AWS does not offer", { LOG_RETENTION_DAYS: "31" }, "LOG_RETENTION_DAYS"],
  ["burstable database class", { DB_INSTANCE_CLASS: "db.t4g.medium" }, "burstable classes cannot join"],
  ["commit guard under the Aurora minimum", { DB_RPO_GUARD_SECONDS: "10" }, "at least 20"],
  [
    "standby as large as primary",
    { STANDBY_DESIRED_CAPACITY: "2" },
    "must be below PRIMARY_DESIRED_CAPACITY",
  ],
  ["Route 53 interval it does not offer", { ROUTE53_INTERVAL_SECONDS: "15" }, "must be 10 or 30"],
  ["existing TLS without ARNs", { TLS_MODE: "existing" }, "PRIMARY_CERTIFICATE_ARN"],
  ["lag alarm above the RPO", { RPO_LAG_ALARM_SECONDS: "90" }, "must be below RPO_TARGET_SECONDS"],
  [
    "root volume under the Amazon Linux snapshot",
    { ROOT_VOLUME_GB: "4" },
    'ROOT_VOLUME_GB="4": must be a whole number from 8 to 16384',
  ],
  ["auto failover not a boolean", { AUTO_FAILOVER: "yes" }, 'AUTO_FAILOVER="yes": must be true or false'],
];

for (const [label, env, expected] of INVALID) {
  Deno.test(`loadConfig() rejects ${label}, naming the variable and the rule`, () => {
    const problems = problemsOf(env);
    assert.ok(
      problems.some((problem) => problem.includes(expected)),
      `expected "${expected}" in:\n${problems.join("\n")}`,
    );
  });
}

Deno.test("loadConfig() reports every problem at once", () => {
  const problems = problemsOf({
    ENVIRONMENT_SUFFIX: "Bad_",
    AWS_ACCOUNT_ID: "x",
    PRIMARY_AZS: "us-east-1a",
    ALERT_EMAILS: "nope",
  });
  for (const variable of ["ENVIRONMENT_SUFFIX", "AWS_ACCOUNT_ID", "PRIMARY_AZS", "ALERT_EMAILS"]) {
    assert.ok(
      problems.some((problem) => problem.startsWith(`${variable}=`)),
      `${variable} missing from ${problems}`,
    );
  }
});

Deno.test("maxSuffixLength() leaves room for the longest region in a 32-character ALB name", () => {
  assert.equal(maxSuffixLength(["us-east-1", "us-east-2"]), 32 - "alb--".length - "us-east-1".length);
  assert.equal(
    maxSuffixLength(["us-east-1", "ap-southeast-2"]),
    32 - "alb--".length - "ap-southeast-2".length,
  );
  assert.deepEqual(problemsOf({ ENVIRONMENT_SUFFIX: "a".repeat(18) }), []);
});

Deno.test("every setting is documented in the README configuration table", () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  const missing = SETTINGS.filter((setting) => !readme.includes(`| \`${setting.variable}\``));
  assert.deepEqual(missing.map((setting) => setting.variable), []);
});
