// IAM database authentication tokens (15-minute presigned `rds-db:connect` requests) for the database
// checker: the token is its password, answered only over verified TLS (DATABASE_TLS in contract.ts).
import { Signer, type SignerConfig } from "@aws-sdk/rds-signer";

export interface TokenTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
}

/** A token for `user` at host:port; what a Connect's `password` carries. */
export type AuthToken = (target: TokenTarget) => Promise<string>;

/**
 * Signs for `region` (the region the checker and its cluster share) with the function's own credentials,
 * or the given ones (tests).
 */
export function iamAuthToken(region: string, credentials?: SignerConfig["credentials"]): AuthToken {
  return (target) =>
    new Signer({
      hostname: target.host,
      port: target.port,
      username: target.user,
      region,
      ...(credentials ? { credentials } : {}),
    }).getAuthToken();
}
