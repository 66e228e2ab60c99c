// The instance service for real: the files are taken from the synthesized user data (what EC2 would run),
// the front service runs with python3 on loopback against the real PostgreSQL fixture (TLS verify-full),
// and the boot-time configuration step runs against a stand-in AWS CLI.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { decodeUserData, type EmbeddedFile } from "../modules/app_service/user_data.ts";
import { DEEP_HEALTH_PATH, parameterName, SHALLOW_HEALTH_PATH } from "../handlers/lib/contract.ts";
import { available, defaultStack, resource } from "./helpers.ts";
import { postgresAvailable, type PostgresServer, startPostgres } from "./postgres_fixture.ts";

function commandWorks(command: string, args: string[]): boolean {
  try {
    return new Deno.Command(command, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const hasPython = available("python3", commandWorks("python3", ["--version"]), "the instance service tests");
const hasPostgres = hasPython &&
  available(
    "psql and the PostgreSQL server",
    commandWorks("psql", ["--version"]) && postgresAvailable(),
    "deep health against a real database",
  );

/** The files the user data writes, parsed back out of the synthesized launch template. */
function filesFromUserData(role: "primary" | "secondary" = "primary"): EmbeddedFile[] {
  const encoded = resource(defaultStack().stack, "aws_launch_template", `compute_${role}_template`).user_data;
  const script = decodeUserData(encoded);
  const pattern = /cat >(\S+) <<'DR_APP_EOF'\n([\s\S]*?)DR_APP_EOF\nchmod (\d+) \1\n/g;
  return [...script.matchAll(pattern)].map(([, path, content, mode]) => ({ path, content, mode }));
}

/** Writes the embedded service files into a fresh folder; returns the folder. */
function extractService(): string {
  const dir = Deno.makeTempDirSync({ prefix: "dr-app-" });
  for (const file of filesFromUserData()) {
    const name = file.path.split("/").pop()!;
    Deno.writeTextFileSync(`${dir}/${name}`, file.content);
    Deno.chmodSync(`${dir}/${name}`, parseInt(file.mode, 8));
  }
  return dir;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

interface RunningService {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the extracted health_server.py on a free loopback port and waits until it answers. */
async function startService(serviceDir: string, env: Record<string, string>): Promise<RunningService> {
  const port = freePort();
  const child = new Deno.Command("python3", {
    args: [`${serviceDir}/health_server.py`],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      APP_PORT: String(port),
      BIND_ADDRESS: "127.0.0.1",
      DEEP_CHECK_CACHE_SECONDS: "0",
      ...env,
    },
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(`${url}${SHALLOW_HEALTH_PATH}`);
      await response.body?.cancel();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

/**
 * The front service's database settings; its IAM token comes from a stand-in CLI that answers `token` (the
 * fixture's password: no local server can check an IAM token).
 */
function databaseEnv(server: PostgresServer, overrides: Record<string, string> = {}): Record<string, string> {
  const tokens = new FakeAws({}, overrides.TOKEN ?? server.password);
  return {
    ...tokens.env(),
    AWS_REGION: "us-east-1",
    DB_HOST: server.host,
    DB_PORT: String(server.port),
    DB_NAME: server.database,
    DB_USER: server.user,
    DB_SSLMODE: "verify-full",
    DB_SSLROOTCERT: server.caCertificatePath,
    DEEP_CHECK_TIMEOUT_SECONDS: "2",
    ...overrides,
  };
}

Deno.test("the user data script and the setup script pass bash -n; every unit runs a file the user data writes", () => {
  const script = decodeUserData(
    resource(defaultStack().stack, "aws_launch_template", "compute_primary_template").user_data,
  );
  const setup = filesFromUserData().find((file) => file.path.endsWith("setup.sh"))!.content;
  for (const text of [script, setup]) {
    const syntax = new Deno.Command("bash", { args: ["-n", "-c", text], stderr: "piped" }).outputSync();
    assert.ok(syntax.success, new TextDecoder().decode(syntax.stderr));
  }
  const files = filesFromUserData();
  const written = new Set(files.map((file) => file.path));
  const units = files.filter((file) => file.path.endsWith(".service"));
  assert.equal(units.length, 3);
  for (const unit of units) {
    for (const [, command] of unit.content.matchAll(/^ExecStart(?:Pre)?=[+-]?(.+)$/gm)) {
      const program = command.split(" ").find((part) => part.startsWith("/opt/dr-app/"))!;
      assert.ok(
        written.has(program) || program === "/opt/dr-app/release/run",
        `${unit.path} runs ${program}, which the user data does not write`,
      );
    }
  }
});

Deno.test({
  name: "the front service answers /health and /health/deep against a real PostgreSQL (verify-full TLS)",
  ignore: !hasPostgres,
  async fn(t) {
    const serviceDir = extractService();
    const server = await startPostgres();
    const services: RunningService[] = [];
    const start = async (env: Record<string, string>) => {
      const service = await startService(serviceDir, env);
      services.push(service);
      return service;
    };
    try {
      const healthy = await start(databaseEnv(server));

      await t.step("/health is 200 while the process serves", async () => {
        assert.deepEqual(await getJson(`${healthy.url}${SHALLOW_HEALTH_PATH}`), {
          status: 200,
          body: { status: "ok" },
        });
      });

      await t.step("/health/deep is 200 when the writer answers", async () => {
        const { status, body } = await getJson(`${healthy.url}${DEEP_HEALTH_PATH}`);
        assert.equal(status, 200, JSON.stringify(body));
        assert.equal(body.status, "ok");
        assert.equal(body.writer, true);
        assert.equal(typeof body.latencyMs, "number");
      });

      await t.step(
        "/health/deep is 503 while the database is down, and 200 again after it returns",
        async () => {
          await server.pause();
          try {
            const { status, body } = await getJson(`${healthy.url}${DEEP_HEALTH_PATH}`);
            assert.equal(status, 503);
            assert.deepEqual(body, { status: "unhealthy", reason: "database unreachable" });
            assert.equal((await getJson(`${healthy.url}${SHALLOW_HEALTH_PATH}`)).status, 200);
          } finally {
            await server.resume();
          }
          assert.equal((await getJson(`${healthy.url}${DEEP_HEALTH_PATH}`)).status, 200);
        },
      );

      await t.step(
        "/health/deep is 503 with a wrong password, and tells the internet no details",
        async () => {
          const wrong = await start(databaseEnv(server, { TOKEN: "not-the-password" }));
          const response = await fetch(`${wrong.url}${DEEP_HEALTH_PATH}`);
          const text = await response.text();
          assert.equal(response.status, 503);
          assert.deepEqual(JSON.parse(text), {
            status: "unhealthy",
            reason: "database authentication failed",
          });
          assert.ok(!text.includes(server.host) && !text.includes(server.user), text);
        },
      );

      await t.step(
        "/health/deep is 503 when the server certificate does not verify against the CA",
        async () => {
          const otherCa = await start(
            databaseEnv(server, { DB_SSLROOTCERT: "/etc/ssl/certs/ca-certificates.crt" }),
          );
          assert.deepEqual(await getJson(`${otherCa.url}${DEEP_HEALTH_PATH}`), {
            status: 503,
            body: { status: "unhealthy", reason: "database TLS verification failed" },
          });
        },
      );

      await t.step("/health/deep is 503 when the configuration was not loaded", async () => {
        const unconfigured = await start({});
        assert.deepEqual(await getJson(`${unconfigured.url}${DEEP_HEALTH_PATH}`), {
          status: 503,
          body: { status: "unhealthy", reason: "configuration missing" },
        });
        assert.equal((await getJson(`${unconfigured.url}${SHALLOW_HEALTH_PATH}`)).status, 200);
      });

      await t.step(
        "boot path: Parameter Store -> environment file -> front service -> deep 200",
        async () => {
          const run = runBootConfig(parametersFor({
            host: server.host,
            port: server.port,
            db: server.database,
          }));
          assert.ok(run.success, run.stderr);
          const booted = await start({
            ...databaseEnv(server),
            ...readEnvFile(run.envFile),
            DB_SSLMODE: "verify-full",
            DB_SSLROOTCERT: server.caCertificatePath,
          });
          const { status, body } = await getJson(`${booted.url}${DEEP_HEALTH_PATH}`);
          assert.equal(status, 200, JSON.stringify(body));
        },
      );

      await t.step(
        "standby region: /health/deep is 200 when its own cluster answers, though the writer is out of reach",
        async () => {
          const standbyEnv = databaseEnv(server, {
            REGION_ROLE: "secondary",
            DB_HOST: "primary-writer.invalid",
            DB_READER_HOST: server.host,
          });
          const standby = await start(standbyEnv);
          const { status, body } = await getJson(`${standby.url}${DEEP_HEALTH_PATH}`);
          assert.equal(status, 200, JSON.stringify(body));
          assert.equal(body.role, "standby");
          const primary = await start({ ...standbyEnv, REGION_ROLE: "primary" });
          assert.deepEqual(await getJson(`${primary.url}${DEEP_HEALTH_PATH}`), {
            status: 503,
            body: { status: "unhealthy", reason: "database unreachable" },
          });
          await server.pause();
          try {
            assert.equal((await getJson(`${standby.url}${DEEP_HEALTH_PATH}`)).status, 503);
          } finally {
            await server.resume();
          }
        },
      );

      await t.step(
        "/health/deep is 503 when the endpoint reaches a server in recovery (not the writer)",
        async () => {
          // A real standby is out of reach here: a psql stand-in answers as one would.
          const shimDir = Deno.makeTempDirSync({ prefix: "dr-psql-" });
          Deno.writeTextFileSync(`${shimDir}/psql`, "#!/bin/sh\necho f\n");
          Deno.chmodSync(`${shimDir}/psql`, 0o755);
          const replica = await start({ ...databaseEnv(server), PATH: `${shimDir}:${Deno.env.get("PATH")}` });
          assert.deepEqual(await getJson(`${replica.url}${DEEP_HEALTH_PATH}`), {
            status: 503,
            body: { status: "unhealthy", reason: "database is not the writer" },
          });
        },
      );
    } finally {
      for (const service of services) await service.stop();
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "the front service proxies other paths to the published release (stating the active region), 404 without one, 502 when it is down",
  ignore: !hasPython,
  async fn() {
    const serviceDir = extractService();
    const releaseDir = Deno.makeTempDirSync({ prefix: "dr-release-" });
    const upstreamPort = freePort();
    const fake = new FakeAws({ [ACTIVE_REGION_PARAMETER]: STANDBY_REGION });
    const service = await startService(serviceDir, {
      UPSTREAM_PORT: String(upstreamPort),
      RELEASE_DIR: releaseDir,
      ...fenceEnv(fake, PRIMARY_REGION),
    });
    const controller = new AbortController();
    let upstream: Deno.HttpServer | undefined;
    try {
      assert.deepEqual(await getJson(`${service.url}/orders`), {
        status: 404,
        body: { error: "no application release is published" },
      });
      Deno.writeTextFileSync(`${releaseDir}/run`, "#!/bin/sh\n");
      Deno.chmodSync(`${releaseDir}/run`, 0o755);
      assert.equal((await getJson(`${service.url}/orders`)).status, 502);

      upstream = Deno.serve(
        { hostname: "127.0.0.1", port: upstreamPort, signal: controller.signal, onListen() {} },
        async (request) =>
          Response.json({
            method: request.method,
            path: new URL(request.url).pathname + new URL(request.url).search,
            body: await request.text(),
            activeRegion: request.headers.get("x-dr-active-region"),
          }, { status: 201, headers: { "X-Release": "1" } }),
      );
      const response = await fetch(`${service.url}/orders?id=7`, {
        method: "POST",
        body: "amount=10",
        headers: { "X-DR-Active-Region": PRIMARY_REGION }, // a client's claim never reaches the release
      });
      assert.equal(response.status, 201);
      assert.equal(response.headers.get("x-release"), "1");
      assert.deepEqual(await response.json(), {
        method: "POST",
        path: "/orders?id=7",
        body: "amount=10",
        activeRegion: STANDBY_REGION,
      });
      assert.equal((await getJson(`${service.url}${SHALLOW_HEALTH_PATH}`)).status, 200, "health stays local");
    } finally {
      controller.abort();
      await upstream?.finished;
      await service.stop();
    }
  },
});

// ---------------------------------------------------------------------------------------------------
// boot_config.py with a stand-in AWS CLI (records its calls, answers from files in its folder)

const FAKE_AWS = `import json, os, shutil, sys
root = os.environ["FAKE_AWS_DIR"]
args = sys.argv[1:]
with open(os.path.join(root, "calls.log"), "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:2] == ["ssm", "get-parameters"]:
    known = json.load(open(os.path.join(root, "parameters.json")))
    names = args[args.index("--names") + 1:]
    print(json.dumps({
        "Parameters": [{"Name": n, "Value": known[n]} for n in names if n in known],
        "InvalidParameters": [n for n in names if n not in known],
    }))
elif args[:2] == ["ssm", "get-parameter"]:
    if os.path.exists(os.path.join(root, "ssm-unreachable")):
        sys.exit("Could not connect to the endpoint URL: https://ssm.%s.amazonaws.com/" % args[3])
    known = json.load(open(os.path.join(root, "parameters.json")))
    name = args[args.index("--name") + 1]
    if args[args.index("--query") + 1] != "Parameter.Value" or name not in known:
        sys.exit("ParameterNotFound or unexpected query: %s" % args)
    print(known[name])
elif args[:2] == ["rds", "generate-db-auth-token"]:
    print(open(os.path.join(root, "token")).read())
elif args[:2] == ["s3api", "list-objects-v2"]:
    key = args[args.index("--prefix") + 1]
    found = os.path.exists(os.path.join(root, "release.tar.gz"))
    print(json.dumps({"Contents": [{"Key": key, "ETag": "\\"abc\\""}]} if found else {"KeyCount": 0}))
elif args[:2] == ["s3", "cp"]:
    shutil.copy(os.path.join(root, "release.tar.gz"), args[-1])
else:
    sys.exit("unexpected call: %s" % args)
`;

/** A folder for the stand-in CLI: its parameters, an "SSM unreachable" switch, and the calls it got. */
class FakeAws {
  readonly dir = Deno.makeTempDirSync({ prefix: "dr-fake-aws-" });

  /** `token`: what `rds generate-db-auth-token` answers; default the PostgreSQL fixture's default password. */
  constructor(parameters: Record<string, string>, token = "test-only-password") {
    Deno.writeTextFileSync(`${this.dir}/aws.py`, FAKE_AWS);
    Deno.writeTextFileSync(`${this.dir}/token`, token);
    this.setParameters(parameters);
  }

  setParameters(parameters: Record<string, string>): void {
    // Written whole and renamed: the service may read it at any moment.
    Deno.writeTextFileSync(`${this.dir}/parameters.json.new`, JSON.stringify(parameters));
    Deno.renameSync(`${this.dir}/parameters.json.new`, `${this.dir}/parameters.json`);
  }

  setSsmReachable(reachable: boolean): void {
    if (reachable) Deno.removeSync(`${this.dir}/ssm-unreachable`);
    else Deno.writeTextFileSync(`${this.dir}/ssm-unreachable`, "");
  }

  calls(): string[][] {
    try {
      return Deno.readTextFileSync(`${this.dir}/calls.log`).trim().split("\n").map((line) =>
        JSON.parse(line)
      );
    } catch {
      return []; // no call made
    }
  }

  /** What a process needs in its environment to use this stand-in as its AWS CLI. */
  env(): Record<string, string> {
    return { AWS_CLI: `python3 ${this.dir}/aws.py`, FAKE_AWS_DIR: this.dir };
  }
}

interface BootRun {
  readonly success: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly envFile: string;
  readonly releaseDir: string;
  readonly calls: string[][];
}

/** A release archive (`run` executable) of these files; returns its SHA-256 (hex). */
function writeArchive(path: string, files: Record<string, string>): string {
  const source = Deno.makeTempDirSync({ prefix: "dr-release-src-" });
  for (const [name, content] of Object.entries(files)) {
    Deno.writeTextFileSync(`${source}/${name}`, content);
    if (name === "run") Deno.chmodSync(`${source}/${name}`, 0o755);
  }
  const tar = new Deno.Command("tar", { args: ["-czf", path, "-C", source, ...Object.keys(files)] })
    .outputSync();
  assert.ok(tar.success);
  return createHash("sha256").update(Deno.readFileSync(path)).digest("hex");
}

interface BootOptions {
  /** The published archive's files; its digest is pinned unless `pinned` says otherwise. */
  readonly release?: Record<string, string>;
  /** What the bucket holds instead of `release` (same key): an archive changed after its digest was pinned. */
  readonly tampered?: Record<string, string>;
  /** The value of app/release-sha256; default the release's digest, or `none` without a release. */
  readonly pinned?: string;
  /** Files of a release installed by an earlier boot. */
  readonly installed?: Record<string, string>;
}

function runBootConfig(parameters: Record<string, string>, options: BootOptions = {}): BootRun {
  const serviceDir = extractService();
  const work = Deno.makeTempDirSync({ prefix: "dr-boot-" });
  const archive = `${work}/published.tar.gz`;
  const digest = options.release ? writeArchive(archive, options.release) : "none";
  if (options.tampered) writeArchive(archive, options.tampered);
  const fake = new FakeAws({ ...parameters, [RELEASE_DIGEST]: options.pinned ?? digest });
  if (options.release) Deno.copyFileSync(archive, `${fake.dir}/release.tar.gz`);
  const releaseDir = `${work}/release`;
  if (options.installed) {
    Deno.mkdirSync(releaseDir);
    for (const [name, content] of Object.entries(options.installed)) {
      Deno.writeTextFileSync(`${releaseDir}/${name}`, content);
    }
  }
  const envFile = `${work}/app.env`;
  const result = new Deno.Command("python3", {
    args: [`${serviceDir}/boot_config.py`],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      ...fake.env(),
      AWS_REGION: "us-east-2",
      PARAMETER_PREFIX: "/txn/dev",
      APP_ENV_FILE: envFile,
      ARTIFACT_KEY: "app/current.tar.gz",
      RELEASE_DIR: releaseDir,
      PARAMETER_ATTEMPTS: "2",
      PARAMETER_RETRY_SECONDS: "0",
    },
    clearEnv: true,
  }).outputSync();
  return {
    success: result.success,
    stdout: new TextDecoder().decode(result.stdout),
    stderr: new TextDecoder().decode(result.stderr),
    envFile,
    releaseDir,
    calls: fake.calls(),
  };
}

/** Reads the EnvironmentFile format boot_config.py writes (KEY="value", backslash escapes). */
function readEnvFile(path: string): Record<string, string> {
  return Object.fromEntries(
    Deno.readTextFileSync(path).trim().split("\n").map((line) => {
      const [, name, quoted] = /^([A-Z_]+)="(.*)"$/.exec(line)!;
      return [name, quoted.replace(/\\(.)/g, "$1")];
    }),
  );
}

const RELEASE_DIGEST = parameterName("/txn/dev", "releaseDigest");

function parametersFor(database: { host: string; port: number; db: string }) {
  return {
    "/txn/dev/database/writer-endpoint": database.host,
    "/txn/dev/database/reader-endpoint": database.host,
    "/txn/dev/region/role": "primary",
    "/txn/dev/database/port": String(database.port),
    "/txn/dev/database/name": database.db,
    "/txn/dev/storage/artifact-bucket": "artifacts-123456789012-us-east-2-dev",
  };
}

Deno.test({
  name:
    "boot_config.py writes the service environment (0600) from Parameter Store and removes a stale release",
  ignore: !hasPython,
  fn() {
    const run = runBootConfig(
      parametersFor({ host: "db.example", port: 5432, db: `tr"an\\s$ 'actions` }),
      { installed: { run: "stale" } },
    );
    assert.ok(run.success, run.stderr + run.stdout);
    assert.equal(Deno.statSync(run.envFile).mode! & 0o777, 0o600);
    assert.deepEqual(readEnvFile(run.envFile), {
      ARTIFACT_BUCKET: "artifacts-123456789012-us-east-2-dev",
      DB_HOST: "db.example",
      DB_READER_HOST: "db.example",
      DB_NAME: `tr"an\\s$ 'actions`,
      DB_PORT: "5432",
      REGION_ROLE: "primary",
      ACTIVE_REGION_PARAMETER: parameterName("/txn/dev", "activeRegion"),
    });
    // Nothing published (digest `none`): no S3 call at all.
    const [getParameters, ...others] = run.calls;
    assert.deepEqual(getParameters.slice(0, 6), [
      "ssm",
      "get-parameters",
      "--region",
      "us-east-2",
      "--with-decryption",
      "--output",
    ]);
    assert.ok(getParameters.includes(RELEASE_DIGEST), "the pinned digest is read with the others");
    assert.deepEqual(others, []);
    assert.throws(() => Deno.statSync(run.releaseDir), Deno.errors.NotFound, "stale release removed");
  },
});

Deno.test({
  name: "boot_config.py installs a published release with an executable run, and rejects one without",
  ignore: !hasPython,
  fn() {
    const parameters = parametersFor({ host: "db", port: 5432, db: "d" });
    const installed = runBootConfig(parameters, {
      release: { run: "#!/bin/sh\necho hi\n", "app.cfg": "x=1\n" },
    });
    assert.ok(installed.success, installed.stderr);
    assert.ok((Deno.statSync(`${installed.releaseDir}/run`).mode! & 0o111) !== 0);
    assert.equal(Deno.readTextFileSync(`${installed.releaseDir}/app.cfg`), "x=1\n");
    const pinned = createHash("sha256").update(
      Deno.readFileSync(`${installed.releaseDir}/../published.tar.gz`),
    )
      .digest("hex");
    assert.equal(bootEvent(installed, "release-installed").sha256, pinned, "the digest it verified");

    const rejected = runBootConfig(parameters, { release: { "app.cfg": "x=1\n" } });
    assert.ok(rejected.success, "a broken release must not stop the front service");
    assert.match(rejected.stdout, /release-rejected/);
    assert.throws(() => Deno.statSync(rejected.releaseDir), Deno.errors.NotFound);
  },
});

/** The one log line of `event` boot_config.py printed (JSON), or a failure naming what it printed. */
function bootEvent(run: BootRun, event: string): Record<string, string> {
  const lines = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
  const found = lines.filter((line) => line.event === event);
  assert.equal(found.length, 1, `one ${event} in:\n${run.stdout}`);
  return found[0];
}

const RELEASE_V1 = { run: "#!/bin/sh\necho v1\n" };
const RELEASE_V2 = { run: "#!/bin/sh\necho v2\n", "app.cfg": "v=2\n" };

/** The installed release is exactly `files`, and nothing was left half-unpacked beside it. */
function assertInstalled(run: BootRun, files: Record<string, string>): void {
  const names = [...Deno.readDirSync(run.releaseDir)].map((entry) => entry.name).sort();
  assert.deepEqual(names, Object.keys(files).sort());
  for (const [name, content] of Object.entries(files)) {
    assert.equal(Deno.readTextFileSync(`${run.releaseDir}/${name}`), content, name);
  }
  const work = run.releaseDir.replace(/\/release$/, "");
  assert.deepEqual([...Deno.readDirSync(work)].filter((entry) => entry.name.startsWith(".release-")), []);
}

const S3_CALLS = (run: BootRun) => run.calls.filter((call) => call[0] === "s3" || call[0] === "s3api");

Deno.test({
  name:
    "boot_config.py refuses a tampered archive (its SHA-256 is not the pinned one) and keeps the installed release",
  ignore: !hasPython,
  fn() {
    const run = runBootConfig(parametersFor({ host: "db", port: 5432, db: "d" }), {
      installed: RELEASE_V1,
      release: RELEASE_V2,
      tampered: { run: "#!/bin/sh\necho tampered\n", "app.cfg": "v=2\n", "extra.sh": "x" },
    });
    assert.ok(run.success, "a refused release must not stop the front service");
    const rejected = bootEvent(run, "release-rejected");
    assert.match(rejected.reason, /^digest mismatch: pinned [0-9a-f]{64}, downloaded [0-9a-f]{64}$/);
    assert.ok(!run.stdout.includes("release-installed"), run.stdout);
    assertInstalled(run, RELEASE_V1);
  },
});

Deno.test({
  name: "boot_config.py refuses a malformed pinned digest without downloading, keeping the installed release",
  ignore: !hasPython,
  fn() {
    const parameters = parametersFor({ host: "db", port: 5432, db: "d" });
    for (const pinned of ["latest", "ABC".repeat(21) + "D", "0".repeat(63)]) {
      const run = runBootConfig(parameters, { installed: RELEASE_V1, release: RELEASE_V2, pinned });
      assert.ok(run.success, run.stderr);
      assert.match(bootEvent(run, "release-rejected").reason, /pinned digest is not 64 lowercase hex/);
      assert.deepEqual(S3_CALLS(run), [], `${JSON.stringify(pinned)}: nothing downloaded`);
      assertInstalled(run, RELEASE_V1);
    }
  },
});

Deno.test({
  name:
    "boot_config.py: digest `none` is 'nothing published', whatever the bucket holds; no release is installed",
  ignore: !hasPython,
  fn() {
    const run = runBootConfig(parametersFor({ host: "db", port: 5432, db: "d" }), {
      release: RELEASE_V2,
      pinned: "none",
    });
    assert.ok(run.success, run.stderr);
    bootEvent(run, "no-release-published");
    assert.deepEqual(S3_CALLS(run), [], "an object without a pinned digest is never fetched");
    assert.throws(() => Deno.statSync(run.releaseDir), Deno.errors.NotFound);
  },
});

Deno.test({
  name: "boot_config.py keeps the installed release when the pinned release's object is gone (S3 delete)",
  ignore: !hasPython,
  fn() {
    const run = runBootConfig(parametersFor({ host: "db", port: 5432, db: "d" }), {
      installed: RELEASE_V1,
      pinned: "c".repeat(64),
    });
    assert.ok(run.success, run.stderr);
    assert.equal(bootEvent(run, "release-missing").pinned, "c".repeat(64));
    assert.deepEqual(S3_CALLS(run).map((call) => call.slice(0, 2)), [["s3api", "list-objects-v2"]]);
    assertInstalled(run, RELEASE_V1);
  },
});

Deno.test({
  name: "boot_config.py fails (systemd retries) while a parameter is missing, naming it",
  ignore: !hasPython,
  fn() {
    const parameters: Record<string, string> = parametersFor({ host: "db", port: 5432, db: "d" });
    delete parameters["/txn/dev/database/name"];
    const run = runBootConfig(parameters);
    assert.equal(run.success, false);
    assert.match(run.stderr, /missing parameters: \/txn\/dev\/database\/name/);
    assert.equal(run.calls.length, 2, "retried");
    assert.throws(() => Deno.statSync(run.envFile), Deno.errors.NotFound);
  },
});

// ---------------------------------------------------------------------------------------------------
// The instances' own fence: the front service follows failover/active-region in its region's Parameter
// Store (through the stand-in CLI above), independently of DNS.

const PRIMARY_REGION = "us-east-1";
const STANDBY_REGION = "us-east-2";
const ACTIVE_REGION_PARAMETER = parameterName("/txn/dev", "activeRegion");

function fenceEnv(fake: FakeAws, region: string): Record<string, string> {
  return {
    ...fake.env(),
    AWS_REGION: region,
    ACTIVE_REGION_PARAMETER,
    FENCE_POLL_SECONDS: "0.1",
    FENCE_READ_TIMEOUT_SECONDS: "5",
  };
}

/** Waits until the stand-in CLI has answered `count` more reads than `before` (so the watch saw them). */
async function readsAfter(fake: FakeAws, before: number, count = 1): Promise<void> {
  // Generous: each read starts a python3 process, slow on a loaded machine.
  const deadline = Date.now() + 20_000;
  while (fake.calls().length < before + count + 1) { // +1: the read under way may not be recorded yet
    if (Date.now() > deadline) throw new Error(`the service made no ${count} more reads`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Asks until the deep-health answer has `status` (the watch reads every 0.1 s); returns that answer. */
async function deepUntil(
  url: string,
  status: number,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await getJson(`${url}${DEEP_HEALTH_PATH}`);
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const FENCED = {
  status: 503,
  body: { status: "unhealthy", reason: `fenced: writes moved to ${STANDBY_REGION}` },
};

Deno.test({
  name:
    "a primary instance's deep health is 503 'fenced' while active-region names the other region; the standby's is not",
  ignore: !hasPostgres,
  async fn(t) {
    const serviceDir = extractService();
    const server = await startPostgres();
    const services: RunningService[] = [];
    const start = async (env: Record<string, string>) => {
      const service = await startService(serviceDir, env);
      services.push(service);
      return service;
    };
    try {
      await t.step(
        "active region = its own: 200; the read is bounded and names its region's parameter",
        async () => {
          const fake = new FakeAws({ [ACTIVE_REGION_PARAMETER]: PRIMARY_REGION });
          const primary = await start({ ...databaseEnv(server), ...fenceEnv(fake, PRIMARY_REGION) });
          const { status, body } = await getJson(`${primary.url}${DEEP_HEALTH_PATH}`);
          assert.equal(status, 200, JSON.stringify(body));
          assert.equal(body.writer, true);
          const [read] = fake.calls();
          assert.deepEqual(read.slice(0, 10), [
            "ssm",
            "get-parameter",
            "--region",
            PRIMARY_REGION,
            "--name",
            ACTIVE_REGION_PARAMETER,
            "--query",
            "Parameter.Value",
            "--output",
            "text",
          ]);
          assert.ok(
            read.includes("--cli-connect-timeout") && read.includes("--cli-read-timeout"),
            read.join(" "),
          );
        },
      );

      await t.step(
        "failover, failed reads, failback: fenced while it names the standby, whatever a read does",
        async () => {
          const fake = new FakeAws({ [ACTIVE_REGION_PARAMETER]: PRIMARY_REGION });
          const primary = await start({ ...databaseEnv(server), ...fenceEnv(fake, PRIMARY_REGION) });
          assert.equal((await getJson(`${primary.url}${DEEP_HEALTH_PATH}`)).status, 200);

          fake.setParameters({ [ACTIVE_REGION_PARAMETER]: STANDBY_REGION });
          assert.deepEqual(await deepUntil(primary.url, 503), FENCED, "fenced although its database answers");
          assert.equal((await fetch(`${primary.url}${DEEP_HEALTH_PATH}`, { method: "HEAD" })).status, 503);
          assert.deepEqual(await getJson(`${primary.url}${SHALLOW_HEALTH_PATH}`), {
            status: 200,
            body: { status: "ok" },
          }, "the ALB's shallow check is unchanged");

          // Parameter Store unreachable (and a value that is no region): the last value read holds.
          fake.setSsmReachable(false);
          fake.setParameters({ [ACTIVE_REGION_PARAMETER]: PRIMARY_REGION });
          await readsAfter(fake, fake.calls().length);
          assert.deepEqual(await getJson(`${primary.url}${DEEP_HEALTH_PATH}`), FENCED);
          fake.setSsmReachable(true);
          fake.setParameters({ [ACTIVE_REGION_PARAMETER]: "None" });
          await readsAfter(fake, fake.calls().length);
          assert.deepEqual(await getJson(`${primary.url}${DEEP_HEALTH_PATH}`), FENCED);

          fake.setParameters({ [ACTIVE_REGION_PARAMETER]: PRIMARY_REGION });
          const back = await deepUntil(primary.url, 200);
          assert.equal(back.status, 200, `failback unfences: ${JSON.stringify(back.body)}`);
        },
      );

      await t.step("an instance (re)started while fenced is 503 from its first answer", async () => {
        const fake = new FakeAws({ [ACTIVE_REGION_PARAMETER]: STANDBY_REGION });
        const restarted = await start({ ...databaseEnv(server), ...fenceEnv(fake, PRIMARY_REGION) });
        assert.deepEqual(await getJson(`${restarted.url}${DEEP_HEALTH_PATH}`), FENCED);
      });

      await t.step("nothing read yet (Parameter Store unreachable since start): not fenced", async () => {
        const fake = new FakeAws({ [ACTIVE_REGION_PARAMETER]: STANDBY_REGION });
        fake.setSsmReachable(false);
        const primary = await start({ ...databaseEnv(server), ...fenceEnv(fake, PRIMARY_REGION) });
        await readsAfter(fake, 0);
        assert.equal((await getJson(`${primary.url}${DEEP_HEALTH_PATH}`)).status, 200);
      });

      await t.step("the standby's deep health ignores the fence: 200 before and after failover", async () => {
        const fake = new FakeAws({ [ACTIVE_REGION_PARAMETER]: PRIMARY_REGION });
        const standby = await start({
          ...databaseEnv(server, {
            REGION_ROLE: "secondary",
            DB_HOST: "primary-writer.invalid",
            DB_READER_HOST: server.host,
          }),
          ...fenceEnv(fake, STANDBY_REGION),
        });
        await readsAfter(fake, 0);
        const before = await getJson(`${standby.url}${DEEP_HEALTH_PATH}`);
        assert.equal(before.status, 200, JSON.stringify(before.body));
        assert.equal(before.body.role, "standby");
        fake.setParameters({ [ACTIVE_REGION_PARAMETER]: STANDBY_REGION });
        await readsAfter(fake, fake.calls().length);
        assert.equal((await getJson(`${standby.url}${DEEP_HEALTH_PATH}`)).status, 200);
      });
    } finally {
      for (const service of services) await service.stop();
      await server.stop();
    }
  },
});

Deno.test({
  name: "the front service refuses a fence poll period that is not a positive number of seconds, naming it",
  ignore: !hasPython,
  async fn() {
    const serviceDir = extractService();
    const child = new Deno.Command("python3", {
      args: [`${serviceDir}/health_server.py`],
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        APP_PORT: "0",
        BIND_ADDRESS: "127.0.0.1",
        FENCE_POLL_SECONDS: "0",
      },
      clearEnv: true,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // A service that accepts the value would serve forever: stop it after a while.
    const timer = setTimeout(() => child.kill("SIGTERM"), 10_000);
    const run = await child.output();
    clearTimeout(timer);
    assert.equal(run.code, 1, "exits at once with an error");
    assert.match(
      new TextDecoder().decode(run.stderr),
      /FENCE_POLL_SECONDS='0': must be a number of seconds greater than 0/,
    );
  },
});
