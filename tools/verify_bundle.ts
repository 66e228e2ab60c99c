// Verifies a hand-off bundle: every SHA256SUMS line matches, no file is unlisted, and the JSON still
// passes `terraform init -backend=false` + `terraform validate` offline (-plugin-dir=$TF_PLUGIN_DIR when set).
//   deno run --allow-read --allow-write --allow-env --allow-run=terraform tools/verify_bundle.ts <bundle.tar.gz>
// Exit 0: verified; 1: a check failed; 2: usage or unreadable archive.
import { type BundleContents, checkSums, extractBundle, openBundle } from "./lib/bundle.ts";

function terraform(cwd: string, args: string[]): { ok: boolean; stdout: string; output: string } {
  let result: Deno.CommandOutput;
  try {
    result = new Deno.Command("terraform", {
      args: [...args, "-no-color"],
      cwd,
      env: { CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
  } catch (error) {
    const message = `cannot run terraform: ${error instanceof Error ? error.message : error}`;
    return { ok: false, stdout: "", output: message };
  }
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  const stdout = decode(result.stdout);
  return { ok: result.success, stdout, output: [stdout, decode(result.stderr)].filter(Boolean).join("\n") };
}

async function main(args: string[]): Promise<number> {
  const [file] = args;
  if (!file || args.length !== 1) {
    console.error("usage: verify_bundle.ts <bundle.tar.gz>");
    return 2;
  }
  let contents: BundleContents;
  try {
    contents = await openBundle(Deno.readFileSync(file));
  } catch (error) {
    console.error(`FAILED ${file}: ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  const problems = checkSums(contents);
  if (problems.length) {
    for (const problem of problems) console.error(problem);
    console.error(`FAILED ${file}: ${problems.length} checksum problem(s)`);
    return 1;
  }
  console.log(`SHA256SUMS: ${contents.files.length - 1} files match, none unlisted`);
  const workDir = Deno.makeTempDirSync({ prefix: "verify-bundle-" });
  try {
    const stackDir = extractBundle(contents, workDir);
    const pluginDir = Deno.env.get("TF_PLUGIN_DIR");
    const init = terraform(stackDir, [
      "init",
      "-backend=false",
      "-input=false",
      ...(pluginDir ? [`-plugin-dir=${pluginDir}`] : []),
    ]);
    if (!init.ok) {
      console.error(`${init.output}\nFAILED ${file}: terraform init -backend=false`);
      return 1;
    }
    const validate = terraform(stackDir, ["validate"]);
    if (!validate.ok) {
      console.error(`${validate.output}\nFAILED ${file}: terraform validate`);
      return 1;
    }
    console.log(`terraform validate: ${validate.stdout}`);
  } finally {
    Deno.removeSync(workDir, { recursive: true });
  }
  console.log(`OK ${file}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
