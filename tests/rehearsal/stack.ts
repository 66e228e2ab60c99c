// The synthesized stack applied to the emulator: a copy of the stack folder with a test-only override
// (every aliased provider's endpoints on the emulator, fake credentials, no account checks), then terraform
// init, plan, apply of that plan, and destroy. The user's cdktf.out is never touched.
import { type Json, StackIndex } from "../../modules/stack_index.ts";

/** Test-only master password (the variable is ephemeral: never in the plan or the state). */
export const REHEARSAL_DB_PASSWORD = "Rehearsal-NotASecret-4b7e21";
const PARALLELISM = 30;
const INVENTORY_SCRIPT = new URL("./inventory.py", import.meta.url).pathname;

/** The provider's endpoint key of each resource type the stack uses (first match wins). */
const SERVICE_OF_TYPE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^aws_acm_/, "acm"],
  [/^aws_autoscaling_/, "autoscaling"],
  [/^aws_cloudwatch_event_/, "events"],
  [/^aws_cloudwatch_log_/, "logs"],
  [/^aws_cloudwatch_/, "cloudwatch"],
  [/^aws_(db|rds)_/, "rds"],
  [/^aws_dynamodb_/, "dynamodb"],
  [/^aws_iam_/, "iam"],
  [/^aws_kms_/, "kms"],
  [/^aws_lambda_/, "lambda"],
  [/^aws_lb(_|$)/, "elbv2"],
  [/^aws_route53_/, "route53"],
  [/^aws_s3_/, "s3"],
  [/^aws_sns_/, "sns"],
  [/^aws_sqs_/, "sqs"],
  [/^aws_ssm_/, "ssm"],
  [/^aws_wafv2_/, "wafv2"],
  [/^aws_backup_/, "backup"],
  [
    /^aws_(vpc|subnet|route|route_table|internet_gateway|nat_gateway|eip|security_group|default_security_group|flow_log|launch_template)(_|$)/,
    "ec2",
  ],
];

/** The endpoint key of a resource type; throws for a type the override would not send to the emulator. */
export function serviceOf(type: string): string {
  const found = SERVICE_OF_TYPE.find(([pattern]) => pattern.test(type));
  if (!found) {
    throw new Error(
      `${type}: no emulator endpoint is known for it; add its service in tests/rehearsal/stack.ts`,
    );
  }
  return found[1];
}

/**
 * The override for every aliased AWS provider of the stack: all endpoints on the emulator (STS too: the
 * provider asks it for the account), fake credentials, no metadata or region checks, the account allow-list
 * lifted (moto's account is 123456789012), and a short delete timeout on the global cluster.
 */
export function emulatorOverride(stack: Json, endpoint: string): Json {
  const index = new StackIndex(stack);
  const services = [...new Set(["sts", ...index.types.map(serviceOf)])].sort();
  const providers = index.providers.map((provider) => ({
    alias: provider.alias,
    access_key: "rehearsal",
    secret_key: "rehearsal",
    skip_credentials_validation: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
    allowed_account_ids: null,
    s3_use_path_style: true,
    endpoints: [Object.fromEntries(services.map((service) => [service, endpoint]))],
  }));
  const globalClusters = index.ofType("aws_rds_global_cluster").map((cluster) => cluster.logicalId);
  return {
    provider: { aws: providers },
    resource: {
      ...(globalClusters.length > 0
        ? {
          aws_rds_global_cluster: Object.fromEntries(
            globalClusters.map((name) => [name, { timeouts: { delete: "2m" } }]),
          ),
        }
        : {}),
    },
  };
}

/** Copies the stack folder (JSON + assets) into a fresh temporary folder and writes the override there. */
export function prepareStack(stackDir: string, endpoint: string): string {
  const workDir = Deno.makeTempDirSync({ prefix: "dr-rehearsal-" });
  copyTree(stackDir, workDir, new Set([".terraform", "terraform.tfstate", "terraform.tfstate.backup"]));
  const stack = JSON.parse(Deno.readTextFileSync(`${workDir}/cdk.tf.json`));
  Deno.writeTextFileSync(
    `${workDir}/rehearsal_override.tf.json`,
    JSON.stringify(emulatorOverride(stack, endpoint), null, 2),
  );
  return workDir;
}

