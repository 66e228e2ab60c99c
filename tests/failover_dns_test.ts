import assert from "node:assert/strict";
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { loadConfig } from "../modules/config.ts";
import { createStackContext } from "../modules/stack_context.ts";
import { createFailoverDns, type FenceAlarms, RECORD_WEIGHTS } from "../modules/failover_dns.ts";
import type { RegionLoadBalancer } from "../modules/web.ts";
import { DEEP_HEALTH_PATH } from "../handlers/lib/contract.ts";
import { defaultStack, type Json, resource, resources, ROLES, synthWith } from "./helpers.ts";

/** createFailoverDns() alone in a small stack, with given fence alarms (what the failover concern passes). */
function dnsStack(fence: FenceAlarms) {
  const stack = new TerraformStack(Testing.app(), "dns-test");
  const ctx = createStackContext(stack, loadConfig({}));
  const loadBalancer = (role: string): RegionLoadBalancer => ({
    albArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alb-${role}/1`,
    albArnSuffix: `app/alb-${role}/1`,
    albDnsName: `alb-${role}-1.elb.amazonaws.com`,
    albZoneId: role === "primary" ? "Z35SXDOTRQ7X7K" : "Z3AADJGX6KTTL2",
    targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg-${role}/1`,
    targetGroupArnSuffix: `targetgroup/tg-${role}/1`,
    deepHealthUrl: `https://alb-${role}-1.elb.amazonaws.com${DEEP_HEALTH_PATH}`,
  });
  const outputs = createFailoverDns(ctx, {
    zone: { zoneId: "Z0123456789ABCDEFGHIJ", appFqdn: "app.dr.example.com" },
    loadBalancers: { primary: loadBalancer("primary"), secondary: loadBalancer("secondary") },
    fence,
    settings: { tlsMode: "acm", healthCheckIntervalSeconds: 10, healthCheckFailureThreshold: 3 },
  });
  // Outputs are tokens: synthesize them to see what they refer to.
  new TerraformOutput(stack, "calculated", { value: outputs.calculatedHealthChecks.primary });
  new TerraformOutput(stack, "secondary_check", { value: outputs.calculatedHealthChecks.secondary });
  return { outputs, json: JSON.parse(Testing.synth(stack)) };
}

Deno.test("createHostedZone() creates a destroyable public zone and reports its name servers", () => {
  const { stack, config } = defaultStack();
  const zone = resource(stack, "aws_route53_zone", "dns_global_zone");
  assert.equal(zone.name, config.dns.domainName);
  assert.equal(zone.force_destroy, true);
  assert.equal(zone.provider, "aws.primary");
  assert.equal(zone.vpc, undefined, "public zone");
  assert.equal(stack.output.dns_name_servers.value, "${aws_route53_zone.dns_global_zone.name_servers}");
});

Deno.test("createHostedZone() uses an existing zone id instead of creating one", () => {
  const { stack } = synthWith({ HOSTED_ZONE_ID: "Z0EXISTING12345" });
  assert.deepEqual(resources(stack, "aws_route53_zone"), {});
  assert.equal(stack.output?.dns_name_servers, undefined);
  for (const record of Object.values(resources(stack, "aws_route53_record"))) {
    assert.equal((record as Json).zone_id, "Z0EXISTING12345");
  }
});

Deno.test("createFailoverDns() weights the application name 100 / 0; only the primary record evaluates target health", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const record = resource(stack, "aws_route53_record", `dns_${role}_app_record`);
    assert.equal(record.provider, "aws.primary", "Route 53 is global");
    assert.equal(record.name, `${config.dns.appRecordName}.${config.dns.domainName}`);
    assert.equal(record.type, "A");
    assert.equal(record.set_identifier, `${role}-${config[role].region}`);
    assert.deepEqual(record.weighted_routing_policy, { weight: RECORD_WEIGHTS[role] });
    assert.deepEqual(record.alias, {
      name: `\${aws_lb.web_${role}_alb.dns_name}`,
      zone_id: `\${aws_lb.web_${role}_alb.zone_id}`,
      // The standby's calculated check covers its endpoint; target health could take a fenced standby out.
      evaluate_target_health: role === "primary",
    });
    assert.equal(
      record.health_check_id,
      `\${aws_route53_health_check.dns_${role}_calculated_check.id}`,
    );
    assert.equal(record.ttl, undefined, "aliases take the ALB's TTL");
  }
  assert.equal(RECORD_WEIGHTS.primary, 100);
  assert.equal(RECORD_WEIGHTS.secondary, 0);
});

