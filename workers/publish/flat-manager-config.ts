/**
 * Which repos flatgate-publish hands to flat-manager, and how it reaches it. REPOS is the same
 * JSON as the webhook worker's; without it every repo uses the agent (the default backend).
 * The credential is FLAT_MANAGER_TOKEN (a flat-manager JWT, used as is) or FLAT_MANAGER_SECRET
 * (flat-manager's base64 `secret`, to mint a short-lived token with narrow claims per call).
 */
import { z } from "zod";
import { Repos, type RepoPolicy } from "../../lib/config.js";
import type { FlatManagerTarget } from "./flat-manager-client.js";

const FlatManagerEnv = z.object({
  REPOS: z.string().optional(),
  FLAT_MANAGER_TOKEN: z.string().trim().min(1).optional(),
  FLAT_MANAGER_SECRET: z.string().trim().regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be flat-manager's base64 secret").optional(),
});

export type TargetLookup = { ok: true; target: FlatManagerTarget } | { ok: false; message: string } | undefined;

const cache = new WeakMap<object, { repos: Record<string, RepoPolicy>; env: z.infer<typeof FlatManagerEnv> } | { error: string }>();

function load(env: object) {
  const hit = cache.get(env);
  if (hit) return hit;
  let out: { repos: Record<string, RepoPolicy>; env: z.infer<typeof FlatManagerEnv> } | { error: string };
  const parsed = FlatManagerEnv.safeParse(env);
  if (!parsed.success) out = { error: `flatgate-publish is not configured: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` };
  else if (!parsed.data.REPOS) out = { repos: {}, env: parsed.data };
  else {
    let json: unknown;
    try {
      json = JSON.parse(parsed.data.REPOS);
    } catch {
      json = undefined;
    }
    const repos = Repos.safeParse(json);
    out = repos.success ? { repos: repos.data, env: parsed.data } : { error: `flatgate-publish: REPOS is not valid: ${repos.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` };
  }
  cache.set(env, out);
  return out;
}

/** undefined: the repo uses the agent. */
export function flatManagerTarget(env: object, repo: string): TargetLookup {
  const loaded = load(env);
  if ("error" in loaded) return undefined; // the agent path reports its own configuration errors
  const policy = Object.hasOwn(loaded.repos, repo) ? loaded.repos[repo] : undefined;
  if (!policy || policy.backend !== "flat-manager" || !policy.flat_manager_url) return undefined;
  const { FLAT_MANAGER_TOKEN: token, FLAT_MANAGER_SECRET: secret } = loaded.env;
  if (!token && !secret) return { ok: false, message: `repo ${repo} uses flat-manager but flatgate-publish has neither FLAT_MANAGER_TOKEN nor FLAT_MANAGER_SECRET (wrangler secret put FLAT_MANAGER_TOKEN -c workers/publish/wrangler.toml)` };
  const fmRepo = policy.flat_manager_repo ?? repo;
  const baseUrl = policy.flat_manager_url.replace(/\/+$/, "");
  return {
    ok: true,
    target: {
      repo,
      fmRepo,
      baseUrl,
      repoUrl: policy.flat_manager_repo_url ?? `${baseUrl}/repo/${fmRepo}`,
      // the token wins when both are set: it is what the operator scoped by hand
      credential: token ? { kind: "token", token } : { kind: "secret", secret: secret! },
    },
  };
}

/**
 * The repo of a coordinator job id, `<repo>-<publish|update>-<seq>-<random>`
 * (lib/coordinator/start-job.ts newJobId): the longest configured repo name that prefixes it,
 * so `stable` and `stable-beta` stay apart.
 */
export function repoOfJobId(env: object, jobId: string): string | undefined {
  const loaded = load(env);
  if ("error" in loaded) return undefined;
  let best: string | undefined;
  for (const repo of Object.keys(loaded.repos)) {
    if (/^(publish|update)-/.test(jobId.slice(repo.length + 1)) && jobId.startsWith(`${repo}-`) && (!best || repo.length > best.length)) best = repo;
  }
  return best;
}
