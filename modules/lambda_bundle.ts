// Lambda handler bundles: esbuild turns handlers/<name>.ts into one ESM file (node22; the AWS SDK v3 stays
// external because the runtime provides it), packed as index.mjs into a deterministic zip (sorted entries,
// fixed 1980-01-01 timestamps and permissions), so `source_code_hash` follows the content only.
// Synchronous (esbuild's buildSync) because synthesize() is. Bundles are cached by their inputs.
import { createHash } from "node:crypto";
import "./esbuild_sync_mode.ts";
import * as esbuild from "esbuild";
import { type Zippable, zipSync } from "fflate";

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
const BUNDLE_FORMAT_VERSION = "2";

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

/** Hash of everything a bundle is made from: handler sources, pinned dependencies (esbuild, fflate). */
function inputKey(name: string): string {
  const hash = createHash("sha256");
  const add = (label: string, data: string | Uint8Array) => {
    hash.update(`${label}\0${data.length}\0`);
    hash.update(data);
  };
  add("format", BUNDLE_FORMAT_VERSION);
  add("esbuild", esbuild.version);
  add("options", JSON.stringify(buildOptions(name)));
  for (const file of ["deno.json", "deno.lock"]) add(file, Deno.readFileSync(`${PROJECT_ROOT}/${file}`));
  for (const file of listFiles(`${PROJECT_ROOT}/${HANDLERS_DIR}`)) {
    add(file.slice(PROJECT_ROOT.length), Deno.readFileSync(file));
  }
  return hash.digest("hex").slice(0, 32);
}

/** Every file below `dir`, sorted (a stable order for hashing). */
export function listFiles(dir: string): string[] {
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

export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

/**
 * 1980-01-01 00:00, the earliest DOS date. Zip times carry no zone and fflate writes the local time of a
 * Date, so a local-time date gives the same bytes in every time zone.
 */
const ZIP_MTIME = new Date(1980, 0, 1);
const MADE_ON_UNIX = 3;
/** External attributes: the Unix mode (regular file, rw-r--r--) in the high 16 bits. */
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;

/** A zip whose bytes depend only on the entries' names and contents: sorted, fixed time and mode. */
export function deterministicZip(entries: readonly ZipEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: Zippable = {};
  for (const [index, entry] of sorted.entries()) {
    if (index > 0 && entry.name === sorted[index - 1].name) {
      throw new Error(`duplicate zip entry: ${entry.name}`);
    }
    files[entry.name] = [entry.data, {
      level: 9,
      mtime: ZIP_MTIME,
      os: MADE_ON_UNIX,
      attrs: REGULAR_FILE_0644,
    }];
  }
  // Object keys keep insertion order, except array-index names ("7"), which come first: still deterministic.
  return zipSync(files);
}
