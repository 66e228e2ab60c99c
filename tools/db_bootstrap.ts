// `make db-bootstrap`: creates the application and checker database roles (tools/lib/db_bootstrap.ts), once
// after the first apply and again whenever wanted (idempotent). Run by the operator who holds the master
// password (TF_VAR_db_master_password, as for apply): no AWS role ever reads it for this, so it stays
// break-glass. The writer sits in private subnets: reach it from inside the VPC or through a Session Manager
// port forward (DB_BOOTSTRAP_ADDRESS=127.0.0.1 DB_BOOTSTRAP_PORT=<local port>); TLS still checks the name
// against the RDS CA bundle shipped with the synthesized stack (or DB_BOOTSTRAP_CA_BUNDLE).
// Exit 0 done, 2 refused (a setting missing) or failed (one line naming the cause).
import { loadConfig } from "../modules/config.ts";
import { pgConnect } from "../handlers/lib/postgres.ts";
import { caBundleObjectKey, DATABASE_TLS } from "../handlers/lib/contract.ts";
import { bootstrapDatabase } from "./lib/db_bootstrap.ts";
import { stackFilePath } from "./lib/stack_file.ts";

const TIMEOUT_MS = 10_000;

/** The RDS CA bundle shipped with the synthesized stack at `stackJsonPath`; undefined without one. */
export function shippedCaBundle(stackJsonPath: string): string | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(stackJsonPath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const objects: Array<{ key?: string; source?: string }> = Object.values(
    JSON.parse(text).resource?.aws_s3_object ?? {},
  );
  // One object per region, all from the same file.
  const source = objects.find((object) => object.key === caBundleObjectKey(object.key?.split("/")[1] ?? ""))
    ?.source;
  return source === undefined ? undefined : `${stackJsonPath.replace(/[^/]*$/, "")}${source}`;
}

/** The CA bundle to verify the writer with: DB_BOOTSTRAP_CA_BUNDLE, else the one shipped with the stack. */
export function caBundlePath(
  env: Record<string, string | undefined>,
  shipped: string | undefined,
): string | undefined {
  return env.DB_BOOTSTRAP_CA_BUNDLE ?? shipped;
}

/** Every missing or bad setting at once. `shipped`: the RDS CA bundle of the synthesized stack, if any. */
export function bootstrapProblems(env: Record<string, string | undefined>, shipped?: string): string[] {
  const problems: string[] = [];
  if (!env.DB_BOOTSTRAP_HOST) {
    problems.push(
      "DB_BOOTSTRAP_HOST is not set: the global writer endpoint (terraform output -raw database_global_writer_endpoint)",
    );
  }
  if (!env.TF_VAR_db_master_password) {
    problems.push("TF_VAR_db_master_password is not set: the master password");
  }
  if (env.DB_BOOTSTRAP_CA_BUNDLE === "") {
    problems.push(
      'DB_BOOTSTRAP_CA_BUNDLE="": is set but empty; unset it to use the RDS CA bundle shipped with the ' +
        "synthesized stack, or give a PEM file of the RDS certificate authorities",
    );
  } else if (caBundlePath(env, shipped) === undefined) {
    problems.push(
      "DB_BOOTSTRAP_CA_BUNDLE is not set and no synthesized stack ships the RDS CA bundle: run make synth, " +
        "or set it to a PEM file of the RDS certificate authorities",
    );
  }
  const port = env.DB_BOOTSTRAP_PORT;
  if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    problems.push(`DB_BOOTSTRAP_PORT="${port}": must be a port 1-65535`);
  }
  return problems;
}

async function main(): Promise<number> {
  const env = Deno.env.toObject();
  const shipped = shippedCaBundle(stackFilePath("cdk.tf.json", []));
  const problems = bootstrapProblems(env, shipped);
  if (problems.length > 0) {
    console.error(`refusing to bootstrap the database:\n${problems.map((line) => `  ${line}`).join("\n")}`);
    return 2;
  }
  const database = loadConfig(env).database;
  const connect = pgConnect({
    ca: Deno.readTextFileSync(caBundlePath(env, shipped)!),
    requireAuth: DATABASE_TLS.passwordRequireAuth,
    applicationName: "dr-db-bootstrap",
  });
  const session = await connect({
    host: env.DB_BOOTSTRAP_ADDRESS || env.DB_BOOTSTRAP_HOST,
    tlsServerName: env.DB_BOOTSTRAP_HOST,
    port: Number(env.DB_BOOTSTRAP_PORT || database.port),
    database: database.databaseName,
    user: database.masterUsername,
    password: env.TF_VAR_db_master_password,
    timeoutMs: TIMEOUT_MS,
  });
  try {
    const count = await bootstrapDatabase(session, database.databaseName);
    console.log(`database roles in place (${count} idempotent statements) on ${env.DB_BOOTSTRAP_HOST}`);
  } finally {
    await session.close();
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`database bootstrap failed: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(2);
  }
}
