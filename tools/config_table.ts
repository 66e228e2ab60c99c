// Prints the README's configuration table from the settings table (`deno run tools/config_table.ts`).
import { resolveSettings, SETTINGS } from "../modules/config.ts";

const defaults = resolveSettings({});
console.log("| variable | default | meaning |\n|---|---|---|");
for (const setting of SETTINGS) {
  const value = defaults[setting.variable];
  console.log(
    `| \`${setting.variable}\` | ${value === "" ? "(empty)" : `\`${value}\``} | ${setting.description} |`,
  );
}
