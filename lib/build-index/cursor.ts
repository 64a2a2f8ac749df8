/**
 * The opaque cursor of `GET /v1/builds`: a listing position plus a fingerprint of the filters it
 * was issued for, base64url-encoded. A cursor that does not decode, or belongs to other filters,
 * is the caller's fault (422 naming `cursor`); a well-formed one only says where to resume, so it
 * needs no signature.
 */
import { z } from "zod";
import { err, ok, type Result } from "../result.js";
import type { ListPosition } from "./listing.js";

const Payload = z.strictObject({
  v: z.literal(1),
  t: z.number().int().nonnegative(),
  k: z.string().min(1).max(400),
  f: z.string().regex(/^[0-9a-f]{8}$/),
});

export interface CursorFilters {
  repo?: string | undefined;
  state?: string | undefined;
  app_id?: string | undefined;
  branch?: string | undefined;
}

/** FNV-1a over the filters: binds a cursor to its query without a secret. */
function fingerprint(f: CursorFilters): string {
  const s = [f.repo, f.state, f.app_id, f.branch].map((x) => x ?? "").join("\u0000");
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

const toB64url = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export function encodeCursor(p: ListPosition, filters: CursorFilters): string {
  return toB64url(JSON.stringify({ v: 1, t: p.received_at, k: p.key, f: fingerprint(filters) }));
}

export function decodeCursor(cursor: string, filters: CursorFilters): Result<ListPosition, string> {
  if (!/^[A-Za-z0-9_-]{1,800}$/.test(cursor)) return err("must be a next_cursor from a previous page");
  let payload: unknown;
  try {
    const bin = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    return err("must be a next_cursor from a previous page");
  }
  const parsed = Payload.safeParse(payload);
  if (!parsed.success) return err("must be a next_cursor from a previous page");
  if (parsed.data.f !== fingerprint(filters)) return err("belongs to a query with other filters; start again without cursor");
  return ok({ received_at: parsed.data.t, key: parsed.data.k });
}
