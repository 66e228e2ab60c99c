// The recovery-time budget for the review, from modules/recovery_budget.ts when that module exists in the
// tree (`recoveryBudget(config)` -> budget, `formatBudget(budget)` -> Markdown). Imported dynamically so
// the review works, and says so, in a tree that does not have it.
import { loadConfig, type StackConfig } from "../../modules/config.ts";
import type { Json } from "./stack_json.ts";
import { renderReview } from "./review.ts";

export const BUDGET_MODULE = new URL("../../modules/recovery_budget.ts", import.meta.url);

export type BudgetResult = { readonly markdown: string } | { readonly missing: string };

function exists(url: URL): boolean {
  try {
    return Deno.statSync(url).isFile;
  } catch {
    return false;
  }
}

/**
 * Loads the budget module and formats the budget of the configuration `configOf()` returns (called only
 * when the module exists). Absent module: `{ missing }` with the reason. A module that is present but
 * lacks either function, or throws, is an error: never hidden.
 */
export async function loadRecoveryBudget(
  configOf: () => StackConfig,
  moduleUrl: URL = BUDGET_MODULE,
): Promise<BudgetResult> {
  if (!exists(moduleUrl)) {
    const where = moduleUrl.pathname.split("/").slice(-2).join("/");
    return { missing: `No recovery-time budget: ${where} is not in this tree.` };
  }
  const { recoveryBudget, formatBudget } = await import(moduleUrl.href);
  if (typeof recoveryBudget !== "function" || typeof formatBudget !== "function") {
    throw new Error(`${moduleUrl.pathname} must export recoveryBudget() and formatBudget()`);
  }
  const markdown = formatBudget(recoveryBudget(configOf()));
  if (typeof markdown !== "string") throw new Error(`${moduleUrl.pathname}: formatBudget() returned no text`);
  return { markdown };
}

/** REVIEW.md of a stack, with the budget of `env`'s configuration (the one the stack was synthesized from). */
export async function reviewWithBudget(
  stack: Json,
  env: Readonly<Record<string, string>>,
  moduleUrl: URL = BUDGET_MODULE,
): Promise<string> {
  const budget = await loadRecoveryBudget(() => loadConfig(env), moduleUrl);
  return renderReview(
    stack,
    "markdown" in budget ? { recoveryBudget: budget.markdown } : { recoveryBudgetMissing: budget.missing },
  );
}
