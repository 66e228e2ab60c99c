// The failover and failback of the rehearsal, on the applied stack in the emulator: the primary's deep health
// (a loopback server) goes down, the two probers (standby and witness) run their real code and publish into
// the emulator's CloudWatch, the decision alarms are evaluated from those datapoints (moto stores alarms but
// never evaluates them: tools/lib/alarm_model.ts does, as CloudWatch documents it) and set, the quorum rule
// of the synthesized composite alarm decides, and its state-change event starts the orchestrator in-process
// with real SDK clients. Failback then runs the operator tool's steps against the same emulator.

import { CloudWatch, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { RDS } from "@aws-sdk/client-rds";
import { AutoScaling } from "@aws-sdk/client-auto-scaling";
import { SSM } from "@aws-sdk/client-ssm";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { type PublishCommandInput, SNS } from "@aws-sdk/client-sns";
import { createFailoverHandler, type FailoverReport } from "../../handlers/failover.ts";
import { HANDLER_ENV, METRICS } from "../../handlers/lib/contract.ts";
import { readProbeEnvironment } from "../../handlers/lib/input.ts";
import { probePrimary } from "../../handlers/primary_probe.ts";
import { cloudWatchPublisher } from "../../handlers/lib/probe_metrics.ts";
import type { RunReport } from "../../handlers/lib/steps.ts";
import { alarmFromApi, type AlarmState, evaluateAlarm, evaluateRule } from "../../tools/lib/alarm_model.ts";
import { cloudWatchFence, runFailback, stackTargets } from "../../tools/lib/operator_actions.ts";
import { type Json, referenceOf, StackIndex } from "../../modules/stack_index.ts";
import { emulatorClientOptions } from "./clients.ts";
import { rehearsalFailoverDeps } from "./orchestrator.ts";
import { deployedOrchestrator, type Rehearsal } from "./rehearsal.ts";

const PERIOD_SECONDS = 10;
const silentLog = { info() {}, warn() {}, error() {} };

/** The primary's deep-health endpoint on loopback: healthy until `down()`. */
function primaryEndpoint(path: string) {
  let healthy = true;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      new URL(request.url).pathname === path && healthy
        ? new Response("ok")
        : new Response("unhealthy", { status: 503 }),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}${path}`,
    down: () => void (healthy = false),
    close: () => server.shutdown(),
  };
}

/** A plain-HTTP probe (the loopback primary has no certificate for the application's name). */
async function httpProbe({ url, timeoutMs }: { url: string; timeoutMs: number }) {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  return { status: response.status };
}

function functionBody(r: Rehearsal, logicalId: string): { body: Json; region: string } {
  const found = new StackIndex(r.stack).get("aws_lambda_function", logicalId);
  if (!found) throw new Error(`aws_lambda_function.${logicalId} is not in the stack`);
  return { body: found.body, region: found.region };
}

/**
 * One scheduled minute of each prober, in virtual time starting at `startMs` (the probes run at once and are
 * timestamped on their 10 s boundaries), against the primary's loopback endpoint.
 */
async function runProbers(r: Rehearsal, primaryUrl: string, startMs: number): Promise<number> {
  let published = 0;
  for (const role of ["secondary", "witness"] as const) {
    const { body, region } = functionBody(r, `probes_${role}_primary_probe`);
    const env = readProbeEnvironment({ ...body.environment.variables, AWS_REGION: region });
    let now = startMs;
    const report = await probePrimary({
      region,
      role,
      timeoutMs: env.checkTimeoutMs,
      primaryHealthUrl: primaryUrl,
      appHostname: env.appHostname,
      intervalMs: env.probeIntervalSeconds * 1000,
      probesPerInvocation: env.probesPerInvocation,
      probe: httpProbe,
      publisher: cloudWatchPublisher({
        namespace: env.metricNamespace,
        metricRegion: env.metricRegion,
        region,
        role,
        timeoutMs: 10_000,
        clientConfig: emulatorClientOptions(r.emulator.endpoint, env.metricRegion),
      }),
      log: silentLog,
      clock: { now: () => now, sleep: (ms) => Promise.resolve(void (now += ms)) },
    });
    published += report.published;
  }
  return published;
}

/** The synthesized quorum rule with each `${aws_cloudwatch_metric_alarm.x.alarm_name}` as its alarm's name. */
function quorumRule(r: Rehearsal): { name: string; rule: string } {
  const index = new StackIndex(r.stack);
  const quorum = index.get("aws_cloudwatch_composite_alarm", "failover_secondary_quorum")!.body;
  const rule = String(quorum.alarm_rule).replace(/\$\{[^}]*\}/g, (expression) => {
    const reference = referenceOf(expression);
    const target = reference && index.get(reference.type, reference.logicalId);
    return target ? String(target.body[reference.attribute]) : expression;
  });
  return { name: quorum.alarm_name, rule };
}

export interface Decision {
  readonly states: Readonly<Record<string, AlarmState>>;
  readonly quorum: boolean;
}

/**
 * Evaluates each decision alarm over the periods [fromMs, toMs) from the datapoints in the emulator, sets it
 * (with the evaluated datapoints as CloudWatch's reasonData carries them), then the quorum rule.
 */
async function decide(
  r: Rehearsal,
  names: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<Decision> {
  const standby = r.regions[1];
  const cloudWatch = new CloudWatch(emulatorClientOptions(r.emulator.endpoint, standby));
  const { MetricAlarms = [] } = await cloudWatch.describeAlarms({ AlarmNames: [...names] });
  const states: Record<string, AlarmState> = {};
  for (const alarm of MetricAlarms) {
    const values = await periodValues(cloudWatch, alarm, fromMs, toMs);
    const state = evaluateAlarm(alarmFromApi(alarm), values);
    const evaluated = values.map((value, i) => ({
      timestamp: new Date(fromMs + i * PERIOD_SECONDS * 1000).toISOString(),
      ...(value === undefined ? {} : { value }),
    })).filter((point) => "value" in point).reverse();
    await cloudWatch.setAlarmState({
      AlarmName: alarm.AlarmName!,
      StateValue: state,
      StateReason: "rehearsal: evaluated from the emulator's datapoints",
      StateReasonData: JSON.stringify({ version: "1.0", evaluatedDatapoints: evaluated }),
    });
    states[alarm.AlarmName!] = state;
  }
  return { states, quorum: evaluateRule(quorumRule(r).rule, states) };
}

async function periodValues(cloudWatch: CloudWatch, alarm: MetricAlarm, fromMs: number, toMs: number) {
  const { Datapoints = [] } = await cloudWatch.getMetricStatistics({
    Namespace: alarm.Namespace,
    MetricName: alarm.MetricName,
    Dimensions: alarm.Dimensions,
    StartTime: new Date(fromMs),
    EndTime: new Date(toMs),
    Period: PERIOD_SECONDS,
    Statistics: [alarm.Statistic ?? "Maximum"],
  });
  const periods = Math.floor((toMs - fromMs) / (PERIOD_SECONDS * 1000));
  const values: (number | undefined)[] = Array(periods).fill(undefined);
  for (const point of Datapoints) {
    const index = Math.floor((point.Timestamp!.getTime() - fromMs) / (PERIOD_SECONDS * 1000));
    const value = point[(alarm.Statistic ?? "Maximum") as "Maximum" | "Minimum" | "Average"];
    if (index >= 0 && index < periods && value !== undefined) values[index] = value;
  }
  return values;
}

/** The quorum alarm's state change as EventBridge delivers it (composite alarms carry no datapoints). */
function quorumEvent(r: Rehearsal, region: string, at: number) {
  const { name, rule } = quorumRule(r);
  const timestamp = new Date(at).toISOString().replace("Z", "+0000");
  return {
    version: "0",
    id: "rehearsal-quorum",
    "detail-type": "CloudWatch Alarm State Change",
    source: "aws.cloudwatch",
    account: "123456789012",
    time: new Date(at).toISOString(),
    region,
    resources: [`arn:aws:cloudwatch:${region}:123456789012:alarm:${name}`],
    detail: {
      alarmName: name,
      state: { value: "ALARM", reason: "rehearsal: the quorum rule holds", timestamp },
      previousState: { value: "OK", reason: "", timestamp },
      configuration: { alarmRule: rule },
    },
  };
}

/** What failover and failback are about: the writer, the standby's capacity, the active region per region. */
export interface DrState {
  readonly writerRegion?: string;
  readonly standbyMin: number;
  readonly standbyDesired: number;
  readonly activeRegion: Readonly<Record<string, string | undefined>>;
}

async function drState(r: Rehearsal, environment: Readonly<Record<string, string>>): Promise<DrState> {
  const [primaryRegion, standbyRegion] = r.regions;
  const at = (region: string) => emulatorClientOptions(r.emulator.endpoint, region);
  const { GlobalClusters = [] } = await new RDS(at(standbyRegion)).describeGlobalClusters({
    GlobalClusterIdentifier: environment[HANDLER_ENV.globalClusterId],
  });
  const writer = GlobalClusters[0]?.GlobalClusterMembers?.find((member) => member.IsWriter)?.DBClusterArn;
  const { AutoScalingGroups = [] } = await new AutoScaling(at(standbyRegion)).describeAutoScalingGroups({
    AutoScalingGroupNames: [environment[HANDLER_ENV.secondaryAsgName]],
  });
  const parameter = `${environment[HANDLER_ENV.parameterPrefix]}/failover/active-region`;
  const activeRegion: Record<string, string | undefined> = {};
  for (const region of [primaryRegion, standbyRegion]) {
    activeRegion[region] = (await new SSM(at(region)).getParameter({ Name: parameter })).Parameter?.Value;
  }
  return {
    ...(writer ? { writerRegion: writer.split(":")[3] } : {}),
    standbyMin: AutoScalingGroups[0]?.MinSize ?? -1,
    standbyDesired: AutoScalingGroups[0]?.DesiredCapacity ?? -1,
    activeRegion,
  };
}

export interface FailoverPathResult {
  readonly before: DrState;
  readonly afterFailover: DrState;
  readonly afterFailback: DrState;
  readonly healthyDecision: Decision;
  readonly downDecision: Decision;
  readonly published: number;
  readonly report: FailoverReport;
  readonly repeat: FailoverReport;
  readonly notifications: readonly PublishCommandInput[];
  readonly lockItems: readonly Json[];
  readonly fencedValue?: number;
  readonly failback: RunReport;
  readonly failbackNotifications: number;
}

/** Failover (primary's health down, quorum decided, orchestrator in-process), then failback. */
export async function failoverAndFailback(r: Rehearsal): Promise<FailoverPathResult> {
  const { region, environment } = await deployedOrchestrator(r);
  const primary = primaryEndpoint(new URL(environment[HANDLER_ENV.peerHealthUrl]).pathname);
  try {
    // Virtual time: two whole minutes just past, so every datapoint is in the emulator's recent window.
    const minute = 60_000;
    const start = Math.floor(Date.now() / minute) * minute - 3 * minute;
    const names = environment[HANDLER_ENV.decisionAlarmNames].split(",");
    const before = await drState(r, environment);
    const published = await r.phase("probes, healthy minute", () => runProbers(r, primary.url, start));
    const healthyDecision = await decide(r, names, start, start + minute);
    primary.down();
    const failing = await r.phase("probes, primary down", () => runProbers(r, primary.url, start + minute));
    const downDecision = await decide(r, names, start + minute, start + 2 * minute);

    const notifications: PublishCommandInput[] = [];
    const orchestrator = rehearsalFailoverDeps({
      endpoint: r.emulator.endpoint,
      region,
      environment,
      peerHealthUrl: primary.url,
      primaryRegion: environment[HANDLER_ENV.primaryRegion],
      log: r.log,
    });
    const deps = orchestrator.deps;
    const handler = createFailoverHandler({
      ...deps,
      sns: { publish: (input) => (notifications.push(input), deps.sns.publish(input)) },
    });
    const event = quorumEvent(r, region, start + 2 * minute);
    // One minute of Lambda time: the emulator settles in a few reads, and every wait stays bounded.
    const context = { awsRequestId: "rehearsal-failover", getRemainingTimeInMillis: () => minute };
    if (!downDecision.quorum) {
      throw new Error(`the quorum did not decide: ${JSON.stringify(downDecision.states)}`);
    }
    const report = await r.phase("failover (orchestrator)", () => handler(event, context));
    const afterFailover = await drState(r, environment);
    const repeat = await handler(event, context);
    await orchestrator.settled();
    const dynamo = new DynamoDBClient(emulatorClientOptions(r.emulator.endpoint, region));
    const lockItems =
      (await dynamo.send(new ScanCommand({ TableName: deps.config.idempotencyTable }))).Items ??
        [];
    const fencedValue = await latestValue(r, region, deps.config.metricNamespace, METRICS.primaryFenced);
    const { failback, failbackNotifications } = await r.phase("failback (operator steps)", () => failBack(r));
    const afterFailback = await drState(r, environment);
    return {
      before,
      afterFailover,
      afterFailback,
      healthyDecision,
      downDecision,
      published: published + failing,
      report,
      repeat,
      notifications,
      lockItems,
      ...(fencedValue === undefined ? {} : { fencedValue }),
      failback,
      failbackNotifications,
    };
  } finally {
    await primary.close();
  }
}

/** The most recent datapoint of a standby-region metric with the orchestrator's dimensions. */
async function latestValue(r: Rehearsal, region: string, namespace: string, metric: string) {
  const cloudWatch = new CloudWatch(emulatorClientOptions(r.emulator.endpoint, region));
  const { Datapoints = [] } = await cloudWatch.getMetricStatistics({
    Namespace: namespace,
    MetricName: metric,
    Dimensions: [{ Name: "Region", Value: region }, { Name: "Role", Value: "secondary" }],
    StartTime: new Date(Date.now() - 10 * 60_000),
    EndTime: new Date(Date.now() + 60_000),
    Period: 1,
    Statistics: ["Maximum"],
  });
  return Datapoints.sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime()).at(-1)?.Maximum;
}

/**
 * `make failback`'s steps with real SDK clients against the emulator. The fence alarm follows the fence
 * metric's latest value whenever the steps read it: the emulator never evaluates alarms, and it aggregates
 * datapoints too coarsely to tell the latest one, so the value the fence port last published (with a real
 * PutMetricData) stands for it. Route 53 and resolver caches need no settling time here.
 */
async function failBack(r: Rehearsal): Promise<{ failback: RunReport; failbackNotifications: number }> {
  const manifest = JSON.parse(Deno.readTextFileSync(`${r.workDir}/operator.json`));
  const targets = stackTargets(manifest);
  const at = (region: string) => emulatorClientOptions(r.emulator.endpoint, region);
  const standbyWatch = new CloudWatch(at(targets.secondaryRegion));
  const standbySns = new SNS(at(targets.secondaryRegion));
  let notifications = 0;
  // After the failover the fence is up (the orchestrator published PrimaryFenced = 1).
  let fence = 1;
  const publishFence = cloudWatchFence(standbyWatch, targets);
  const failback = await runFailback(
    {
      rds: new RDS(at(targets.primaryRegion)),
      snapshots: new RDS(at(targets.primaryRegion)),
      alarms: {
        describeAlarms: async (input) => {
          await standbyWatch.setAlarmState({
            AlarmName: targets.fenceAlarmName,
            StateValue: fence >= 1 ? "ALARM" : "OK",
            StateReason: "rehearsal: the fence metric's latest value",
          });
          return await standbyWatch.describeAlarms(input);
        },
      },
      autoScaling: new AutoScaling(at(targets.secondaryRegion)),
      ssm: { primary: new SSM(at(targets.primaryRegion)), secondary: new SSM(at(targets.secondaryRegion)) },
      fence: { emit: (value) => (fence = value, publishFence.emit(value)) },
      sns: { publish: (input) => (notifications++, standbySns.publish(input)) },
      confirm: () => Promise.resolve(true),
      log: r.log,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 200))),
    },
    targets,
    { yes: true, pollIntervalMs: 200, dnsSettleSeconds: 0 },
  );
  return { failback, failbackNotifications: notifications };
}
