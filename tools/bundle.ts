// Builds the reproducible hand-off bundle of a synthesized stack folder.
//   deno run --allow-read --allow-write --allow-env --allow-run=git tools/bundle.ts <stack dir> <out.tar.gz>
// Same commit and configuration -> byte-identical archive.
import {
  type BundleFile,
  createBundle,
  readStackFiles,
  sha256Hex,
  STACK_JSON,
  SUMS_FILE,
} from "./lib/bundle.ts";
import { renderReview } from "./lib/review.ts";
import { renderOperations } from "./lib/operations.ts";
import { parseStack } from "../modules/stack_index.ts";

/** `git rev-parse HEAD`, with `-dirty` when tracked files differ from it; undefined outside a git tree. */
export function sourceCommit(cwd: string): string | undefined {
  const git = (...args: string[]) => {
    try {
      const result = new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "null" }).outputSync();
      return result.success ? new TextDecoder().decode(result.stdout).trim() : undefined;
    } catch {
      return undefined;
    }
  };
  const head = git("rev-parse", "HEAD");
  if (!head) return undefined;
  const changes = git("status", "--porcelain", "--untracked-files=no");
  return changes ? `${head}-dirty` : head;
}

async function main(args: string[]): Promise<number> {
  const [stackDir, output] = args;
  if (!stackDir || !output || args.length !== 2) {
    console.error("usage: bundle.ts <stack dir> <output .tar.gz>");
    return 2;
  }
  const started = performance.now();
  let stackFiles: BundleFile[];
  try {
    stackFiles = readStackFiles(stackDir);
  } catch (error) {
    console.error(
      `cannot read ${stackDir}: ${error instanceof Error ? error.message : error} (run make synth)`,
    );
    return 2;
  }
  const stack = parseStack(
    new TextDecoder().decode(stackFiles.find((file) => file.path === STACK_JSON)!.data),
  );
  const root = stackDir.replace(/\/+$/, "").split("/").pop()!;
  const bundleName = output.split("/").pop()!;
  const review = renderReview(stack);
  const operations = renderOperations(stack, {
    bundleName,
    root,
    files: [...stackFiles.map((file) => file.path), "OPERATIONS.md", "REVIEW.md", SUMS_FILE],
    sourceCommit: sourceCommit(Deno.cwd()),
  });
  const encoder = new TextEncoder();
  const archive = await createBundle(root, [
    ...stackFiles,
    { path: "REVIEW.md", data: encoder.encode(review) },
    { path: "OPERATIONS.md", data: encoder.encode(operations) },
  ]);
  const slash = output.lastIndexOf("/");
  if (slash > 0) Deno.mkdirSync(output.slice(0, slash), { recursive: true });
  const staging = `${output}.tmp-${Deno.pid}`;
  Deno.writeFileSync(staging, archive);
  Deno.renameSync(staging, output);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(
    `${output}: ${stackFiles.length + 3} files, ${archive.length} bytes, sha256 ${
      sha256Hex(archive)
    } (${seconds} s)`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
