// @ts-types="@types/pg"
import pg from "pg";
import assert from "node:assert/strict";
import { available } from "./helpers.ts";
import {
  CHECK_NAME,
  checkDatabase,
  type DatabaseCheckDeps,
  REPLICATION_LAG_SQL,
} from "../handlers/db_health.ts";
import { scheduledHandler, systemClock } from "../handlers/lib/checker.ts";
import {
  checkerLambdaTimeoutSeconds,
  type ParameterKey,
  samplerLambdaTimeoutSeconds,
} from "../handlers/lib/contract.ts";
import type { DatabaseSession } from "../handlers/lib/postgres.ts";
import { classifyError, HandlerInputError, HttpStatusError, TimeoutError } from "../handlers/lib/errors.ts";
import { readCheckerEnvironment } from "../handlers/lib/input.ts";
import { ssmParameterReader } from "../handlers/lib/parameters.ts";
import { pgConnect } from "../handlers/lib/postgres.ts";
import {
  captureLogger,
  captureMetrics,
  fakeParameters,
  fakeSsmEndpoint,
  fakeWallClock,
  metricValues,
} from "./handler_fakes.ts";
import {
  bootstrapRoles,
  CHECKER_PASSWORD,
  masterClient,
  postgresAvailable,
  type PostgresServer,
  startPostgres,
} from "./postgres_fixture.ts";
import { createTestPki } from "./tls_fixture.ts";
import { DATABASE_USERS } from "../handlers/lib/contract.ts";

const TIMEOUT_MS = 500;
/**
 * Yesterday 12:00:03.500 UTC: the schedule started the checker three and a half seconds into its minute
 * (recent, because CloudWatch drops EMF datapoints older than 14 days).
 */
const START =
  ((today) => Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 1, 12, 0, 3, 500))(
    new Date(),
  );

function parametersFor(server: PostgresServer): Partial<Record<ParameterKey, string>> {
  return {
    writerEndpoint: server.host,
    readerEndpoint: server.host,
    port: String(server.port),
    databaseName: server.database,
  };
}

function deps(
  server: PostgresServer,
  overrides: Partial<DatabaseCheckDeps> = {},
): DatabaseCheckDeps & { log: ReturnType<typeof captureLogger>; metrics: ReturnType<typeof captureMetrics> } {
  const role = overrides.role ?? "primary";
  const region = overrides.region ?? (role === "primary" ? "us-east-1" : "us-east-2");
  return {
    region,
    role,
    timeoutMs: TIMEOUT_MS,
    parameters: fakeParameters(parametersFor(server)),
    connect: pgConnect({ ca: server.caCertificate }),
    authToken: ({ user }) =>
      Promise.resolve(user === DATABASE_USERS.checker ? CHECKER_PASSWORD : "unknown user"),
    clock: systemClock,
    wallClock: fakeWallClock(START),
    replicationStallSeconds: 10,
    ...overrides,
    log: captureLogger(),
    metrics: captureMetrics(region, role),
  };
}

/**
 * Aurora's aurora_global_db_status() with its real columns, backed by a table; it sleeps for `delay`. A NULL
 * last_lag_calculation_time in the table reads as "calculated just now" (replication alive and advancing).
 */
