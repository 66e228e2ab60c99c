// The database identities against a real PostgreSQL: `make db-bootstrap`'s statements (run twice), then
// what the application and checker roles can and cannot do. On Aurora they log in with IAM tokens; here
// the fixture gives each a password, asked in clear over TLS as Aurora asks for the token.
// @ts-types="@types/pg"
import pg from "pg";
import assert from "node:assert/strict";
import { available, defaultStack } from "./helpers.ts";
import { postgresAvailable, type PostgresServer, startPostgres } from "./postgres_fixture.ts";
import { bootstrapDatabase } from "../tools/lib/db_bootstrap.ts";
import { bootstrapProblems, caBundlePath, shippedCaBundle } from "../tools/db_bootstrap.ts";
import { rdsCaBundle } from "../modules/rds_ca_bundle.ts";
import { APP_SCHEMA, DATABASE_USERS } from "../handlers/lib/contract.ts";
import { type DatabaseSession, pgConnect } from "../handlers/lib/postgres.ts";
import { checkDatabase } from "../handlers/db_health.ts";
import { systemClock } from "../handlers/lib/checker.ts";
import { captureLogger, captureMetrics, fakeParameters, fakeWallClock } from "./handler_fakes.ts";

const ROLE_PASSWORD = "role-test-password";
const CLEARTEXT_ADMIN = "cleartext_admin";

async function session(server: PostgresServer, user: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user,
    password,
    database: server.database,
    ssl: { ca: server.caCertificate, rejectUnauthorized: true },
  });
  await client.connect();
  return client;
}

function asSession(client: pg.Client): DatabaseSession {
  return { query: async (sql) => (await client.query(sql)).rows, close: () => Promise.resolve() };
}

/** The roles' attributes, memberships and the database's and schemas' grants: what a rerun must not change. */
async function privilegeSnapshot(admin: pg.Client): Promise<unknown> {
  const { rows } = await admin.query(`
    SELECT (SELECT json_agg(r ORDER BY rolname) FROM (SELECT rolname, rolsuper, rolcreaterole, rolcreatedb,
              rolcanlogin, rolconnlimit, rolconfig FROM pg_roles WHERE rolname LIKE 'dr\\_%') r) AS roles,
           (SELECT json_agg(m ORDER BY m) FROM (SELECT r.rolname || '>' || u.rolname AS m FROM pg_auth_members a
              JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles u ON u.oid = a.member) x(m)) AS members,
           (SELECT datacl::text FROM pg_database WHERE datname = current_database()) AS database_acl,
           (SELECT json_agg(n ORDER BY n) FROM (SELECT nspname || ':' || pg_get_userbyid(nspowner) || ':' ||
              coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname IN ('public', '${APP_SCHEMA}')) s(n))
             AS schemas`);
  return rows[0];
}

async function refused(client: pg.Client, sql: string, code = "42501"): Promise<void> {
  await assert.rejects(client.query(sql), (error: { code?: string; message: string }) => {
    assert.equal(error.code, code, `${sql}: ${error.message}`);
    return true;
  });
}

