// Configuration from Parameter Store (contract.ts PARAMETER_KEYS under PARAMETER_PREFIX), read in one
// GetParameters call through Powertools Parameters, cached in memory for a short time.
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import type { SSMClientConfig } from "@aws-sdk/client-ssm";
import { type ParameterKey, parameterName } from "./contract.ts";
import { errorMessage, withTimeout } from "./errors.ts";

/** How long a value read from Parameter Store is reused by a warm function. */
export const PARAMETER_CACHE_SECONDS = 30;

/** Keys stored as SecureString: read with decryption. */
export const SECURE_PARAMETER_KEYS: readonly ParameterKey[] = ["masterPassword"];

// The SDK's own request timeout fires first and closes the connection; the deadline is the backstop.
const DEADLINE_GRACE_MS = 500;

export interface ParameterReader {
  /** The values of `keys`; throws ParameterError naming every parameter that could not be read. */
  read<K extends ParameterKey>(keys: readonly K[]): Promise<Record<K, string>>;
}

/** A parameter is missing, empty or unreadable: bad configuration, not an unhealthy dependency. */
export class ParameterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ParameterError";
  }
}

export interface SsmReaderOptions {
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly maxAgeSeconds?: number;
  /** Overrides of the SSM client configuration (tests: a local endpoint and static credentials). */
  readonly clientConfig?: SSMClientConfig;
}

export function ssmParameterReader(options: SsmReaderOptions): ParameterReader {
  const provider = new SSMProvider({
    clientConfig: {
      // Recent SDKs only warn on requestTimeout unless throwOnRequestTimeout is set; older ones ignore the flag.
      requestHandler: {
        connectionTimeout: options.timeoutMs,
        requestTimeout: options.timeoutMs,
        throwOnRequestTimeout: true,
      },
      // One attempt: a retry would outlive the deadline below (the value is cached; the next minute retries).
      maxAttempts: 1,
      ...options.clientConfig,
    },
  });
  const maxAge = options.maxAgeSeconds ?? PARAMETER_CACHE_SECONDS;
  return {
    async read<K extends ParameterKey>(keys: readonly K[]): Promise<Record<K, string>> {
      const names = new Map(keys.map((key) => [parameterName(options.prefix, key), key] as const));
      const decrypt = keys.some((key) => SECURE_PARAMETER_KEYS.includes(key));
      let values: Record<string, unknown>;
      try {
        values = await withTimeout(
          `Parameter Store read of ${[...names.keys()].join(", ")}`,
          options.timeoutMs + DEADLINE_GRACE_MS,
          provider.getParametersByName(
            Object.fromEntries([...names.keys()].map((name) => [name, {}])),
            { maxAge, decrypt, throwOnError: false },
          ),
        );
      } catch (error) {
        throw new ParameterError(errorMessage(error), { cause: error });
      }
      const failed = new Set((values._errors as string[] | undefined) ?? []);
      const result = {} as Record<K, string>;
      const problems: string[] = [];
      for (const [name, key] of names) {
        const value = values[name];
        if (failed.has(name) || typeof value !== "string" || value === "") {
          problems.push(`${name}: missing or empty`);
        } else {
          result[key] = value;
        }
      }
      if (problems.length > 0) throw new ParameterError(`Parameter Store: ${problems.join("; ")}`);
      return result;
    },
  };
}
