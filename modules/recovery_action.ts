// After the decision: the orchestrator's path to the first write, and the paths that run beside it (DNS moving
// to the standby, the standby's capacity rising).
import { AWS_FACTS, type AwsFactName, citeFact } from "./recovery_sources.ts";
import type { BudgetStep, ParallelPath } from "./recovery_inputs.ts";
import { attribute, bodyOf, BUDGET_SOURCES, envOf, mentions } from "./recovery_inputs.ts";
import { asList, first, type Json, referenceOf, type StackIndex, type StackResource } from "./stack_index.ts";

function orchestratorBlockers(index: StackIndex, orchestrator: Json, blockers: string[]): void {
  const id = BUDGET_SOURCES.orchestrator[1];
  if (!orchestrator) {
    blockers.push(`no failover orchestrator ${id}`);
    return;
  }
  if (orchestrator.environment?.variables?.AUTO_FAILOVER === "false") {
    blockers.push("AUTO_FAILOVER=false: promotion waits for a person");
  }
  for (const setting of ["AURORA_PROMOTION_SECONDS", "POLL_INTERVAL_SECONDS", "CHECK_TIMEOUT_MS"]) {
    if (Number.isNaN(envOf(orchestrator, setting))) {
      blockers.push(`${id} sets no ${setting}: its time is unknown`);
    }
  }
  const standbyInstances = index.ofType("aws_rds_cluster_instance")
    .filter((instance) => instance.provider === "aws.secondary");
  if (standbyInstances.length === 0) {
    blockers.push("headless standby cluster: promotion would first have to create an instance (minutes)");
  }
}

/** Decision -> first write; `actingAfter` steps pass before the orchestrator acts (capacity and promotion). */
export function firstWritePath(
  index: StackIndex,
  blockers: string[],
): { steps: BudgetStep[]; actingAfter: number } {
  const ref = BUDGET_SOURCES.orchestrator;
  const orchestrator = bodyOf(index, ref);
  orchestratorBlockers(index, orchestrator, blockers);
  const invokeConfig = index.ofType("aws_lambda_function_event_invoke_config")
    .find((config) => mentions(config.body.function_name, index, ref));
  // Without an invoke config Lambda's default applies: two retries.
  const retries = Number(invokeConfig?.body.maximum_retry_attempts ?? 2);
  const retrySource = invokeConfig
    ? `${invokeConfig.address}.maximum_retry_attempts`
    : "no aws_lambda_function_event_invoke_config: Lambda's default of 2 retries";
  const steps: BudgetStep[] = [
    {
      step: "EventBridge delivers the quorum alarm's ALARM to the orchestrator",
      seconds: AWS_FACTS.eventBridgeDelivery.seconds,
      source: `${attribute(BUDGET_SOURCES.failoverTrigger, "event_pattern")}; ${
        citeFact("eventBridgeDelivery")
      }`,
      facts: ["eventBridgeDelivery"],
    },
    {
      step: "orchestrator cold start",
      seconds: AWS_FACTS.lambdaInit.seconds,
      source: citeFact("lambdaInit"),
      facts: ["lambdaInit"],
    },
    {
      step: "nothing started yet: one re-probe of the primary",
      seconds: envOf(orchestrator, "CHECK_TIMEOUT_MS") / 1000,
      source: attribute(ref, "environment.CHECK_TIMEOUT_MS"),
    },
    {
      step: "Aurora promotes the standby cluster (switchover, or failover with AllowDataLoss)",
      seconds: envOf(orchestrator, "AURORA_PROMOTION_SECONDS"),
      source: `${attribute(ref, "environment.AURORA_PROMOTION_SECONDS")} (a setting: drills override it); ${
        citeFact("auroraGlobalRto")
      }`,
      facts: ["auroraGlobalRto"],
    },
    {
      step: "the orchestrator sees the new writer at its next poll",
      seconds: envOf(orchestrator, "POLL_INTERVAL_SECONDS"),
      source: attribute(ref, "environment.POLL_INTERVAL_SECONDS"),
    },
    {
      step: retries >= 1
        ? "one failed attempt: Lambda retries it"
        : "no async retry configured (0 s; a failed attempt pages a person)",
      seconds: retries >= 1 ? AWS_FACTS.asyncRetry.seconds : 0,
      source: `${retrySource}; ${citeFact("asyncRetry")}`,
      facts: ["asyncRetry"],
    },
    {
      step: "the global writer endpoint's DNS follows the new writer",
      seconds: AWS_FACTS.auroraDnsTtl.seconds,
      source: citeFact("auroraDnsTtl"),
      facts: ["auroraDnsTtl"],
    },
  ];
  return { steps, actingAfter: 3 }; // delivery, cold start, re-probe
}

const ENDPOINT_CHECK_TYPES = ["HTTPS", "HTTP", "HTTPS_STR_MATCH", "HTTP_STR_MATCH"];

