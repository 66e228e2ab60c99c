// `make synth`: runs main.ts's main() from one ESM bundle of main.ts and its npm packages, cached under
// .build/synth/ by its inputs. Run directly, Deno loads cdktf and the provider as ~450 CommonJS files
// (13 MB with their inline source maps), resolving every require() on disk: half of a warm synth's CPU
// time. One file, compiled from V8's code cache, loads in less than half that. The code is the same, and so
// are the bytes it writes (tests/synth_runner_test.ts); `deno run main.ts` stays the reference.
import "../modules/esbuild_sync_mode.ts"; // first: esbuild reads it when it loads
import * as esbuild from "esbuild";
import { builtinModules } from "node:module";
import { createHash } from "node:crypto";
import { dirname, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureNodeModules, listFiles } from "../modules/lambda_bundle.ts";

const PROJECT_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** Everything a bundle is made of besides npm packages (pinned by deno.lock); a build checks that. */
const SOURCE_FILES = ["main.ts", "deno.json", "deno.lock", "tools/synth.ts"];
const SOURCE_DIRS = ["modules", "handlers"];
/** The bundle's first line: `// inputs <key>`. */
const KEY_LINE = /^\/\/ inputs ([0-9a-f]{64})\n/;

// CommonJS packages call require() for Node built-ins; an ESM bundle has no require of its own.
const REQUIRE_SHIM = 'import { createRequire as __createRequire } from "node:module";\n' +
  "const require = __createRequire(import.meta.url);";

/** Hash of the bundle's inputs and of the Deno that runs it (its code cache). */
export function inputKey(root = PROJECT_ROOT): string {
  const hash = createHash("sha256");
  const add = (label: string, data: string | Uint8Array) => {
    hash.update(`${label}\0${data.length}\0`);
    hash.update(data);
  };
  add("deno", Deno.version.deno);
  const dirs = SOURCE_DIRS.flatMap((dir) =>
    listFiles(`${root}/${dir}`).map((file) => file.slice(root.length + 1))
  );
  for (const file of [...SOURCE_FILES, ...dirs]) add(file, Deno.readFileSync(`${root}/${file}`));
  return hash.digest("hex");
}

/** Where the bundle of the project at `root` is kept (git-ignored). */
export function bundlePath(root = PROJECT_ROOT): string {
  return `${root}/.build/synth/main.mjs`;
}

/** The key on the first line of the bundle at `path`, if there is one. */
function keyOf(path: string): string | undefined {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    const head = new Uint8Array(128);
    const read = file.readSync(head) ?? 0;
    return KEY_LINE.exec(new TextDecoder().decode(head.subarray(0, read)))?.[1];
  } finally {
    file.close();
  }
}

/**
 * The project's own modules are compiled one by one: `import.meta.main` is false (the bundle only exports
 * main()), and `import.meta.url` is each source file's URL, found from the bundle's own at run time (files
 * next to a module resolve as under `deno run`, wherever the project folder is).
 */
const projectSources = (root: string): esbuild.Plugin => ({
  name: "project-sources",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      if (!path.startsWith(`${root}/`) || path.includes("/node_modules/")) return undefined;
      const { code } = await esbuild.transform(await Deno.readTextFile(path), {
        loader: "ts",
        format: "esm",
        target: "esnext",
        sourcefile: relative(root, path), // named in syntax errors
        define: { "import.meta.url": "__moduleUrl", "import.meta.main": "false" },
      });
      if (!code.includes("__moduleUrl")) return { contents: code, loader: "js" };
      const fromBundle = relative(dirname(bundlePath(root)), path);
      const moduleUrl = `const __moduleUrl = new URL(${JSON.stringify(fromBundle)}, import.meta.url).href;`;
      return { contents: `${moduleUrl}\n${code}`, loader: "js" };
    });
  },
});

/**
 * A dependency's bare import of a Node built-in (fflate's `import { createRequire } from "module"`) stays
 * external with the `node:` prefix Deno requires outside npm packages.
 */
const nodeBuiltinsPrefixed: esbuild.Plugin = {
  name: "node-builtins-prefixed",
  setup(build) {
    const bare = new RegExp(`^(${builtinModules.filter((name) => !name.startsWith("_")).join("|")})$`);
    build.onResolve({ filter: bare }, (args) => ({ path: `node:${args.path}`, external: true }));
  },
};

/** Bundles `root`/main.ts into bundlePath(root), headed by `key` (atomically: concurrent synths may race). */
async function buildBundle(root: string, key: string): Promise<void> {
  ensureNodeModules(); // esbuild resolves npm packages from node_modules/
  // Stopped after the build: its service process would otherwise outlive it.
  const result = await esbuild.build({
    entryPoints: [`${root}/main.ts`],
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "node",
    target: "esnext",
    external: ["esbuild"], // runs its native binary from its own package (handler bundles)
    banner: { js: `// inputs ${key}\n${REQUIRE_SHIM}` },
    plugins: [projectSources(root), nodeBuiltinsPrefixed],
    charset: "utf8",
    legalComments: "none",
    minifyWhitespace: true, // a tenth less to load; names and semantics stay as they are
    logLevel: "silent",
  }).finally(() => esbuild.stop());
  const stray = Object.keys(result.metafile.inputs).filter((input) =>
    !input.startsWith("node_modules/") && !SOURCE_FILES.includes(input) &&
    !SOURCE_DIRS.some((dir) => input.startsWith(`${dir}/`))
  );
  if (stray.length > 0) throw new Error(`synth bundle: inputs its key does not cover: ${stray.join(", ")}`);
  const path = bundlePath(root);
  Deno.mkdirSync(path.replace(/\/[^/]+$/, ""), { recursive: true });
  const staging = `${path}.${Deno.pid}.tmp`;
  Deno.writeFileSync(staging, result.outputFiles[0].contents);
  Deno.renameSync(staging, path);
}

/** bundlePath(root), rebuilt first when its inputs changed. */
export async function currentBundle(root = PROJECT_ROOT): Promise<string> {
  const key = inputKey(root);
  if (keyOf(bundlePath(root)) !== key) await buildBundle(root, key);
  return bundlePath(root);
}

if (import.meta.main) {
  const { main } = await import(pathToFileURL(await currentBundle()).href);
  Deno.exit(main());
}