function copyTree(from: string, to: string, skip: ReadonlySet<string>): void {
  Deno.mkdirSync(to, { recursive: true });
  for (const entry of Deno.readDirSync(from)) {
    if (skip.has(entry.name)) continue;
    if (entry.isDirectory) copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`, skip);
    else if (entry.isFile) Deno.copyFileSync(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

const decoder = new TextDecoder();

/** The local provider mirror (TF_PLUGIN_DIR, else discovered), or undefined: then init uses the registry. */
export function providerMirror(): string | undefined {
  const given = Deno.env.get("TF_PLUGIN_DIR");
  if (given) return given;
  const script = new URL("../../tools/find_provider_mirror.sh", import.meta.url).pathname;
  const found = decoder.decode(
    new Deno.Command(script, { stdout: "piped", stderr: "null" }).outputSync().stdout,
  )
    .trim();
  return found || undefined;
}

/**
 * Terraform's environment: no CLI config, the test password, none of the user's AWS settings, and a dead
 * loopback proxy so that a request meant for real AWS fails at once instead of leaving the machine.
 */
function terraformEnv(guardNetwork: boolean): Record<string, string> {
  const proxies = ["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"];
  const keep = [
    ...["PATH", "HOME", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "TF_LOG", "TF_LOG_PATH"],
    // init may need the registry, through the user's proxy
    ...(guardNetwork ? [] : proxies),
  ];
  const env: Record<string, string> = Object.fromEntries(
    keep.flatMap((name) => Deno.env.get(name) !== undefined ? [[name, Deno.env.get(name)!]] : []),
  );
  Object.assign(env, {
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_CLI_CONFIG_FILE: "/dev/null",
    TF_VAR_db_master_password: REHEARSAL_DB_PASSWORD,
  });
  if (guardNetwork) {
    for (const name of proxies) {
      env[name] = name.toLowerCase() === "no_proxy" ? "127.0.0.1,localhost" : "http://127.0.0.1:9";
    }
  }
  return env;
}

export interface TerraformOptions {
  /** Route every non-loopback request to a dead proxy (all but init). Default true. */
  readonly guardNetwork?: boolean;
  /** Each line of output as it comes (progress). */
  readonly onLine?: (line: string) => void;
}

/**
 * Runs terraform in `workDir`. Its output goes, line by line with the seconds since the start, to
 * `<workDir>/<logName>.log`; returns stdout. Throws with the last lines when terraform fails.
 */
export async function terraform(
  workDir: string,
  args: readonly string[],
  logName: string,
  options: TerraformOptions = {},
): Promise<string> {
  const child = new Deno.Command("terraform", {
    args: [...args, "-no-color"],
    cwd: workDir,
    env: terraformEnv(options.guardNetwork ?? true),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const started = performance.now();
  const log = await Deno.open(`${workDir}/${logName}.log`, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  const tail: string[] = [];
  const onLine = (line: string) => {
    log.writeSync(encoder.encode(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}\n`));
    if (line.trim() !== "") tail.push(line);
    if (tail.length > 40) tail.shift();
    options.onLine?.(line);
  };
  try {
    const [stdout, , status] = await Promise.all([
      readLines(child.stdout, onLine),
      readLines(child.stderr, onLine),
      child.status,
    ]);
    if (!status.success) {
      throw new Error(`terraform ${args[0]} failed (exit ${status.code}):\n${tail.join("\n")}`);
    }
    return stdout;
  } finally {
    log.close();
  }
}

/** Reads a stream to its end, calling `onLine` for each line; returns the whole text. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<string> {
  let text = "";
  let partial = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    lines.forEach(onLine);
  }
  if (partial !== "") onLine(partial);
  return text;
}

export async function init(workDir: string): Promise<void> {
  const mirror = providerMirror();
  // Init only fetches the provider (from the mirror when there is one); nothing in it talks to AWS. The state
  // stays in the working copy: the stack's own relative path would lead outside it (the user's state/).
  await terraform(
    workDir,
    [
      "init",
      "-input=false",
      `-backend-config=path=${workDir}/terraform.tfstate`,
      `-backend-config=workspace_dir=${workDir}/terraform.tfstate.d`,
      ...(mirror ? [`-plugin-dir=${mirror}`] : []),
    ],
    "init",
    { guardNetwork: false },
  );
}

/** Plans, then applies exactly that plan. Returns the managed addresses planned for creation. */
export async function planAndApply(workDir: string, onLine?: (line: string) => void): Promise<string[]> {
  await terraform(
    workDir,
    ["plan", "-input=false", `-parallelism=${PARALLELISM}`, "-out=rehearsal.tfplan"],
    "plan",
  );
  const plan = JSON.parse(await terraform(workDir, ["show", "-json", "rehearsal.tfplan"], "plan-json"));
  const planned = (plan.resource_changes as Json[])
    .filter((change) => change.mode === "managed" && change.change.actions.includes("create"))
    .map((change) => change.address as string);
  await terraform(
    workDir,
    ["apply", "-input=false", "-auto-approve", `-parallelism=${PARALLELISM}`, "rehearsal.tfplan"],
    "apply",
    { onLine },
  );
  return planned.sort();
}

/** Managed resource addresses in the state (`state list` needs no provider, unlike `show -json`). */
export async function stateAddresses(workDir: string): Promise<string[]> {
  const list = await terraform(workDir, ["state", "list"], "state-list");
  return list.split("\n").filter((address) => address !== "" && !address.startsWith("data.")).sort();
}

/**
 * Destroys what the state holds, without a refresh: deletion works from the IDs in the state, which nothing
 * the rehearsal changes outside Terraform (writer, capacity, parameter values) alters, and re-reading every
 * resource first costs about a minute on two cores.
 */
export async function destroy(workDir: string, onLine?: (line: string) => void): Promise<void> {
  await terraform(
    workDir,
    ["destroy", "-input=false", "-auto-approve", "-refresh=false", `-parallelism=${PARALLELISM}`],
    "destroy",
    { onLine },
  );
}

/** The regions of the stack's aliased providers, by alias. */
export function stackRegions(stack: Json): string[] {
  return [...new Set(new StackIndex(stack).providers.map((provider) => provider.region))];
}

/** The emulator's inventory (tests/rehearsal/inventory.py) over the given regions. */
export async function inventory(endpoint: string, regions: readonly string[]): Promise<Json> {
  const result = await new Deno.Command("python3", {
    args: [INVENTORY_SCRIPT, endpoint, ...regions],
    stdin: "null",
    env: { PYTHONDONTWRITEBYTECODE: "1" },
  }).output();
  if (!result.success) throw new Error(`inventory failed:\n${decoder.decode(result.stderr)}`);
  return JSON.parse(decoder.decode(result.stdout));
}
