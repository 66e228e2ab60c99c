// The alarm model the decision scenarios and the rehearsal rely on, against CloudWatch's documented behaviour.
import assert from "node:assert/strict";
import { evaluateAlarm, evaluateRule, type MetricAlarmDefinition } from "../tools/lib/alarm_model.ts";

const down: MetricAlarmDefinition = {
  name: "down",
  periodSeconds: 10,
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  comparison: "LessThanThreshold",
  threshold: 1,
  treatMissingData: "notBreaching",
};

Deno.test("evaluateAlarm(): M of N breaching periods, missing data as treat_missing_data says", () => {
  assert.equal(evaluateAlarm(down, [1, 1, 1]), "OK");
  assert.equal(evaluateAlarm(down, [1, 0, 0]), "OK", "two of three");
  assert.equal(evaluateAlarm(down, [0, 0, 0]), "ALARM");
  assert.equal(evaluateAlarm(down, [0, 0, 0, 1]), "OK", "only the last N periods count");
  assert.equal(evaluateAlarm(down, [0, undefined, 0]), "OK", "a silent period is no vote (notBreaching)");
  assert.equal(evaluateAlarm({ ...down, treatMissingData: "breaching" }, [0, undefined, 0]), "ALARM");
  assert.equal(evaluateAlarm({ ...down, treatMissingData: "missing" }, []), "INSUFFICIENT_DATA");
  assert.equal(
    evaluateAlarm({ ...down, treatMissingData: "ignore" }, [], "ALARM"),
    "ALARM",
    "ignore keeps state",
  );
  assert.equal(evaluateAlarm({ ...down, datapointsToAlarm: 2 }, [1, 0, 0]), "ALARM", "2 of 3");
});

Deno.test("evaluateRule(): AND, OR, NOT and parentheses over child states; unknown children refused", () => {
  const states = { w: "ALARM", s: "OK", r: "ALARM" } as const;
  assert.equal(evaluateRule('ALARM("w") AND (ALARM("s") OR ALARM("r"))', states), true);
  assert.equal(evaluateRule('ALARM("w") AND ALARM("s")', states), false);
  assert.equal(evaluateRule("ALARM(w) AND NOT OK(r)", states), true);
  assert.equal(evaluateRule('OK("s")', states), true);
  assert.throws(() => evaluateRule('ALARM("missing")', states), /has no state/);
  assert.throws(() => evaluateRule('ALARM("w") AND', states), /ends early/);
});
