// The README's configuration table, generated from the settings table.
//   deno run -A tools/config_table.ts            prints it
//   deno run -A tools/config_table.ts README.md  rewrites the table between its markers
import { resolveSettings, SETTINGS } from "../modules/config.ts";

export function configTable(): string {
  const defaults = resolveSettings({});
  const rows = SETTINGS.map((setting) => {
    const value = defaults[setting.variable];
    return `| \`${setting.variable}\` | ${
      value === "" ? "(empty)" : `\`${value}\``
    } | ${setting.description} |`;
  });
  return ["| variable | default | meaning |", "|---|---|---|", ...rows].join("\n");
}

if (import.meta.main) {
  const [readmePath] = Deno.args;
  if (!readmePath) {
    console.log(configTable());
  } else {
    const readme = Deno.readTextFileSync(readmePath);
    const updated = readme.replace(
      /<!-- config-table:start -->[\s\S]*<!-- config-table:end -->/,
      `<!-- config-table:start -->\n${configTable()}\n<!-- config-table:end -->`,
    );
    Deno.writeTextFileSync(readmePath, updated);
  }
}
