import assert from "node:assert/strict";
import {
  CHECK_NAME,
  type PrimaryProbeDeps,
  probePrimary,
  ProbeSilentError,
  wirePrimaryProbe,
} from "../handlers/primary_probe.ts";
import { scheduledHandler } from "../handlers/lib/checker.ts";
import { HandlerInputError } from "../handlers/lib/errors.ts";
import { tlsProbe } from "../handlers/lib/https_probe.ts";
import { readProbeEnvironment } from "../handlers/lib/input.ts";
import { ConfigError } from "../handlers/lib/settings.ts";
import { cloudWatchPublisher } from "../handlers/lib/probe_metrics.ts";
import { captureLogger, fakeCloudWatchEndpoint, fakeWallClock } from "./handler_fakes.ts";
import { closedPort, createTestPki, hang, startHttpsServer, type TestServer } from "./tls_fixture.ts";

const APP_HOSTNAME = "app.dr.example.com";
const TIMEOUT_MS = 400;
/** 12:00:03.500 UTC: a schedule that started three and a half seconds into its minute. */
const START = Date.UTC(2025, 0, 15, 12, 0, 3, 500);

const pki = createTestPki();
const appCertificate = pki.issue(APP_HOSTNAME);

type CloudWatch = ReturnType<typeof fakeCloudWatchEndpoint>;

function deps(
  primary: string,
  cloudWatch: CloudWatch,
  overrides: Partial<PrimaryProbeDeps> = {},
): PrimaryProbeDeps & { log: ReturnType<typeof captureLogger>; clock: ReturnType<typeof fakeWallClock> } {
  return {
    region: "us-west-2",
    role: "witness",
    timeoutMs: TIMEOUT_MS,
    primaryHealthUrl: `${primary}/health/deep`,
    appHostname: APP_HOSTNAME,
    intervalMs: 10_000,
    probesPerInvocation: 6,
    probe: tlsProbe({ ca: pki.caCertificate }),
    publisher: cloudWatchPublisher({
      namespace: "TransactionDR/test",
      metricRegion: "us-east-2",
      region: "us-west-2",
      role: "witness",
      timeoutMs: TIMEOUT_MS,
      clientConfig: cloudWatch.clientConfig,
    }),
    ...overrides,
    log: captureLogger(),
    clock: fakeWallClock(START),
  };
}

async function withPrimary(
  respond: (request: Request) => Response | Promise<Response>,
  body: (primary: TestServer, cloudWatch: CloudWatch) => Promise<void>,
  cloudWatchOptions: { fail?: boolean; hang?: boolean } = {},
): Promise<void> {
  const primary = startHttpsServer(appCertificate, respond);
  const cloudWatch = fakeCloudWatchEndpoint(cloudWatchOptions);
  try {
    await body(primary, cloudWatch);
  } finally {
    await Promise.all([primary.close(), cloudWatch.close()]);
  }
}

const ok = () => new Response("ok");

/** Metric name -> values over all calls, and each datapoint's dimensions as an object. */
function datapoints(cloudWatch: CloudWatch, metric: string) {
  return cloudWatch.calls.flatMap((call) => call.data).filter((datum) => datum.MetricName === metric);
}

Deno.test("probePrimary() probes on each 10 s boundary of its minute and publishes every result at once into the standby region", async () => {
  await withPrimary(ok, async (primary, cloudWatch) => {
    const d = deps(primary.url, cloudWatch);
    const report = await probePrimary(d);
    assert.equal(report.probes.length, 6);
    assert.equal(report.published, 6);
    assert.equal(report.skipped, 0);
    assert.deepEqual(
      report.probes.map((probe) => probe.startedAt.slice(11, 19)),
      ["12:00:10", "12:00:20", "12:00:30", "12:00:40", "12:00:50", "12:01:00"],
      "one probe per 10 s alarm period, aligned with CloudWatch's periods",
    );
    assert.deepEqual(primary.requests[0], { host: APP_HOSTNAME, path: "/health/deep" });
    assert.equal(cloudWatch.calls.length, 6, "one PutMetricData per probe");
    for (const call of cloudWatch.calls) {
      assert.equal(call.signingRegion, "us-east-2", "the witness votes into the standby region");
      assert.equal(call.namespace, "TransactionDR/test");
    }
    const healthy = datapoints(cloudWatch, "PrimaryProbeHealthy");
    assert.deepEqual(healthy.map((datum) => datum.Value), [1, 1, 1, 1, 1, 1]);
    for (const datum of healthy) {
      assert.deepEqual(datum.Dimensions, [{ Name: "Region", Value: "us-west-2" }, {
        Name: "Role",
        Value: "witness",
      }]);
      assert.equal(datum.StorageResolution, 1, "high resolution: the alarms evaluate 10 s periods");
      assert.equal(datum.Unit, "Count");
    }
    assert.deepEqual(
      healthy.map((datum) => datum.Timestamp * 1000),
      report.probes.map((probe) => Date.parse(probe.startedAt)),
      "each datapoint carries its probe's time",
    );
    const latency = datapoints(cloudWatch, "PrimaryProbeLatencyMs");
    assert.equal(latency.length, 6);
    assert.ok(latency.every((datum) => datum.Unit === "Milliseconds" && datum.Value < TIMEOUT_MS * 4));
    assert.deepEqual(d.clock.sleeps, [6500, 10_000, 10_000, 10_000, 10_000, 10_000]);
  });
});

