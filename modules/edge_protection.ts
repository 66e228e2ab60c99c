// The guards in front of each ALB, written once and called for both regions: an access-log bucket (SSE-S3,
// private, TLS-only, expiring) that Elastic Load Balancing and S3 server access logging (of the region's
// artifact bucket) may write to, and a regional WAFv2 web ACL (AWS managed rule groups + a per-IP rate limit)
// associated with the ALB.
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { makeBucketPrivate } from "./private_bucket.ts";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
import { Wafv2WebAcl, type Wafv2WebAclRule } from "@cdktf/provider-aws/lib/wafv2-web-acl/index.js";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association/index.js";
import { forEachRegion, type PerRegion } from "./providers.ts";
import { logicalId, physicalName } from "./naming.ts";
import { policyDocument, type PolicyStatement } from "./policy.ts";
import type { StackContext } from "./stack_context.ts";

/**
 * Elastic Load Balancing's log-delivery account of each region opened before August 2022 ("Enable access
 * logs for your Application Load Balancer", step 2, Elastic Load Balancing User Guide). Regions opened
 * later accept only the service principal `logdelivery.elasticloadbalancing.amazonaws.com`.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-west-3": "009996457667",
  "eu-north-1": "897822967062",
  "ap-east-1": "754344448648",
  "ap-northeast-1": "582318560864",
  "ap-northeast-2": "600734575887",
  "ap-northeast-3": "383597477331",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ap-south-1": "718504428378",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
};
export const ELB_LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com";

/** Key prefix of the access logs; ELB appends `AWSLogs/<account>/elasticloadbalancing/...`. */
export const ALB_LOG_PREFIX = "alb";
/** Key prefix of the S3 server access logs of the region's artifact bucket. */
export const S3_ACCESS_LOG_PREFIX = "s3-access/";
export const S3_LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com";

export interface AccessLogInputs {
  /** Days an access-log object is kept. */
  readonly retentionDays: number;
  /** ARN of the bucket (the region's artifact bucket) whose S3 server access logs each log bucket receives. */
  readonly s3AccessLogSourceArns: PerRegion<string>;
}

export interface RegionAccessLogs {
  /** Read from the bucket policy: an ALB naming it is created only once ELB may write there. */
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly prefix: string;
  /** Target prefix of the S3 server access logs (`s3-access/`). */
  readonly s3AccessLogPrefix: string;
}

export function albLogBucketName(suffix: string, accountId: string, region: string): string {
  return physicalName("s3Bucket", `alb-logs-${accountId}`, suffix, region);
}

/** Who may write the access logs of `region`: the regional ELB account, else the log-delivery service. */
export function elbLogWriter(region: string): PolicyStatement["Principal"] {
  const account = ELB_LOG_ACCOUNTS[region];
  return account ? { AWS: `arn:aws:iam::${account}:root` } : { Service: ELB_LOG_DELIVERY_SERVICE };
}

