// Route 53's answer for the application name, computed from a synthesized stack's records and health
// checks (what Terraform would create, not a copy of the design) for a given state of the world. The rules,
// from the Route 53 Developer Guide ("How Amazon Route 53 chooses records when health checking is
// configured", "Weighted routing", "Types of Amazon Route 53 health checks"):
// - a record is healthy when its health check is (if any) and, for an alias with evaluate_target_health,
//   its target is too (an ALB with a healthy target);
// - weighted records: Route 53 first considers the records of weight > 0; when all of them are unhealthy,
//   the zero-weight records; when every record is unhealthy, it answers as if all were healthy, with the
//   records of weight > 0 (fail-open);
// - HTTP(S) checks see the endpoint; CALCULATED is healthy when at least child_health_threshold children are
//   (inverted when invert_healthcheck); CLOUDWATCH_METRIC follows the alarm's data stream: unhealthy as
//   soon as the latest datapoint breaches the alarm's threshold, whatever evaluation_periods says.
import type { Json } from "./helpers.ts";

export type Role = "primary" | "secondary";

export interface World {
  /** Deep health of each region's load balancer, as Route 53's checkers and its target health see it. */
  readonly endpoints: Readonly<Record<Role, boolean>>;
  /** Latest datapoint of each custom metric by name, as an alarm-based health check reads it. */
  readonly metrics: Readonly<Record<string, number>>;
}

const REFERENCE = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}$/;

function referenced(stack: Json, expression: unknown): { type: string; id: string; body: Json } {
  const match = REFERENCE.exec(String(expression));
  if (!match) throw new Error(`not a reference to a resource of the stack: ${expression}`);
  const body = stack.resource?.[match[1]]?.[match[2]];
  if (body === undefined) throw new Error(`${match[1]}.${match[2]} is not in the stack`);
  return { type: match[1], id: match[2], body };
}

/** The region role of a load balancer reference (`${aws_lb.x.dns_name}`), from its provider. */
function loadBalancerRole(stack: Json, expression: unknown): Role {
  const { type, body } = referenced(stack, expression);
  if (type !== "aws_lb") throw new Error(`expected a load balancer, got ${type}`);
  return body.provider.replace("aws.", "") as Role;
}

const BREACHES: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (value, threshold) => value >= threshold,
  GreaterThanThreshold: (value, threshold) => value > threshold,
  LessThanThreshold: (value, threshold) => value < threshold,
  LessThanOrEqualToThreshold: (value, threshold) => value <= threshold,
};

function alarmBreaches(stack: Json, alarmName: unknown, world: World): boolean {
  const { type, id, body: alarm } = referenced(stack, alarmName);
  if (type !== "aws_cloudwatch_metric_alarm") throw new Error(`${type}.${id}: not a metric alarm`);
  const value = world.metrics[alarm.metric_name];
  if (value === undefined) throw new Error(`the world has no datapoint for ${alarm.metric_name} (${id})`);
  return BREACHES[alarm.comparison_operator](value, alarm.threshold);
}

export function healthCheckHealthy(stack: Json, checkId: unknown, world: World): boolean {
  const { body: check } = referenced(stack, checkId);
  let healthy: boolean;
  switch (check.type) {
    case "HTTP":
    case "HTTPS":
      healthy = world.endpoints[loadBalancerRole(stack, check.fqdn)];
      break;
    case "CALCULATED":
      healthy =
        (check.child_healthchecks as string[]).filter((child) => healthCheckHealthy(stack, child, world))
          .length >= check.child_health_threshold;
      break;
    case "CLOUDWATCH_METRIC":
      healthy = !alarmBreaches(stack, check.cloudwatch_alarm_name, world);
      break;
    default:
      throw new Error(`health check type ${check.type} is not modelled`);
  }
  return check.invert_healthcheck === true ? !healthy : healthy;
}

/** The regions Route 53 answers `name` with (type A, weighted), in the world given. */
export function dnsAnswer(stack: Json, name: string, world: World): Role[] {
  const records = (Object.values(stack.resource?.aws_route53_record ?? {}) as Json[])
    .filter((record) => record.name === name && record.type === "A");
  if (records.length === 0) throw new Error(`no A records for ${name}`);
  const rated = records.map((record) => {
    const target = loadBalancerRole(stack, record.alias.name);
    const checkHealthy = record.health_check_id === undefined ||
      healthCheckHealthy(stack, record.health_check_id, world);
    const targetHealthy = record.alias.evaluate_target_health !== true || world.endpoints[target];
    return {
      target,
      weight: Number(record.weighted_routing_policy.weight),
      healthy: checkHealthy && targetHealthy,
    };
  });
  const weighted = rated.filter((record) => record.weight > 0);
  const zero = rated.filter((record) => record.weight === 0);
  const chosen = weighted.some((record) => record.healthy)
    ? weighted.filter((record) => record.healthy)
    : zero.some((record) => record.healthy)
    ? zero.filter((record) => record.healthy)
    : weighted; // every record unhealthy: Route 53 fails open to the records of weight > 0
  return chosen.map((record) => record.target).sort();
}
