import assert from "node:assert/strict";
import { Lazy } from "cdktf";
import { captureStackTrace as cdktfCapture } from "cdktf/lib/tokens/private/stack-trace.js";
import { withoutCreationStacks } from "../modules/creation_stacks.ts";
import { synthWith } from "./helpers.ts";

const creationStackOf = (token: unknown): string[] => (token as { creationStack: string[] }).creationStack;
const lazyToken = () => Lazy.anyValue({ produce: () => 1 });

Deno.test("withoutCreationStacks() leaves cdktf's token creation stacks empty, and only inside", () => {
  assert.ok(creationStackOf(lazyToken()).length > 0, "cdktf records a creation stack by default");
  const inside = withoutCreationStacks(() => lazyToken());
  assert.deepEqual(creationStackOf(inside), []);
  assert.ok(creationStackOf(lazyToken()).length > 0, "recorded again afterwards");
});

Deno.test("withoutCreationStacks() keeps every other stack trace and returns the work's value", () => {
  const value = withoutCreationStacks(() => {
    const target: { stack?: string } = {};
    Error.captureStackTrace(target);
    assert.match(target.stack ?? "", /creation_stacks_test\.ts/);
    assert.match(new Error("own").stack ?? "", /creation_stacks_test\.ts/);
    return 42;
  });
  assert.equal(value, 42);
});

Deno.test("withoutCreationStacks() restores Error.captureStackTrace, also when the work throws", () => {
  const original = Error.captureStackTrace;
  assert.throws(() =>
    withoutCreationStacks(() => {
      assert.notEqual(Error.captureStackTrace, original);
      throw new Error("synth failed");
    }), /synth failed/);
  assert.equal(Error.captureStackTrace, original);
});

Deno.test("synthesize() formats no token creation stack (the cost of ~1,400 full traces)", () => {
  const original = Error.captureStackTrace;
  let creationStacks = 0;
  Error.captureStackTrace = (target, below) => {
    if (below === cdktfCapture) creationStacks++;
    original(target, below);
  };
  try {
    synthWith();
  } finally {
    Error.captureStackTrace = original;
  }
  assert.equal(creationStacks, 0);
});
