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
  /** The name the server certificate must carry when `host` is a tunnel's address; default `host`. */
  readonly tlsServerName?: string;
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
  /**
   * `scram-sha-256`: answer only a SCRAM exchange, never a cleartext or MD5 password request (libpq's
   * `require_auth`, which node-postgres lacks); for the master password. Default: whatever the server asks,
   * as Aurora's IAM authentication asks for the token in clear (over the verified TLS session).
   */
  readonly requireAuth?: "scram-sha-256";
  /** application_name; default `dr-db-health`. */
  readonly applicationName?: string;
}

type PgClientInternals = {
  _handleAuthCleartextPassword: () => void;
  _handleAuthMD5Password: () => void;
  _handleErrorWhileConnecting: (error: Error) => void;
  connection: { end(): void };
};

/** Makes the client refuse a cleartext or MD5 password request (before its listeners are bound in connect). */
function refuseNonScram(client: pg.Client): void {
  const internals = client as unknown as PgClientInternals;
  const refuse = (method: string) =>
    function (this: PgClientInternals) {
      this.connection.end();
      this._handleErrorWhileConnecting(
        new Error(`the server asked for a ${method} password: refused, SCRAM only (require_auth)`),
      );
    };
  internals._handleAuthCleartextPassword = refuse("cleartext");
  internals._handleAuthMD5Password = refuse("MD5");
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
      ssl: {
        rejectUnauthorized: true,
        ca: options.ca,
        ...(target.tlsServerName ? { servername: target.tlsServerName } : {}),
      },
      connectionTimeoutMillis: target.timeoutMs,
      statement_timeout: target.timeoutMs,
      query_timeout: target.timeoutMs + CLIENT_GRACE_MS,
      application_name: options.applicationName ?? "dr-db-health",
    });
    if (options.requireAuth === "scram-sha-256") refuseNonScram(client);
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
