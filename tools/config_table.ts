// The configuration table of docs/configuration.md, generated from the settings table.
//   deno run -A tools/config_table.ts                        prints it
//   deno run -A tools/config_table.ts docs/configuration.md  rewrites the table between its markers
import { resolveSettings, SETTINGS } from "../modules/config.ts";

export function configTable(): string {
  const defaults = resolveSettings({});
  const rows = SETTINGS.map((setting) => {
    const value = defaults[setting.name];
    return `| \`${setting.name}\` | ${
      value === undefined ? "(unset)" : `\`${value}\``
    } | ${setting.description} |`;
  });
  return ["| variable | default | meaning |", "|---|---|---|", ...rows].join("\n");
}

const BLOCK = /<!-- config-table:start -->([\s\S]*)<!-- config-table:end -->/;

export function configTableBlock(): string {
  return `<!-- config-table:start -->\n\n${configTable()}\n\n<!-- config-table:end -->`;
}

/** The cells of the table between the markers, trimmed: `deno fmt` pads columns, the content stays. */
export function tableCells(markdown: string): string[][] | undefined {
  const block = BLOCK.exec(markdown)?.[1];
  return block?.split("\n").filter((line) => line.startsWith("|") && !/^\|[-\s|]+\|$/.test(line))
    .map((line) => line.slice(1, -1).split("|").map((cell) => cell.trim()));
}

if (import.meta.main) {
  const [docPath] = Deno.args;
  if (!docPath) {
    console.log(configTable());
  } else {
    const doc = Deno.readTextFileSync(docPath);
    if (!BLOCK.test(doc)) {
      console.error(`${docPath} has no <!-- config-table:start --> ... <!-- config-table:end --> markers`);
      Deno.exit(2);
    }
    Deno.writeTextFileSync(docPath, doc.replace(BLOCK, configTableBlock()));
  }
}
