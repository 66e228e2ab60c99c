import assert from "node:assert/strict";
import {
  bundleHandler,
  deterministicZip,
  type HandlerBundle,
  type ZipEntry,
} from "../modules/lambda_bundle.ts";
import { available, type Json, PROJECT_ROOT } from "./helpers.ts";
import { fakeSsmEndpoint } from "./handler_fakes.ts";
import { postgresAvailable, startPostgres } from "./postgres_fixture.ts";
import { closedPort, createTestPki, startHttpsServer } from "./tls_fixture.ts";
import { DATABASE_USERS } from "../handlers/lib/contract.ts";

const decoder = new TextDecoder();

function run(command: string, args: string[], cwd?: string): { ok: boolean; stdout: string; stderr: string } {
  const result = new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
  return { ok: result.success, stdout: decoder.decode(result.stdout), stderr: decoder.decode(result.stderr) };
}

function hasCommand(command: string): boolean {
  try {
    return new Deno.Command(command, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** The bundle's index.mjs, read back with unzip. */
function bundledSource(bundle: HandlerBundle): string {
  const listed = run("unzip", ["-Z1", bundle.zipPath]);
  assert.ok(listed.ok, listed.stderr);
  assert.deepEqual(listed.stdout.trim().split("\n"), ["index.mjs"]);
  return run("unzip", ["-p", bundle.zipPath, "index.mjs"]).stdout;
}

/** Unzips a bundle inside the project, so Node resolves the external @aws-sdk packages from node_modules. */
function unpackInProject(bundle: HandlerBundle): string {
  const dir = Deno.makeTempDirSync({ dir: `${PROJECT_ROOT}/.build`, prefix: "bundle-run-" });
  const unzip = run("unzip", ["-q", bundle.zipPath, "-d", dir]);
  assert.ok(unzip.ok, unzip.stderr);
  return dir;
}

Deno.mkdirSync(`${PROJECT_ROOT}/.build`, { recursive: true });

for (const name of ["db_health", "app_health", "primary_probe", "failover", "readiness"]) {
  Deno.test(`bundleHandler("${name}") makes a byte-identical, valid zip twice (AWS SDK external)`, () => {
    const first = bundleHandler(name, Deno.makeTempDirSync({ prefix: "dr-bundle-a-" }), { cache: false });
    const second = bundleHandler(name, Deno.makeTempDirSync({ prefix: "dr-bundle-b-" }), { cache: false });
    const firstBytes = Deno.readFileSync(first.zipPath);
    assert.deepEqual(Deno.readFileSync(second.zipPath), firstBytes);
    assert.equal(first.sha256Base64, second.sha256Base64);
    assert.equal(first.bytes, firstBytes.byteLength);
    assert.match(first.zipPath, new RegExp(`/${name}\\.zip$`));

    const tested = run("unzip", ["-t", first.zipPath]);
    assert.ok(tested.ok, tested.stdout + tested.stderr);
    const details = run("unzip", ["-Z", "-T", first.zipPath]).stdout;
    assert.match(details, /-rw-r--r--.* 19800101\.000000 index\.mjs/, details);

    const source = bundledSource(first);
    assert.match(source, /^import \{ createRequire as __createRequire \} from "node:module";/);
    assert.match(
      source,
      /export \{[^}]*\bhandler\b[^}]*\};\s*(\/\*[\s\S]*\*\/\s*)?$/,
      "index.mjs exports handler",
    );
    const client = name === "primary_probe" ? "cloudwatch" : "ssm";
    assert.match(
      source,
      new RegExp(`from "@aws-sdk/client-${client}"`),
      "the SDK is imported from the runtime",
    );
    if (name === "db_health") {
      // The runtime provides the SDK's clients, not necessarily its RDS signer: that one is bundled.
      assert.match(source, /node_modules\/\.deno\/@aws-sdk\+rds-signer@/, "the RDS signer is bundled");
      assert.doesNotMatch(source, /node_modules\/\.deno\/@aws-sdk\+client-/, "no AWS SDK client inlined");
    } else {
      assert.doesNotMatch(source, /node_modules\/\.deno\/@aws-sdk/, "no AWS SDK code inlined");
      assert.doesNotMatch(source, /node_modules\/\.deno\/@smithy/, "no smithy code inlined");
    }
    assert.match(source, /node_modules\/\.deno\/@aws-lambda-powertools\+logger@/, "Powertools is bundled");
    assert.doesNotMatch(source, new RegExp(PROJECT_ROOT), "no absolute build path in the bundle");
    if (name === "db_health") assert.match(source, /node_modules\/\.deno\/pg@/, "pg is bundled");
    console.log(`${name}.zip: ${first.bytes} bytes (index.mjs ${source.length} bytes) ${first.sha256Base64}`);
  });
}

Deno.test("bundleHandler() reuses the cached bundle for identical inputs", () => {
  const fresh = bundleHandler("app_health", Deno.makeTempDirSync({ prefix: "dr-bundle-" }), { cache: false });
  bundleHandler("app_health", Deno.makeTempDirSync({ prefix: "dr-bundle-" }));
  const started = performance.now();
  const cached = bundleHandler("app_health", Deno.makeTempDirSync({ prefix: "dr-bundle-" }));
  const elapsed = performance.now() - started;
  assert.equal(cached.sha256Base64, fresh.sha256Base64);
  console.log(`cached bundle: ${elapsed.toFixed(1)} ms`);
});

Deno.test("bundleHandler() refuses a missing handler or a bad name without affecting the others", () => {
  const out = Deno.makeTempDirSync({ prefix: "dr-bundle-" });
  assert.throws(() => bundleHandler("no_such_handler", out), /handlers\/no_such_handler\.ts does not exist/);
  assert.throws(() => bundleHandler("../main", out), /a handler name is lowercase letters, digits and _/);
  assert.ok(Deno.statSync(bundleHandler("db_health", out).zipPath).isFile);
});

/** deterministicZip() of `entries` in a fresh process whose local time zone is `timeZone`. */
function zipInTimeZone(timeZone: string, entries: ZipEntry[]): Uint8Array {
  const script = `import { deterministicZip } from "${PROJECT_ROOT}/modules/lambda_bundle.ts";
    const entries = JSON.parse(Deno.env.get("ZIP_ENTRIES"));
    const encoder = new TextEncoder();
    Deno.stdout.writeSync(deterministicZip(entries.map(([name, text]) => ({ name, data: encoder.encode(text) }))));`;
  const result = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", `${PROJECT_ROOT}/deno.json`, script],
    env: { TZ: timeZone, ZIP_ENTRIES: JSON.stringify(entries.map((e) => [e.name, decoder.decode(e.data)])) },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.ok(result.success, decoder.decode(result.stderr));
  return result.stdout;
}

Deno.test("deterministicZip() sorts entries, fixes timestamps and permissions, in every time zone", () => {
  const encoder = new TextEncoder();
  const entries = [
    { name: "b.txt", data: encoder.encode("bee\n".repeat(100)) },
    { name: "a.txt", data: encoder.encode("a") },
  ];
  const zip = deterministicZip(entries);
  const dir = Deno.makeTempDirSync({ prefix: "dr-zip-" });
  Deno.writeFileSync(`${dir}/t.zip`, zip);
  const tested = run("unzip", ["-t", `${dir}/t.zip`]);
  assert.ok(tested.ok, tested.stdout + tested.stderr);
  assert.deepEqual(run("unzip", ["-Z1", `${dir}/t.zip`]).stdout.trim().split("\n"), ["a.txt", "b.txt"]);
  assert.equal(run("unzip", ["-p", `${dir}/t.zip`, "b.txt"]).stdout, "bee\n".repeat(100));
  const details = run("unzip", ["-Z", "-T", `${dir}/t.zip`]).stdout.split("\n").filter((line) =>
    line.endsWith(".txt")
  );
  assert.equal(details.length, 2);
  for (const line of details) {
    assert.match(line, /^-rw-r--r-- .* unx .* defN 19800101\.000000 [ab]\.txt$/, line);
  }
  assert.deepEqual(deterministicZip(entries.toReversed()), zip, "input order does not matter");
  // Zip times are local times: the fixed date must not move with the machine's zone (UTC+9, UTC-8 in 1980).
  assert.deepEqual(zipInTimeZone("Asia/Tokyo", entries), zip);
  assert.deepEqual(zipInTimeZone("America/Los_Angeles", entries), zip);
  assert.throws(() => deterministicZip([...entries, entries[1]]), /duplicate zip entry: a\.txt/);
  Deno.removeSync(dir, { recursive: true });
});

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
}