Deno.test("createFailoverDns() probes each ALB's deep health path over HTTPS every 10 s and measures latency", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const { "//": _metadata, tags, ...check } = resource(
      stack,
      "aws_route53_health_check",
      `dns_${role}_endpoint_check`,
    );
    assert.deepEqual(check, {
      provider: "aws.primary",
      type: "HTTPS",
      fqdn: `\${aws_lb.web_${role}_alb.dns_name}`,
      port: 443,
      resource_path: DEEP_HEALTH_PATH,
      request_interval: config.dns.healthCheckIntervalSeconds,
      failure_threshold: config.dns.healthCheckFailureThreshold,
      measure_latency: true,
      enable_sni: true,
    });
    assert.equal(tags.Name, `app-deep-health-${config[role].region}-${config.environmentSuffix}`);
  }
  assert.equal(config.dns.healthCheckIntervalSeconds, 10);
});

Deno.test("createFailoverDns() takes the failure threshold and interval from the configuration", () => {
  const { stack } = synthWith({ ROUTE53_FAILURE_THRESHOLD: "5", ROUTE53_INTERVAL_SECONDS: "30" });
  const check = resource(stack, "aws_route53_health_check", "dns_primary_endpoint_check");
  assert.equal(check.failure_threshold, 5);
  assert.equal(check.request_interval, 30);
});

Deno.test("createFailoverDns() in the stack: primary = endpoint AND not fenced, standby = endpoint OR fenced", () => {
  const { stack } = defaultStack();
  const check = (id: string) => resource(stack, "aws_route53_health_check", id);
  const primary = check("dns_primary_calculated_check");
  assert.equal(primary.type, "CALCULATED");
  assert.deepEqual(primary.child_healthchecks, [
    "${aws_route53_health_check.dns_primary_endpoint_check.id}",
    "${aws_route53_health_check.dns_primary_fence_check.id}",
  ]);
  assert.equal(primary.child_health_threshold, 2, "both children healthy");
  const standby = check("dns_secondary_calculated_check");
  assert.equal(standby.type, "CALCULATED");
  assert.deepEqual(standby.child_healthchecks, [
    "${aws_route53_health_check.dns_secondary_endpoint_check.id}",
    "${aws_route53_health_check.dns_secondary_fence_check.id}",
  ]);
  assert.equal(standby.child_health_threshold, 1, "either child healthy");
  assert.equal(
    check("dns_primary_fence_check").cloudwatch_alarm_name,
    "${aws_cloudwatch_metric_alarm.failover_secondary_primary_fenced.alarm_name}",
  );
  assert.equal(
    check("dns_secondary_fence_check").cloudwatch_alarm_name,
    "${aws_cloudwatch_metric_alarm.failover_secondary_primary_unfenced.alarm_name}",
  );
});

Deno.test("createFailoverDns() reads only the fence alarms, from the standby region, keeping the last status on gaps", () => {
  const fence = {
    fencedAlarmName: "dr-primary-fenced-us-east-2-dev",
    unfencedAlarmName: "dr-primary-unfenced-us-east-2-dev",
    alarmRegion: "us-east-2",
  };
  const { outputs, json } = dnsStack(fence);
  const checks = resources(json, "aws_route53_health_check");
  const alarmChecks = Object.entries(checks).filter(([, check]) =>
    (check as Json).type === "CLOUDWATCH_METRIC"
  );
  assert.deepEqual(alarmChecks.map(([id]) => id).sort(), [
    "dns_primary_fence_check",
    "dns_secondary_fence_check",
  ]);
  for (
    const [id, alarm] of [
      ["dns_primary_fence_check", fence.fencedAlarmName],
      ["dns_secondary_fence_check", fence.unfencedAlarmName],
    ]
  ) {
    const check = checks[id];
    assert.equal(check.cloudwatch_alarm_name, alarm);
    assert.equal(check.cloudwatch_alarm_region, "us-east-2");
    assert.equal(check.insufficient_data_health_status, "LastKnownStatus");
    assert.match(check.tags.Name, /-dev$/);
    assert.doesNotMatch(check.tags.Name, /-dev-dev$/);
  }
  assert.equal(json.output.calculated.value, "${aws_route53_health_check.dns_primary_calculated_check.id}");
  assert.equal(
    json.output.secondary_check.value,
    "${aws_route53_health_check.dns_secondary_calculated_check.id}",
  );
  assert.equal(outputs.appFqdn, "app.dr.example.com");
  assert.equal(outputs.zoneId, "Z0123456789ABCDEFGHIJ");
});
