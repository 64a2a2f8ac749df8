/**
 * The digest of an update-repo's changed refs, computed the same way by the agent (over what
 * the new signed summary says) and by the coordinator (over what it expects), so that a
 * callback stays small whatever the number of refs: the coordinator pages
 * `GET /v1/jobs/:id/refs` only when the two digests differ (issue 9, "Bounded payloads").
 *
 * Canonical form: entries sorted by ref (plain JS string comparison), one per ref (the last
 * one given wins), each line `${ref} ${commit ?? "-"}\n`, sha256 as lowercase hex. WebCrypto
 * only, so it runs unchanged in Node 20 and in workerd.
 */

export type RefEntry = readonly [ref: string, commit: string | null];

/** The entries in canonical order, deduplicated by ref. Shared with the paged refs route. */
export function canonicalRefs(entries: Iterable<RefEntry>): [ref: string, commit: string | null][] {
  const byRef = new Map<string, string | null>();
  for (const [ref, commit] of entries) byRef.set(ref, commit);
  return [...byRef].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export async function refsDigest(entries: Iterable<RefEntry>): Promise<string> {
  let text = "";
  for (const [ref, commit] of canonicalRefs(entries)) text += `${ref} ${commit ?? "-"}\n`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
