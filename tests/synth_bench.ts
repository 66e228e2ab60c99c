import { loadConfig } from "../modules/config.ts";
import { synthesize } from "../main.ts";

const config = loadConfig({});

Deno.bench("synthesize() the default stack (warm: modules loaded)", () => {
  synthesize(config, Deno.makeTempDirSync({ prefix: "dr-bench-" }));
});

Deno.bench("deno run main.ts (cold process: load, synth, write)", () => {
  const cwd = Deno.makeTempDirSync({ prefix: "dr-bench-cli-" });
  const root = new URL("..", import.meta.url).pathname;
  const result = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", `${root}deno.json`, `${root}main.ts`],
    cwd,
    stdout: "null",
  }).outputSync();
  if (!result.success) throw new Error("synth failed");
});
