import { loadConfig } from "../modules/config.ts";
import { synthesize } from "../main.ts";

const config = loadConfig({});
const root = new URL("..", import.meta.url).pathname;

Deno.bench("synthesize() the default stack (warm: modules loaded)", () => {
  synthesize(config, Deno.makeTempDirSync({ prefix: "dr-bench-" }));
});

/** One synth as a fresh process, in a fresh folder: load, synth, write. */
function synthProcess(entry: string): void {
  const result = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", `${root}deno.json`, `${root}${entry}`],
    cwd: Deno.makeTempDirSync({ prefix: "dr-bench-cli-" }),
    stdout: "null",
  }).outputSync();
  if (!result.success) throw new Error(`${entry} failed`);
}

Deno.bench("make synth: tools/synth.ts, its bundle cached (fresh process)", { group: "process" }, () => {
  synthProcess("tools/synth.ts");
});

Deno.bench("deno run main.ts (fresh process: every module loaded by Deno)", { group: "process" }, () => {
  synthProcess("main.ts");
});
