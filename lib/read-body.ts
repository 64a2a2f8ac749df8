/** Reads a raw request body with a hard size cap, before any signature check or parse. */
import { AppError } from "./errors.js";

/** `req` is a Request, or anything reading its body once (e.g. Hono's cached `c.req.arrayBuffer`). */
export async function readBody(req: { headers: Headers; arrayBuffer(): Promise<ArrayBuffer> }, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const buf = await req.arrayBuffer();
  if (buf.byteLength > maxBytes) throw tooLarge(maxBytes);
  return new TextDecoder().decode(buf);
}

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    throw new AppError("invalid_json", `body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("payload_too_large", `body exceeds ${maxBytes} bytes`);
}