/** The resource a whole-value reference (`${type.id.attr}`) names, when the stack has it. */
function target(index: StackIndex, value: Json): StackResource | undefined {
  const reference = referenceOf(value);
  return reference && index.get(reference.type, reference.logicalId);
}

/** The checks behind the weight-100 record: Route 53's endpoint check and the fence's alarm check. */
function primaryRecordChecks(index: StackIndex): { endpoint?: StackResource; fenced: boolean } {
  const primaryRecord = index.ofType("aws_route53_record").find((record) =>
    asList(record.body.weighted_routing_policy).some((policy: Json) => policy?.weight === 100)
  );
  const top = target(index, primaryRecord?.body.health_check_id);
  const children = top?.body.type === "CALCULATED"
    ? asList(top.body.child_healthchecks).map((child) => target(index, child))
    : [top];
  const checks = children.filter((check): check is StackResource => check !== undefined);
  return {
    endpoint: checks.find((check) => ENDPOINT_CHECK_TYPES.includes(check.body.type)),
    fenced: checks.some((check) =>
      check.body.type === "CLOUDWATCH_METRIC" &&
      mentions(check.body.cloudwatch_alarm_name, index, BUDGET_SOURCES.fenceAlarm)
    ),
  };
}

/** When DNS answers with the standby: Route 53's endpoint verdict, and the fence published at the first write. */
export function dnsPaths(index: StackIndex, firstWriteSeconds: number, blockers: string[]): ParallelPath[] {
  const { endpoint, fenced } = primaryRecordChecks(index);
  const paths: ParallelPath[] = [];
  if (!endpoint) blockers.push("the weight-100 record carries no Route 53 endpoint health check");
  else {
    paths.push({
      path: "DNS, Route 53's endpoint verdict: the primary's checks fail from Route 53's locations",
      doneAtSeconds: Number(endpoint.body.request_interval) * Number(endpoint.body.failure_threshold) +
        AWS_FACTS.route53RequestTimeout.seconds + AWS_FACTS.aliasTtl.seconds,
      source: `${endpoint.address}.request_interval x failure_threshold; ${
        citeFact("route53RequestTimeout")
      }; ${citeFact("aliasTtl")}`,
      facts: ["route53RequestTimeout", "aliasTtl"],
    });
  }
  const fence = bodyOf(index, BUDGET_SOURCES.fenceAlarm);
  if (fenced && fence) {
    const evaluation: AwsFactName = Number(fence.period) < 60
      ? "highResolutionAlarmEvaluation"
      : "standardAlarmEvaluation";
    paths.push({
      path: "DNS, the fence: published at the first write, it keeps the primary out even if Route 53 sees it",
      doneAtSeconds: firstWriteSeconds + Number(fence.period) + AWS_FACTS[evaluation].seconds +
        AWS_FACTS.aliasTtl.seconds,
      source: `${attribute(BUDGET_SOURCES.fenceAlarm, "period")}; ${citeFact(evaluation)}; ${
        citeFact("aliasTtl")
      }`,
      facts: [evaluation, "aliasTtl"],
    });
  }
  return paths;
}

/** Full capacity: the orchestrator raises the standby group at once, in parallel with promotion. */
export function capacityPath(
  index: StackIndex,
  actingAtSeconds: number,
  blockers: string[],
): ParallelPath | undefined {
  const standby = index.ofType("aws_autoscaling_group").find((group) => group.provider === "aws.secondary");
  if (!standby) {
    blockers.push("no standby Auto Scaling group");
    return undefined;
  }
  const group = standby.body;
  if (Number(group.min_size) < 1) {
    blockers.push("standby Auto Scaling group has min_size 0: the weight-0 record has no healthy target");
  }
  const wanted = envOf(bodyOf(index, BUDGET_SOURCES.orchestrator), "FAILOVER_CAPACITY");
  const running = Number(group.desired_capacity ?? group.min_size);
  if (running >= wanted) {
    return {
      path: `capacity: the standby already runs ${running} of ${wanted} instance(s)`,
      doneAtSeconds: actingAtSeconds,
      source: `${standby.address}.desired_capacity; ${
        attribute(BUDGET_SOURCES.orchestrator, "environment.FAILOVER_CAPACITY")
      }`,
    };
  }
  const targetGroupRef = referenceOf(asList(group.target_group_arns)[0]);
  const health = first(
    targetGroupRef && index.get(targetGroupRef.type, targetGroupRef.logicalId)?.body.health_check,
  );
  const healthy = Number(health?.healthy_threshold) * Number(health?.interval);
  return {
    path:
      `capacity: ${running} -> ${wanted} instance(s)${
        group.warm_pool ? " from the warm pool" : ""
      }, in service ` +
      "once booted (within the grace period) and healthy in the target group",
    doneAtSeconds: actingAtSeconds + Number(group.health_check_grace_period) + healthy,
    source: `${standby.address}.health_check_grace_period (bounds boot time); ${
      targetGroupRef ? `aws_lb_target_group.${targetGroupRef.logicalId}` : "target group"
    }.health_check healthy_threshold x interval`,
  };
}