async function installFakeGlobalDbStatus(server: PostgresServer): Promise<pg.Client> {
  const admin = await masterClient(server);
  await admin.query(`
    CREATE TABLE fake_global_db_status (
      aws_region text, highest_lsn_written bigint, durability_lag_in_msec bigint, rpo_lag_in_msec bigint,
      last_lag_calculation_time timestamptz, feedback_epoch integer, feedback_xmin xid);
    CREATE TABLE fake_delay (seconds double precision NOT NULL);
    INSERT INTO fake_delay VALUES (0);
    INSERT INTO fake_global_db_status VALUES
      ('us-east-1', 4000, -1, -1, '1970-01-01 00:00:00+00', 0, '0'),
      ('us-east-2', 3990, 350, 180, NULL, 1, '742');
    CREATE FUNCTION aurora_global_db_status()
      RETURNS TABLE (aws_region text, highest_lsn_written bigint, durability_lag_in_msec bigint,
        rpo_lag_in_msec bigint, last_lag_calculation_time timestamptz, feedback_epoch integer, feedback_xmin xid)
      LANGUAGE sql SECURITY DEFINER AS $$
        SELECT s.aws_region, s.highest_lsn_written, s.durability_lag_in_msec, s.rpo_lag_in_msec,
          coalesce(s.last_lag_calculation_time, clock_timestamp()), s.feedback_epoch, s.feedback_xmin
        FROM fake_global_db_status s, (SELECT pg_sleep((SELECT seconds FROM fake_delay))) pause
      $$;`);
  await bootstrapRoles(admin, server.database);
  return admin;
}

