// The orchestrator's events, validated: the decision alarm's state change (EventBridge), a drill, or a manual
// request. Each bad field is named with its rule.

export type FailoverRequest =
  | {
    readonly kind: "alarm";
    readonly alarmName: string;
    readonly stateChangedAt: string;
    /** Start of the earliest failed period the alarm evaluated (`reasonData`), when it says. */
    readonly failingSince?: string;
  }
  | { readonly kind: "manual"; readonly reason: string; readonly force: boolean; readonly requestId?: string }
  | { readonly kind: "drill" };

export class EventValidationError extends Error {
  override readonly name = "EventValidationError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid failover event: ${problems.join("; ")}`);
  }
}

const EXPECTED_SHAPES = 'a CloudWatch "Alarm State Change" event from EventBridge, { "drill": true } or ' +
  '{ "manual": true, "reason": "..." }';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** CloudWatch writes `2024-05-01T12:00:00.000+0000`; Date.parse wants the offset with a colon. */
export function parseAlarmTimestamp(value: string): number {
  const normalized = value.replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  return /^\d{4}-\d{2}-\d{2}T/.test(normalized) ? Date.parse(normalized) : NaN;
}

/**
 * The earliest evaluated datapoint in an alarm's `reasonData` (a JSON string CloudWatch adds to the event):
 * the first failed minute, so the measured recovery includes detection. Optional: undefined when absent.
 */
export function earliestDatapoint(reasonData: unknown): string | undefined {
  if (typeof reasonData !== "string") return undefined;
  try {
    const datapoints = (JSON.parse(reasonData) as { evaluatedDatapoints?: Array<{ timestamp?: unknown }> })
      .evaluatedDatapoints ?? [];
    const times = datapoints.map((point) => point.timestamp)
      .filter((time): time is string => typeof time === "string" && !Number.isNaN(parseAlarmTimestamp(time)));
    return times.sort((a, b) => parseAlarmTimestamp(a) - parseAlarmTimestamp(b))[0];
  } catch {
    return undefined;
  }
}

/** Validates the event; throws EventValidationError naming each bad field and its rule. */
export function parseFailoverEvent(event: unknown): FailoverRequest {
  if (!isRecord(event)) throw new EventValidationError([`event must be ${EXPECTED_SHAPES}`]);
  const problems: string[] = [];
  const unknownKeys = (allowed: readonly string[]) => {
    for (const key of Object.keys(event)) {
      if (!allowed.includes(key)) problems.push(`${key}: not allowed here (allowed: ${allowed.join(", ")})`);
    }
  };

  if ("source" in event || "detail-type" in event || "detail" in event) {
    if (event.source !== "aws.cloudwatch") problems.push(`source must be "aws.cloudwatch"`);
    if (event["detail-type"] !== "CloudWatch Alarm State Change") {
      problems.push(`detail-type must be "CloudWatch Alarm State Change"`);
    }
    const detail = isRecord(event.detail) ? event.detail : undefined;
    if (!detail) problems.push("detail must be an object");
    const alarmName = detail?.alarmName;
    if (detail && (typeof alarmName !== "string" || alarmName === "")) {
      problems.push("detail.alarmName must be a non-empty string");
    }
    const state = isRecord(detail?.state) ? detail.state : undefined;
    if (detail && !state) problems.push("detail.state must be an object");
    if (state && state.value !== "ALARM") {
      problems.push(`detail.state.value must be "ALARM" (got ${JSON.stringify(state.value)})`);
    }
    const timestamp = state?.timestamp;
    if (state && (typeof timestamp !== "string" || Number.isNaN(parseAlarmTimestamp(timestamp)))) {
      problems.push("detail.state.timestamp must be an ISO-8601 time");
    }
    if (problems.length > 0) throw new EventValidationError(problems);
    const failingSince = earliestDatapoint(state?.reasonData);
    return {
      kind: "alarm",
      alarmName: alarmName as string,
      stateChangedAt: timestamp as string,
      ...(failingSince ? { failingSince } : {}),
    };
  }

  if ("drill" in event) {
    if (event.drill !== true) problems.push("drill must be true");
    unknownKeys(["drill"]);
    if (problems.length > 0) throw new EventValidationError(problems);
    return { kind: "drill" };
  }

  if ("manual" in event) {
    if (event.manual !== true) problems.push("manual must be true");
    const reason = event.reason;
    if (typeof reason !== "string" || reason.trim() === "" || reason.length > 1000) {
      problems.push("reason must be a non-empty string of at most 1000 characters (who asked and why)");
    }
    const requestId = event.requestId;
    if (
      requestId !== undefined &&
      (typeof requestId !== "string" || !/^[A-Za-z0-9._:-]{1,128}$/.test(requestId))
    ) {
      problems.push("requestId must be 1-128 characters of [A-Za-z0-9._:-]");
    }
    if (event.force !== undefined && typeof event.force !== "boolean") {
      problems.push("force must be a boolean");
    }
    unknownKeys(["manual", "reason", "requestId", "force"]);
    if (problems.length > 0) throw new EventValidationError(problems);
    return {
      kind: "manual",
      reason: (reason as string).trim(),
      force: event.force === true,
      ...(requestId === undefined ? {} : { requestId: requestId as string }),
    };
  }

  throw new EventValidationError([`event must be ${EXPECTED_SHAPES}`]);
}
