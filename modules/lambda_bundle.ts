// Lambda handler bundles: esbuild turns handlers/<name>.ts into one ESM file (node22; the AWS SDK v3 stays
// external because the runtime provides it), packed as index.mjs into a deterministic zip (sorted entries,
// fixed 1980-01-01 timestamps and permissions), so `source_code_hash` follows the content only.
// Synchronous (esbuild's buildSync) because synthesize() is. Bundles are cached by their inputs.
import { createHash } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import "./esbuild_sync_mode.ts";
import * as esbuild from "esbuild";

export const LAMBDA_RUNTIME = "nodejs22.x";
export const LAMBDA_ARCHITECTURE = "arm64";
/** `index.mjs` in the zip, exporting `handler`. */
export const LAMBDA_HANDLER = "index.handler";

export interface HandlerBundle {
  /** `<outDir>/<name>.zip`. */
  readonly zipPath: string;
  /** base64 SHA-256 of the zip: Terraform's `source_code_hash`. */
  readonly sha256Base64: string;
  readonly bytes: number;
}

export interface BundleOptions {
  /** Reuse a bundle built from identical inputs (default true); false always runs esbuild. */
  readonly cache?: boolean;
}

const PROJECT_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const HANDLERS_DIR = "handlers";
const CACHE_DIR = `${PROJECT_ROOT}/.build/lambda-bundles`;
/** Bump when the zip layout or build options change in a way the cache key does not see. */
const BUNDLE_FORMAT_VERSION = "1";

// CommonJS dependencies (pg) call require() for Node built-ins; an ESM bundle has no require of its own.
const REQUIRE_SHIM = 'import { createRequire as __createRequire } from "node:module";\n' +
  "const require = __createRequire(import.meta.url);";

/**
 * Handlers using an SDK library the runtime may lack (db_health: @aws-sdk/rds-signer): only the SDK's
 * clients stay external, the library and what it needs beyond them are bundled.
 */
const BUNDLES_SDK_LIBRARIES = new Set(["db_health"]);

function buildOptions(name: string): esbuild.BuildOptions {
  return {
    entryPoints: [`${PROJECT_ROOT}/${HANDLERS_DIR}/${name}.ts`],
    absWorkingDir: PROJECT_ROOT,
    outfile: `${PROJECT_ROOT}/.build/${name}/index.mjs`,
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "node",
    target: "node22",
    mainFields: ["module", "main"],
    // pg-native: pg's optional native binding, loaded only on request; never used here.
    external: [BUNDLES_SDK_LIBRARIES.has(name) ? "@aws-sdk/client-*" : "@aws-sdk/*", "pg-native"],
    banner: { js: REQUIRE_SHIM },
    charset: "utf8",
    legalComments: "eof",
    sourcemap: false,
    logLevel: "silent",
  };
}

/** Bundles `handlers/<name>.ts` and writes `<outDir>/<name>.zip`. */
export function bundleHandler(name: string, outDir: string, options: BundleOptions = {}): HandlerBundle {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) {
    throw new Error(`bundleHandler("${name}"): a handler name is lowercase letters, digits and _`);
  }
  const entry = `${HANDLERS_DIR}/${name}.ts`;
  if (!isFile(`${PROJECT_ROOT}/${entry}`)) {
    throw new Error(`bundleHandler("${name}"): ${entry} does not exist`);
  }
  const useCache = options.cache ?? true;
  const key = inputKey(name);
  const cachedPath = `${CACHE_DIR}/${name}-${key}.zip`;
  let zip = useCache ? readIfPresent(cachedPath) : undefined;
  if (zip === undefined) {
    zip = deterministicZip([{ name: "index.mjs", data: buildBundle(name) }]);
    if (useCache) storeInCache(name, cachedPath, zip);
  }
  Deno.mkdirSync(outDir, { recursive: true });
  const zipPath = `${outDir}/${name}.zip`;
  Deno.writeFileSync(zipPath, zip);
  return { zipPath, sha256Base64: createHash("sha256").update(zip).digest("base64"), bytes: zip.byteLength };
}

function buildBundle(name: string): Uint8Array {
  ensureNodeModules();
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[]; metafile: esbuild.Metafile };
  try {
    result = esbuild.buildSync(buildOptions(name)) as typeof result;
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    const messages = failure.errors?.map((m) =>
      `${m.location ? `${m.location.file}:${m.location.line}: ` : ""}${m.text}`
    );
    throw new Error(`esbuild ${name}: ${messages?.join("; ") ?? String(error)}`);
  }
  // The cache key covers handlers/ and the lockfile: an input elsewhere would make it unsound.
  const stray = Object.keys(result.metafile.inputs).filter((path) =>
    !path.startsWith(`${HANDLERS_DIR}/`) && !path.startsWith("node_modules/")
  );
  if (stray.length > 0) {
    throw new Error(
      `bundleHandler("${name}"): imports outside ${HANDLERS_DIR}/ and npm packages: ${stray.join(", ")}`,
    );
  }
  return result.outputFiles[0].contents;
}