Deno.test({
  name: "checkDatabase() against a real PostgreSQL over TLS on loopback",
  ignore: !available(
    "the PostgreSQL server",
    postgresAvailable(),
    "the database checker against a real PostgreSQL",
  ),
  async fn(t) {
    const server = await startPostgres();
    const admin = await installFakeGlobalDbStatus(server);
    try {
      await t.step("primary: healthy, latency, no replication lag", async () => {
        const d = deps(server);
        const result = await checkDatabase(d);
        assert.equal(result.healthy, true, result.error);
        assert.equal(result.endpoint, `127.0.0.1:${server.port}`);
        const values = metricValues(d.metrics.documents);
        assert.equal(values.DatabaseHealthy, 1);
        assert.ok(values.DatabaseLatencyMs >= 0 && values.DatabaseLatencyMs < TIMEOUT_MS * 4);
        assert.equal(values.ReplicationLagMs, undefined);
        assert.deepEqual((d.parameters as ReturnType<typeof fakeParameters>).reads, [
          ["writerEndpoint", "port", "databaseName"],
        ], "no user name or password parameter: the checker role with an IAM token");
        assert.equal(d.log.lines.length, 1);
        const [line] = d.log.lines;
        assert.equal(line.level, "INFO");
        assert.equal(line.fields.outcome, "healthy");
        assert.equal(typeof line.fields.durationMs, "number");
      });

      await t.step(
        "secondary: reads the reader endpoint and its region's lag from aurora_global_db_status()",
        async () => {
          const d = deps(server, { role: "secondary" });
          const result = await checkDatabase(d);
          assert.equal(result.healthy, true, result.error);
          assert.equal(result.replicationLagMs, 180);
          assert.equal((d.parameters as ReturnType<typeof fakeParameters>).reads[0][0], "readerEndpoint");
          const values = metricValues(d.metrics.documents);
          assert.deepEqual(
            Object.keys(values).sort(),
            ["DatabaseHealthy", "DatabaseLatencyMs", "ReplicationLagMs", "ReplicationStalled"],
          );
          assert.equal(values.ReplicationLagMs, 180);
          assert.equal(values.ReplicationStalled, 0, "lag 180 ms, calculated just now");
          assert.equal(d.metrics.documents[0].Role, "secondary");
          assert.equal(d.metrics.documents[0].Region, "us-east-2");
          assert.match(REPLICATION_LAG_SQL, /aurora_global_db_status\(\)/);
          // One reading at once, then one per remaining 10 s boundary of the minute, over one connection.
          assert.deepEqual(
            result.replication?.map((sample) => sample.at.slice(11, 19)),
            ["12:00:03", "12:00:10", "12:00:20", "12:00:30", "12:00:40", "12:00:50"],
          );
          const stalled = d.metrics.documents.filter((document) => "ReplicationStalled" in document);
          assert.equal(stalled.length, 6);
          assert.deepEqual(
            stalled.map((document) => document._aws.Timestamp),
            result.replication!.map((s) => Date.parse(s.at)),
          );
          const definition = stalled[0]._aws.CloudWatchMetrics[0].Metrics
            .find((metric: { Name: string }) => metric.Name === "ReplicationStalled");
          assert.equal(definition.StorageResolution, 1, "high resolution: a 10 s alarm reads it");
        },
      );

      await t.step("secondary, lag beyond REPLICATION_STALL_SECONDS: stalled", async () => {
        await admin.query(
          "UPDATE fake_global_db_status SET rpo_lag_in_msec = 12000 WHERE aws_region = 'us-east-2'",
        );
        try {
          const d = deps(server, { role: "secondary" });
          const result = await checkDatabase(d);
          assert.equal(result.healthy, true);
          assert.ok(result.replication!.every((sample) => sample.stalled));
          assert.equal(metricValues(d.metrics.documents).ReplicationStalled, 1);
          assert.equal(d.log.lines.filter((line) => line.message === "replication stalled").length, 6);
          const relaxed = deps(server, { role: "secondary", replicationStallSeconds: 15 });
          assert.equal(
            metricValues((await checkDatabase(relaxed), relaxed.metrics.documents)).ReplicationStalled,
            0,
          );
        } finally {
          await admin.query(
            "UPDATE fake_global_db_status SET rpo_lag_in_msec = 180 WHERE aws_region = 'us-east-2'",
          );
        }
      });

      await t.step(
        "secondary, lag calculation frozen 30 s ago (the primary region is gone): stalled",
        async () => {
          await admin.query(
            "UPDATE fake_global_db_status SET last_lag_calculation_time = clock_timestamp() - interval '30 seconds' " +
              "WHERE aws_region = 'us-east-2'",
          );
          try {
            const d = deps(server, { role: "secondary" });
            const result = await checkDatabase(d);
            assert.equal(result.healthy, true, "the standby's database itself answers");
            assert.equal(result.replicationLagMs, 180, "the last lag Aurora calculated still looks fine");
            assert.ok(result.replication![0].lagCalculationAgeMs >= 30_000);
            assert.ok(result.replication!.every((sample) => sample.stalled));
          } finally {
            await admin.query(
              "UPDATE fake_global_db_status SET last_lag_calculation_time = NULL WHERE aws_region = 'us-east-2'",
            );
          }
        },
      );

      await t.step("secondary after promotion (its row is -1): healthy, no lag metric", async () => {
        await admin.query(
          "UPDATE fake_global_db_status SET rpo_lag_in_msec = -1 WHERE aws_region = 'us-east-2'",
        );
        try {
          const d = deps(server, { role: "secondary" });
          const result = await checkDatabase(d);
          assert.equal(result.healthy, true);
          assert.equal(metricValues(d.metrics.documents).ReplicationLagMs, undefined);
          assert.equal(
            metricValues(d.metrics.documents).ReplicationStalled,
            undefined,
            "the writer has nothing to replicate",
          );
          assert.equal(result.replication, undefined);
        } finally {
          await admin.query(
            "UPDATE fake_global_db_status SET rpo_lag_in_msec = 180 WHERE aws_region = 'us-east-2'",
          );
        }
      });

      await t.step("secondary in a region without a row: unhealthy (query_error)", async () => {
        const d = deps(server, { role: "secondary", region: "eu-west-1" });
        const result = await checkDatabase(d);
        assert.equal(result.healthy, false);
        assert.equal(result.errorClass, "query_error");
      });

      await t.step("slow query beyond the timeout: unhealthy (timeout) within the timeout", async () => {
        await admin.query("UPDATE fake_delay SET seconds = 5");
        try {
          const d = deps(server, { role: "secondary" });
          const started = performance.now();
          const result = await checkDatabase(d);
          const elapsed = performance.now() - started;
          assert.equal(result.healthy, false);
          assert.equal(result.errorClass, "timeout", result.error);
          assert.ok(elapsed < TIMEOUT_MS + 1500, `took ${elapsed} ms`);
          const values = metricValues(d.metrics.documents);
          assert.equal(values.DatabaseHealthy, 0);
          assert.equal(values.DatabaseLatencyMs, undefined);
          const [line] = d.log.lines;
          assert.equal(line.level, "WARN");
          assert.equal(line.fields.outcome, "unhealthy");
          assert.equal(line.fields.errorClass, "timeout");
        } finally {
          await admin.query("UPDATE fake_delay SET seconds = 0");
        }
      });

      await t.step("wrong password: unhealthy (auth)", async () => {
        const d = deps(server, { authToken: () => Promise.resolve("not-the-token") });
        const result = await checkDatabase(d);
        assert.equal(result.errorClass, "auth", result.error);
        assert.equal(metricValues(d.metrics.documents).DatabaseHealthy, 0);
      });

      await t.step("certificate from an unknown CA: unhealthy (tls)", async () => {
        const otherPki = createTestPki();
        try {
          const d = deps(server, { connect: pgConnect({ ca: otherPki.caCertificate }) });
          const result = await checkDatabase(d);
          assert.equal(result.errorClass, "tls", result.error);
        } finally {
          otherPki.remove();
        }
      });

      await t.step("a client without TLS is refused by the server (tls)", async () => {
        const plain = new pg.Client({
          host: server.host,
          port: server.port,
          user: server.user,
          password: server.password,
          database: server.database,
          ssl: false,
        });
        const error = await plain.connect().then(() => undefined, (e) => e);
        await plain.end().catch(() => {});
        assert.ok(error, "the server must refuse a connection without TLS");
        assert.equal(classifyError(error), "tls", String(error));
      });

      await t.step("missing parameter: bad configuration is thrown, not reported as unhealthy", async () => {
        const values = parametersFor(server);
        delete values.databaseName;
        const d = deps(server, { parameters: fakeParameters(values) });
        await assert.rejects(checkDatabase(d), { name: "ParameterError" });
        assert.deepEqual(d.metrics.documents, []);
      });

      await t.step("server down: unhealthy (refused), healthy again once it is back", async () => {
        await admin.end();
        await server.pause();
        const down = deps(server);
        const result = await checkDatabase(down);
        assert.equal(result.errorClass, "refused", result.error);
        assert.equal(metricValues(down.metrics.documents).DatabaseHealthy, 0);
        await server.resume();
        const up = deps(server);
        assert.equal((await checkDatabase(up)).healthy, true);
      });
    } finally {
      await admin.end().catch(() => {});
      await server.stop();
    }
  },
});

