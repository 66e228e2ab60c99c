import assert from "node:assert/strict";
import { loadConfig, SETTINGS } from "../modules/config.ts";
import { editDistance, settingPrefixes, settingWarnings } from "../modules/config_warnings.ts";
import { configTableBlock, tableCells } from "../tools/config_table.ts";
import { configProblems, runSynthCli } from "./helpers.ts";
import { maxSuffixLength } from "../modules/naming.ts";

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
  assert.equal(config.witness.region, "us-west-2");
  assert.equal(config.health.decisionPeriods, 3);
  assert.equal(config.health.replicationStallSeconds, 10);
  assert.equal(config.objectives.auroraPromotionSeconds, 120);
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
  [
    "witness not a region",
    { WITNESS_REGION: "mars-1" },
    'WITNESS_REGION="mars-1": must be an AWS region name',
  ],
  [
    "witness in the primary region",
    { WITNESS_REGION: "us-east-1" },
    "must differ from PRIMARY_REGION and SECONDARY_REGION",
  ],
  [
    "witness in the standby region",
    { SECONDARY_REGION: "eu-west-1", WITNESS_REGION: "eu-west-1" },
    'WITNESS_REGION="eu-west-1": must differ from PRIMARY_REGION and SECONDARY_REGION',
  ],
  [
    "a one-period decision",
    { DECISION_PERIODS: "1" },
    'DECISION_PERIODS="1": must be an integer between 2 and 5',
  ],
  [
    "a stall threshold no decision could use",
    { REPLICATION_STALL_SECONDS: "120" },
    'REPLICATION_STALL_SECONDS="120": must be an integer between 5 and 60',
  ],
  [
    "a promotion time beyond a Lambda run",
    { AURORA_PROMOTION_SECONDS: "1200" },
    'AURORA_PROMOTION_SECONDS="1200": must be an integer between 30 and 900',
  ],
  [
    "a probe timeout longer than the probe interval",
    { CHECK_TIMEOUT_MS: "10000" },
    'CHECK_TIMEOUT_MS="10000": must be an integer between 500 and 8000',
  ],
  [
    "an RTO the orchestrator would refuse",
    { RTO_TARGET_SECONDS: "7200" },
    'RTO_TARGET_SECONDS="7200": must be an integer between 60 and 3600',
  ],
];

for (const [label, env, expected] of INVALID) {
  Deno.test(`loadConfig() rejects ${label}, naming the variable and the rule`, () => {
    const problems = configProblems(env);
    assert.ok(
      problems.some((problem) => problem.includes(expected)),
      `expected "${expected}" in:\n${problems.join("\n")}`,
    );
  });
}

