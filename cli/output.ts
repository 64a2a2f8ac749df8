/** Readable tables for people, `--json` for scripts: every command prints through these. */

export type Row = Record<string, string | number | boolean | undefined | null>;

/** Left-aligned columns separated by two spaces; an empty table says so instead of a bare header. */
export function table(rows: readonly Row[], columns: readonly string[], empty = "(none)"): string {
  if (rows.length === 0) return `${empty}\n`;
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: readonly string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!))).join("  ").trimEnd();
  return `${[line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join("\n")}\n`;
}

/** `key: value` lines, aligned. */
export function fields(pairs: ReadonlyArray<readonly [string, string | number | boolean | undefined | null]>): string {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== null && v !== "");
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${cell(v)}`).join("\n") + "\n";
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function cell(v: Row[string]): string {
  if (v === undefined || v === null) return "-";
  if (typeof v === "boolean") return v ? "yes" : "no";
  // one row per line: a reason with a newline must not break the table
  return String(v).replace(/\s+/g, " ");
}

/** "3m ago" style age of an ISO time or epoch ms, for tables. */
export function age(at: string | number | undefined, now = Date.now()): string | undefined {
  if (at === undefined) return undefined;
  const t = typeof at === "number" ? at : Date.parse(at);
  if (Number.isNaN(t)) return String(at);
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}