Deno.test("classifyError() maps transport, TLS, DNS, HTTP and SQL failures to their class", () => {
  const cases: Array<[unknown, string]> = [
    [new TimeoutError("GET x", 5), "timeout"],
    [new HttpStatusError(503, "https://x"), "http_status"],
    [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "refused"],
    [Object.assign(new Error("getaddrinfo ENOTFOUND db.invalid"), { code: "ENOTFOUND" }), "dns"],
    [Object.assign(new Error("getaddrinfo EAI_AGAIN"), { code: "EAI_AGAIN" }), "dns"],
    [Object.assign(new Error("Hostname/IP does not match"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" }), "tls"],
    [Object.assign(new Error("self-signed"), { code: "SELF_SIGNED_CERT_IN_CHAIN" }), "tls"],
    [
      Object.assign(new Error("password authentication failed"), { code: "28P01", severity: "FATAL" }),
      "auth",
    ],
    [Object.assign(new Error("canceling statement"), { code: "57014", severity: "ERROR" }), "timeout"],
    [
      Object.assign(new Error("relation does not exist"), { code: "42P01", severity: "ERROR" }),
      "query_error",
    ],
    [
      Object.assign(new Error("the database system is shutting down"), { code: "57P03", severity: "FATAL" }),
      "refused",
    ],
    [new Error("Connection terminated due to connection timeout"), "timeout"],
    [new Error("something else"), "unknown"],
    ["not an error", "unknown"],
  ];
  for (const [error, expected] of cases) assert.equal(classifyError(error), expected, String(error));
});

Deno.test("ssmParameterReader() reads the keys in one decrypted GetParameters call and caches them", async () => {
  const ssm = fakeSsmEndpoint({
    "/txn/test/database/port": { value: "5432" },
    "/txn/test/database/master-password": { value: "s3cret", secure: true },
  });
  try {
    const reader = ssmParameterReader({
      prefix: "/txn/test",
      timeoutMs: 2000,
      clientConfig: ssm.clientConfig,
    });
    assert.deepEqual(await reader.read(["port", "masterPassword"]), {
      port: "5432",
      masterPassword: "s3cret",
    });
    assert.deepEqual(await reader.read(["port", "masterPassword"]), {
      port: "5432",
      masterPassword: "s3cret",
    });
    assert.equal(ssm.calls.length, 1, "the second read comes from the cache");
    assert.equal(ssm.calls[0].withDecryption, true);
    assert.deepEqual(ssm.calls[0].names.sort(), [
      "/txn/test/database/master-password",
      "/txn/test/database/port",
    ]);
    await assert.rejects(reader.read(["activeRegion"]), {
      name: "ParameterError",
      message: /\/txn\/test\/failover\/active-region: missing or empty/,
    });
  } finally {
    await ssm.close();
  }
});

Deno.test("ssmParameterReader() gives up on a hanging Parameter Store within the timeout", async () => {
  const ssm = fakeSsmEndpoint({}, { hang: true });
  try {
    const reader = ssmParameterReader({
      prefix: "/txn/test",
      timeoutMs: 300,
      clientConfig: ssm.clientConfig,
    });
    const started = performance.now();
    await assert.rejects(reader.read(["activeRegion"]), {
      name: "ParameterError",
      message: /timeout|no answer within/i,
    });
    assert.ok(performance.now() - started < 1500);
  } finally {
    await ssm.close();
  }
});

Deno.test("db_health handler refuses a missing environment and a non-scheduled event", async () => {
  const inputLog = captureLogger();
  const handler = scheduledHandler({
    check: CHECK_NAME,
    readEnvironment: readCheckerEnvironment,
    wire: () => {
      throw new Error("must not wire on bad input");
    },
    run: checkDatabase,
    inputLog: () => inputLog,
  }, {
    AWS_REGION: "us-east-1",
    REGION_ROLE: "primary",
    CHECK_TIMEOUT_MS: "50",
    PARAMETER_PREFIX: "txn/dev/",
  });
  const error = await handler([]).then(() => assert.fail("expected a HandlerInputError"), (e) => e);
  assert.ok(error instanceof HandlerInputError);
  assert.deepEqual(error.problems.map((p: string) => p.split(/[:=]/)[0]), [
    "METRIC_NAMESPACE",
    "CHECK_TIMEOUT_MS",
    "PARAMETER_PREFIX",
    "event",
  ]);
  assert.match(
    error.message,
    /CHECK_TIMEOUT_MS="50": must be an integer between 500 and 8000/,
  );
  assert.match(error.message, /METRIC_NAMESPACE: is not set/);
  assert.deepEqual(inputLog.lines.map((line) => [line.level, line.message]), [[
    "ERROR",
    "invalid handler input",
  ]]);
});

Deno.test("checkerLambdaTimeoutSeconds() leaves room for every sequential call at its timeout", () => {
  assert.equal(checkerLambdaTimeoutSeconds("db_health", 5000), 26);
  assert.equal(checkerLambdaTimeoutSeconds("app_health", 5000), 14);
  assert.ok(checkerLambdaTimeoutSeconds("db_health", 500) * 1000 > 4 * 500);
});

Deno.test("samplerLambdaTimeoutSeconds() covers the set-up calls, a minute of samples and the last sample's calls", () => {
  // db_health on the standby: SSM, connect, SELECT 1, then the last status query starts up to 60 s later.
  assert.equal(samplerLambdaTimeoutSeconds("db_health", 5000), 4 * 6 + 60 + 2);
  // primary_probe: the last GET and its PutMetricData start up to 60 s after the invocation.
  assert.equal(samplerLambdaTimeoutSeconds("primary_probe", 5000), 2 * 6 + 60 + 2);
  assert.ok(samplerLambdaTimeoutSeconds("primary_probe", 8000) <= 900);
});

/** A session whose aurora_global_db_status() answers from `row(nowMs)`; `failAt` makes the n-th status query throw. */
function fakeSession(
  clock: { now(): number },
  row: (nowMs: number) => Record<string, unknown>,
  failAt?: number,
) {
  let statusQueries = 0;
  const session: DatabaseSession & { closed: boolean } = {
    closed: false,
    query<Row extends Record<string, unknown>>(sql: string) {
      if (sql === "SELECT 1") return Promise.resolve([{ "?column?": 1 }] as unknown as Row[]);
      statusQueries++;
      if (statusQueries === failAt) return Promise.reject(new Error("Connection terminated unexpectedly"));
      return Promise.resolve([row(clock.now())] as unknown as Row[]);
    },
    close() {
      session.closed = true;
      return Promise.resolve();
    },
  };
  return session;
}

function fakeDeps(session: DatabaseSession, clock: ReturnType<typeof fakeWallClock>) {
  return {
    region: "us-east-2",
    role: "secondary" as const,
    timeoutMs: TIMEOUT_MS,
    replicationStallSeconds: 10,
    parameters: fakeParameters({
      readerEndpoint: "reader.example",
      port: "5432",
      databaseName: "transactions",
    }),
    connect: () => Promise.resolve(session),
    authToken: () => Promise.resolve("test-only"),
    metrics: captureMetrics("us-east-2", "secondary"),
    log: captureLogger(),
    clock: systemClock,
    wallClock: clock,
  };
}

Deno.test("checkDatabase() on the standby: a lag calculation that stops advancing turns stalled within the minute", async () => {
  const clock = fakeWallClock(START);
  const frozenAt = START - 2_000; // the primary region went away 2 s before this run
  const session = fakeSession(
    clock,
    (now) => ({ rpo_lag_in_msec: 250, lag_calculation_age_msec: now - frozenAt }),
  );
  const d = fakeDeps(session, clock);
  const result = await checkDatabase(d);
  assert.deepEqual(result.replication!.map((sample) => sample.stalled), [
    false,
    false,
    true,
    true,
    true,
    true,
  ]);
  assert.deepEqual(
    d.metrics.documents.filter((document) => "ReplicationStalled" in document).map((document) =>
      document.ReplicationStalled
    ),
    [0, 0, 1, 1, 1, 1],
  );
  assert.ok(session.closed, "one connection, closed at the end");
});

Deno.test("checkDatabase() on the standby: a failed reading ends the minute's sampling, the check stays healthy", async () => {
  const clock = fakeWallClock(START);
  const session = fakeSession(clock, () => ({ rpo_lag_in_msec: 100, lag_calculation_age_msec: 300 }), 3);
  const d = fakeDeps(session, clock);
  const result = await checkDatabase(d);
  assert.equal(result.healthy, true);
  assert.equal(result.replication!.length, 2, "the reading at once and the first boundary, then the failure");
  assert.ok(d.log.lines.some((line) => line.message.startsWith("replication sample failed")));
  assert.ok(session.closed);
});

Deno.test("checkDatabase() on the standby stops sampling before the Lambda timeout", async () => {
  const clock = fakeWallClock(START);
  const session = fakeSession(clock, () => ({ rpo_lag_in_msec: 100, lag_calculation_age_msec: 300 }));
  const deadline = START + 25_000;
  const result = await checkDatabase(fakeDeps(session, clock), {
    getRemainingTimeInMillis: () => deadline - clock.now(),
  });
  // At once, then +6.5 s and +16.5 s; the reading at +26.5 s would outlive the invocation.
  assert.equal(result.replication!.length, 3);
});