Deno.test("loadConfig() reports every problem at once", () => {
  const problems = configProblems({
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
  assert.deepEqual(configProblems({ ENVIRONMENT_SUFFIX: "a".repeat(18) }), []);
});

Deno.test("the configuration table in docs/configuration.md is the generated one (make docs)", () => {
  const doc = Deno.readTextFileSync(new URL("../docs/configuration.md", import.meta.url));
  assert.deepEqual(tableCells(doc), tableCells(configTableBlock()), "stale table: run make docs");
  assert.equal(tableCells(doc)!.length, SETTINGS.length + 1, "a header and one row per setting");
});

Deno.test("an explicitly empty value of any setting is an error naming it, never the default", () => {
  for (const setting of SETTINGS) {
    for (const empty of ["", "  "]) {
      const problems = configProblems({ [setting.name]: empty });
      assert.equal(
        problems.length,
        1,
        `${setting.name}=${JSON.stringify(empty)}: ${problems.join("; ")}`,
      );
      assert.match(problems[0], new RegExp(`^${setting.name}=".*": is set but empty; unset it to use`));
    }
  }
  assert.match(configProblems({ ENVIRONMENT_SUFFIX: "" })[0], /unset it to use the default "dev"/);
  assert.match(
    configProblems({ HOSTED_ZONE_ID: "" })[0],
    /the default \(existing zone id \(unset: the stack creates one\)\)/,
  );
});

Deno.test("editDistance() counts insertions, deletions, substitutions and adjacent transpositions", () => {
  assert.equal(editDistance("ENVIRONMENT_SUFFIX", "ENVIRONMENT_SUFFIX"), 0);
  assert.equal(editDistance("ENVIROMENT_SUFFIX", "ENVIRONMENT_SUFFIX"), 1);
  assert.equal(editDistance("ROUTE53_INTERVAL_SECONSD", "ROUTE53_INTERVAL_SECONDS"), 1);
  assert.equal(editDistance("DB_PROT", "DB_PORT"), 1);
  assert.equal(editDistance("AWS_ACOUNT_IDD", "AWS_ACCOUNT_ID"), 2);
  assert.equal(editDistance("abc", ""), 3);
});

Deno.test("settingWarnings() names the setting a misspelt or look-alike variable most likely means", () => {
  const warnings = settingWarnings({
    ENVIROMENT_SUFFIX: "prod",
    environment_suffix: "prod",
    ROUTE53_INTERVALL_SECONDS: "30",
    DB_INSTANCE_SIZE: "db.r6g.xlarge",
    ENVIRONMENT_SUFFIX: "dev",
    HOME: "/root",
    PATH: "/usr/bin",
    AWS_PROFILE: "dr",
    TF_VAR_db_master_password: "x",
    TF_PLUGIN_DIR: "/opt/tf-plugins",
    LOG_LEVEL: "debug",
  });
  assert.deepEqual(warnings, [
    "DB_INSTANCE_SIZE is not a setting and is ignored (nearest: DB_INSTANCE_CLASS; see docs/configuration.md)",
    "ENVIROMENT_SUFFIX is not a setting and is ignored: did you mean ENVIRONMENT_SUFFIX?",
    "ROUTE53_INTERVALL_SECONDS is not a setting and is ignored: did you mean ROUTE53_INTERVAL_SECONDS?",
    "environment_suffix is not a setting (names are upper case): did you mean ENVIRONMENT_SUFFIX?",
  ]);
});

Deno.test("settingWarnings() takes the known names from SETTINGS: a new setting is covered at once", () => {
  assert.ok(settingPrefixes(SETTINGS.map((setting) => setting.name)).includes("DB_"));
  assert.ok(settingPrefixes(SETTINGS.map((setting) => setting.name)).includes("ROUTE53_"));
  for (const setting of SETTINGS) {
    assert.deepEqual(settingWarnings({ [setting.name]: "x" }), [], setting.name);
    const typo = setting.name.slice(0, -1);
    const warning = settingWarnings({ [typo]: "x" })[0] ?? "";
    assert.ok(warning.includes(setting.name) || typo.length < 6, `${typo}: ${warning}`);
  }
});

Deno.test("make synth with a misspelt setting warns, naming the intended one, and still builds", () => {
  const cwd = Deno.makeTempDirSync({ prefix: "dr-cli-" });
  const result = runSynthCli(cwd, { ENVIROMENT_SUFFIX: "prod" });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /^warning: ENVIROMENT_SUFFIX is not a setting and is ignored: did you mean ENVIRONMENT_SUFFIX\?$/m,
  );
  assert.match(result.stdout, /dr-dev\/cdk\.tf\.json/);
});

Deno.test("make synth with ENVIRONMENT_SUFFIX= (empty) exits 2 naming it, and writes nothing", () => {
  const cwd = Deno.makeTempDirSync({ prefix: "dr-cli-" });
  const result = runSynthCli(cwd, { ENVIRONMENT_SUFFIX: "" });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /ENVIRONMENT_SUFFIX="": is set but empty/);
  assert.deepEqual([...Deno.readDirSync(cwd)], []);
});
