// A real PostgreSQL server for tests: a fresh cluster in a temporary folder, TLS on (a test CA signs the
// certificate for localhost / 127.0.0.1), SCRAM passwords, listening on a free loopback port.
// Started and stopped by the tests themselves, so `make test` needs only the server binaries on PATH.

import pg from "pg";
import { createTestPki } from "./tls_fixture.ts";
import { bootstrapDatabase } from "../tools/lib/db_bootstrap.ts";
import { DATABASE_USERS } from "../handlers/lib/contract.ts";

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** PEM of the CA that signed the server certificate (CN=localhost, SAN 127.0.0.1), for clients that verify TLS. */
  readonly caCertificate: string;
  readonly caCertificatePath: string;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
  /** Stops the server but keeps the folder, so `start()` can bring it back (server-down scenarios). */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

const decoder = new TextDecoder();

/** runuser lives in sbin, which a non-login PATH may lack. */
const RUNUSER = ["/usr/sbin/runuser", "/sbin/runuser"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}) ?? "runuser";

async function run(command: string, args: string[], asUser?: string): Promise<string> {
  const [program, programArgs] = asUser ? [RUNUSER, ["-u", asUser, "--", command, ...args]] : [command, args];
  const result = await new Deno.Command(program, { args: programArgs, stdout: "piped", stderr: "piped" })
    .output();
  if (!result.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed: ${decoder.decode(result.stderr)}${decoder.decode(result.stdout)}`,
    );
  }
  return decoder.decode(result.stdout);
}

export function postgresAvailable(): boolean {
  try {
    return new Deno.Command("initdb", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** initdb refuses to run as root: on a root machine the server runs as the `postgres` system user. */
async function serverUser(): Promise<{ name?: string; uid?: number; gid?: number }> {
  if (Deno.uid() !== 0) return {};
  const uid = Number((await run("id", ["-u", "postgres"])).trim());
  const gid = Number((await run("id", ["-g", "postgres"])).trim());
  return { name: "postgres", uid, gid };
}

export interface PostgresOptions {
  readonly password?: string;
  readonly database?: string;
  /**
   * Roles the server asks for a cleartext password (over TLS), as Aurora asks IAM-authenticated roles for
   * their token; every other role authenticates with SCRAM.
   */
  readonly cleartextUsers?: readonly string[];
  /** Roles let in without a password (over TLS): for a client whose IAM token no local server can check. */
  readonly trustUsers?: readonly string[];
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const password = options.password ?? "test-only-password";
  const database = options.database ?? "transactions";
  const user = await serverUser();
  const root = await Deno.makeTempDir({ prefix: "dr-pg-" });
  const dataDir = `${root}/data`;
  const certPath = `${root}/server.crt`;
  const keyPath = `${root}/server.key`;
  // A CA and a server certificate it signs (as RDS does): rustls-based clients (Deno's node:tls)
  // reject a self-signed CA certificate used as the server's own certificate.
  const pki = createTestPki();
  const serverCertificate = pki.issue("localhost", "127.0.0.1");
  await Deno.writeTextFile(certPath, serverCertificate.cert);
  await Deno.writeTextFile(keyPath, serverCertificate.key);
  await Deno.chmod(keyPath, 0o600);
  await Deno.writeTextFile(`${root}/pwfile`, `${password}\n`);
  if (user.uid !== undefined) {
    for (const path of [root, certPath, keyPath, `${root}/pwfile`]) {
      await Deno.chown(path, user.uid, user.gid!);
    }
  }
  await run("initdb", [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=scram-sha-256",
    `--pwfile=${root}/pwfile`,
    "--no-sync",
    "-E",
    "UTF8",
  ], user.name);
  // TLS only for TCP clients: a non-TLS connection is refused, as by Aurora with rds.force_ssl = 1.
  const cleartext = options.cleartextUsers?.length
    ? `hostssl all ${options.cleartextUsers.join(",")} 127.0.0.1/32 password\n`
    : "";
  const trust = options.trustUsers?.length
    ? `hostssl all ${options.trustUsers.join(",")} 127.0.0.1/32 trust\n`
    : "";
  await Deno.writeTextFile(
    `${dataDir}/pg_hba.conf`,
    `local all all scram-sha-256\n${cleartext}${trust}hostssl all all 127.0.0.1/32 scram-sha-256\n` +
      "hostnossl all all 0.0.0.0/0 reject\n",
  );
  const port = freePort();
  const serverOptions = [
    `-p ${port}`,
    `-k ${root}`,
    "-c listen_addresses=127.0.0.1",
    "-c ssl=on",
    `-c ssl_cert_file=${certPath}`,
    `-c ssl_key_file=${keyPath}`,
    "-c fsync=off",
  ].join(" ");
  const start = () =>
    run("pg_ctl", ["-D", dataDir, "-o", serverOptions, "-l", `${root}/server.log`, "-w", "start"], user.name);
  const stopServer = () => run("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"], user.name);
  await start();
  await run("psql", [
    `host=127.0.0.1 port=${port} user=postgres password=${password} dbname=postgres sslmode=require`,
    "-v",
    "ON_ERROR_STOP=1",
    "-q",
    "-c",
    `CREATE DATABASE ${database}`,
  ]);
  return {
    host: "127.0.0.1",
    port,
    user: "postgres",
    password,
    database,
    caCertificate: pki.caCertificate,
    caCertificatePath: pki.caCertificatePath,
    async stop() {
      await stopServer().catch(() => {});
      await Deno.remove(root, { recursive: true });
      pki.remove();
    },
    async pause() {
      await stopServer();
    },
    async resume() {
      await start();
    },
  };
}

/** The checker's IAM token stands in as a password set on its role (IAM cannot be exercised locally). */
export const CHECKER_PASSWORD = "checker-test-token";

/** A session as the master user, over verified TLS. */
export async function masterClient(server: PostgresServer): Promise<pg.Client> {
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
    ssl: { ca: server.caCertificate, rejectUnauthorized: true },
  });
  await admin.connect();
  return admin;
}

/** The roles as `make db-bootstrap` creates them, the checker's with CHECKER_PASSWORD for its token. */
export async function bootstrapRoles(admin: pg.Client, database: string): Promise<void> {
  await bootstrapDatabase(
    { query: async (sql) => (await admin.query(sql)).rows, close: () => Promise.resolve() },
    database,
  );
  await admin.query(`ALTER ROLE ${DATABASE_USERS.checker} PASSWORD '${CHECKER_PASSWORD}'`);
}