Deno.test("probePrimary() reports an HTTP 500 as down with its latency, a hang as a timeout, a refused port as refused", async () => {
  const failing = () => new Response("database unreachable", { status: 500 });
  await withPrimary(failing, async (primary, cloudWatch) => {
    const report = await probePrimary(deps(primary.url, cloudWatch, { probesPerInvocation: 1 }));
    assert.equal(report.probes[0].healthy, false);
    assert.equal(report.probes[0].errorClass, "http_status");
    assert.equal(datapoints(cloudWatch, "PrimaryProbeHealthy")[0].Value, 0);
    assert.equal(datapoints(cloudWatch, "PrimaryProbeLatencyMs").length, 1, "the server answered");
  });
  await withPrimary(hang, async (primary, cloudWatch) => {
    const d = deps(primary.url, cloudWatch, { probesPerInvocation: 1 });
    const started = performance.now();
    const report = await probePrimary(d);
    assert.ok(performance.now() - started < TIMEOUT_MS + 1000);
    assert.equal(report.probes[0].errorClass, "timeout");
    assert.equal(datapoints(cloudWatch, "PrimaryProbeHealthy")[0].Value, 0);
    assert.equal(datapoints(cloudWatch, "PrimaryProbeLatencyMs").length, 0, "no latency without an answer");
    assert.equal(d.log.lines.find((line) => line.message === "primary probe")?.level, "WARN");
  });
  await withPrimary(ok, async (_primary, cloudWatch) => {
    const report = await probePrimary(
      deps(`https://127.0.0.1:${closedPort()}`, cloudWatch, { probesPerInvocation: 1 }),
    );
    assert.equal(report.probes[0].errorClass, "refused");
    assert.equal(datapoints(cloudWatch, "PrimaryProbeHealthy")[0].Value, 0);
  });
});

Deno.test("probePrimary() starts no probe the Lambda timeout would cut off", async () => {
  await withPrimary(ok, async (primary, cloudWatch) => {
    const d = deps(primary.url, cloudWatch);
    // 35 s left at the start: probes at +6.5 s, +16.5 s and +26.5 s still fit their 2 x 1.4 s budget.
    const deadline = START + 35_000;
    const report = await probePrimary(d, { getRemainingTimeInMillis: () => deadline - d.clock.now() });
    assert.equal(report.probes.length, 3);
    assert.equal(report.skipped, 3);
    assert.ok(
      d.log.lines.some((line) => line.message.startsWith("probes skipped") && line.fields.skipped === 3),
    );
  });
});

Deno.test("probePrimary() keeps its cadence while CloudWatch hangs, and fails loudly when nothing was published", async () => {
  await withPrimary(ok, async (primary, cloudWatch) => {
    const d = deps(primary.url, cloudWatch);
    const started = performance.now();
    await assert.rejects(probePrimary(d), ProbeSilentError);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 3 * TIMEOUT_MS + 2000, `publishes ran in parallel with the probes (${elapsed} ms)`);
    assert.equal(primary.requests.length, 6, "every probe ran");
    assert.equal(d.log.lines.filter((line) => line.message === "probe result not published").length, 6);
  }, { hang: true });
  await withPrimary(ok, async (primary, cloudWatch) => {
    await assert.rejects(
      probePrimary(deps(primary.url, cloudWatch)),
      /none of 6 probe results reached CloudWatch/,
    );
  }, { fail: true });
});

const GOOD_ENV = {
  AWS_REGION: "us-west-2",
  REGION_ROLE: "witness",
  METRIC_NAMESPACE: "TransactionDR/dev",
  METRIC_REGION: "us-east-2",
  CHECK_TIMEOUT_MS: "5000",
  PRIMARY_HEALTH_URL: "https://alb-primary.us-east-1.elb.amazonaws.com/health/deep",
  APP_HOSTNAME: APP_HOSTNAME,
  PROBE_INTERVAL_SECONDS: "10",
  PROBES_PER_INVOCATION: "6",
};

Deno.test("readProbeEnvironment() accepts the synthesized shape and names every bad variable with its rule", () => {
  const env = readProbeEnvironment(GOOD_ENV);
  assert.equal(env.role, "witness");
  assert.equal(env.metricRegion, "us-east-2");
  const wired = wirePrimaryProbe(env);
  assert.equal(wired.intervalMs, 10_000);
  assert.equal(wired.probesPerInvocation, 6);
  assert.throws(
    () =>
      readProbeEnvironment({
        ...GOOD_ENV,
        REGION_ROLE: "primary",
        METRIC_REGION: "",
        CHECK_TIMEOUT_MS: "9000",
        PROBE_INTERVAL_SECONDS: "60",
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        'REGION_ROLE="primary": must be "secondary" or "witness" (the vantage point of the prober)',
        'METRIC_REGION="": is set but empty; must be an AWS region name such as us-east-2',
        'CHECK_TIMEOUT_MS="9000": must be an integer between 500 and 8000',
        'PROBE_INTERVAL_SECONDS="60": must be 10: the 10 s alarm periods and the one-a-minute schedule are built on it',
      ]);
      return true;
    },
  );
});

Deno.test("primary_probe handler refuses a non-scheduled event before probing", async () => {
  const handler = scheduledHandler({
    check: CHECK_NAME,
    readEnvironment: readProbeEnvironment,
    wire: () => {
      throw new Error("must not wire on bad input");
    },
    run: probePrimary,
  }, GOOD_ENV);
  const error = await handler({ source: "aws.cloudwatch" }).then(
    () => assert.fail("expected an error"),
    (e) => e,
  );
  assert.ok(error instanceof HandlerInputError);
  assert.match(error.problems[0], /^event: must be an EventBridge scheduled event/);
});