Deno.test({
  name: "the app_health bundle runs under Node: real probes, Powertools JSON logs and EMF on stdout",
  ignore: !available("node", hasCommand("node"), "the bundles run under Node"),
  async fn() {
    const pki = createTestPki();
    const local = startHttpsServer(pki.issue("app.dr.example.com"), () => new Response("ok"));
    const dir = unpackInProject(bundleHandler("app_health", `${PROJECT_ROOT}/.build`, { cache: false }));
    try {
      const output = await new Deno.Command("node", {
        args: [
          "--input-type=module",
          "-e",
          'const { handler } = await import("./index.mjs"); await handler({});',
        ],
        cwd: dir,
        env: {
          AWS_REGION: "us-east-1",
          REGION_ROLE: "primary",
          METRIC_NAMESPACE: "TransactionDR/test",
          CHECK_TIMEOUT_MS: "2000",
          PARAMETER_PREFIX: "/txn/test",
          LOCAL_HEALTH_URL: `${local.url}/health/deep`,
          PEER_HEALTH_URL: `https://127.0.0.1:${closedPort()}/health/deep`,
          APP_HOSTNAME: "app.dr.example.com",
          NODE_EXTRA_CA_CERTS: pki.caCertificatePath,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = decoder.decode(output.stdout);
      const stderr = decoder.decode(output.stderr);
      assert.ok(output.success, stderr);
      // Powertools writes WARN and ERROR lines to stderr; Lambda sends both streams to the log group.
      const lines = jsonLines(`${stdout}\n${stderr}`);
      const emf = jsonLines(stdout).filter((line) => "_aws" in line);
      assert.equal(emf.length, 1, stdout);
      assert.equal(emf[0].AppHealthy, 1);
      assert.equal(emf[0].PeerAppHealthy, 0);
      assert.deepEqual(
        (emf[0]._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> }).CloudWatchMetrics[0]
          .Dimensions,
        [["Region", "Role"]],
      );
      const logs = lines.filter((line) => line.message === "application check");
      const peer = logs.find((line) => line.target === "peer")!;
      assert.equal(peer.level, "WARN");
      assert.equal(peer.check, "app_health");
      assert.equal(peer.region, "us-east-1");
      assert.equal(peer.role, "primary");
      assert.equal(peer.outcome, "unhealthy");
      assert.equal(peer.errorClass, "refused");
      assert.equal(typeof peer.durationMs, "number");
      assert.equal(logs.find((line) => line.target === "local")!.outcome, "healthy");
      assert.deepEqual(local.requests.map((r) => r.host), ["app.dr.example.com"]);
    } finally {
      await local.close();
      pki.remove();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the db_health bundle runs under Node: SSM config, verified TLS to PostgreSQL, lag query, EMF",
  ignore: !available(
    "node and the PostgreSQL server",
    hasCommand("node") && postgresAvailable(),
    "the db_health bundle under Node",
  ),
  async fn() {
    // No local server can check an IAM token: the checker role is trusted here, every other role needs SCRAM.
    const server = await startPostgres({ trustUsers: [DATABASE_USERS.checker] });
    const prefix = "/txn/test";
    const ssm = fakeSsmEndpoint({
      [`${prefix}/database/reader-endpoint`]: { value: "localhost" },
      [`${prefix}/database/port`]: { value: String(server.port) },
      [`${prefix}/database/name`]: { value: server.database },
    });
    const dir = unpackInProject(bundleHandler("db_health", `${PROJECT_ROOT}/.build`, { cache: false }));
    try {
      const psql = run("psql", [
        `host=127.0.0.1 port=${server.port} user=${server.user} password=${server.password} ` +
        `dbname=${server.database} sslmode=require`,
        "-v",
        "ON_ERROR_STOP=1",
        "-q",
        "-c",
        `CREATE ROLE ${DATABASE_USERS.checker} LOGIN;
         CREATE FUNCTION aurora_global_db_status() RETURNS TABLE (aws_region text, highest_lsn_written bigint,
           durability_lag_in_msec bigint, rpo_lag_in_msec bigint, last_lag_calculation_time timestamptz,
           feedback_epoch integer, feedback_xmin xid)
         LANGUAGE sql AS $$ VALUES ('us-east-1', 10::bigint, -1::bigint, -1::bigint, now(), 0, '0'::xid),
                                   ('us-east-2', 9::bigint, 120::bigint, 95::bigint, now(), 0, '0'::xid) $$`,
      ]);
      assert.ok(psql.ok, psql.stderr);
      const output = await new Deno.Command("node", {
        args: [
          "--input-type=module",
          "-e",
          'const { handler } = await import("./index.mjs");' +
          // 3 s left: less than one more reading needs, so the minute's sampling stops at the first one.
          'await handler({ source: "aws.events", "detail-type": "Scheduled Event" },' +
          " { getRemainingTimeInMillis: () => 3000 });",
        ],
        cwd: dir,
        env: {
          AWS_REGION: "us-east-2",
          REGION_ROLE: "secondary",
          METRIC_NAMESPACE: "TransactionDR/test",
          CHECK_TIMEOUT_MS: "3000",
          PARAMETER_PREFIX: prefix,
          REPLICATION_STALL_SECONDS: "10",
          AWS_ENDPOINT_URL_SSM: ssm.clientConfig.endpoint,
          AWS_ACCESS_KEY_ID: ssm.clientConfig.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: ssm.clientConfig.credentials.secretAccessKey,
          NODE_EXTRA_CA_CERTS: server.caCertificatePath,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = decoder.decode(output.stdout);
      assert.ok(output.success, decoder.decode(output.stderr) + stdout);
      const lines = jsonLines(stdout);
      const emf = lines.filter((line) => "_aws" in line);
      assert.equal(emf.length, 2, stdout);
      const [health, replication] = emf;
      assert.equal(health.DatabaseHealthy, 1, stdout);
      assert.equal(typeof health.DatabaseLatencyMs, "number");
      assert.equal(replication.ReplicationLagMs, 95);
      assert.equal(replication.ReplicationStalled, 0);
      const stalled = (replication._aws as { CloudWatchMetrics: Array<{ Metrics: Json[] }> })
        .CloudWatchMetrics[0]
        .Metrics.find((metric) => metric.Name === "ReplicationStalled");
      assert.equal(stalled.StorageResolution, 1);
      for (const document of emf) {
        assert.equal(document.Region, "us-east-2");
        assert.equal(document.Role, "secondary");
      }
      const check = lines.find((line) => line.message === "database check")!;
      assert.equal(check.outcome, "healthy");
      assert.equal(check.target, `localhost:${server.port}`);
      assert.deepEqual(ssm.calls.map((call) => call.withDecryption), [false], "no secret read");
    } finally {
      await ssm.close();
      await server.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
