// What the decision alarms said when the orchestrator started: one line per vote for the notification, the
// first failed probe they evaluated (the start of the measured recovery), and whether the standby saw
// replication stalled (then a switchover cannot be graceful). Read-only; a failed read is only a missing line.

import type { DescribeAlarmsCommandInput, MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { METRICS } from "./contract.ts";
import { earliestDatapoint, parseAlarmTimestamp } from "./failover_event.ts";
import { errorMessage, errorName } from "./errors.ts";
import type { StepIo } from "./steps.ts";

export interface AlarmsApi {
  describeAlarms(input: DescribeAlarmsCommandInput): Promise<{ MetricAlarms?: MetricAlarm[] }>;
}

export interface DecisionEvidence {
  readonly lines: readonly string[];
  /** Epoch ms of the earliest failed datapoint among the alarms in ALARM. */
  readonly detectedAt?: number;
  readonly replicationStalled?: boolean;
}

export async function readDecisionEvidence(
  alarms: AlarmsApi,
  io: StepIo,
  alarmNames: readonly string[],
): Promise<DecisionEvidence> {
  let found: MetricAlarm[];
  try {
    found = (await io.call("cloudwatch:DescribeAlarms", () =>
      alarms.describeAlarms({ AlarmNames: [...alarmNames] })))
      .MetricAlarms ?? [];
  } catch (error) {
    return { lines: [`decision alarms not readable (${errorName(error)}: ${errorMessage(error)})`] };
  }
  const voting = found.filter((alarm) => alarm.StateValue === "ALARM");
  const firstFailures = voting
    .map((alarm) => earliestDatapoint(alarm.StateReasonData))
    .filter((time): time is string => time !== undefined)
    .map(parseAlarmTimestamp);
  return {
    lines: found.map((alarm) =>
      `${alarm.AlarmName}: ${alarm.StateValue} (${alarm.StateReason ?? "no reason"})`
    ),
    ...(firstFailures.length > 0 ? { detectedAt: Math.min(...firstFailures) } : {}),
    replicationStalled: voting.some((alarm) => alarm.MetricName === METRICS.replicationStalled),
  };
}
