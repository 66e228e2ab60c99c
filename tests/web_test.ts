import assert from "node:assert/strict";
import { TLS_POLICY } from "../modules/web.ts";
import { SHALLOW_HEALTH_PATH } from "../handlers/lib/contract.ts";
import { defaultStack, type Json, resource, resources, resourcesIn, ROLES, synthWith } from "./helpers.ts";

const CERTIFICATES = {
  PRIMARY_CERTIFICATE_ARN:
    "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
  SECONDARY_CERTIFICATE_ARN:
    "arn:aws:acm:us-east-2:123456789012:certificate/66666666-7777-8888-9999-000000000000",
};

Deno.test("createLoadBalancer() puts an internet-facing ALB in each region's public subnets behind the ALB security group", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const alb = resource(stack, "aws_lb", `web_${role}_alb`);
    assert.equal(alb.provider, `aws.${role}`);
    assert.equal(alb.name, `alb-${config[role].region}-${config.environmentSuffix}`);
    assert.equal(alb.load_balancer_type, "application");
    assert.equal(alb.internal, false);
    assert.equal(alb.drop_invalid_header_fields, true);
    assert.deepEqual(alb.security_groups, [`\${aws_security_group.firewall_${role}_alb.id}`]);
    assert.equal(alb.subnets.length, config[role].availabilityZones.length);
    assert.ok(alb.subnets.every((subnet: string) => subnet.includes(`network_${role}_public_`)));
  }
});

Deno.test("createLoadBalancer() target group serves the app port, checks the shallow path, drains in 30 s", () => {
  const { stack, config } = defaultStack();
  for (const role of ROLES) {
    const group = resource(stack, "aws_lb_target_group", `web_${role}_targets`);
    assert.equal(group.port, config.compute.appPort);
    assert.equal(group.protocol, "HTTP");
    assert.equal(group.target_type, "instance");
    assert.equal(group.vpc_id, `\${aws_vpc.network_${role}.id}`);
    assert.equal(group.deregistration_delay, "30");
    const check = group.health_check;
    assert.equal(check.enabled, true);
    assert.equal(
      `${check.protocol} ${check.port} ${check.path} ${check.matcher}`,
      `HTTP traffic-port ${SHALLOW_HEALTH_PATH} 200`,
    );
    // As docs/architecture.md promises: every 10 s, in after 2 passes, out after 3 failures (30 s).
    assert.deepEqual([check.interval, check.healthy_threshold, check.unhealthy_threshold], [10, 2, 3]);
    assert.ok(check.timeout < check.interval, "ELB rejects a timeout that is not shorter than the interval");
  }
});

Deno.test("createLoadBalancer() by default validates an ACM certificate per region through ONE shared DNS record", () => {
  const { stack, config } = defaultStack();
  const appFqdn = `${config.dns.appRecordName}.${config.dns.domainName}`;
  for (const role of ROLES) {
    const certificate = resource(stack, "aws_acm_certificate", `web_${role}_certificate`);
    assert.equal(certificate.provider, `aws.${role}`);
    assert.equal(certificate.domain_name, appFqdn);
    assert.equal(certificate.validation_method, "DNS");
    assert.equal(certificate.lifecycle.create_before_destroy, true);
    const validation = resource(
      stack,
      "aws_acm_certificate_validation",
      `web_${role}_certificate_validation`,
    );
    assert.equal(validation.provider, `aws.${role}`);
    assert.equal(validation.certificate_arn, `\${aws_acm_certificate.web_${role}_certificate.arn}`);
    assert.deepEqual(validation.validation_record_fqdns, [
      "${aws_route53_record.web_global_certificate_validation.fqdn}",
    ]);
  }
  const validationRecords = Object.keys(resources(stack, "aws_route53_record")).filter((name) =>
    name.includes("certificate_validation")
  );
  assert.deepEqual(validationRecords, ["web_global_certificate_validation"]);
  const record = resource(stack, "aws_route53_record", "web_global_certificate_validation");
  assert.equal(record.zone_id, "${aws_route53_zone.dns_global_zone.zone_id}");
  assert.match(record.name, /web_primary_certificate\.domain_validation_options.*resource_record_name/);
  assert.equal(record.ttl, config.dns.recordTtlSeconds);
  assert.equal(record.allow_overwrite, true);
});

Deno.test("createLoadBalancer() terminates TLS 1.2+/1.3 with the validated certificate and redirects HTTP to HTTPS", () => {
  const { stack } = defaultStack();
  for (const role of ROLES) {
    const https = resource(stack, "aws_lb_listener", `web_${role}_https`);
    assert.equal(https.port, 443);
    assert.equal(https.protocol, "HTTPS");
    assert.equal(https.ssl_policy, TLS_POLICY);
    assert.equal(
      https.certificate_arn,
      `\${aws_acm_certificate_validation.web_${role}_certificate_validation.certificate_arn}`,
    );
    assert.deepEqual(https.default_action, [{
      type: "forward",
      target_group_arn: `\${aws_lb_target_group.web_${role}_targets.arn}`,
    }]);
    const http = resource(stack, "aws_lb_listener", `web_${role}_http`);
    assert.equal(http.port, 80);
    assert.deepEqual(http.default_action, [{
      type: "redirect",
      redirect: { protocol: "HTTPS", port: "443", status_code: "HTTP_301" },
    }]);
  }
});

Deno.test("createLoadBalancer() uses the operator's certificates with TLS_MODE=existing and requests none", () => {
  const { stack } = synthWith({ TLS_MODE: "existing", ...CERTIFICATES });
  assert.deepEqual(resources(stack, "aws_acm_certificate"), {});
  assert.deepEqual(resources(stack, "aws_acm_certificate_validation"), {});
  assert.equal(
    resource(stack, "aws_lb_listener", "web_primary_https").certificate_arn,
    CERTIFICATES.PRIMARY_CERTIFICATE_ARN,
  );
  assert.equal(
    resource(stack, "aws_lb_listener", "web_secondary_https").certificate_arn,
    CERTIFICATES.SECONDARY_CERTIFICATE_ARN,
  );
});

Deno.test("createLoadBalancer() with TLS_MODE=none serves plain HTTP only (test domains)", () => {
  const { stack } = synthWith({ TLS_MODE: "none", TLS_NONE_ACKNOWLEDGED: "yes" });
  assert.deepEqual(resources(stack, "aws_acm_certificate"), {});
  for (const role of ROLES) {
    const listeners = Object.values(resourcesIn(stack, "aws_lb_listener", role));
    assert.equal(listeners.length, 1);
    assert.equal(listeners[0].port, 80);
    assert.equal(listeners[0].protocol, "HTTP");
    assert.equal(listeners[0].default_action[0].type, "forward");
  }
  const checks = Object.values(resources(stack, "aws_route53_health_check"))
    .filter((check: Json) => !["CALCULATED", "CLOUDWATCH_METRIC"].includes(check.type));
  assert.equal(checks.length, 2);
  assert.ok(checks.every((check: Json) => check.type === "HTTP" && check.port === 80));
});
