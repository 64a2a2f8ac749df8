/**
 * The request id a caller may hand us (`x-request-id`, or Cloudflare's `cf-ray`) is echoed in a
 * response header and written to every log line, so only a well-formed one is taken: at most 128
 * characters of `[A-Za-z0-9._:-]` (issue 10 item 5). Anything else gets a fresh UUID.
 */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(...candidates: (string | null | undefined)[]): string {
  for (const c of candidates) if (c !== null && c !== undefined && WELL_FORMED.test(c)) return c;
  return crypto.randomUUID();
}
