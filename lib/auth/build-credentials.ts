/**
 * Build credentials (issue 13 §2): named Standard Webhooks secrets, each scoped to apps and
 * repos (BUILD_CREDENTIALS), next to the unscoped BUILD_WEBHOOK_SECRETS of before. Rotating a
 * credential means listing two entries under one name for a while.
 */
import { z } from "zod";
import { isValidSecret, verify } from "../standard-webhooks.js";
import { signatureError } from "../verify-signed-request.js";
import { AppPattern, RepoPattern, type Scope } from "./scope.js";

export const BuildCredential = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, "must be 1-64 of letters, digits, _ . @ -"),
  secret: z.string().refine(isValidSecret, "must be whsec_<base64 of 24-64 bytes>"),
  apps: z.array(AppPattern).min(1),
  repos: z.array(RepoPattern).min(1),
});
export type BuildCredential = z.infer<typeof BuildCredential>;

/** Which credential signed the request: a named, scoped one, or an unscoped legacy secret. */
export type MatchedCredential = { kind: "scoped"; name: string; scope: Scope } | { kind: "unscoped" };

interface Group {
  match: MatchedCredential;
  secrets: string[];
}

/** One group per credential name (its rotation entries share a name and, in practice, a scope). */
function groups(credentials: readonly BuildCredential[], unscoped: readonly string[]): Group[] {
  const byName = new Map<string, Group[]>();
  const out: Group[] = [];
  for (const c of credentials) {
    // entries of one name with different scopes stay apart, so each secret keeps its own scope
    const list = byName.get(c.name) ?? [];
    const same = list.find((g) => g.match.kind === "scoped" && sameScope(g.match.scope, c));
    if (same) same.secrets.push(c.secret);
    else {
      const g: Group = { match: { kind: "scoped", name: c.name, scope: { apps: c.apps, repos: c.repos } }, secrets: [c.secret] };
      list.push(g);
      out.push(g);
      byName.set(c.name, list);
    }
  }
  if (unscoped.length > 0) out.push({ match: { kind: "unscoped" }, secrets: [...unscoped] });
  return out;
}

const sameScope = (a: Scope, b: Scope) => a.apps.join("\n") === b.apps.join("\n") && a.repos.join("\n") === b.repos.join("\n");

/**
 * Verifies the request under every configured secret and says which credential it was, or throws
 * the 401 of verify-signed-request.ts. Missing headers and a stale timestamp fail the same way
 * under every secret, so they are answered at once.
 */
export async function verifyBuildCredential(
  credentials: readonly BuildCredential[],
  unscoped: readonly string[],
  headers: { get(name: string): string | null | undefined },
  body: string,
  now = Date.now(),
): Promise<{ webhookId: string; credential: MatchedCredential }> {
  const input = { id: headers.get("webhook-id"), timestamp: headers.get("webhook-timestamp"), signature: headers.get("webhook-signature"), body };
  const all = groups(credentials, unscoped);
  // nothing configured for Standard Webhooks: still say what is wrong with the headers
  if (all.length === 0) all.push({ match: { kind: "unscoped" }, secrets: [] });
  for (const g of all) {
    const result = await verify(g.secrets, input, now);
    if (result.ok) return { webhookId: result.value.id, credential: g.match };
    if (result.error !== "invalid_signature") throw signatureError(result.error, "BUILD_CREDENTIALS or BUILD_WEBHOOK_SECRETS");
  }
  throw signatureError("invalid_signature", "BUILD_CREDENTIALS or BUILD_WEBHOOK_SECRETS");
}
