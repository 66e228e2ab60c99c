// OPERATIONS.md: how an operations team runs the bundled JSON with stock Terraform: what to check, which
// inputs to give, the exact commands. Everything specific (account, regions, backend, variables, provider
// version) is read from the JSON, so the text matches the bundle it ships in.
import { compareText, type Json, type StackIndex, stackIndex } from "../../modules/stack_index.ts";
import { code, flagged, tableOr } from "./markdown.ts";

export interface OperationsInfo {
  /** File name of the archive, e.g. `dr-dev-bundle.tar.gz`. */
  readonly bundleName: string;
  /** The archive's top folder, e.g. `dr-dev`. */
  readonly root: string;
  /** Paths inside the top folder, as bundled. */
  readonly files: readonly string[];
  /** The commit the bundle was built from (with `-dirty` for uncommitted changes), when known. */
  readonly sourceCommit?: string;
}

/** The documented example account id: a bundle built with it cannot be applied. */
const PLACEHOLDER_ACCOUNT_ID = "123456789012";

/** Guidance for the variables this stack is known to declare; others get a generic row. */
const KNOWN_VARIABLES: Readonly<Record<string, string>> = {
  db_master_password: "Aurora master password. Ephemeral: never written to the plan file or the state " +
    "(it feeds write-only arguments), so it must be set for plan, apply and destroy alike. Type it, " +
    "don't put it in shell history or files.",
  db_master_password_version:
    "Rotation counter for the write-only password arguments: Terraform sends a new " +
    "password only when this number changes. Optional; raise it by one together with a new password.",
};

/** Terraform features the JSON uses, with the version that introduced them. */
function minimumTerraform(index: StackIndex): { version: string; reasons: string[] } {
  const found: Array<[string, string]> = [];
  const text = JSON.stringify(index.stack);
  if (/"[a-z_]+_wo"\s*:/.test(text)) found.push(["1.11", "write-only arguments (`*_wo`)"]);
  if (index.variables.some(([, variable]) => variable?.ephemeral === true)) {
    found.push(["1.10", "ephemeral variables"]);
  }
  if (index.settings.backend?.s3?.use_lockfile === true) found.push(["1.10", "S3-native state locking"]);
  const version = found.map(([version]) => version).sort((a, b) => {
    const [aMajor, aMinor] = a.split(".").map(Number);
    const [bMajor, bMinor] = b.split(".").map(Number);
    return bMajor - aMajor || bMinor - aMinor;
  })[0] ?? "";
  return { version, reasons: found.map(([, reason]) => reason) };
}

function describeFile(path: string, index: StackIndex): string {
  if (path === "cdk.tf.json") {
    return "the whole stack as Terraform JSON (stock `terraform` reads it like `.tf` files)";
  }
  if (path === "REVIEW.md") return "reviewer summary: entry points, data stores, IAM, tags, recovery";
  if (path === "OPERATIONS.md") return "this file";
  if (path === "SHA256SUMS") return "SHA-256 of every other file (`sha256sum -c SHA256SUMS`)";
  if (path.startsWith("assets/")) {
    const users = index.all.filter((resource) => JSON.stringify(resource.body).includes(`"${path}"`))
      .map((resource) => resource.address);
    return `deployment package${users.length ? ` of ${users.join(", ")}` : ""}`;
  }
  return "";
}

