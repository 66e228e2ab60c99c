// Moving a synthesized stack into cdktf.out/ without losing anything that is not ours to replace: only the
// stack's generated files (cdk.tf.json, operator.json, assets/) change; its `.terraform/`, a saved plan,
// other environments' stack folders and Terraform state (state/<stack>/, outside cdktf.out/) stay.
import { STATE_DIR } from "./providers.ts";

/** What synth generates in a stack folder; everything else there belongs to Terraform or the operator. */
export const GENERATED_FILES = ["cdk.tf.json", "operator.json"] as const;
const ASSETS = "assets";

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function children(path: string): string[] {
  if (!exists(path)) return [];
  return [...Deno.readDirSync(path)].map((entry) => entry.name).sort();
}

/** Asset folders `<asset>/<content hash>` of a stack folder. */
function assetFolders(stackDir: string): string[] {
  return children(`${stackDir}/${ASSETS}`).flatMap((asset) =>
    children(`${stackDir}/${ASSETS}/${asset}`).map((hash) => `${asset}/${hash}`)
  );
}

/**
 * Replaces stack `name` under `outputDir` with the one synthesized under `stagingDir` (same filesystem).
 * Asset folders are content-addressed, so the new ones are added first and the old ones removed last: at
 * every moment cdk.tf.json (renamed into place in one step) points at assets that exist.
 * @returns the installed cdk.tf.json path.
 */
export function installStack(stagingDir: string, outputDir: string, name: string): string {
  const from = `${stagingDir}/stacks/${name}`;
  const to = `${outputDir}/stacks/${name}`;
  Deno.mkdirSync(to, { recursive: true });
  const wanted = assetFolders(from);
  for (const folder of wanted) {
    if (exists(`${to}/${ASSETS}/${folder}`)) continue;
    Deno.mkdirSync(`${to}/${ASSETS}/${folder.split("/")[0]}`, { recursive: true });
    Deno.renameSync(`${from}/${ASSETS}/${folder}`, `${to}/${ASSETS}/${folder}`);
  }
  for (const file of [...GENERATED_FILES].reverse()) Deno.renameSync(`${from}/${file}`, `${to}/${file}`);
  for (const folder of assetFolders(to)) {
    if (!wanted.includes(folder)) Deno.removeSync(`${to}/${ASSETS}/${folder}`, { recursive: true });
  }
  for (const asset of children(`${to}/${ASSETS}`)) {
    if (children(`${to}/${ASSETS}/${asset}`).length === 0) Deno.removeSync(`${to}/${ASSETS}/${asset}`);
  }
  mergeAppManifest(stagingDir, outputDir, name);
  warnAboutOldState(to, name);
  return `${to}/cdk.tf.json`;
}

/** cdktf's manifest.json lists every stack folder present, not only the last one synthesized. */
function mergeAppManifest(stagingDir: string, outputDir: string, name: string): void {
  const staged = JSON.parse(Deno.readTextFileSync(`${stagingDir}/manifest.json`));
  let manifest = staged;
  try {
    const current = JSON.parse(Deno.readTextFileSync(`${outputDir}/manifest.json`));
    manifest = { ...staged, stacks: { ...current.stacks, [name]: staged.stacks[name] } };
  } catch { /* none yet, or unreadable: the staged one stands */ }
  const stacks = Object.fromEntries(
    Object.entries(manifest.stacks).filter(([stack]) => exists(`${outputDir}/stacks/${stack}`)).sort(),
  );
  const temporary = `${outputDir}/.manifest.json.${Deno.pid}`;
  Deno.writeTextFileSync(temporary, `${JSON.stringify({ ...manifest, stacks }, null, 2)}\n`);
  Deno.renameSync(temporary, `${outputDir}/manifest.json`);
}

/** Before state moved to state/<stack>/ it lived in the stack folder: say how to move it, at every synth. */
function warnAboutOldState(stackDir: string, name: string): void {
  const old = `${stackDir}/terraform.tfstate`;
  const current = `${STATE_DIR}/${name}/terraform.tfstate`;
  if (!exists(old)) return;
  const move = exists(current)
    ? `both it and ${current} exist: keep the one with the higher "serial" as ${current}, then`
    : `move it before the next plan: mkdir -p ${STATE_DIR}/${name} && mv -n ${old} ${current} &&`;
  console.error(
    `warning: ${old} is state written by an older version of this project; local state now lives in ` +
      `${STATE_DIR}/${name}/. To use it, ${move} (cd ${stackDir} && terraform init -reconfigure)`,
  );
}
