/**
 * Trusted publishers (issue 13 §1): a GitHub Actions workflow that announces builds with its OIDC
 * token instead of a stored secret, as PyPI, npm and crates.io allow. This module is the pure
 * part: the configuration entry, the claims we read, and which publisher (if any) a verified
 * token is. Signature and time checks are in verify-oidc-token.ts.
 * Claims: https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
 */
import { z } from "zod";
import type { BuildEvent } from "../build-event.js";
import { err, ok, type Result } from "../result.js";
import { AppPattern, RepoPattern, scopeRefusal } from "./scope.js";

/** Clock skew we accept on exp, nbf and iat (the issue allows at most 60 s). */
export const OIDC_LEEWAY_SECONDS = 60;
/**
 * The longest token lifetime (exp − iat) we accept. GitHub's tokens live minutes; the cap bounds
 * how long a `jti` must be remembered (lib/replay/ledger-keys.ts).
 */
export const OIDC_MAX_LIFETIME_SECONDS = 60 * 60;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** https, or http on a loopback address only (so tests and the local stack can run an issuer). */
export const IssuerUrl = z
  .url()
  .refine((u) => {
    const url = new URL(u);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  }, "must be an https:// URL (http:// only on a loopback address)")
  .transform((u) => u.replace(/\/+$/, ""));

/** An id as GitHub sends it (a decimal string); a number in the config is accepted too. */
const NumericId = z.union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()]).transform(String);

/** A git ref, or a prefix ending in `*` (`refs/heads/branch/*`). */
const RefPattern = z.string().regex(/^refs\/\S+$/, "must be a git ref like refs/heads/main, optionally ending in *");

export const TrustedPublisher = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, "must be 1-64 of letters, digits, _ . @ -"),
  issuer: IssuerUrl.default("https://token.actions.githubusercontent.com"),
  audience: z.string().min(1).max(200).default("flatgate"),
  /** `owner/name` of the repository that holds the workflow file */
  repository: z.string().regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, "must be owner/name"),
  repository_id: NumericId,
  repository_owner_id: NumericId,
  /** the workflow file name under .github/workflows/ */
  workflow: z.string().regex(/^[A-Za-z0-9._-]{1,200}\.ya?ml$/, "must be a workflow file name like build.yml"),
  /** a GitHub deployment environment the job must run in; null: any (or none) */
  environment: z.string().min(1).max(255).nullable().default(null),
  refs: z.array(RefPattern).min(1),
  apps: z.array(AppPattern).min(1),
  repos: z.array(RepoPattern).min(1),
});
export type TrustedPublisher = z.infer<typeof TrustedPublisher>;

/** The claims of a GitHub Actions OIDC token that we rely on (others are ignored). */
export const ActionsClaims = z.looseObject({
  iss: z.string(),
  jti: z.string().min(1).max(200),
  sha: z.string().regex(/^[0-9a-f]{40}$/, "must be a 40-hex git sha"),
  ref: z.string().min(1),
  repository: z.string().regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, "must be owner/name"),
  repository_id: z.string().min(1),
  repository_owner_id: z.string().min(1),
  job_workflow_ref: z.string().min(1),
  event_name: z.string().min(1),
  run_id: z.string().regex(/^\d{1,20}$/, "must be a numeric run id"),
  environment: z.string().optional(),
  exp: z.number(),
  iat: z.number(),
});
export type ActionsClaims = z.infer<typeof ActionsClaims>;

/** A refusal naming the claim, never the token. */
export interface ClaimRefusal {
  claim: string;
  message: string;
}

export function refMatches(patterns: readonly string[], ref: string): boolean {
  return patterns.some((p) => (p.endsWith("*") ? ref.startsWith(p.slice(0, -1)) : p === ref));
}

/** Why `claims` are not those of `publisher`, or undefined when they are. Checked in a fixed order. */
export function publisherMismatch(p: TrustedPublisher, claims: ActionsClaims): ClaimRefusal | undefined {
  if (claims.repository_id !== p.repository_id) return { claim: "repository_id", message: `repository_id is not ${p.repository_id} (${p.repository})` };
  if (claims.repository_owner_id !== p.repository_owner_id) return { claim: "repository_owner_id", message: `repository_owner_id is not ${p.repository_owner_id}` };
  const workflowRef = `${p.repository}/.github/workflows/${p.workflow}@${claims.ref}`;
  if (claims.job_workflow_ref !== workflowRef) return { claim: "job_workflow_ref", message: `job_workflow_ref is not ${workflowRef}` };
  if (p.environment !== null && claims.environment !== p.environment) return { claim: "environment", message: `environment is not ${p.environment}` };
  if (!refMatches(p.refs, claims.ref)) return { claim: "ref", message: `ref ${claims.ref} is not one of ${p.refs.join(", ")}` };
  return undefined;
}

/**
 * The publisher these verified claims belong to. Of several candidates (same issuer and audience)
 * the first that matches wins; when none does, the refusal is that of the candidate that got
 * furthest through the checks, so its message names the one claim that differs.
 */
export function matchPublisher(candidates: readonly TrustedPublisher[], claims: ActionsClaims): Result<TrustedPublisher, ClaimRefusal> {
  const order = ["repository_id", "repository_owner_id", "job_workflow_ref", "environment", "ref"];
  let best: ClaimRefusal | undefined;
  for (const p of candidates) {
    const miss = publisherMismatch(p, claims);
    if (!miss) return ok(p);
    if (!best || order.indexOf(miss.claim) > order.indexOf(best.claim)) best = miss;
  }
  return err(best ?? { claim: "iss", message: "no TRUSTED_PUBLISHERS entry has this issuer and audience" });
}

/**
 * Events whose workflows run code from a pull request: such a token must never publish, whatever
 * the publisher's refs say (`pull_request_target` runs with the base repo's identity).
 */
export function isPullRequestEvent(eventName: string): boolean {
  return eventName === "pull_request" || eventName === "pull_request_target" || eventName.startsWith("pull_request_");
}

/** Why this publisher may not announce this event, or undefined when it may. */
export function publisherScopeRefusal(p: TrustedPublisher, claims: ActionsClaims, event: Pick<BuildEvent, "app_id" | "repo" | "source">): string | undefined {
  const scope = scopeRefusal(p, event.app_id, event.repo);
  if (scope) return `trusted publisher ${p.name} may not publish ${event.app_id} to ${event.repo}: ${scope}`;
  if (event.source.sha !== claims.sha) return `trusted publisher ${p.name}: source.sha ${event.source.sha} is not the token's sha ${claims.sha}`;
  // The source repo is where the check run goes and whose collaborators may approve: it must be
  // the repo the token was issued to, not one the event merely names (GitHub names are case-insensitive).
  const source = `${event.source.owner}/${event.source.name}`;
  if (source.toLowerCase() !== claims.repository.toLowerCase()) return `trusted publisher ${p.name}: source ${source} is not the token's repository ${claims.repository}`;
  return undefined;
}

/** The workflow run that built it, for the history (`run_id` and `repository` claims). */
export function workflowRunUrl(claims: Pick<ActionsClaims, "repository" | "run_id">): string {
  return `https://github.com/${claims.repository}/actions/runs/${claims.run_id}`;
}