export function createAccessLogBuckets(
  ctx: StackContext,
  inputs: AccessLogInputs,
): PerRegion<RegionAccessLogs> {
  const scope = ctx.scope;
  return forEachRegion(ctx.regions, ({ provider, region, role }) => {
    const id = (key: string) => logicalId("edge", role, key);
    const bucket = new S3Bucket(scope, id("log_bucket"), {
      provider,
      bucket: albLogBucketName(ctx.suffix, ctx.accountId, region),
      forceDestroy: true,
    });
    // ALB access logs support SSE-S3 only (the ELB guide's bucket requirements): no KMS key here.
    new S3BucketServerSideEncryptionConfigurationA(scope, id("log_encryption"), {
      provider,
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    });
    const publicAccessBlock = makeBucketPrivate(scope, {
      provider,
      bucketId: bucket.id,
      idOf: (key) => id(`log_${key}`),
    });
    const policy = new S3BucketPolicy(scope, id("log_policy"), {
      provider,
      bucket: bucket.id,
      policy: policyDocument([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: "s3:*",
          Resource: [bucket.arn, `${bucket.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
          Sid: "LoadBalancerAccessLogs",
          Principal: elbLogWriter(region),
          Action: "s3:PutObject",
          Resource: `${bucket.arn}/${ALB_LOG_PREFIX}/AWSLogs/${ctx.accountId}/*`,
        },
        {
          // S3 User Guide, "Enabling Amazon S3 server access logging": the logging service principal, for
          // exactly the source bucket and account. SSE-S3 suits it (a KMS default key is not supported).
          Sid: "S3ServerAccessLogs",
          Principal: { Service: S3_LOG_DELIVERY_SERVICE },
          Action: "s3:PutObject",
          Resource: `${bucket.arn}/${S3_ACCESS_LOG_PREFIX}*`,
          Condition: {
            ArnLike: { "aws:SourceArn": inputs.s3AccessLogSourceArns[role] },
            StringEquals: { "aws:SourceAccount": ctx.accountId },
          },
        },
      ]),
      dependsOn: [publicAccessBlock],
    });
    new S3BucketLifecycleConfiguration(scope, id("log_lifecycle"), {
      provider,
      bucket: bucket.id,
      rule: [{
        id: "expire-access-logs",
        status: "Enabled",
        filter: [{}],
        expiration: [{ days: inputs.retentionDays }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
      }],
    });
    // ELB (and S3 logging) check that they may write when logs are switched on: users follow the policy.
    return {
      bucketName: policy.bucket,
      bucketArn: bucket.arn,
      prefix: ALB_LOG_PREFIX,
      s3AccessLogPrefix: S3_ACCESS_LOG_PREFIX,
    };
  });
}

/** AWS managed rule groups on every ALB (the baseline groups carry no subscription fee beyond a rule). */
export const MANAGED_RULE_GROUPS = [
  "AWSManagedRulesAmazonIpReputationList",
  "AWSManagedRulesCommonRuleSet",
  "AWSManagedRulesKnownBadInputsRuleSet",
] as const;

export interface WebAclInputs {
  readonly albArns: PerRegion<string>;
  /** Requests one client IP may send in 5 minutes before it is blocked. */
  readonly rateLimitPer5Minutes: number;
}

export function createWebAcls(ctx: StackContext, inputs: WebAclInputs): PerRegion<{ webAclArn: string }> {
  return forEachRegion(ctx.regions, ({ provider, region, role }) => {
    const name = ctx.name("generic", "dr-web-acl", region);
    const metric = (rule: string) => ({
      cloudwatchMetricsEnabled: true,
      metricName: `${name}-${rule}`,
      sampledRequestsEnabled: true,
    });
    const rateRule: Wafv2WebAclRule = {
      name: "rate-limit-per-ip",
      // Before the managed groups: a flood is cut at the cheapest rule.
      priority: 0,
      action: { block: {} },
      // `statement` is untyped in the bindings (recursive schema): it is written in Terraform's own keys.
      statement: { rate_based_statement: { limit: inputs.rateLimitPer5Minutes, aggregate_key_type: "IP" } },
      visibilityConfig: metric("rate-limit-per-ip"),
    };
    const managedRules: Wafv2WebAclRule[] = MANAGED_RULE_GROUPS.map((group, index) => ({
      name: group,
      priority: index + 1,
      overrideAction: { none: {} },
      statement: { managed_rule_group_statement: { vendor_name: "AWS", name: group } },
      visibilityConfig: metric(group),
    }));
    const acl = new Wafv2WebAcl(ctx.scope, logicalId("edge", role, "web_acl"), {
      provider,
      name,
      description: `Managed rules and a per-IP rate limit in front of the ${role} ALB`,
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      rule: [rateRule, ...managedRules],
      visibilityConfig: metric("all"),
    });
    new Wafv2WebAclAssociation(ctx.scope, logicalId("edge", role, "web_acl_association"), {
      provider,
      resourceArn: inputs.albArns[role],
      webAclArn: acl.arn,
    });
    return { webAclArn: acl.arn };
  });
}