export function renderOperations(stack: Json | StackIndex, info: OperationsInfo): string {
  const index = stackIndex(stack);
  const name = index.name || info.root;
  const provider = index.settings.required_providers?.aws ?? {};
  const providerVersion = String(provider.version ?? "");
  const providerSource = String(provider.source ?? "aws").replace(/^aws$/, "hashicorp/aws");
  const accounts = [...new Set(index.providers.flatMap((entry) => entry.allowedAccountIds))].sort(
    compareText,
  );
  const regions = index.providers.map((entry) => `${entry.region} (${entry.alias})`).join(", ");
  const variables = index.variables;
  const required = variables.filter(([, variable]) =>
    variable?.default === undefined && variable?.nullable !== true
  );
  const backend = index.settings.backend ?? {};
  const terraformVersion = minimumTerraform(index);
  const hasPassword = variables.some(([variable]) => variable === "db_master_password");
  const hasRotation = hasPassword &&
    variables.some(([variable]) => variable === "db_master_password_version");
  const readSecret = required
    .filter(([, variable]) => variable?.sensitive === true || variable?.ephemeral === true)
    .map(([variable]) => `read -rs TF_VAR_${variable} && export TF_VAR_${variable}   # typed, not echoed`);
  const exportPlain = required
    .filter(([, variable]) => variable?.sensitive !== true && variable?.ephemeral !== true)
    .map(([variable]) => `export TF_VAR_${variable}=<value>`);

  const lines: string[] = [
    `# Operations: ${name}`,
    "",
    [
      `Hand-off bundle \`${info.bundleName}\`${
        info.sourceCommit ? `, built from commit \`${info.sourceCommit}\`` : ""
      }.`,
      `${index.all.length} resources in ${
        regions || "no region"
      }, provider \`${providerSource}\` ${providerVersion}.`,
      terraformVersion.version
        ? `Needs Terraform >= ${terraformVersion.version} (${terraformVersion.reasons.join(", ")}).`
        : "",
    ].filter(Boolean).join(" "),
    "",
    "## Contents",
    "",
    tableOr(
      ["file", "what"],
      [...info.files].sort(compareText).map((path) => [code(path), describeFile(path, index)]),
      "(empty)",
    ),
    "",
    "## 1. Check the bundle",
    "",
    "```sh",
    `tar -xzf ${info.bundleName}`,
    `cd ${info.root}`,
    "sha256sum -c SHA256SUMS",
    "```",
    "",
    "In the source repository, `make verify-bundle FILE=<bundle>` does the same and also runs " +
    "`terraform init -backend=false` + `terraform validate` offline.",
    "",
    "## 2. Inputs",
    "",
    "### AWS account and credentials",
    "",
    accounts.length
      ? `The providers accept only account ${accounts.map(code).join(", ")} (\`allowed_account_ids\`, from ` +
        "`AWS_ACCOUNT_ID` when the bundle was built): a plan with credentials of another account fails."
      : flagged("The providers do not restrict the account (no allowed_account_ids)."),
    ...(accounts.includes(PLACEHOLDER_ACCOUNT_ID)
      ? [
        "",
        flagged(
          `This bundle was built with the placeholder account ${PLACEHOLDER_ACCOUNT_ID}: rebuild it with ` +
            "`AWS_ACCOUNT_ID=<your account id> make bundle` before a plan.",
        ),
      ]
      : []),
    "",
    "Credentials come from the standard AWS chain: `AWS_PROFILE`, or `AWS_ACCESS_KEY_ID` / " +
    "`AWS_SECRET_ACCESS_KEY` (/ `AWS_SESSION_TOKEN`), or an instance / container role. The regions are in " +
    `the JSON (${regions}); \`AWS_REGION\` is not needed.`,
    "",
    "### Terraform variables",
    "",
    tableOr(
      ["environment variable", "required", "kind", "what"],
      variables.map(([variable, body]) => [
        code(`TF_VAR_${variable}`),
        body?.default === undefined && body?.nullable !== true
          ? "yes"
          : `no (default ${JSON.stringify(body.default)})`,
        [
          body?.type ?? "",
          body?.ephemeral === true ? "ephemeral" : "",
          body?.sensitive === true ? "sensitive" : "",
        ]
          .filter(Boolean).join(", "),
        KNOWN_VARIABLES[variable] ?? String(body?.description ?? ""),
      ]),
      "This configuration declares no input variables.",
    ),
    "",
    "### State backend",
    "",
    ...backendText(backend),
    "",
    "## 3. Plan, apply, destroy (stock Terraform)",
    "",
    "```sh",
    `cd ${info.root}`,
    "export AWS_PROFILE=<profile>   # or access keys",
    ...readSecret,
    ...exportPlain,
    "terraform init -input=false",
    "terraform plan -input=false -out=tfplan",
    "terraform apply -input=false tfplan",
    "```",
    "",
    "Review the plan before the apply: the first apply only creates; a later plan that replaces a database " +
    "cluster or a bucket needs a second look.",
    "",
    "Destroy (everything in the stack is destroyable; the same inputs are needed):",
    "",
    "```sh",
    "terraform destroy -input=false",
    "```",
    "",
  ];
  if (hasPassword) {
    lines.push(
      "## 4. Database password rotation",
      "",
      "```sh",
      "read -rs TF_VAR_db_master_password && export TF_VAR_db_master_password   # the new password",
      ...(hasRotation ? ["export TF_VAR_db_master_password_version=<previous value + 1>"] : []),
      "terraform plan -input=false -out=tfplan   # shows only the version change: the value is write-only",
      "terraform apply -input=false tfplan",
      "```",
      "",
      hasRotation
        ? "Keep the version number with the run book: the next rotation raises it again."
        : "This configuration has no version variable: a new value is sent only when Terraform replaces the resource.",
      "",
    );
  }
  lines.push(
    `## ${hasPassword ? 5 : 4}. Air-gapped use`,
    "",
    `Without registry access, give \`terraform init\` a filesystem mirror of \`${providerSource}\` ${providerVersion}:`,
    "",
    "```sh",
    "# on a connected machine, in this folder:",
    "terraform providers mirror /path/to/mirror",
    "# on the isolated machine:",
    "export CHECKPOINT_DISABLE=1",
    "terraform init -input=false -plugin-dir=/path/to/mirror",
    "```",
    "",
    `The mirror layout is \`<root>/<registry host>/${providerSource}/${providerVersion}/<os>_<arch>/\`.`,
    "",
    `## ${hasPassword ? 6 : 5}. Validate without credentials`,
    "",
    "```sh",
    "terraform init -backend=false -input=false   # add -plugin-dir=/path/to/mirror when air-gapped",
    "terraform validate",
    "```",
  );
  return lines.join("\n") + "\n";
}

