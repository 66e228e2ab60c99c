// The release path's writer: one global deploy role, trusted by DEPLOY_TRUSTED_PRINCIPAL_ARN (the account root by
// default), that alone may put `app/*` into the artifact buckets and pin the release digests; instances may read
// their region's digest and write nothing of it.
import assert from "node:assert/strict";
import { configProblems, defaultStack, type Json, resource, resources, ROLES, synthWith } from "./helpers.ts";
import { parameterName } from "../handlers/lib/contract.ts";

function statements(policy: string): Json[] {
  return [JSON.parse(policy).Statement].flat();
}

const asList = (value: unknown): string[] => [value ?? []].flat() as string[];

/** Every IAM policy document of the stack's roles (inline policies), by logical id. */
function rolePolicies(stack: Json): Array<[string, Json[]]> {
  return Object.entries(resources(stack, "aws_iam_role_policy")).map(([name, body]) => [
    name,
    statements(body.policy),
  ]);
}

Deno.test("createDeployRole() makes one global role with the suffix, trusted by the account root by default", () => {
  const { stack, config } = defaultStack();
  const roles = Object.entries(resources(stack, "aws_iam_role")).filter(([name]) =>
    name.startsWith("release_")
  );
  assert.deepEqual(roles.map(([name]) => name), ["release_global_deploy_role"]);
  const [[, role]] = roles;
  assert.equal(role.provider, "aws.primary", "IAM is global: made once");
  assert.equal(role.name, `release-deploy-${config.environmentSuffix}`);
  assert.deepEqual(statements(role.assume_role_policy), [{
    Effect: "Allow",
    Action: "sts:AssumeRole",
    Principal: { AWS: `arn:aws:iam::${config.accountId}:root` },
  }]);
});

Deno.test("DEPLOY_TRUSTED_PRINCIPAL_ARN names who may assume the deploy role; a foreign or malformed ARN is refused", () => {
  const ci = "arn:aws:iam::123456789012:role/ci-release";
  const role = resource(
    synthWith({ DEPLOY_TRUSTED_PRINCIPAL_ARN: ci }).stack,
    "aws_iam_role",
    "release_global_deploy_role",
  );
  assert.deepEqual(statements(role.assume_role_policy).map((statement) => statement.Principal), [{
    AWS: ci,
  }]);
  for (
    const value of [
      "arn:aws:iam::999999999999:role/other-account",
      "ci-release",
      "arn:aws:iam::123456789012:*",
    ]
  ) {
    const problems = configProblems({ DEPLOY_TRUSTED_PRINCIPAL_ARN: value });
    assert.ok(
      problems.some((problem) =>
        problem.startsWith(`DEPLOY_TRUSTED_PRINCIPAL_ARN="${value}"`) && problem.includes("of AWS_ACCOUNT_ID")
      ),
      problems.join("\n"),
    );
  }
});

Deno.test("grantDeployRole(): exactly PutObject on app/*, PutParameter on the two digests, GenerateDataKey through S3", () => {
  const { stack, config } = defaultStack();
  const policy = resource(stack, "aws_iam_role_policy", "release_global_deploy_policy");
  assert.equal(policy.provider, "aws.primary");
  assert.equal(policy.role, "${aws_iam_role.release_global_deploy_role.name}");
  assert.equal(policy.name, `release-deploy-${config.environmentSuffix}`);
  const bucket = (role: string) => `\${aws_s3_bucket.storage_${role}_bucket.arn}`;
  const encrypt = (role: "primary" | "secondary") => ({
    Effect: "Allow",
    Sid: `EncryptReleases${role === "primary" ? "Primary" : "Secondary"}`,
    Action: "kms:GenerateDataKey",
    Resource: `\${aws_kms_key.kms_${role}.arn}`,
    Condition: {
      StringEquals: { "kms:ViaService": `s3.${config[role].region}.amazonaws.com` },
      StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucket(role), `${bucket(role)}/*`] },
    },
  });
  assert.deepEqual(statements(policy.policy), [
    {
      Effect: "Allow",
      Sid: "PutReleases",
      Action: "s3:PutObject",
      Resource: ROLES.map((role) => `${bucket(role)}/app/*`),
    },
    {
      Effect: "Allow",
      Sid: "PinReleaseDigests",
      Action: "ssm:PutParameter",
      Resource: ROLES.map((role) => `\${aws_ssm_parameter.parameters_${role}_release_digest.arn}`),
    },
    encrypt("primary"),
    encrypt("secondary"),
  ]);
  assert.equal(
    Object.keys(resources(stack, "aws_iam_role_policy_attachment")).filter((name) =>
      name.startsWith("release")
    ).length,
    0,
    "no managed policy widens it",
  );
});

Deno.test("no other role may write a release or pin a digest", () => {
  const { stack } = defaultStack();
  const digestArns = ROLES.map((role) => `\${aws_ssm_parameter.parameters_${role}_release_digest.arn}`);
  let parameterWriters = 0;
  for (const [name, policy] of rolePolicies(stack)) {
    if (name === "release_global_deploy_policy") continue;
    for (const statement of policy.filter((statement) => statement.Effect === "Allow")) {
      const actions = asList(statement.Action);
      const targets = asList(statement.Resource).join(" ");
      if (actions.some((action) => /^s3:(PutObject|Put\*|\*)$/.test(action))) {
        assert.ok(
          !/storage_(primary|secondary)_bucket/.test(targets),
          `${name}/${statement.Sid}: ${targets}`,
        );
      }
      if (actions.some((action) => /^ssm:(PutParameter|Put\*|\*)$/.test(action))) {
        parameterWriters++;
        for (const arn of digestArns) assert.ok(!targets.includes(arn), `${name}/${statement.Sid}`);
        assert.ok(!/release-sha256|parameter\/\*|:\*$/.test(targets), `${name}/${statement.Sid}: ${targets}`);
      }
    }
  }
  assert.ok(parameterWriters > 0, "the failover orchestrator writes active-region: the check has a subject");
});

Deno.test("each instance role reads its region's release digest, and writes nothing of the release path", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const region = config[role].region;
    const policy = statements(
      resource(stack, "aws_iam_role_policy", `compute_${role}_instance_policy`).policy,
    );
    const read = policy.find((statement) => statement.Sid === "ReadOwnParameters");
    const digest = `arn:aws:ssm:${region}:${config.accountId}:parameter${
      parameterName("/txn/dev", "releaseDigest")
    }`;
    assert.ok(asList(read.Resource).includes(digest), JSON.stringify(read.Resource));
    assert.deepEqual(
      policy.filter((statement) => statement.Effect === "Allow")
        .flatMap((statement) => asList(statement.Action))
        .filter((action) => /^(s3|ssm):(Put|Delete|Replicate)/.test(action)),
      [],
    );
  }
});
