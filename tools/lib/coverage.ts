// What an analyser of the hand-off tools answers for: a family of resource types it claims, and the types of
// that family it knows but does not read, each with why. tests/analyser_coverage_test.ts runs every analyser on
// each configuration the tests synthesize, records the types it looks up, and fails when the stack emits a type
// of a claimed family that the analyser neither reads nor leaves out, or when an analyser looks up a type the
// stack never emits (a branch for a form that does not exist).
import type { StackResource } from "../../modules/stack_index.ts";

export interface Coverage {
  /** Whether a resource belongs to the family the analyser answers for. */
  readonly claims: (resource: StackResource) => boolean;
  /** Types of the family the analyser knows and deliberately does not read: type -> why. */
  readonly leavesOut: Readonly<Record<string, string>>;
}

/** A family by type name. */
export function typesMatching(pattern: RegExp): (resource: StackResource) => boolean {
  return (resource) => pattern.test(resource.type);
}

/** Whether any key of a body, at any depth, matches `pattern`. */
export function hasKey(body: unknown, pattern: RegExp): boolean {
  if (Array.isArray(body)) return body.some((item) => hasKey(item, pattern));
  if (!body || typeof body !== "object") return false;
  return Object.entries(body).some(([key, value]) =>
    key !== "//" && (pattern.test(key) || hasKey(value, pattern))
  );
}
