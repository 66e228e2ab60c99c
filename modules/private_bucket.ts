// What every bucket of the stack gets, written once: no public access of any kind, and object ownership
// enforced (ACLs off). Returns the public-access block: a bucket policy waits for it (S3 refuses a policy
// while the block is being applied).
import type { Construct } from "constructs";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js";

export interface PrivateBucketInputs {
  readonly provider: AwsProvider;
  readonly bucketId: string;
  /** Logical id of each control from its key (`public_access_block`, `ownership`). */
  readonly idOf: (key: string) => string;
}

export function makeBucketPrivate(scope: Construct, inputs: PrivateBucketInputs): S3BucketPublicAccessBlock {
  const { provider, bucketId: bucket } = inputs;
  const block = new S3BucketPublicAccessBlock(scope, inputs.idOf("public_access_block"), {
    provider,
    bucket,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(scope, inputs.idOf("ownership"), {
    provider,
    bucket,
    rule: { objectOwnership: "BucketOwnerEnforced" },
  });
  return block;
}
