// The AWS emulator of the rehearsal: moto's server (extended by moto_server.py) on a free loopback port,
// started and stopped by its caller. Its output is drained into a bounded tail, shown when it fails.

const SERVER_SCRIPT = new URL("./moto_server.py", import.meta.url).pathname;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 200;

export interface Emulator {
  /** http://127.0.0.1:<port>: every AWS service the stack uses answers here. */
  readonly endpoint: string;
  readonly pid: number;
  /** The last lines the server wrote (requests, tracebacks). */
  logTail(): string;
  /** Stops the server by its PID and waits for it to exit (SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
}

/** Whether python3 with moto's server is installed (the rehearsal needs it). */
export function emulatorAvailable(): boolean {
  try {
    return new Deno.Command("python3", {
      args: ["-c", "import moto.server, moto.rds.responses"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Keeps the last `limit` lines of a stream, reading it to its end (a full pipe would block the server). */
function drain(stream: ReadableStream<Uint8Array>, lines: string[], limit: number): Promise<void> {
  return stream.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(chunk) {
        lines.push(...chunk.split("\n").filter((line) => line !== ""));
        if (lines.length > limit) lines.splice(0, lines.length - limit);
      },
    }),
  ).catch(() => {});
}

/** Signals the child; it may have exited meanwhile, which is what stopping wants anyway. */
function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch { /* already exited */ }
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts the emulator and waits (at most 30 s) until it answers; stops it again if it never does. */
export async function startEmulator(): Promise<Emulator> {
  const port = freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = new Deno.Command("python3", {
    args: [SERVER_SCRIPT, String(port)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
  }).spawn();
  const lines: string[] = [];
  const drained = Promise.all([
    drain(child.stdout, lines, LOG_TAIL_LINES),
    drain(child.stderr, lines, LOG_TAIL_LINES),
  ]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      if (!exited) {
        signal(child, "SIGTERM");
        const timer = setTimeout(() => signal(child, "SIGKILL"), STOP_TIMEOUT_MS);
        await status;
        clearTimeout(timer);
      }
      await drained;
    })();
  const emulator: Emulator = { endpoint, pid: child.pid, logTail: () => lines.join("\n"), stop };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answers(endpoint))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(
        `the AWS emulator did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s ` +
          `(${exited ? "it exited" : "still starting"}):\n${emulator.logTail()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return emulator;
}