Deno.test({
  name: "db-bootstrap: idempotent roles; the app role owns its schema only, the checker role only checks",
  ignore: !available("the PostgreSQL server", postgresAvailable(), "the database identities"),
  async fn(t) {
    const server = await startPostgres({
      cleartextUsers: [DATABASE_USERS.app, DATABASE_USERS.checker, CLEARTEXT_ADMIN],
    });
    const admin = await session(server, server.user, server.password);
    const clients: pg.Client[] = [];
    const as = async (user: string) => {
      const client = await session(server, user, ROLE_PASSWORD);
      clients.push(client);
      return client;
    };
    try {
      await admin.query(`
        CREATE TABLE public.ledger (id int PRIMARY KEY, amount numeric);
        INSERT INTO public.ledger VALUES (1, 10);
        CREATE FUNCTION aurora_global_db_status() RETURNS TABLE (aws_region text, rpo_lag_in_msec bigint,
          last_lag_calculation_time timestamptz)
          LANGUAGE sql AS $$ VALUES ('us-east-1', -1::bigint, now()), ('us-east-2', 120::bigint, now()) $$`);

      await t.step("run twice: the second run succeeds and changes nothing", async () => {
        await bootstrapDatabase(asSession(admin), server.database);
        const first = await privilegeSnapshot(admin);
        await bootstrapDatabase(asSession(admin), server.database);
        assert.deepEqual(await privilegeSnapshot(admin), first);
        for (const user of Object.values(DATABASE_USERS)) {
          await admin.query(`ALTER ROLE ${user} PASSWORD '${ROLE_PASSWORD}'`);
        }
      });

      await t.step("the app role reads and writes its own schema", async () => {
        const app = await as(DATABASE_USERS.app);
        await app.query("CREATE TABLE orders (id int PRIMARY KEY, amount numeric)");
        await app.query("INSERT INTO orders VALUES (1, 5)");
        assert.deepEqual((await app.query(`SELECT amount FROM ${APP_SCHEMA}.orders`)).rows, [{
          amount: "5",
        }]);
        await app.query("DROP TABLE orders");
      });

      await t.step(
        "the app role cannot create roles, touch tables outside its schema or escalate",
        async () => {
          const app = await as(DATABASE_USERS.app);
          await refused(app, "CREATE ROLE intruder LOGIN");
          await refused(app, "DROP TABLE public.ledger");
          await refused(app, "SELECT * FROM public.ledger");
          await refused(app, "DELETE FROM public.ledger");
          await refused(app, "CREATE TABLE public.planted (id int)");
          await refused(app, `ALTER ROLE ${DATABASE_USERS.app} SUPERUSER`);
          await refused(app, `GRANT pg_monitor TO ${DATABASE_USERS.app}`);
          await refused(app, "CREATE DATABASE other");
        },
      );

      await t.step("the checker role runs the database checks (primary and standby)", async () => {
        for (const role of ["primary", "secondary"] as const) {
          const region = role === "primary" ? "us-east-1" : "us-east-2";
          const result = await checkDatabase({
            region,
            role,
            timeoutMs: 2000,
            parameters: fakeParameters({
              writerEndpoint: server.host,
              readerEndpoint: server.host,
              port: String(server.port),
              databaseName: server.database,
            }),
            connect: pgConnect({ ca: server.caCertificate }),
            authToken: ({ user }) => Promise.resolve(user === DATABASE_USERS.checker ? ROLE_PASSWORD : ""),
            metrics: captureMetrics(region, role),
            log: captureLogger(),
            clock: systemClock,
            wallClock: fakeWallClock(Date.now()),
            sampleIntervalMs: 1,
          }, { getRemainingTimeInMillis: () => 0 });
          assert.equal(result.healthy, true, result.error);
          if (role === "secondary") assert.equal(result.replicationLagMs, 120);
        }
        const checker = await as(DATABASE_USERS.checker);
        const { rows } = await checker.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1",
          [server.user],
        );
        assert.ok(rows[0].n >= 1, "pg_monitor: sees other roles' sessions");
      });

      await t.step("the checker role can do nothing more", async () => {
        const checker = await as(DATABASE_USERS.checker);
        await refused(checker, "SELECT * FROM public.ledger");
        await refused(checker, "CREATE TABLE public.planted (id int)", "25006"); // read-only transaction
        await refused(checker, "CREATE TEMP TABLE scratch (id int)", "25006");
        await checker.query("SET default_transaction_read_only = off");
        await refused(checker, "CREATE TABLE public.planted (id int)");
        await refused(checker, "CREATE TEMP TABLE scratch (id int)");
        await refused(checker, `CREATE TABLE ${APP_SCHEMA}.planted (id int)`);
        await refused(checker, "CREATE ROLE intruder LOGIN");
        await refused(checker, "INSERT INTO public.ledger VALUES (2, 1)");
      });

      await t.step(
        "the bootstrap's connection answers SCRAM only, never a cleartext password request",
        async () => {
          await admin.query(`CREATE ROLE ${CLEARTEXT_ADMIN} LOGIN PASSWORD '${ROLE_PASSWORD}'`);
          const target = {
            host: server.host,
            port: server.port,
            database: server.database,
            password: ROLE_PASSWORD,
            timeoutMs: 2000,
          };
          const scramOnly = pgConnect({ ca: server.caCertificate, requireAuth: "scram-sha-256" });
          await assert.rejects(
            scramOnly({ ...target, user: CLEARTEXT_ADMIN }),
            /cleartext password: refused/,
          );
          const master = await scramOnly({ ...target, user: server.user, password: server.password });
          assert.deepEqual(await master.query("SELECT 1 AS one"), [{ one: 1 }]);
          await master.close();
        },
      );
    } finally {
      for (const client of clients) await client.end().catch(() => {});
      await admin.end();
      await server.stop();
    }
  },
});

Deno.test("db-bootstrap refuses to start without the endpoint, the master password and a CA bundle", () => {
  assert.deepEqual(bootstrapProblems({ DB_BOOTSTRAP_PORT: "99999" }).map((line) => line.split(" ")[0]), [
    "DB_BOOTSTRAP_HOST",
    "TF_VAR_db_master_password",
    "DB_BOOTSTRAP_CA_BUNDLE",
    'DB_BOOTSTRAP_PORT="99999":',
  ]);
  const ready = { DB_BOOTSTRAP_HOST: "h", TF_VAR_db_master_password: "p" };
  assert.deepEqual(bootstrapProblems({ ...ready, DB_BOOTSTRAP_CA_BUNDLE: "c" }), []);
  assert.match(
    bootstrapProblems({ ...ready, DB_BOOTSTRAP_CA_BUNDLE: "" }, "shipped.pem").join("\n"),
    /DB_BOOTSTRAP_CA_BUNDLE="": is set but empty/,
  );
});

Deno.test("db-bootstrap verifies the writer with the RDS CA bundle shipped with the synthesized stack by default", () => {
  const { stackDir } = defaultStack();
  const shipped = shippedCaBundle(`${stackDir}/cdk.tf.json`)!;
  assert.equal(Deno.readTextFileSync(shipped), rdsCaBundle().pem, "the bundle the instances install");
  const ready = { DB_BOOTSTRAP_HOST: "h", TF_VAR_db_master_password: "p" };
  assert.deepEqual(bootstrapProblems(ready, shipped), []);
  assert.equal(caBundlePath(ready, shipped), shipped);
  assert.equal(caBundlePath({ ...ready, DB_BOOTSTRAP_CA_BUNDLE: "own.pem" }, shipped), "own.pem");
  assert.equal(shippedCaBundle(`${Deno.makeTempDirSync()}/cdk.tf.json`), undefined, "no synthesized stack");
});
