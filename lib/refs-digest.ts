/** Digest of ref -> commit pairs, the same in the agent (Node) and the coordinator (workerd). */
export async function refsDigest(entries: Iterable<readonly [ref: string, commit: string | null]>): Promise<string> {
  const byRef = new Map<string, string | null>();
  for (const [ref, commit] of entries) byRef.set(ref, commit);
  const text = [...byRef.keys()].sort().map((ref) => `${ref} ${byRef.get(ref) ?? "-"}\n`).join("");
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
