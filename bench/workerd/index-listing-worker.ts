/**
 * Runs inside workerd (through Miniflare, see ../index-listing.ts): the real webhook worker, its
 * Durable Objects and routes, plus one bench-only route that fills a repo's BuildIndex through
 * the same `upsert` RPC the AppPublishers' outbox uses.
 * `POST /__bench/fill?repo=R&from=I&n=N` upserts builds I..I+N-1 of a seeded, deterministic set.
 */
import type { BuildState } from "../../lib/build-state.js";
import { indexEntry } from "../../lib/build-index/entry.js";
import type { Build, HistoryEntry } from "../../lib/build.js";
import worker from "../../workers/webhook/index.js";

export { AppPublisher, BuildIndex, RepoCoordinator, ReplayLedger } from "../../workers/webhook/index.js";

/** Paths through the state machine, weighted like a long-running repo: mostly live or superseded. */
const PATHS: { weight: number; path: BuildState[] }[] = [
  { weight: 55, path: ["received", "awaiting_approval", "approved", "queued", "publishing", "published", "live"] },
  { weight: 25, path: ["received", "awaiting_approval", "superseded"] },
  { weight: 6, path: ["received", "awaiting_approval"] },
  { weight: 5, path: ["received", "awaiting_approval", "rejected"] },
  { weight: 4, path: ["received", "build_failed"] },
  { weight: 3, path: ["received", "awaiting_approval", "approved", "queued", "publishing", "failed"] },
  { weight: 2, path: ["received", "awaiting_approval", "expired"] },
];
const TOTAL_WEIGHT = PATHS.reduce((a, p) => a + p.weight, 0);
const APPS = 500;
/** builds received over 90 days */
const SPAN_MS = 90 * 86_400_000;
const T0 = Date.parse("2026-09-01T00:00:00Z");

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function benchBuild(repo: string, i: number): Build {
  const r = rng(i * 2654435761 + 17);
  let pick = r() * TOTAL_WEIGHT;
  const path = PATHS.find((p) => (pick -= p.weight) < 0)?.path ?? PATHS[0]!.path;
  const appId = `org.bench.App${i % APPS}`;
  const received = T0 + Math.floor((i / 10_000) * SPAN_MS) + Math.floor(r() * 60_000);
  let t = received;
  const history: HistoryEntry[] = path.map((to, k) => {
    t += k === 0 ? 0 : Math.floor(r() * 3_600_000);
    return { at: new Date(t).toISOString(), kind: "transition", ...(k > 0 ? { from: path[k - 1]! } : {}), to, actor: { kind: "system", name: "bench" } };
  });
  const state = path[path.length - 1]!;
  return {
    key: `${repo}/${appId}/${i}`, repo, app_id: appId, branch: i % 7 === 0 ? "beta" : "stable", build_id: String(i), state,
    status: state === "build_failed" ? "failure" : "success",
    source: { owner: "flathub", name: appId, sha: "a".repeat(40), ref: "refs/heads/master", triggered_by: "bench" },
    artifact: { url: `https://builds.example.org/${i}/repo`, refs: {} }, approval_mode: "required", approvals_required: 1,
    approvals: path.includes("approved") ? [{ by: "maintainer", actor_kind: "github", at: history[2]!.at }] : [],
    received_at: new Date(received).toISOString(), updated_at: new Date(t).toISOString(), publish_attempts: 0, history,
    ...(state === "failed" || state === "rejected" ? { reason: "the repo master could not import the commit: checksum mismatch on an object" } : {}),
    ...(state === "live" ? { live: { summary_sha256: "b".repeat(64), at: new Date(t).toISOString() } } : {}),
    github: { check_run_id: 1_000_000 + i },
  };
}

export default {
  async fetch(req, env, ctx) {
    const url = new URL(req.url);
    if (url.pathname === "/__bench/fill" && req.method === "POST") {
      const repo = url.searchParams.get("repo") ?? "stable";
      const from = Number(url.searchParams.get("from") ?? 0);
      const n = Number(url.searchParams.get("n") ?? 0);
      const index = env.BUILD_INDEX.get(env.BUILD_INDEX.idFromName(repo));
      const entries = Array.from({ length: n }, (_, k) => indexEntry(benchBuild(repo, from + k)));
      const results = await Promise.all(entries.map((e) => index.upsert(e)));
      const failed = results.find((r) => !r.ok);
      return failed ? new Response(JSON.stringify(failed), { status: 500 }) : new Response(String(n));
    }
    return worker.fetch(req, env, ctx);
  },
} satisfies ExportedHandler<Env>;