function backendText(backend: Json): string[] {
  if (backend.s3) {
    const s3 = backend.s3;
    return [
      `S3: bucket ${code(String(s3.bucket))}, key ${code(String(s3.key))}, region ${
        code(String(s3.region))
      } ` +
      `(from \`STATE_BUCKET\` / \`STATE_KEY\` / \`STATE_REGION\` when the bundle was built)${
        s3.encrypt === true ? ", encrypted" : ""
      }${s3.use_lockfile === true ? ", locked by a lock file next to the state (`use_lockfile`)" : ""}. ` +
      "The bucket must exist and the credentials need to read and write the key and its `.tflock`.",
      "",
      "Another bucket without rebuilding: `terraform init -reconfigure -backend-config=bucket=<bucket> " +
      "-backend-config=key=<key> -backend-config=region=<region>`.",
    ];
  }
  if (backend.local) {
    const path = String(backend.local.path ?? "terraform.tfstate");
    return [
      `Local: ${code(path)}, relative to this folder (the bundle was built without \`STATE_BUCKET\`)` +
      `${path.startsWith("../") ? ": where the project keeps state, outside its generated files" : ""}. ` +
      "Choose the file at the first init: `terraform init -input=false -backend-config=path=<file>` " +
      "(`-reconfigure` to move it later). That file is the only record of what was created: keep it safe, or " +
      "rebuild the bundle with `STATE_BUCKET=<bucket> STATE_KEY=<key> STATE_REGION=<region> make bundle` for " +
      "encrypted, locked S3 state.",
    ];
  }
  const kinds = Object.keys(backend);
  return [kinds.length ? `Backend: ${kinds.join(", ")}.` : "No backend block: Terraform uses local state."];
}
