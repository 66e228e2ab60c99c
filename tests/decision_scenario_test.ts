// The failover decision on the SYNTHESIZED alarms (issue "Failover you can trust"): the three vote alarms
// evaluated as CloudWatch evaluates them (tools/lib/alarm_model.ts), then the quorum alarm's own rule.
// A scenario is a series of 10 s periods: what each vantage point's prober published (1 healthy, 0 failed,
// undefined silent) and what the standby's database checker saw of replication (1 stalled, 0 flowing).

import assert from "node:assert/strict";
import { alarmFromStack, type AlarmState, evaluateAlarm, evaluateRule } from "../tools/lib/alarm_model.ts";
import { defaultStack, type Json, resource } from "./helpers.ts";

type Series = readonly (number | undefined)[];

interface Scenario {
  readonly standby: Series;
  readonly witness: Series;
  readonly stalled: Series;
}

const VOTES = {
  standby: "failover_secondary_primary_down_standby",
  witness: "failover_secondary_primary_down_witness",
  stalled: "failover_secondary_replication_stalled",
} as const;

interface Verdict {
  /** The quorum alarm reached ALARM: the orchestrator is started (an unplanned failover). */
  readonly failsOver: boolean;
  /** Some vote alarm reached ALARM: it notifies the standby topic (a person is paged). */
  readonly pages: boolean;
}

/** Evaluates every period end as CloudWatch would (10 s alarms are evaluated every 10 s). */
function decide(stack: Json, scenario: Scenario): Verdict {
  const quorum = resource(stack, "aws_cloudwatch_composite_alarm", "failover_secondary_quorum");
  const periods = Math.max(scenario.standby.length, scenario.witness.length, scenario.stalled.length);
  let failsOver = false;
  let pages = false;
  for (let end = 1; end <= periods; end++) {
    const states: Record<string, AlarmState> = {};
    for (const [vantage, id] of Object.entries(VOTES) as [keyof Scenario, string][]) {
      const alarm = resource(stack, "aws_cloudwatch_metric_alarm", id);
      const state = evaluateAlarm(alarmFromStack(id, alarm), scenario[vantage].slice(0, end));
      states[`\${aws_cloudwatch_metric_alarm.${id}.alarm_name}`] = state;
      if (state === "ALARM" && (alarm.alarm_actions ?? []).length > 0) pages = true;
    }
    if (evaluateRule(quorum.alarm_rule, states)) failsOver = true;
  }
  return { failsOver, pages };
}

const up = (n: number): number[] => Array(n).fill(1);
const down = (n: number): number[] => Array(n).fill(0);
const silent = (n: number): undefined[] => Array(n).fill(undefined);

const SCENARIOS: Array<[string, Scenario, Verdict]> = [
  ["all healthy", { standby: up(12), witness: up(12), stalled: down(12) }, {
    failsOver: false,
    pages: false,
  }],
  [
    "a blip: one failed period from both vantage points",
    { standby: [...up(5), 0, ...up(6)], witness: [...up(5), 0, ...up(6)], stalled: down(12) },
    { failsOver: false, pages: false },
  ],
  [
    "two failed periods (below DECISION_PERIODS = 3) from both",
    { standby: [...up(4), 0, 0, ...up(6)], witness: [...up(4), 0, 0, ...up(6)], stalled: down(12) },
    { failsOver: false, pages: false },
  ],
  [
    "a partition seen only by the standby (its prober fails, the witness sees the primary)",
    { standby: [...up(3), ...down(9)], witness: up(12), stalled: down(12) },
    { failsOver: false, pages: true },
  ],
  [
    "replication stalled alone (the witness sees the primary)",
    { standby: up(12), witness: up(12), stalled: [...down(3), 1, 1, 1, 1, 1, 1, 1, 1, 1] },
    { failsOver: false, pages: true },
  ],
  [
    "the witness region down (silent) while the standby sees the primary down: page, never act",
    { standby: [...up(3), ...down(9)], witness: [...up(2), ...silent(10)], stalled: down(12) },
    { failsOver: false, pages: true },
  ],
  [
    "the witness alone sees the primary down (its own network)",
    { standby: up(12), witness: [...up(3), ...down(9)], stalled: down(12) },
    { failsOver: false, pages: true },
  ],
  [
    "the primary region down: both vantage points fail for 3 periods",
    { standby: [...up(3), ...down(3)], witness: [...up(3), ...down(3)], stalled: down(6) },
    { failsOver: true, pages: true },
  ],
  [
    "the primary down from the witness, the standby prober silent, replication stalled",
    { standby: [...up(3), ...silent(3)], witness: [...up(3), ...down(3)], stalled: [...down(3), 1, 1, 1] },
    { failsOver: true, pages: true },
  ],
  [
    "flapping: never 3 failed periods in a row",
    { standby: [1, 0, 0, 1, 0, 0, 1, 0, 0, 1], witness: [1, 0, 0, 1, 0, 0, 1, 0, 0, 1], stalled: down(10) },
    { failsOver: false, pages: false },
  ],
];

for (const [label, scenario, expected] of SCENARIOS) {
  Deno.test(`the decision on the synthesized alarms: ${label}`, () => {
    assert.deepEqual(decide(defaultStack().stack, scenario), expected);
  });
}

Deno.test("the decision needs the primary down from both regions within DECISION_PERIODS x 10 s <= 60 s", () => {
  const { stack, config } = defaultStack();
  for (const id of Object.values(VOTES)) {
    const alarm = resource(stack, "aws_cloudwatch_metric_alarm", id);
    assert.equal(alarm.period, 10, `${id}: a 10 s (high-resolution) period`);
    assert.equal(alarm.datapoints_to_alarm, config.health.decisionPeriods, id);
    assert.equal(alarm.treat_missing_data, "notBreaching", `${id}: a silent source never votes`);
  }
  const periods = config.health.decisionPeriods;
  const failing = { standby: down(periods), witness: down(periods), stalled: down(periods) };
  assert.equal(decide(stack, failing).failsOver, true);
  assert.equal(decide(stack, { ...failing, witness: down(periods - 1) }).failsOver, false);
});
