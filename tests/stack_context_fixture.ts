// A stack context for tests that call one module alone: a small stack with the providers of `env`'s
// configuration and stand-in region keys (`arn:key:<role>`), so outputs can be compared by value.
import { App, TerraformStack } from "cdktf";
import { loadConfig } from "../modules/config.ts";
import { createStackContext, type KeyedStackContext, withKeys } from "../modules/stack_context.ts";
import { forEachRegion } from "../modules/providers.ts";

export function testContext(env: Record<string, string> = {}): KeyedStackContext {
  const stack = new TerraformStack(new App({ outdir: Deno.makeTempDirSync() }), "module-test");
  const base = createStackContext(stack, loadConfig(env));
  const keys = forEachRegion(base.regions, ({ role }) => ({
    keyArn: `arn:key:${role}`,
    keyId: role,
    aliasName: `alias/${role}`,
  }));
  return withKeys(base, keys);
}
