// Fakes for what the checkers get from AWS: Parameter Store values, and capture of the EMF documents the
// real metrics sink writes and of the log lines.
import type { ParameterKey, RegionRole } from "../handlers/lib/contract.ts";
import type { CheckLogger, LogFields } from "../handlers/lib/log.ts";
import { emfMetricsSink, type MetricsSink } from "../handlers/lib/metrics.ts";
import { ParameterError, type ParameterReader } from "../handlers/lib/parameters.ts";

export interface LogLine {
  readonly level: "INFO" | "WARN" | "ERROR";
  readonly message: string;
  readonly fields: LogFields;
}

export function captureLogger(): CheckLogger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (message, fields = {}) => void lines.push({ level: "INFO", message, fields }),
    warn: (message, fields = {}) => void lines.push({ level: "WARN", message, fields }),
    error: (message, fields = {}) => void lines.push({ level: "ERROR", message, fields }),
  };
}

// deno-lint-ignore no-explicit-any
export type EmfDocument = any;

/** The real EMF sink (Powertools serializer) writing into an array instead of stdout. */
export function captureMetrics(
  region: string,
  role: RegionRole,
  namespace = "TransactionDR/test",
): MetricsSink & { readonly documents: EmfDocument[] } {
  const documents: EmfDocument[] = [];
  const sink = emfMetricsSink({ namespace, region, role, write: (line) => documents.push(JSON.parse(line)) });
  return { documents, add: sink.add, flush: sink.flush };
}

/** Metric name -> value over all documents; asserts each document's dimensions are exactly Region, Role. */
export function metricValues(documents: readonly EmfDocument[]): Record<string, number> {
  const values: Record<string, number> = {};
  for (const document of documents) {
    for (const directive of document._aws.CloudWatchMetrics) {
      if (JSON.stringify(directive.Dimensions) !== JSON.stringify([["Region", "Role"]])) {
        throw new Error(
          `dimensions are ${JSON.stringify(directive.Dimensions)}, expected [["Region","Role"]]`,
        );
      }
      for (const metric of directive.Metrics) values[metric.Name] = document[metric.Name];
    }
  }
  return values;
}

export function fakeParameters(values: Partial<Record<ParameterKey, string>>): ParameterReader & {
  readonly reads: ParameterKey[][];
} {
  const reads: ParameterKey[][] = [];
  return {
    reads,
    read<K extends ParameterKey>(keys: readonly K[]) {
      reads.push([...keys]);
      const missing = keys.filter((key) => values[key] === undefined);
      if (missing.length > 0) return Promise.reject(new ParameterError(`missing: ${missing.join(", ")}`));
      return Promise.resolve(Object.fromEntries(keys.map((key) => [key, values[key]!])) as Record<K, string>);
    },
  };
}

/** A local stand-in for the SSM API (JSON 1.1 over HTTP), serving GetParameters from a map. */
export function fakeSsmEndpoint(
  values: Record<string, { value: string; secure?: boolean }>,
  options: { hang?: boolean } = {},
) {
  const calls: Array<{ names: string[]; withDecryption: boolean }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const target = request.headers.get("x-amz-target");
    const body = await request.json();
    if (options.hang) {
      await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
      return new Response(null, { status: 500 });
    }
    if (target !== "AmazonSSM.GetParameters") return new Response(null, { status: 400 });
    calls.push({ names: body.Names, withDecryption: body.WithDecryption === true });
    const found = body.Names.filter((name: string) => name in values);
    return Response.json({
      Parameters: found.map((name: string) => ({
        Name: name,
        Type: values[name].secure ? "SecureString" : "String",
        Value: values[name].secure && !body.WithDecryption ? "AQICAH-ciphertext" : values[name].value,
        Version: 1,
      })),
      InvalidParameters: body.Names.filter((name: string) => !(name in values)),
    }, { headers: { "content-type": "application/x-amz-json-1.1" } });
  });
  return {
    calls,
    clientConfig: {
      endpoint: `http://127.0.0.1:${server.addr.port}`,
      region: "us-east-2",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" },
    },
    close: () => server.shutdown(),
  };
}
