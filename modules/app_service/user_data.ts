// User data of the application instances: a small bash script that writes the service files next to this
// module (Python front service, boot-time configuration, one-time setup, systemd units) and starts the
// units. The units do the work at every boot, so warm-pool instances (started without user data) behave
// like freshly launched ones.
import { Buffer } from "node:buffer";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  DATABASE_TLS,
  DATABASE_TOKEN_REFRESH_SECONDS,
  DATABASE_USERS,
  INSTANCE_FENCE_POLL_SECONDS,
  INSTANCE_FENCE_READ_TIMEOUT_SECONDS,
} from "../../handlers/lib/contract.ts";

/** Object key of the application release in the region's artifact bucket (a .tar.gz with `run` at its root). */
export const ARTIFACT_KEY = "app/current.tar.gz";

/** Name of the heredoc delimiter; no embedded file may contain it as a line. */
const DELIMITER = "DR_APP_EOF";

/** EC2 accepts at most 16 KiB of user data (after compression, before base64). */
export const USER_DATA_LIMIT_BYTES = 16384;

export interface AppUserDataSettings {
  readonly region: string;
  /** Parameter Store prefix of this stack (`/<app>/<suffix>`). */
  readonly parameterPrefix: string;
  /** Port the front service listens on (the target group's port). */
  readonly appPort: number;
  /** Log group the CloudWatch agent ships the service logs to. */
  readonly logGroupName: string;
  /** The RDS CA bundle the stack shipped: bucket and key in this region, and its SHA-256 (hex). */
  readonly caBundle: { readonly bucket: string; readonly key: string; readonly sha256Hex: string };
}

/** Loopback port of the published release behind the front service: next to the application port. */
export function upstreamPort(appPort: number): number {
  return appPort < 65535 ? appPort + 1 : appPort - 1;
}

export interface EmbeddedFile {
  readonly path: string;
  readonly mode: string;
  readonly content: string;
}

function source(name: string): string {
  return Deno.readTextFileSync(new URL(`./${name}`, import.meta.url));
}

/** Every file the user data writes, in order: settings first, units last. */
export function appServiceFiles(settings: AppUserDataSettings): EmbeddedFile[] {
  const environment = {
    AWS_REGION: settings.region,
    PARAMETER_PREFIX: settings.parameterPrefix,
    APP_PORT: String(settings.appPort),
    UPSTREAM_PORT: String(upstreamPort(settings.appPort)),
    ARTIFACT_KEY,
    RELEASE_DIR: "/opt/dr-app/release",
    APP_ENV_FILE: "/etc/dr-app/app.env",
    LOG_GROUP: settings.logGroupName,
    // The application role, with IAM tokens; verify-full as every client (DATABASE_TLS in contract.ts).
    DB_USER: DATABASE_USERS.app,
    DB_SSLMODE: DATABASE_TLS.sslMode,
    DB_SSLROOTCERT: DATABASE_TLS.instanceCaBundlePath,
    DB_REQUIRE_AUTH: DATABASE_TLS.iamRequireAuth,
    CA_BUNDLE_BUCKET: settings.caBundle.bucket,
    CA_BUNDLE_KEY: settings.caBundle.key,
    CA_BUNDLE_SHA256: settings.caBundle.sha256Hex,
    TOKEN_REFRESH_SECONDS: String(DATABASE_TOKEN_REFRESH_SECONDS),
    DEEP_CHECK_TIMEOUT_SECONDS: "2",
    // Route 53 probes from many locations several times a second: one database round trip serves them all.
    DEEP_CHECK_CACHE_SECONDS: "2",
    FENCE_POLL_SECONDS: String(INSTANCE_FENCE_POLL_SECONDS),
    FENCE_READ_TIMEOUT_SECONDS: String(INSTANCE_FENCE_READ_TIMEOUT_SECONDS),
  };
  for (const [name, value] of Object.entries(environment)) {
    if (!/^[A-Za-z0-9_./:-]+$/.test(value)) throw new Error(`${name}="${value}" is not a plain setting`);
  }
  return [
    {
      path: "/etc/dr-app/settings.env",
      mode: "0644",
      content: Object.entries(environment).map(([name, value]) => `${name}=${value}\n`).join(""),
    },
    { path: "/opt/dr-app/health_server.py", mode: "0755", content: source("health_server.py") },
    { path: "/opt/dr-app/boot_config.py", mode: "0755", content: source("boot_config.py") },
    { path: "/opt/dr-app/setup.sh", mode: "0755", content: source("setup.sh") },
    { path: "/opt/dr-app/install_rds_ca.sh", mode: "0755", content: source("install_rds_ca.sh") },
    ...["dr-app-setup.service", "dr-app-health.service", "dr-app-release.service"].map((unit) => ({
      path: `/etc/systemd/system/${unit}`,
      mode: "0644",
      content: source(unit),
    })),
  ];
}

/** The user data script (plain text; the launch template stores it base64-encoded). */
export function appUserData(settings: AppUserDataSettings): string {
  const files = appServiceFiles(settings);
  const writes = files.map((file) => {
    if (file.content.split("\n").includes(DELIMITER)) throw new Error(`${file.path} contains ${DELIMITER}`);
    const body = file.content.endsWith("\n") ? file.content : `${file.content}\n`;
    return `cat >${file.path} <<'${DELIMITER}'\n${body}${DELIMITER}\nchmod ${file.mode} ${file.path}\n`;
  });
  const script = [
    "#!/bin/bash\n",
    "# Writes the DR app service files and starts their units (see modules/app_service/ in the stack).\n",
    "set -euo pipefail\n",
    "install -d -m 0755 /opt/dr-app /etc/dr-app /var/log/dr-app /var/lib/dr-app\n",
    ...writes,
    "systemctl daemon-reload\n",
    "systemctl enable dr-app-setup.service dr-app-health.service dr-app-release.service\n",
    // --no-block: cloud-init finishes; the units still start in their After= order.
    "systemctl start --no-block dr-app-setup.service dr-app-health.service dr-app-release.service\n",
  ].join("");
  return script;
}

/**
 * The launch template's `user_data`: gzip (cloud-init unpacks it; the script alone exceeds 16 KiB), then
 * base64. Encoded here so Terraform never interpolates the script's `${...}`; gzip's header carries no time,
 * so the output is deterministic.
 */
export function encodeUserData(script: string): string {
  const compressed = gzipSync(new TextEncoder().encode(script), { level: 9 });
  if (compressed.length > USER_DATA_LIMIT_BYTES) {
    throw new Error(
      `user data is ${compressed.length} bytes compressed; EC2 accepts ${USER_DATA_LIMIT_BYTES}`,
    );
  }
  return Buffer.from(compressed).toString("base64");
}

/** The script back from `encodeUserData` (for tests and reviewers). */
export function decodeUserData(encoded: string): string {
  return new TextDecoder().decode(gunzipSync(Buffer.from(encoded, "base64")));
}
