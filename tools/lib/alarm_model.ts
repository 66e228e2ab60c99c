// A model of how CloudWatch turns datapoints into an alarm state, and a composite alarm's rule into a
// decision: used to prove the failover decision rule over the SYNTHESIZED alarms (tests) and to run the
// decision path in the emulator rehearsal (moto stores alarms but never evaluates them).
// Semantics from the CloudWatch User Guide, "Using Amazon CloudWatch alarms": an alarm looks at the last
// `evaluationPeriods` periods and goes to ALARM when at least `datapointsToAlarm` of them breach; missing
// periods count as `treatMissingData` says (breaching, notBreaching, ignore = left out, missing = left out and
// INSUFFICIENT_DATA when nothing is left).

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

export interface MetricAlarmDefinition {
  readonly name: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly comparison:
    | "GreaterThanOrEqualToThreshold"
    | "GreaterThanThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";
  readonly threshold: number;
  readonly treatMissingData: "breaching" | "notBreaching" | "ignore" | "missing";
}

/** One value per period, oldest first; undefined = no datapoint in that period. */
export type PeriodValues = readonly (number | undefined)[];

function breaches(alarm: MetricAlarmDefinition, value: number): boolean {
  switch (alarm.comparison) {
    case "GreaterThanOrEqualToThreshold":
      return value >= alarm.threshold;
    case "GreaterThanThreshold":
      return value > alarm.threshold;
    case "LessThanThreshold":
      return value < alarm.threshold;
    case "LessThanOrEqualToThreshold":
      return value <= alarm.threshold;
  }
}

/** The state after evaluating the last `evaluationPeriods` periods of `values`; `previous` for "ignore". */
export function evaluateAlarm(
  alarm: MetricAlarmDefinition,
  values: PeriodValues,
  previous: AlarmState = "INSUFFICIENT_DATA",
): AlarmState {
  const window = values.slice(-alarm.evaluationPeriods);
  while (window.length < alarm.evaluationPeriods) window.unshift(undefined);
  const verdicts = window.flatMap((value): boolean[] => {
    if (value !== undefined) return [breaches(alarm, value)];
    if (alarm.treatMissingData === "breaching") return [true];
    if (alarm.treatMissingData === "notBreaching") return [false];
    return [];
  });
  if (verdicts.length === 0) return alarm.treatMissingData === "ignore" ? previous : "INSUFFICIENT_DATA";
  const breaching = verdicts.filter(Boolean).length;
  if (breaching >= alarm.datapointsToAlarm) return "ALARM";
  // With missing periods left out, fewer than M datapoints can still not prove OK when some did breach.
  if (verdicts.length < alarm.datapointsToAlarm && breaching > 0) return previous;
  return "OK";
}

/**
 * Evaluates a composite alarm rule (`ALARM("a") AND (ALARM("b") OR NOT OK("c"))`, names quoted or not) over
 * the children's states. Throws on a rule it cannot parse, or a child it has no state for.
 */
export function evaluateRule(rule: string, states: Readonly<Record<string, AlarmState>>): boolean {
  const tokens = rule.match(
    /\(|\)|\bAND\b|\bOR\b|\bNOT\b|\b(?:ALARM|OK|INSUFFICIENT_DATA)\(\s*"?[^")]+"?\s*\)|TRUE|FALSE/g,
  ) ??
    [];
  let at = 0;
  const expect = (token: string) => {
    if (tokens[at++] !== token) throw new Error(`alarm rule: expected ${token} in ${rule}`);
  };
  const primary = (): boolean => {
    const token = tokens[at++];
    if (token === undefined) throw new Error(`alarm rule ends early: ${rule}`);
    if (token === "(") {
      const value = or();
      expect(")");
      return value;
    }
    if (token === "NOT") return !primary();
    if (token === "TRUE" || token === "FALSE") return token === "TRUE";
    const match = /^(ALARM|OK|INSUFFICIENT_DATA)\(\s*"?([^")]+?)"?\s*\)$/.exec(token);
    if (!match) throw new Error(`alarm rule: unexpected ${token} in ${rule}`);
    const state = states[match[2]];
    if (state === undefined) throw new Error(`alarm rule names ${match[2]}, which has no state`);
    return state === match[1];
  };
  const and = (): boolean => {
    let value = primary();
    while (tokens[at] === "AND") {
      at++;
      value = primary() && value;
    }
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (tokens[at] === "OR") {
      at++;
      value = and() || value;
    }
    return value;
  };
  const result = or();
  if (at !== tokens.length) throw new Error(`alarm rule: unparsed rest in ${rule}`);
  return result;
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** An `aws_cloudwatch_metric_alarm` body of cdk.tf.json as a definition (name = its logical id). */
export function alarmFromStack(logicalId: string, body: Json): MetricAlarmDefinition {
  return {
    name: logicalId,
    periodSeconds: Number(body.period),
    evaluationPeriods: Number(body.evaluation_periods),
    datapointsToAlarm: Number(body.datapoints_to_alarm ?? body.evaluation_periods),
    comparison: body.comparison_operator,
    threshold: Number(body.threshold),
    treatMissingData: body.treat_missing_data ?? "missing",
  };
}

/** A DescribeAlarms MetricAlarm as a definition (name = its alarm name). */
export function alarmFromApi(alarm: Json): MetricAlarmDefinition {
  return {
    name: alarm.AlarmName,
    periodSeconds: Number(alarm.Period),
    evaluationPeriods: Number(alarm.EvaluationPeriods),
    datapointsToAlarm: Number(alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods),
    comparison: alarm.ComparisonOperator,
    threshold: Number(alarm.Threshold),
    treatMissingData: alarm.TreatMissingData ?? "missing",
  };
}
