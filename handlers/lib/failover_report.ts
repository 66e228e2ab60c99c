// What one orchestrator invocation did, and the SNS message that tells a person: outcome, evidence, the
// promotion mode (and whether writes may be lost), the timeline, the measured phases.

import type { ProbeResult } from "./failover_probe.ts";
import type { StepRecord } from "./steps.ts";

export type FailoverOutcome =
  | "failed-over"
  | "already-failed-over"
  | "aborted-primary-healthy"
  | "notified-automation-disabled"
  | "in-progress-elsewhere"
  | "drill";

export type FailoverTrigger =
  | {
    readonly kind: "alarm";
    readonly alarmName: string;
    readonly stateChangedAt: string;
    readonly failingSince?: string;
  }
  | { readonly kind: "manual"; readonly reason: string; readonly force: boolean }
  | { readonly kind: "drill" };

/** Measured phases of this invocation's failover, in seconds (absent: not measured here). */
export interface FailoverPhases {
  /** First failed probe -> the decision (the quorum alarm's state change). */
  readonly decisionSeconds?: number;
  /** Decision -> the standby cluster is the writer. */
  readonly writableSeconds?: number;
  /** Writable -> failover capacity in service. */
  readonly fullCapacitySeconds?: number;
}

export interface FailoverReport {
  readonly outcome: FailoverOutcome;
  readonly trigger: FailoverTrigger;
  readonly region: string;
  readonly lockKey?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly autoFailover: boolean;
  /** What the decision alarms said when the invocation started (one line each). */
  readonly evidence?: readonly string[];
  readonly probe?: ProbeResult;
  readonly steps: readonly StepRecord[];
  /** Drill: where a real run would stop (primary healthy) or which check failed. */
  readonly wouldAbort?: boolean;
  readonly ok: boolean;
  readonly failedStep?: string;
  /** First failed probe (or the invocation) -> writable: the recovery time the RTO is about. */
  readonly recoverySeconds?: number;
  readonly phases?: FailoverPhases;
  /** How this invocation promoted the standby, when it asked Aurora. */
  readonly promotion?: "switchover" | "failover";
  readonly dataLossPossible: boolean;
  /** The primary cluster whose unplanned-failover snapshot keeps the writes a data-loss failover lost. */
  readonly primaryClusterId?: string;
  /** True when the report is the stored result of an earlier invocation with the same lock key. */
  readonly replayed?: boolean;
}

const SUBJECTS: Record<FailoverOutcome, string> = {
  "failed-over": "Failover completed: writes now served by",
  "already-failed-over": "Failover re-run: already failed over to",
  "aborted-primary-healthy": "Failover aborted (false alarm): primary answered healthy, seen from",
  "notified-automation-disabled": "FAILOVER NEEDED, automation disabled (AUTO_FAILOVER=false) in",
  "in-progress-elsewhere": "Failover already in progress in",
  drill: "Failover drill report from",
};

function describeTrigger(trigger: FailoverTrigger): string {
  if (trigger.kind === "alarm") {
    return `alarm "${trigger.alarmName}" entered ALARM at ${trigger.stateChangedAt}`;
  }
  if (trigger.kind === "drill") return "drill";
  return `manual request: "${trigger.reason}"${trigger.force ? " (force: primary probe ignored)" : ""}`;
}

function timeline(report: FailoverReport): string[] {
  const start = Date.parse(report.startedAt);
  const lines = ["", "Timeline:"];
  for (const s of report.steps) {
    const offset = ((Date.parse(s.startedAt) - start) / 1000).toFixed(1);
    const retries = s.retries > 0 ? `, ${s.retries} retries` : "";
    const seconds = (s.durationMs / 1000).toFixed(1);
    lines.push(
      `  +${offset}s  ${s.step.padEnd(20)} ${s.status.padEnd(12)} ${seconds}s${retries}  ${s.detail}`,
    );
    for (const note of s.notes) lines.push(`      ${note}`);
    if (s.error) lines.push(`      error: ${s.error.name}: ${s.error.message}`);
  }
  return lines;
}

function phaseLines(phases: FailoverPhases | undefined): string[] {
  const rows: Array<[string, number | undefined]> = [
    ["first failed probe -> decision", phases?.decisionSeconds],
    ["decision -> writable", phases?.writableSeconds],
    ["writable -> full capacity", phases?.fullCapacitySeconds],
  ];
  const measured = rows.filter(([, seconds]) => seconds !== undefined);
  return measured.length === 0
    ? []
    : ["", "Measured phases:", ...measured.map(([what, s]) => `  ${what}: ${s} s`)];
}

const DATA_LOSS_WARNING =
  "Aurora failover with AllowDataLoss: transactions committed on the old primary but not " +
  "yet replicated (the last AuroraGlobalDBRPOLag window) may be missing from the new writer. When the old " +
  "primary rejoins, Aurora keeps them in a snapshot named rds:unplanned-global-failover-";

/** The SNS message: a subject (<= 100 characters) and a plain-text timeline. */
export function formatNotification(report: FailoverReport): { subject: string; message: string } {
  const head = report.ok ? SUBJECTS[report.outcome] : `FAILOVER FAILED at step ${report.failedStep} in`;
  const subject = `[DR] ${head} ${report.region}`.slice(0, 100);
  const lines = [
    `Outcome: ${report.ok ? report.outcome : `FAILED at ${report.failedStep}`}`,
    `Trigger: ${describeTrigger(report.trigger)}`,
    `Region: ${report.region} (standby)`,
    `Started: ${report.startedAt}   finished: ${report.finishedAt}`,
  ];
  if (report.evidence?.length) lines.push("Evidence:", ...report.evidence.map((line) => `  ${line}`));
  if (report.promotion) {
    lines.push(
      `Promotion: ${
        report.promotion === "switchover" ? "switchover (graceful, no data loss)" : "failover (AllowDataLoss)"
      }`,
    );
  }
  if (report.recoverySeconds !== undefined) {
    lines.push(`Recovery time (first failed probe -> writable): ${report.recoverySeconds} s`);
  }
  lines.push(...phaseLines(report.phases));
  if (report.outcome === "notified-automation-disabled") {
    lines.push(
      "",
      "Automatic failover is off. To fail over now, invoke this function with",
      '  { "manual": true, "reason": "<who and why>" }',
      'and first a dry run with { "drill": true } to see what it would do.',
    );
  }
  if (report.steps.length > 0) lines.push(...timeline(report));
  if (report.dataLossPossible) {
    lines.push("", `WARNING: ${DATA_LOSS_WARNING}${report.primaryClusterId ?? "<old primary>"}-<time>.`);
    lines.push("`make failback` keeps a copy of it (kept-unplanned-global-failover-...) and reports its id.");
  }
  if (!report.ok) {
    lines.push("", "The invocation failed and will be retried; a retry continues from the observed state.");
  }
  if (report.outcome === "failed-over" || report.outcome === "already-failed-over") {
    lines.push("", "Traffic stays on this region (PrimaryFenced) until a person fails back (make failback).");
  }
  return { subject, message: lines.join("\n") };
}
