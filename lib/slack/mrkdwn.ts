/**
 * Safe Slack mrkdwn: escape user text, build links, and cut text to a limit without breaking
 * a `<url|label>` link, an `&amp;` entity or a UTF-16 surrogate pair.
 * https://docs.slack.dev/messaging/formatting-message-text#escaping
 */

/** Slack's three control characters; everything a user or build worker supplied goes through this. */
export function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `<url|label>` for http(s) URLs; anything else becomes the escaped label alone. */
export function link(url: string | undefined, label: string): string {
  if (url === undefined || !/^https?:\/\//i.test(url)) return escapeText(label);
  // `|` and `>` would end the link early; `&` is escaped like in text
  const safe = url.replace(/&/g, "&amp;").replace(/[<>| ]/g, (c) => encodeURIComponent(c));
  return `<${safe}|${escapeText(label.replace(/[|>]/g, " "))}>`;
}

/**
 * The largest index ≤ max at which `s` can be cut: never inside a `<…>` link, an `&…;`
 * entity or a surrogate pair. Prefers a line break in the last fifth when `preferBreak`.
 */
export function safeCut(s: string, max: number, preferBreak = false): number {
  if (s.length <= max) return s.length;
  let cut = Math.max(0, max);
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  const lt = s.lastIndexOf("<", cut - 1);
  if (lt > s.lastIndexOf(">", cut - 1)) cut = lt;
  const amp = s.lastIndexOf("&", cut - 1);
  if (amp >= 0 && s.indexOf(";", amp) >= cut && cut - amp < 8) cut = amp;
  if (preferBreak) {
    const nl = s.lastIndexOf("\n", cut);
    if (nl > cut * 0.8) cut = nl;
  }
  return cut;
}

/** Cuts to at most `max` characters, ending with "…" when anything was dropped. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, safeCut(s, max - 1)).trimEnd()}…`;
}

/** Splits long mrkdwn into pieces of at most `max` characters, at line breaks where possible. */
export function splitText(s: string, max: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest.length > max) {
    let cut = safeCut(rest, max, true);
    if (cut === 0) cut = max; // a single link longer than the limit: nothing better to do
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).replace(/^\n+/, "");
  }
  if (rest.length > 0 || out.length === 0) out.push(rest);
  return out;
}
