// The security-group graph (modules/firewall.ts) on the synthesized default stack.
import assert from "node:assert/strict";
import { defaultStack, resources } from "./helpers.ts";

Deno.test("createSecurityGroups() opens the world only to the ALB on 80/443", () => {
  const { stack } = defaultStack();
  for (const rule of Object.values(resources(stack, "aws_vpc_security_group_ingress_rule"))) {
    assert.equal(rule.from_port, rule.to_port, "no port ranges");
    if (rule.cidr_ipv4 !== undefined || rule.cidr_ipv6 !== undefined) {
      assert.ok([80, 443].includes(rule.from_port));
      assert.match(rule.security_group_id, /firewall_(primary|secondary)_alb\.id/);
    } else {
      assert.ok(rule.referenced_security_group_id);
    }
  }
});

Deno.test("createSecurityGroups() names groups by prefix so a replacement can be created before the old one goes", () => {
  const { stack } = defaultStack();
  for (const group of Object.values(resources(stack, "aws_security_group"))) {
    assert.equal(group.name, undefined);
    assert.match(group.name_prefix, /^[a-z-]+-sg-us-east-[12]-dev-$/);
    assert.equal(group.tags.Name, group.name_prefix.slice(0, -1));
    assert.equal(group.lifecycle.create_before_destroy, true);
  }
});
