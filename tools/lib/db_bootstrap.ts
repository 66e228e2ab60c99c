// The database identities, created once after apply by an operator holding the master password
// (`make db-bootstrap`): the application role (owns the application schema, nothing else) and the checker
// role (connect + pg_monitor, read-only transactions). Every statement is idempotent: a second run changes
// nothing and fails on nothing, so it is also the way to repair drift. Both roles log in with IAM tokens on
// Aurora (`rds_iam`); they have no password unless someone sets one (the tests do, Aurora ignores it).
import { APP_SCHEMA, DATABASE_USERS } from "../../handlers/lib/contract.ts";
import type { DatabaseSession } from "../../handlers/lib/postgres.ts";

/** Most connections the application role may hold; the checker needs one per region and run. */
const CONNECTION_LIMITS = { app: 200, checker: 10 } as const;

/** A double-quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The bootstrap's statements, in order, for the application database `databaseName`. */
export function bootstrapStatements(databaseName: string): string[] {
  const database = quoteIdentifier(databaseName);
  const app = quoteIdentifier(DATABASE_USERS.app);
  const checker = quoteIdentifier(DATABASE_USERS.checker);
  const schema = quoteIdentifier(APP_SCHEMA);
  const ensureRole = (name: string) =>
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${name}') THEN ` +
    `CREATE ROLE ${quoteIdentifier(name)} LOGIN; END IF; END $$`;
  const limited = (role: string, limit: number) =>
    `ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ` +
    `CONNECTION LIMIT ${limit}`;
  return [
    ensureRole(DATABASE_USERS.app),
    ensureRole(DATABASE_USERS.checker),
    limited(app, CONNECTION_LIMITS.app),
    limited(checker, CONNECTION_LIMITS.checker),
    // Aurora's IAM authentication: members of rds_iam log in with a token only (absent outside RDS).
    `DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_iam') THEN ` +
    `GRANT rds_iam TO ${app}, ${checker}; END IF; END $$`,
    // Nobody connects by default; each role gets what it needs.
    `REVOKE ALL ON DATABASE ${database} FROM PUBLIC`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${app}`,
    `GRANT CONNECT ON DATABASE ${database} TO ${checker}`,
    `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
    // Aurora's master is no superuser: it may give a schema to a role only as a member of that role.
    `GRANT ${app} TO CURRENT_USER`,
    `CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${app}`,
    `ALTER SCHEMA ${schema} OWNER TO ${app}`,
    `REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`,
    `ALTER ROLE ${app} IN DATABASE ${database} SET search_path = ${schema}`,
    `GRANT pg_monitor TO ${checker}`,
    `ALTER ROLE ${checker} SET default_transaction_read_only = on`,
    // Aurora's status function is executable by PUBLIC by default; granted explicitly where the master may.
    `DO $$ BEGIN IF to_regprocedure('aurora_global_db_status()') IS NOT NULL THEN ` +
    `GRANT EXECUTE ON FUNCTION aurora_global_db_status() TO ${checker}; END IF; ` +
    `EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'aurora_global_db_status(): default grant kept'; ` +
    `END $$`,
  ];
}

/** Runs the bootstrap in one transaction (all or nothing) over a session opened as the master user. */
export async function bootstrapDatabase(session: DatabaseSession, databaseName: string): Promise<number> {
  const statements = bootstrapStatements(databaseName);
  await session.query("BEGIN");
  try {
    for (const statement of statements) await session.query(statement);
    await session.query("COMMIT");
  } catch (error) {
    await session.query("ROLLBACK").catch(() => {});
    throw error;
  }
  return statements.length;
}
