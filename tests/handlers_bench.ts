// Checker latency in-process against local servers (what one scheduled invocation costs besides the
// runtime), and bundle time (what a synth pays on a cache miss). Servers start inside each bench, so
// every bench cleans up after itself; each reports the time of ROUNDS checks.
import { checkApplication } from "../handlers/app_health.ts";
import { checkDatabase } from "../handlers/db_health.ts";
import { systemClock } from "../handlers/lib/checker.ts";
import { tlsProbe } from "../handlers/lib/https_probe.ts";
import { emfMetricsSink } from "../handlers/lib/metrics.ts";
import { pgConnect } from "../handlers/lib/postgres.ts";
import { DATABASE_USERS } from "../handlers/lib/contract.ts";
import { bundleHandler } from "../modules/lambda_bundle.ts";
import { captureLogger, fakeParameters } from "./handler_fakes.ts";
import {
  bootstrapRoles,
  CHECKER_PASSWORD,
  masterClient,
  postgresAvailable,
  startPostgres,
} from "./postgres_fixture.ts";
import { createTestPki, startHttpsServer } from "./tls_fixture.ts";

const ROUNDS = 50;
const discard = () => {};

Deno.bench({
  name: `db_health: ${ROUNDS} healthy checks (TLS connect + SELECT 1) against a local PostgreSQL`,
  ignore: !postgresAvailable(),
  n: 1,
  warmup: 0,
  async fn(b) {
    const server = await startPostgres();
    const deps = {
      region: "us-east-1",
      role: "primary" as const,
      timeoutMs: 5000,
      parameters: fakeParameters({
        writerEndpoint: server.host,
        port: String(server.port),
        databaseName: server.database,
      }),
      connect: pgConnect({ ca: server.caCertificate }),
      // The checker logs in as its own role, with a password standing in for its IAM token.
      authToken: ({ user }: { user: string }) =>
        Promise.resolve(user === DATABASE_USERS.checker ? CHECKER_PASSWORD : "unknown user"),
      metrics: emfMetricsSink({ namespace: "Bench", region: "us-east-1", role: "primary", write: discard }),
      log: captureLogger(),
      clock: systemClock,
    };
    const healthyCheck = async () => {
      const result = await checkDatabase(deps);
      if (!result.healthy) throw new Error(`database check failed: ${result.error}`);
    };
    try {
      const admin = await masterClient(server);
      await bootstrapRoles(admin, server.database).finally(() => admin.end());
      await healthyCheck(); // first connection: TLS session setup, server backend start
      b.start();
      for (let i = 0; i < ROUNDS; i++) await healthyCheck();
      b.end();
    } finally {
      await server.stop();
    }
  },
});

Deno.bench({
  name: `app_health: ${ROUNDS} checks (local + peer HTTPS probes in parallel) against local servers`,
  n: 1,
  warmup: 0,
  async fn(b) {
    const pki = createTestPki();
    const certificate = pki.issue("app.dr.example.com");
    const servers = [0, 1].map(() => startHttpsServer(certificate, () => new Response("ok")));
    const deps = {
      region: "us-east-1",
      role: "primary" as const,
      timeoutMs: 5000,
      localHealthUrl: `${servers[0].url}/health/deep`,
      peerHealthUrl: `${servers[1].url}/health/deep`,
      appHostname: "app.dr.example.com",
      probe: tlsProbe({ ca: pki.caCertificate }),
      parameters: fakeParameters({}),
      metrics: emfMetricsSink({ namespace: "Bench", region: "us-east-1", role: "primary", write: discard }),
      log: captureLogger(),
      clock: systemClock,
    };
    try {
      b.start();
      for (let i = 0; i < ROUNDS; i++) {
        const result = await checkApplication(deps);
        if (!result.local.healthy || !result.peer.healthy) throw new Error("application check failed");
      }
      b.end();
    } finally {
      await Promise.all(servers.map((server) => server.close()));
      pki.remove();
    }
  },
});

for (const name of ["db_health", "app_health"]) {
  Deno.bench({
    name: `bundleHandler("${name}") uncached (esbuild + deterministic zip)`,
    n: 5,
    warmup: 1,
    fn() {
      bundleHandler(name, Deno.makeTempDirSync({ prefix: "dr-bench-bundle-" }), { cache: false });
    },
  });
}

Deno.bench({
  name: 'bundleHandler("db_health") cached',
  n: 20,
  warmup: 1,
  fn() {
    bundleHandler("db_health", Deno.makeTempDirSync({ prefix: "dr-bench-bundle-" }));
  },
});
