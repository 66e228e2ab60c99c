// The recovery budget as the tables `make rto` prints (Markdown: REVIEW.md embeds it, the README quotes it):
// each row with its source, the verdict against both targets, then the AWS documents cited.
import type { BudgetStep, RecoveryBudget } from "./recovery_budget.ts";
import { citations } from "./recovery_sources.ts";

const seconds = (value: number) => Number.isFinite(value) ? String(Math.round(value * 10) / 10) : "?";

function stepTable(steps: readonly BudgetStep[], startAt: number): string[] {
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const lines = [row(["step", "seconds", "at", "source"]), row(["---", "---:", "---:", "---"])];
  let at = startAt;
  for (const step of steps) {
    at += step.seconds;
    lines.push(row([step.step, seconds(step.seconds), `t+${seconds(at)}`, step.source]));
  }
  return lines;
}

function verdict(what: string, value: number, target: number, targetName: string): string {
  if (!Number.isFinite(value)) return `${what}: unknown (see the blockers), ${targetName} ${target} s`;
  const holds = value <= target ? "within" : "EXCEEDS";
  return `${what}: ${seconds(value)} s, ${holds} the ${target} s ${targetName}`;
}

function parallelLines(budget: RecoveryBudget): string[] {
  const lines = budget.parallel.map((path) =>
    `- ${path.path}: done at t+${seconds(path.doneAtSeconds)} s (${path.source})`
  );
  lines.push(`- DNS answers with the standby at t+${seconds(budget.dnsSeconds)} s (the faster DNS path)`);
  if (budget.dnsSeconds > budget.firstWriteSeconds) {
    lines.push(
      "- note: DNS moves after the first write is possible; until then clients still ask the primary",
    );
  }
  const capacity = budget.parallel.find((path) => path.path.startsWith("capacity"));
  if (capacity && capacity.doneAtSeconds > budget.targetSeconds) {
    lines.push(
      `- note: full capacity arrives after the ${budget.targetSeconds} s target; until then the standby serves with what is running`,
    );
  }
  return lines;
}

/** The budget as the tables `make rto` prints: each row with its source, then the AWS citations. */
export function formatBudget(budget: RecoveryBudget): string {
  const facts = [...budget.decisionSteps, ...budget.firstWriteSteps, ...budget.parallel]
    .flatMap((item) => item.facts ?? []).concat("s3Rtc");
  const slower = budget.vantagePoints.length > 1 ? " (the slower vantage point; the quorum needs both)" : "";
  const lines = [
    "Recovery budget: unplanned loss of the primary region, worst case",
    "",
    `Time to decision: failure -> quorum alarm${slower}`,
    "",
    ...stepTable(budget.decisionSteps, 0),
    "",
    verdict("Time to decision", budget.decisionSeconds, budget.decisionTargetSeconds, "decision target"),
    "",
    "Time to first write: decision -> the promoted standby takes writes",
    "",
    ...stepTable(budget.firstWriteSteps, budget.decisionSeconds),
    "",
    verdict("Time to first write", budget.firstWriteSeconds, budget.targetSeconds, "RTO target"),
    "",
    "Parallel paths:",
    ...parallelLines(budget),
    "",
    ...(budget.blockers.length > 0
      ? ["Blockers:", ...budget.blockers.map((blocker) => `- BLOCKER: ${blocker}`), ""]
      : []),
    budget.withinTarget
      ? "Verdict: within both targets"
      : `Verdict: ${budget.blockers.length > 0 ? "BLOCKED" : "EXCEEDS a target"}`,
    "",
    "AWS sources:",
    ...citations(facts),
    "",
    "Recovery point:",
    ...budget.rpo.map((item) => `- ${item.mechanism}: ${item.bound} (${item.source})`),
  ];
  return lines.join("\n");
}
