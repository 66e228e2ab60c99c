// What Route 53 answers for the application name in failure scenarios, evaluated on the synthesized
// records and health checks with Route 53's documented rules (tests/dns_model.ts).
import assert from "node:assert/strict";
import { defaultStack, type Json } from "./helpers.ts";
import { dnsAnswer, type Role, type World } from "./dns_model.ts";

interface Scenario {
  readonly primaryEndpoint: boolean;
  readonly standbyEndpoint: boolean;
  readonly fenced: boolean;
  /** What the probers' latest datapoint says about the primary (a blip: one failed datapoint). */
  readonly probeSeesPrimary?: boolean;
}

function world(scenario: Scenario): World {
  const probe = (scenario.probeSeesPrimary ?? scenario.primaryEndpoint) ? 1 : 0;
  return {
    endpoints: { primary: scenario.primaryEndpoint, secondary: scenario.standbyEndpoint },
    metrics: {
      PrimaryFenced: scenario.fenced ? 1 : 0,
      // Raw probe data, by whichever prober publishes it: no Route 53 check may depend on these.
      PrimaryProbeHealthy: probe,
      PeerAppHealthy: probe,
      ReplicationStalled: 0,
    },
  };
}

function answer(scenario: Scenario): Role[] {
  const { stack, config } = defaultStack();
  return dnsAnswer(stack, `${config.dns.appRecordName}.${config.dns.domainName}`, world(scenario));
}

const CASES: ReadonlyArray<[string, Scenario, Role[]]> = [
  ["all healthy: the primary", { primaryEndpoint: true, standbyEndpoint: true, fenced: false }, ["primary"]],
  [
    "a blip (one failed prober datapoint) moves nothing: still the primary",
    { primaryEndpoint: true, standbyEndpoint: true, fenced: false, probeSeesPrimary: false },
    ["primary"],
  ],
  [
    "the primary's endpoint down (Route 53's own checkers): the standby",
    { primaryEndpoint: false, standbyEndpoint: true, fenced: false },
    ["secondary"],
  ],
  [
    "fenced, both endpoints down: still the standby (no fail-open to the demoted primary)",
    { primaryEndpoint: false, standbyEndpoint: false, fenced: true },
    ["secondary"],
  ],
  [
    "fenced, the primary back and the standby's endpoint down: still the standby until a person fails back",
    { primaryEndpoint: true, standbyEndpoint: false, fenced: true },
    ["secondary"],
  ],
  [
    "fenced, both endpoints up: the standby",
    { primaryEndpoint: true, standbyEndpoint: true, fenced: true },
    ["secondary"],
  ],
  [
    "not fenced, both endpoints down: Route 53 fails open to the weight-100 primary",
    { primaryEndpoint: false, standbyEndpoint: false, fenced: false },
    ["primary"],
  ],
];

for (const [label, scenario, expected] of CASES) {
  Deno.test(`DNS answer on the synthesized records: ${label}`, () => {
    assert.deepEqual(answer(scenario), expected);
  });
}

// The model's own rules, on a hand-made record set (so the scenarios above rest on checked ground).
function recordSet(checks: Record<string, Json>, records: Array<[Role, number, string, boolean]>): Json {
  const lb = (role: Role) => ({ provider: `aws.${role}` });
  return {
    resource: {
      aws_lb: { web_primary_alb: lb("primary"), web_secondary_alb: lb("secondary") },
      aws_route53_health_check: checks,
      aws_route53_record: Object.fromEntries(records.map(([role, weight, check, targetHealth]) => [
        `dns_${role}_app_record`,
        {
          name: "app.example.com",
          type: "A",
          weighted_routing_policy: { weight },
          health_check_id: `\${aws_route53_health_check.${check}.id}`,
          alias: { name: `\${aws_lb.web_${role}_alb.dns_name}`, evaluate_target_health: targetHealth },
        },
      ])),
    },
  };
}

const endpointCheck = (role: Role) => ({ type: "HTTPS", fqdn: `\${aws_lb.web_${role}_alb.dns_name}` });

Deno.test("dnsAnswer() follows Route 53's weighted rules: zero weight only when every weighted record is unhealthy, fail-open when all are", () => {
  const stack = recordSet(
    { primary: endpointCheck("primary"), secondary: endpointCheck("secondary") },
    [["primary", 100, "primary", false], ["secondary", 0, "secondary", false]],
  );
  const at = (primary: boolean, secondary: boolean) =>
    dnsAnswer(stack, "app.example.com", { endpoints: { primary, secondary }, metrics: {} });
  assert.deepEqual(
    at(true, true),
    ["primary"],
    "zero weight is not considered while a weighted record is healthy",
  );
  assert.deepEqual(at(false, true), ["secondary"]);
  assert.deepEqual(at(false, false), ["primary"], "all unhealthy: the records of weight > 0");
});

Deno.test("dnsAnswer() reads alarm checks from the data stream, calculated thresholds and target health", () => {
  const stack = recordSet({
    fence: {
      type: "CLOUDWATCH_METRIC",
      cloudwatch_alarm_name: "${aws_cloudwatch_metric_alarm.fenced.alarm_name}",
    },
    both: {
      type: "CALCULATED",
      child_healthchecks: ["${aws_route53_health_check.up.id}", "${aws_route53_health_check.fence.id}"],
      child_health_threshold: 2,
    },
    up: endpointCheck("primary"),
    standby: endpointCheck("secondary"),
  }, [["primary", 100, "both", false], ["secondary", 0, "standby", true]]);
  stack.resource.aws_cloudwatch_metric_alarm = {
    fenced: {
      metric_name: "PrimaryFenced",
      comparison_operator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
    },
  };
  const at = (fenced: number, primary = true, secondary = true) =>
    dnsAnswer(stack, "app.example.com", {
      endpoints: { primary, secondary },
      metrics: { PrimaryFenced: fenced },
    });
  assert.deepEqual(at(0), ["primary"]);
  assert.deepEqual(at(1), ["secondary"], "one breaching datapoint turns the check unhealthy");
  assert.deepEqual(at(1, true, false), ["primary"], "target health takes the standby out: fail-open");
  assert.throws(
    () => dnsAnswer(stack, "app.example.com", { endpoints: { primary: true, secondary: true }, metrics: {} }),
    /no datapoint for PrimaryFenced/,
  );
});
