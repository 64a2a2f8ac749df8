/**
 * A minimal HTTP/1.1 exchange, for flat-manager's job reads: they are GETs that require a JSON
 * body (reference §2), which WHATWG fetch, and so workerd, refuses ("Request with a GET or HEAD
 * method cannot have a body"). The transport (workers/publish/flat-manager-client.ts) writes
 * these bytes to a `cloudflare:sockets` connection. Pure: bytes in, bytes out.
 */
export interface RawRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
}

export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

export function serializeRequest(req: RawRequest): Uint8Array {
  const body = new TextEncoder().encode(req.body);
  const headers: Record<string, string> = {
    host: req.url.host,
    connection: "close",
    "content-length": String(body.length),
    ...Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
  for (const [k, v] of Object.entries(headers)) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new Error(`header ${k} contains a line break`);
  }
  const head = `${req.method} ${req.url.pathname}${req.url.search} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n`;
  const out = new Uint8Array(head.length + body.length);
  out.set(new TextEncoder().encode(head), 0);
  out.set(body, head.length);
  return out;
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  return -1;
}

function dechunk(b: Uint8Array): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let i = 0;
  for (;;) {
    let j = i;
    while (j + 1 < b.length && !(b[j] === 13 && b[j + 1] === 10)) j++;
    if (j + 1 >= b.length) return undefined;
    const size = parseInt(new TextDecoder().decode(b.subarray(i, j)).split(";")[0]!.trim(), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) break;
    const start = j + 2;
    if (start + size > b.length) return undefined;
    parts.push(b.subarray(start, start + size));
    i = start + size + 2;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The response to a `connection: close` request, read to the end of the stream; undefined when malformed or cut short. */
export function parseResponse(raw: Uint8Array): RawResponse | undefined {
  const end = indexOfCrlfCrlf(raw);
  if (end < 0) return undefined;
  const lines = new TextDecoder().decode(raw.subarray(0, end)).split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!m) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  let body: Uint8Array | undefined = raw.subarray(end + 4);
  if ((headers.get("transfer-encoding") ?? "").toLowerCase().includes("chunked")) body = dechunk(body);
  else if (headers.has("content-length")) {
    const n = Number(headers.get("content-length"));
    if (!Number.isInteger(n) || body.length < n) return undefined;
    body = body.subarray(0, n);
  }
  if (!body) return undefined;
  return { status: Number(m[1]), headers, body: new TextDecoder().decode(body) };
}