let nodeModulesReady = false;

/**
 * esbuild resolves npm packages from a node_modules folder; Deno keeps them in its global cache. This
 * links the lockfile's packages into ./node_modules (git-ignored) for esbuild only: Deno itself keeps
 * resolving from its cache, since deno.json does not set nodeModulesDir.
 */
export function ensureNodeModules(): void {
  if (nodeModulesReady) return;
  const result = new Deno.Command(Deno.execPath(), {
    args: ["install", "--node-modules-dir=auto", "--quiet"],
    cwd: PROJECT_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!result.success) {
    throw new Error(
      `deno install (node_modules for esbuild) failed: ${new TextDecoder().decode(result.stderr)}`,
    );
  }
  nodeModulesReady = true;
}

/** Hash of everything a bundle is made from: handler sources, pinned dependencies, tool versions. */
function inputKey(name: string): string {
  const hash = createHash("sha256");
  const add = (label: string, data: string | Uint8Array) => {
    hash.update(`${label}\0${data.length}\0`);
    hash.update(data);
  };
  add("format", BUNDLE_FORMAT_VERSION);
  add("esbuild", esbuild.version);
  add("deno", Deno.version.deno); // its zlib makes the deflate bytes
  add("options", JSON.stringify(buildOptions(name)));
  for (const file of ["deno.json", "deno.lock"]) add(file, Deno.readFileSync(`${PROJECT_ROOT}/${file}`));
  for (const file of listFiles(`${PROJECT_ROOT}/${HANDLERS_DIR}`)) {
    add(file.slice(PROJECT_ROOT.length), Deno.readFileSync(file));
  }
  return hash.digest("hex").slice(0, 32);
}

function listFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...listFiles(path));
    else if (entry.isFile) files.push(path);
  }
  return files.sort();
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function readIfPresent(path: string): Uint8Array | undefined {
  try {
    return Deno.readFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Writes the bundle (atomically: concurrent synths may race) and drops older bundles of the handler. */
function storeInCache(name: string, path: string, data: Uint8Array): void {
  Deno.mkdirSync(CACHE_DIR, { recursive: true });
  const staging = `${path}.${Deno.pid}.tmp`;
  Deno.writeFileSync(staging, data);
  Deno.renameSync(staging, path);
  for (const entry of Deno.readDirSync(CACHE_DIR)) {
    const stale = `${CACHE_DIR}/${entry.name}`;
    if (entry.name.startsWith(`${name}-`) && entry.name.endsWith(".zip") && stale !== path) {
      Deno.removeSync(stale);
    }
  }
}

// ---- deterministic zip (PKZIP APPNOTE 4.3: local headers, central directory, end record) ----

export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01, the earliest DOS date
const VERSION = 20; // 2.0: deflate
const MADE_BY_UNIX = (3 << 8) | VERSION;
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;

/** A zip whose bytes depend only on the entries' names and contents. */
export function deterministicZip(entries: readonly ZipEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of sorted) {
    const name = encoder.encode(entry.name);
    const compressed = new Uint8Array(deflateRawSync(entry.data, { level: 9 }));
    const crc = crc32(entry.data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, VERSION, true);
    local.setUint16(6, 0, true); // flags
    local.setUint16(8, 8, true); // deflate
    local.setUint16(10, DOS_TIME, true);
    local.setUint16(12, DOS_DATE, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, compressed.length, true);
    local.setUint32(22, entry.data.length, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 0, true); // extra length
    locals.push(new Uint8Array(local.buffer), name, compressed);

    const central = new DataView(new ArrayBuffer(46));
    central.setUint32(0, 0x02014b50, true);
    central.setUint16(4, MADE_BY_UNIX, true);
    central.setUint16(6, VERSION, true);
    central.setUint16(8, 0, true);
    central.setUint16(10, 8, true);
    central.setUint16(12, DOS_TIME, true);
    central.setUint16(14, DOS_DATE, true);
    central.setUint32(16, crc, true);
    central.setUint32(20, compressed.length, true);
    central.setUint32(24, entry.data.length, true);
    central.setUint16(28, name.length, true);
    // extra, comment, disk number, internal attributes: 0
    central.setUint32(38, REGULAR_FILE_0644, true);
    central.setUint32(42, offset, true);
    centrals.push(new Uint8Array(central.buffer), name);
    offset += 30 + name.length + compressed.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, sorted.length, true);
  end.setUint16(10, sorted.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  return concat([...locals, ...centrals, new Uint8Array(end.buffer)]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
