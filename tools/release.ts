// `make release ARCHIVE=<app.tar.gz>`: publishes an application release as the stack's deploy role (the only
// principal the artifact bucket policies let write `app/*`): the archive into both artifact buckets, its
// SHA-256 into both regions' `app/release-sha256`, which instances check before they unpack anything.
// Targets come from operator.json; refuses clearly (exit 2) without an archive, account or credentials.
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import {
  credentialProblems,
  CredentialsUnavailableError,
  requireCredentials,
} from "./lib/operator_actions.ts";
import {
  archiveProblem,
  formatReleaseReport,
  publishRelease,
  type RegionPublisher,
  releaseTargets,
} from "./lib/release.ts";
import { readOperatorManifest } from "./lib/stack_file.ts";

/** Short: the session only uploads one archive and writes two parameters. */
const SESSION_SECONDS = 900;

function refuse(problems: readonly string[]): never {
  console.error(`refusing to publish:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
  Deno.exit(2);
}

function readArchive(path: string | undefined): Uint8Array {
  if (!path) refuse(["no archive: make release ARCHIVE=<path to the application .tar.gz>"]);
  let archive: Uint8Array;
  try {
    archive = Deno.readFileSync(path);
  } catch (error) {
    refuse([`ARCHIVE=${path}: ${error instanceof Error ? error.message : error}`]);
  }
  const problem = archiveProblem(archive);
  if (problem) refuse([`ARCHIVE=${path} ${problem}`]);
  return archive;
}

type Credentials = ReturnType<typeof fromNodeProviderChain>;

/**
 * S3 and SSM of one region as the deploy role, assumed through that region's STS: publishing in one region
 * needs nothing of the other (a failed assumption fails that region's upload, reported as such).
 */
function publisherIn(region: string, deployRoleArn: string, operator: Credentials): RegionPublisher {
  const credentials = fromTemporaryCredentials({
    masterCredentials: operator,
    params: { RoleArn: deployRoleArn, RoleSessionName: "make-release", DurationSeconds: SESSION_SECONDS },
    clientConfig: { region },
  });
  const s3 = new S3Client({ region, credentials });
  const ssm = new SSMClient({ region, credentials });
  return {
    putObject: (input) => s3.send(new PutObjectCommand(input)),
    putParameter: (input) => ssm.send(new PutParameterCommand(input)),
  };
}

async function main(): Promise<number> {
  const env = Deno.env.toObject();
  const archive = readArchive(Deno.args.find((arg) => !arg.endsWith("operator.json") && arg !== ""));
  const targets = releaseTargets(readOperatorManifest());
  const problems = credentialProblems(env, targets);
  if (problems.length > 0) refuse(problems);
  // The operator's own credentials (which then assume the deploy role), resolved once before any call.
  const operator = fromNodeProviderChain();
  try {
    await requireCredentials(operator, env);
  } catch (error) {
    if (!(error instanceof CredentialsUnavailableError)) throw error;
    refuse([error.message]);
  }
  const publisherOf = (region: string) => publisherIn(region, targets.deployRoleArn, operator);
  const report = await publishRelease(
    { primary: publisherOf(targets.regions.primary), secondary: publisherOf(targets.regions.secondary) },
    targets,
    archive,
  );
  console.log(formatReleaseReport(report, targets.digestParameter));
  return Object.values(report.regions).every((outcome) => outcome.published) ? 0 : 1;
}

try {
  Deno.exit(await main());
} catch (error) {
  console.error(`release failed: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
  Deno.exit(1);
}
