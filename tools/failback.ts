// `make failback [ARGS=--yes|--dry-run]`: the planned return to the primary region after a failover: keep the
// unplanned-failover snapshot, Aurora switchover (no data loss), active region back, fence cleared, wait until
// DNS has left the standby, standby capacity back, SNS notified. Each step checks state first (idempotent) and
// asks before it changes anything unless --yes.
import { RDS } from "@aws-sdk/client-rds";
import { AutoScaling } from "@aws-sdk/client-auto-scaling";
import { SSM } from "@aws-sdk/client-ssm";
import { SNS } from "@aws-sdk/client-sns";
import { CloudWatch } from "@aws-sdk/client-cloudwatch";
import {
  cloudWatchFence,
  credentialProblems,
  CredentialsUnavailableError,
  formatRunReport,
  requireCredentials,
  runFailback,
  stackTargets,
} from "./lib/operator_actions.ts";
import { readOperatorManifest } from "./lib/stack_file.ts";

const yes = Deno.args.includes("--yes");
const dryRun = Deno.args.includes("--dry-run");
const unknown = Deno.args.filter((arg) =>
  !["--yes", "--dry-run"].includes(arg) && !arg.endsWith("operator.json")
);
if (unknown.length > 0) {
  console.error(
    `unknown argument(s): ${unknown.join(" ")} (accepted: --yes, --dry-run, a path to operator.json)`,
  );
  Deno.exit(2);
}
const targets = stackTargets(readOperatorManifest());
const problems = credentialProblems(Deno.env.toObject(), targets);
if (problems.length > 0) {
  console.error(`refusing to fail back:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
  Deno.exit(2);
}
const rds = new RDS({ region: targets.primaryRegion });
try {
  await requireCredentials(rds.config.credentials, Deno.env.toObject());
} catch (error) {
  if (!(error instanceof CredentialsUnavailableError)) throw error;
  console.error(`refusing to fail back: ${error.message}`);
  Deno.exit(2);
}
const log = {
  info: (message: string) => console.log(message),
  warn: (message: string) => console.warn(`WARN ${message}`),
  error: (message: string) => console.error(`ERROR ${message}`),
};
const report = await runFailback(
  {
    rds,
    snapshots: rds,
    alarms: new CloudWatch({ region: targets.secondaryRegion }),
    autoScaling: new AutoScaling({ region: targets.secondaryRegion }),
    ssm: {
      primary: new SSM({ region: targets.primaryRegion }),
      secondary: new SSM({ region: targets.secondaryRegion }),
    },
    fence: cloudWatchFence(new CloudWatch({ region: targets.secondaryRegion }), targets),
    sns: new SNS({ region: targets.secondaryRegion }),
    confirm: (question) => Promise.resolve(confirm(question)),
    log,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  },
  targets,
  { yes, dryRun },
);
console.log(formatRunReport(report));
Deno.exit(report.ok ? 0 : 1);
