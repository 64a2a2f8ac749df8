/**
 * Operator roles (issue 13 §3): each operator token has a role on a set of repos.
 * - viewer reads;
 * - approver also approves, rejects, retries and cancels;
 * - admin also pauses, resumes, rolls back and marks end-of-life.
 * OPERATOR_TOKENS (`name:token` pairs, from before roles) keep meaning admin on every repo.
 * A token is stored in the clear or as its SHA-256 digest (hex), so a deployment's secret store
 * need not hold the tokens themselves.
 */
import { z } from "zod";
import { sha256Hex } from "../replay/ledger-keys.js";
import { timingSafeEqualStrings } from "../timing-safe.js";
import { RepoPattern, coversRepo } from "./scope.js";

export const ROLES = ["viewer", "approver", "admin"] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** What each operation needs; one table, so a new route only picks its operation. */
export const NEEDED_ROLE = {
  read: "viewer",
  approve: "approver",
  reject: "approver",
  retry: "approver",
  cancel: "approver",
  pause: "admin",
  resume: "admin",
  rollback: "admin",
  end_of_life: "admin",
} as const satisfies Record<string, Role>;
export type OperatorAction = keyof typeof NEEDED_ROLE;

export const OperatorEntry = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, "must be 1-64 of letters, digits, _ . @ -"),
    token: z.string().regex(/^\S{16,}$/, "must be at least 16 non-space characters").optional(),
    /** hex SHA-256 of the token, instead of `token` */
    token_sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters").optional(),
    role: Role,
    repos: z.array(RepoPattern).min(1),
  })
  .refine((o) => (o.token === undefined) !== (o.token_sha256 === undefined), "give exactly one of token and token_sha256");
export type OperatorEntry = z.infer<typeof OperatorEntry>;

/** Who a token is and what it may do. */
export interface OperatorGrant {
  name: string;
  role: Role;
  repos: readonly string[];
}

/** The grants of OPERATOR_TOKENS entries: admin everywhere, as before roles existed. */
export function legacyOperators(tokens: readonly { name: string; token: string }[]): OperatorEntry[] {
  return tokens.map((t) => ({ name: t.name, token: t.token, role: "admin", repos: ["*"] }));
}

/**
 * The grant of the presented token, comparing against every entry in constant time (the time
 * taken does not say which entry matched, nor how much of a token was right). The first matching
 * entry wins.
 */
export async function findOperator(entries: readonly OperatorEntry[], presented: string): Promise<OperatorGrant | undefined> {
  const digest = await sha256Hex(presented);
  let found: OperatorGrant | undefined;
  for (const e of entries) {
    const hit = e.token !== undefined ? await timingSafeEqualStrings(presented, e.token) : await timingSafeEqualStrings(digest, e.token_sha256!);
    if (hit && !found) found = { name: e.name, role: e.role, repos: e.repos };
  }
  return found;
}

const RANK: Record<Role, number> = { viewer: 0, approver: 1, admin: 2 };

/** Why `grant` may not do `action` on `repo`, or undefined when it may. */
export function roleRefusal(grant: OperatorGrant, action: OperatorAction, repo: string): string | undefined {
  const needed = NEEDED_ROLE[action];
  if (!coversRepo(grant.repos, repo)) return `operator ${grant.name} has no role on repo ${repo} (repos: ${grant.repos.join(", ")}); ${action} needs ${needed} on ${repo}`;
  if (RANK[grant.role] < RANK[needed]) return `operator ${grant.name} is ${grant.role} on ${repo}; ${action} needs ${needed}`;
  return undefined;
}
