// Small Markdown builders for the generated documents (REVIEW.md, OPERATIONS.md), and the readable form of a
// Terraform expression they show.

/** The marker next to anything a reviewer must look at. */
export const WARNING = "⚠";

/** A table cell: pipes escaped, line breaks as `<br>`. */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/** Inline code (backticks inside the text are widened). */
export function code(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Bold + marker: how every finding that needs a reviewer's attention is shown. */
export function flagged(text: string): string {
  return `**${text}** ${WARNING}`;
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(headers), `|${headers.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}

/** A table, or a sentence when there are no rows. */
export function tableOr(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  empty: string,
): string {
  return rows.length === 0 ? empty : table(headers, rows);
}

/** A short readable form of an expression: `${aws_kms_key.kms_primary.arn}` -> `aws_kms_key.kms_primary.arn`. */
export function readable(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") return JSON.stringify(value);
  return value.replace(/\$\{([^}]*)\}/g, "$1");
}
