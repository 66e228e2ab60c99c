// The hand-off bundle: the stack folder's JSON and assets, REVIEW.md, OPERATIONS.md and SHA256SUMS under
// one top folder `dr-<suffix>/`, as a reproducible .tar.gz; and its verification.
import { createHash } from "node:crypto";
import { compareText } from "../../modules/stack_index.ts";
import { gunzip, gzip, readTar, type TarEntry, writeTar } from "./tar.ts";

export interface BundleFile {
  /** Path inside the stack folder, `/`-separated. */
  readonly path: string;
  readonly data: Uint8Array;
}

export const SUMS_FILE = "SHA256SUMS";
export const STACK_JSON = "cdk.tf.json";

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The files of a synthesized stack folder that belong in the bundle: cdk.tf.json and assets/**. */
export function readStackFiles(stackDir: string): BundleFile[] {
  const files: BundleFile[] = [{ path: STACK_JSON, data: Deno.readFileSync(`${stackDir}/${STACK_JSON}`) }];
  const walk = (relative: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(`${stackDir}/${relative}`)];
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.isFile) files.push({ path, data: Deno.readFileSync(`${stackDir}/${path}`) });
      else throw new Error(`${stackDir}/${path}: only files and folders can be bundled`);
    }
  };
  walk("assets");
  return files.sort((a, b) => compareText(a.path, b.path));
}

/** `sha256sum` format: `<hex>  <path>` per line, sorted by path, a final newline. */
export function sha256Sums(files: readonly BundleFile[]): string {
  return [...files]
    .sort((a, b) => compareText(a.path, b.path))
    .map((file) => `${sha256Hex(file.data)}  ${file.path}\n`)
    .join("");
}

/** The bundle's files: the given ones plus SHA256SUMS over all of them. */
export function withSums(files: readonly BundleFile[]): BundleFile[] {
  if (files.some((file) => file.path === SUMS_FILE)) {
    throw new Error(`${SUMS_FILE} is generated, not an input`);
  }
  const sums = { path: SUMS_FILE, data: new TextEncoder().encode(sha256Sums(files)) };
  return [...files, sums].sort((a, b) => compareText(a.path, b.path));
}

/** Tar entries under `root/`, with an entry for every folder. */
export function tarEntries(root: string, files: readonly BundleFile[]): TarEntry[] {
  const directories = new Set<string>([root]);
  for (const file of files) {
    const parts = file.path.split("/");
    for (let depth = 1; depth < parts.length; depth++) {
      directories.add(`${root}/${parts.slice(0, depth).join("/")}`);
    }
  }
  return [
    ...[...directories].map((path): TarEntry => ({ path, type: "directory" })),
    ...files.map((file): TarEntry => ({ path: `${root}/${file.path}`, type: "file", data: file.data })),
  ];
}

/** The .tar.gz bytes of the bundle: same files in, same bytes out. */
export async function createBundle(root: string, files: readonly BundleFile[]): Promise<Uint8Array> {
  return gzip(await writeTar(tarEntries(root, withSums(files))));
}

export interface BundleContents {
  /** The single top folder. */
  readonly root: string;
  /** Files relative to the root. */
  readonly files: readonly BundleFile[];
}

/** Reads a bundle: exactly one top folder, only files and folders inside it. */
export async function openBundle(archive: Uint8Array): Promise<BundleContents> {
  const entries = await readTar(gunzip(archive));
  const roots = [...new Set(entries.map((entry) => entry.path.split("/")[0]))];
  if (roots.length !== 1) {
    throw new Error(`expected one top folder in the bundle, found: ${roots.join(", ") || "none"}`);
  }
  const root = roots[0];
  const files = entries
    .filter((entry) => entry.type === "file")
    .map((entry) => {
      if (!entry.path.startsWith(`${root}/`)) throw new Error(`file outside the top folder: ${entry.path}`);
      return { path: entry.path.slice(root.length + 1), data: entry.data ?? new Uint8Array() };
    });
  return { root, files };
}

/**
 * Problems with a bundle's checksums, one line each naming the file: a malformed or missing SHA256SUMS,
 * a file whose digest differs, a listed file that is absent, a file that is not listed. Empty = good.
 */
export function checkSums(contents: BundleContents): string[] {
  const where = (path: string) => `${contents.root}/${path}`;
  const sumsFile = contents.files.find((file) => file.path === SUMS_FILE);
  if (!sumsFile) return [`MISSING ${where(SUMS_FILE)}: the bundle has no checksum list`];
  const problems: string[] = [];
  const listed = new Map<string, string>();
  const lines = new TextDecoder().decode(sumsFile.data).split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, number) => {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match) {
      problems.push(`MALFORMED ${where(SUMS_FILE)} line ${number + 1}: ${JSON.stringify(line)}`);
      return;
    }
    if (listed.has(match[2])) problems.push(`DUPLICATE ${where(match[2])}: listed twice in ${SUMS_FILE}`);
    listed.set(match[2], match[1]);
  });
  const present = new Map(contents.files.map((file) => [file.path, file]));
  for (const [path, expected] of [...listed.entries()].sort(([a], [b]) => compareText(a, b))) {
    const file = present.get(path);
    if (!file) {
      problems.push(`MISSING ${where(path)}: listed in ${SUMS_FILE} but not in the bundle`);
      continue;
    }
    const actual = sha256Hex(file.data);
    if (actual !== expected) {
      problems.push(`MISMATCH ${where(path)}: sha256 ${actual}, ${SUMS_FILE} says ${expected}`);
    }
  }
  for (const path of [...present.keys()].sort(compareText)) {
    if (path !== SUMS_FILE && !listed.has(path)) {
      problems.push(`UNLISTED ${where(path)}: in the bundle but not in ${SUMS_FILE}`);
    }
  }
  return problems;
}

/** Writes the bundle's files under `directory/<root>/` (paths were checked when the archive was read). */
export function extractBundle(contents: BundleContents, directory: string): string {
  const rootDir = `${directory}/${contents.root}`;
  Deno.mkdirSync(rootDir, { recursive: true });
  for (const file of contents.files) {
    const target = `${rootDir}/${file.path}`;
    Deno.mkdirSync(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    Deno.writeFileSync(target, file.data);
  }
  return rootDir;
}
