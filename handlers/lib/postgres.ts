// A PostgreSQL session for the database checker (node-postgres, pure JavaScript): TLS required with
// certificate verification, connect timeout, server-side statement_timeout and a client-side backstop.
// @ts-types="@types/pg"
import pg from "pg";
import { withTimeout } from "./errors.ts";

export interface DatabaseTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** Connect timeout and statement_timeout. */
  readonly timeoutMs: number;
}

export interface DatabaseSession {
  query<Row extends Record<string, unknown>>(sql: string, values?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** Opens a verified TLS session; rejects on connect, TLS or authentication failure. */
export type Connect = (target: DatabaseTarget) => Promise<DatabaseSession>;

export interface PgConnectOptions {
  /** Trusted CA (PEM); default: Node's store plus NODE_EXTRA_CA_CERTS (the RDS CAs in Lambda). */
  readonly ca?: string;
}

// The client-side limits fire only when the server itself cannot answer (statement_timeout did not).
const CLIENT_GRACE_MS = 1000;

export function pgConnect(options: PgConnectOptions = {}): Connect {
  return async (target) => {
    const client = new pg.Client({
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      password: target.password,
      ssl: { rejectUnauthorized: true, ca: options.ca },
      connectionTimeoutMillis: target.timeoutMs,
      statement_timeout: target.timeoutMs,
      query_timeout: target.timeoutMs + CLIENT_GRACE_MS,
      application_name: "dr-db-health",
    });
    // A broken connection also fails the pending call; without a listener the event would crash the process.
    client.on("error", () => {});
    const end = () => client.end().catch(() => {});
    try {
      await withTimeout(
        `connect to ${target.host}:${target.port}`,
        target.timeoutMs + CLIENT_GRACE_MS,
        client.connect(),
        end,
      );
    } catch (error) {
      await end();
      throw error;
    }
    return {
      async query<Row extends Record<string, unknown>>(sql: string, values: readonly unknown[] = []) {
        const result = await client.query<Row>(sql, [...values]);
        return result.rows;
      },
      close: () => withTimeout("close the database session", CLIENT_GRACE_MS, end()).catch(() => {}),
    };
  };
}
