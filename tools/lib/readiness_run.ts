// `make readiness`: the scheduled readiness evaluation, on demand from an operator's machine. The targets
// come from the operator manifest (account, standby region, the readiness function); the configuration is the
// deployed function's own environment (AWS resolved what the stack only references), so the evaluation is
// the very one the schedule runs, with the operator's credentials and standby-region APIs only.
import type { FunctionConfiguration, GetFunctionConfigurationCommandInput } from "@aws-sdk/client-lambda";
import { loadReadinessConfig, type ReadinessConfig } from "../../handlers/lib/readiness_config.ts";
import { ConfigError } from "../../handlers/lib/settings.ts";
import type { ReadinessReport } from "../../handlers/readiness.ts";
import { errorMessage, errorName } from "../../handlers/lib/errors.ts";
import { manifestValue } from "../../modules/operator_manifest.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

export interface ReadinessTargets {
  readonly accountId: string;
  readonly secondaryRegion: string;
  readonly functionName: string;
}

/** Outputs of the operator manifest (operator.json, written at synth) the readiness tool reads. */
export const READINESS_OUTPUTS = {
  accountId: "aws_account_id",
  regions: "regions",
  functionName: "readiness_function_name",
} as const;

/** The readiness function, from the operator manifest; names every missing output at once. */
export function readinessTargets(manifest: Json): ReadinessTargets {
  const value = (name: string): Json => manifestValue(manifest, name);
  const found = {
    accountId: value(READINESS_OUTPUTS.accountId),
    secondaryRegion: value(READINESS_OUTPUTS.regions)?.secondary,
    functionName: value(READINESS_OUTPUTS.functionName),
  };
  const missing = Object.entries(found).filter(([, v]) => !v).map(([key]) =>
    `the stack has no output ${READINESS_OUTPUTS[key === "secondaryRegion" ? "regions" : key as "accountId"]}`
  );
  if (missing.length > 0) throw new CannotEvaluateError(missing.join("; "));
  return found as ReadinessTargets;
}

/** Why there is no verdict at all (exit 2): no stack, no credentials, no readable configuration. */
export class CannotEvaluateError extends Error {
  override readonly name = "CannotEvaluateError";
}

export interface FunctionConfigurationApi {
  getFunctionConfiguration(input: GetFunctionConfigurationCommandInput): Promise<FunctionConfiguration>;
}

/** The deployed readiness function's configuration, validated as the function validates it at cold start. */
export async function deployedConfiguration(
  lambda: FunctionConfigurationApi,
  targets: ReadinessTargets,
): Promise<ReadinessConfig> {
  let fn: FunctionConfiguration;
  try {
    fn = await lambda.getFunctionConfiguration({ FunctionName: targets.functionName });
  } catch (error) {
    throw new CannotEvaluateError(
      `cannot read ${targets.functionName} in ${targets.secondaryRegion}: ${errorName(error)}: ${
        errorMessage(error)
      }`,
    );
  }
  const environment = fn.Environment;
  if (environment?.Error) {
    throw new CannotEvaluateError(
      `cannot read ${targets.functionName}'s environment (${environment.Error.ErrorCode}: ` +
        `${environment.Error.Message}); reading it needs kms:Decrypt on the standby region's key`,
    );
  }
  try {
    return loadReadinessConfig({ ...environment?.Variables, AWS_REGION: targets.secondaryRegion });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CannotEvaluateError(
      `${targets.functionName}'s configuration is invalid: ${error.problems.join("; ")}`,
    );
  }
}

/** Errors that say "these credentials cannot be used here", not "the standby is not ready". */
const CREDENTIAL_ERRORS = new Set([
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "AuthFailure",
]);

/** 0 ready, 1 not ready, 2 cannot evaluate (the credentials were refused, or nothing could be read). */
export function exitCode(report: ReadinessReport): 0 | 1 | 2 {
  const errors = report.checks.map((check) => check.error);
  if (errors.some((error) => error !== undefined && CREDENTIAL_ERRORS.has(error))) return 2;
  if (errors.every((error) => error !== undefined)) return 2;
  return report.ready ? 0 : 1;
}
