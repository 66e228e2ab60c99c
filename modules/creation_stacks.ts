// cdktf records the complete stack trace (Error.stackTraceLimit = MAX_SAFE_INTEGER, every frame formatted and
// source-mapped) of each token it creates, only to quote it in a token error message. This stack creates
// ~1,400 tokens: formatting those traces was a third of synth's CPU time, for nothing in the output.
import { captureStackTrace as captureCreationStack } from "cdktf/lib/tokens/private/stack-trace.js";

/**
 * Runs `work` with cdktf's token creation stacks left empty (its token errors then quote no creation
 * stack). Every other Error.captureStackTrace call, and every error's own stack, is unchanged.
 */
export function withoutCreationStacks<T>(work: () => T): T {
  const capture = Error.captureStackTrace;
  // cdktf passes its own capture function as `below` (the frame to hide): that marks its calls.
  Error.captureStackTrace = (target, below) => {
    if (below !== captureCreationStack) capture(target, below);
  };
  try {
    return work();
  } finally {
    Error.captureStackTrace = capture;
  }
}
