// Fakes for what the checkers get from AWS: Parameter Store values, a CloudWatch endpoint for the probers,
// capture of the EMF documents the real metrics sink writes and of the log lines, and a wall clock.
import type { ParameterKey, RegionRole } from "../handlers/lib/contract.ts";
import type { WallClock } from "../handlers/lib/cadence.ts";
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

/** A wall clock that only moves when slept on: sampling loops run their minute at once. */
export function fakeWallClock(startMs: number): WallClock & { readonly sleeps: number[] } {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep(ms) {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

/** One PutMetricData call as the fake CloudWatch received it. */
export interface PutMetricDataCall {
  /** The region the request was signed for (where the datapoints would land). */
  readonly signingRegion: string;
  readonly namespace: string;
  // deno-lint-ignore no-explicit-any
  readonly data: any[];
}

/** A local stand-in for the CloudWatch API (AWS JSON 1.0 over HTTP) that records PutMetricData calls. */
export function fakeCloudWatchEndpoint(options: { fail?: boolean; hang?: boolean } = {}) {
  const calls: PutMetricDataCall[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const target = request.headers.get("x-amz-target") ?? "";
    const compressed = request.headers.get("content-encoding") === "gzip";
    const text = compressed
      ? await new Response(request.body!.pipeThrough(new DecompressionStream("gzip"))).text()
      : await request.text();
    if (options.hang) {
      await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
      return new Response(null, { status: 500 });
    }
    if (!target.endsWith(".PutMetricData")) return new Response(null, { status: 400 });
    if (options.fail) {
      return Response.json({ __type: "InternalServiceError", message: "try again" }, {
        status: 500,
        headers: { "content-type": "application/x-amz-json-1.0" },
      });
    }
    const body = JSON.parse(text);
    const scope = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/monitoring\//.exec(
      request.headers.get("authorization") ?? "",
    );
    calls.push({ signingRegion: scope?.[1] ?? "", namespace: body.Namespace, data: body.MetricData });
    return new Response("{}", { headers: { "content-type": "application/x-amz-json-1.0" } });
  });
  return {
    calls,
    clientConfig: {
      endpoint: `http://127.0.0.1:${server.addr.port}`,
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" },
    },
    close: () => server.shutdown(),
  };
}
