// What the recovery budget reads from a synthesized stack: the logical ids of the failover design (issue 10),
// the shapes of the budget's rows, and small readers of Lambda environments, schedules and alarm references.
import type { VantageRole } from "../handlers/lib/contract.ts";
import type { AwsFactName } from "./recovery_sources.ts";
import type { Json, StackIndex, StackResource } from "./stack_index.ts";

export interface BudgetStep {
  readonly step: string;
  /** NaN when the stack does not say (a blocker names why). */
  readonly seconds: number;
  /** `type.id.attribute` read from the stack, and/or `AWS: <label>` (cited under the table). */
  readonly source: string;
  readonly facts?: readonly AwsFactName[];
}

export interface ParallelPath {
  readonly path: string;
  /** Seconds after the failure when this path is done. */
  readonly doneAtSeconds: number;
  readonly source: string;
  readonly facts?: readonly AwsFactName[];
}

export interface RpoItem {
  readonly mechanism: string;
  readonly bound: string;
  readonly source: string;
}

/** A prober of the primary: where it runs (its metrics land in the standby region). */
export interface VantagePoint {
  readonly role: VantageRole;
  readonly region: string;
}

export type Ref = readonly [type: string, id: string];

/** Logical ids the budget reads (the failover design of issue 10). */
export const BUDGET_SOURCES = {
  probers: {
    secondary: ["aws_lambda_function", "probes_secondary_primary_probe"],
    witness: ["aws_lambda_function", "probes_witness_primary_probe"],
  },
  probeSchedules: {
    secondary: ["aws_cloudwatch_event_rule", "probes_secondary_primary_probe_schedule"],
    witness: ["aws_cloudwatch_event_rule", "probes_witness_primary_probe_schedule"],
  },
  decisionAlarms: {
    secondary: ["aws_cloudwatch_metric_alarm", "failover_secondary_primary_down_standby"],
    witness: ["aws_cloudwatch_metric_alarm", "failover_secondary_primary_down_witness"],
  },
  replicationStalledAlarm: ["aws_cloudwatch_metric_alarm", "failover_secondary_replication_stalled"],
  quorumAlarm: ["aws_cloudwatch_composite_alarm", "failover_secondary_quorum"],
  failoverTrigger: ["aws_cloudwatch_event_rule", "failover_secondary_trigger"],
  orchestrator: ["aws_lambda_function", "failover_secondary_failover"],
  fenceAlarm: ["aws_cloudwatch_metric_alarm", "failover_secondary_primary_fenced"],
  rpoLagAlarm: ["aws_cloudwatch_metric_alarm", "observability_secondary_rpo_lag"],
} as const;

/** Every logical id above, flat (a test asserts each exists in the default stack). */
export function budgetSourceIds(): Ref[] {
  const { probers, probeSchedules, decisionAlarms, ...single } = BUDGET_SOURCES;
  return [
    ...Object.values(probers),
    ...Object.values(probeSchedules),
    ...Object.values(decisionAlarms),
    ...Object.values(single),
  ];
}

/** One of the resources above, undefined when the stack lacks it. */
export const resourceOf = (index: StackIndex, [type, id]: Ref): StackResource | undefined =>
  index.get(type, id);

/** The body of one of the resources above, undefined when the stack lacks it. */
export const bodyOf = (index: StackIndex, ref: Ref): Json | undefined => resourceOf(index, ref)?.body;

/** `type.id.name`: the address a budget row cites. */
export const attribute = ([type, id]: Ref, name: string) => `${type}.${id}.${name}`;

/** A Lambda environment variable as a number; NaN when unset or empty. */
export function envOf(lambda: Json, name: string): number {
  const value = lambda?.environment?.variables?.[name];
  return value === undefined || value === "" ? Number.NaN : Number(value);
}

export function rateSeconds(expression: string | undefined): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression ?? "");
  if (!match) return Number.NaN;
  return Number(match[1]) * (match[2].startsWith("hour") ? 3600 : 60);
}

/** Whether an expression points at a resource: a `${type.id.…}` reference, or its literal `alarm_name`. */
export function mentions(expression: unknown, index: StackIndex, ref: Ref): boolean {
  const text = typeof expression === "string" ? expression : JSON.stringify(expression ?? "");
  const name = bodyOf(index, ref)?.alarm_name;
  return text.includes(`${ref[0]}.${ref[1]}.`) ||
    (typeof name === "string" && !name.includes("${") && text.includes(name));
}

export const sum = (steps: readonly { seconds: number }[]) =>
  steps.reduce((total, step) => total + step.seconds, 0);
