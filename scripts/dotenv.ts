/**
 * `.dev.vars` files, read and written the way wrangler reads them (it uses the `dotenv`
 * package; this is the same line grammar, so what we parse is what the workers get).
 * https://github.com/motdotla/dotenv/blob/master/lib/main.js
 */

// dotenv's LINE pattern: KEY=VALUE, optional `export `, '…' "…" `…` quoting, trailing # comments
const LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;

export type Vars = Record<string, string>;

export function parseDotenv(text: string): Vars {
  const out: Vars = {};
  const lines = text.replace(/\r\n?/gm, "\n");
  for (const m of lines.matchAll(LINE)) {
    const key = m[1]!;
    let value = (m[2] ?? "").trim();
    const quote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
    if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    out[key] = value;
  }
  return out;
}

/** One `KEY=value` line per variable, quoted so that parseDotenv (and wrangler) read it back unchanged. */
export function formatDotenv(vars: Vars, header = ""): string {
  const lines = Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`);
  return `${header}${lines.join("\n")}\n`;
}

function quote(v: string): string {
  // single quotes are literal (no escapes, `#` kept); newlines need double quotes and \n
  if (!v.includes("'") && !v.includes("\n")) return `'${v}'`;
  if (!v.includes('"')) return `"${v.replace(/\r/g, "\\r").replace(/\n/g, "\\n")}"`;
  if (!v.includes("`")) return `\`${v}\``;
  throw new Error("a value with ', \" and ` cannot be written to a .dev.vars file");
}
