/**
 * 4. Purge planning after an update-repo: filter the changed paths to the mutable files
 * (`mutablePaths`), name them for each provider (surrogate keys, public URLs) and batch them
 * (`sendOrder`: Fastly ≤256 keys, Cloudflare ≤100 files per request, the summary batch last).
 * Request counts come from the real clients against a fetch that only counts and answers.
 */
import { CLOUDFLARE_MAX_PER_REQUEST, cloudflarePurge } from "../lib/purge/cloudflare.js";
import type { CloudflareConfig, FastlyConfig } from "../lib/purge/config.js";
import { FASTLY_MAX_KEYS, FASTLY_URL_CONCURRENCY, fastlyPurgeKeys, fastlyPurgeUrls } from "../lib/purge/fastly.js";
import { mutablePaths, publicUrls, sendOrder, surrogateKey } from "../lib/purge/mutable-paths.js";
import { appId, REPO } from "./builders.js";
import { compare, ratio } from "./harness.js";
import { roundsOf, toRow, type Section } from "./report.js";

const PUBLIC_URL = "https://dl.example.org/repo";

/**
 * What an update-repo of `apps` apps reports as changed: each app's app/Locale/Debug refs on two
 * arches, appstream trees, delta indexes, plus the immutable objects/deltas the filter drops.
 */
function changedPaths(target: number): string[] {
  const out = ["summary", "summary.sig", "summary.idx", "summary.idx.sig", "config", "refs/heads/appstream/x86_64", "refs/heads/appstream2/x86_64"];
  for (let i = 0; out.length < target; i++) {
    const app = appId(i);
    for (const arch of ["x86_64", "aarch64"]) {
      out.push(`refs/heads/app/${app}/${arch}/stable`, `refs/heads/runtime/${app}.Locale/${arch}/stable`, `refs/heads/runtime/${app}.Debug/${arch}/stable`);
    }
    out.push(`appstream/x86_64/${app}.flatpakref`, `delta-indexes/${(i % 256).toString(16).padStart(2, "0")}/${app}.index`);
    out.push(`objects/${(i % 256).toString(16).padStart(2, "0")}/${"c".repeat(62)}.commit`, `deltas/${(i % 256).toString(16).padStart(2, "0")}/${"d".repeat(41)}/superblock`);
  }
  return out.slice(0, target);
}

/** A fetch that answers like each provider and counts requests (no network). */
function countingFetch() {
  const sent: { url: string; body: string }[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = String(input);
    const body = typeof init?.body === "string" ? init.body : "";
    sent.push({ url, body });
    const answer = url.includes("purge_cache")
      ? { success: true, errors: [], result: { id: `cf-${sent.length}` } }
      : url.includes("/service/")
        ? Object.fromEntries(((JSON.parse(body) as { surrogate_keys?: string[] }).surrogate_keys ?? []).map((k, i) => [k, `p-${i}`]))
        : { status: "ok", id: `u-${sent.length}` };
    return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { fetch, sent };
}

const fastly: FastlyConfig = { apiToken: "bench-token", serviceId: "svc", apiUrl: "https://api.fastly.test", softPurge: true, mode: "keys" };
const cloudflare: CloudflareConfig = { apiToken: "bench-token", zoneId: "zone", apiUrl: "https://api.cloudflare.test", mode: "files" };

/** Runs a purge client against the counting fetch; `lastGroup` requests go out together at the end. */
async function requestsFor(run: (fetch: typeof globalThis.fetch) => Promise<{ ok: boolean; requests: number }>, lastGroup = 1) {
  const { fetch, sent } = countingFetch();
  const report = await run(fetch);
  if (!report.ok || report.requests !== sent.length) throw new Error("purge against the counting fetch failed");
  const summaryLast = sent.slice(-lastGroup).some((s) => s.body.includes("summary.sig") || s.url.endsWith("/summary.sig"));
  return { requests: sent.length, summaryLast };
}

export async function benchPurgePlanning(): Promise<Section> {
  const big = changedPaths(10_000);
  // 296 changed refs + the summary set = 300 keys
  const small = ["summary", ...changedPaths(2_000).filter((p) => p.startsWith("refs/heads/")).slice(0, 296)];
  const planKeys = (changed: readonly string[]) => sendOrder(mutablePaths(changed).paths.map((p) => surrogateKey(REPO, p)), FASTLY_MAX_KEYS);
  const planUrls = (changed: readonly string[]) => sendOrder(publicUrls(PUBLIC_URL, mutablePaths(changed).paths), CLOUDFLARE_MAX_PER_REQUEST);

  const keys300 = mutablePaths(small).paths.map((p) => surrogateKey(REPO, p));
  if (keys300.length !== 300) throw new Error(`expected 300 keys, got ${keys300.length}`);
  const urls250 = publicUrls(PUBLIC_URL, mutablePaths(small).paths.slice(0, 250));
  const kept = mutablePaths(big).paths.length;

  const r = await compare({
    filter10k: { name: "mutablePaths, 10k changed paths", fn: () => mutablePaths(big) },
    keys10k: { name: "plan Fastly keys, 10k changed paths", fn: () => planKeys(big) },
    urls10k: { name: "plan Cloudflare URLs, 10k changed paths", fn: () => planUrls(big) },
    keys300: { name: "plan Fastly keys, 300 paths", fn: () => planKeys(small) },
    urls300: { name: "plan Cloudflare URLs, 300 paths", fn: () => planUrls(small) },
  });

  const fastly300 = await requestsFor((fetch) => fastlyPurgeKeys(fastly, keys300, { fetch }));
  const cf250 = await requestsFor((fetch) => cloudflarePurge(cloudflare, { files: urls250 }, { fetch }));
  const fastlyUrls300 = await requestsFor((fetch) => fastlyPurgeUrls({ ...fastly, mode: "urls" }, publicUrls(PUBLIC_URL, mutablePaths(small).paths), { fetch }), FASTLY_URL_CONCURRENCY);
  const requests = {
    fastly_keys_300: fastly300,
    cloudflare_files_250: cf250,
    fastly_urls_300: fastlyUrls300,
    fastly_keys_10k: planKeys(big).length,
    cloudflare_files_10k: planUrls(big).length,
  };
  const note = (q: { requests: number; summaryLast: boolean }, expect?: number) =>
    `${q.requests} request(s)${expect !== undefined ? (q.requests === expect ? ` (expected ${expect})` : ` (EXPECTED ${expect})`) : ""}${q.summaryLast ? ", summary set last" : ", summary NOT last"}`;

  return {
    id: "purge-planning",
    title: `4. Purge planning (10k changed paths → ${kept} mutable; Fastly ≤${FASTLY_MAX_KEYS} keys, Cloudflare ≤${CLOUDFLARE_MAX_PER_REQUEST} files per request)`,
    rows: [
      ...Object.values(r).map((v) => toRow(v)),
      { name: "Fastly key purge, 300 keys", note: note(fastly300, 2) },
      { name: "Cloudflare file purge, 250 files", note: note(cf250, 3) },
      { name: "Fastly URL purge, 300 paths", note: note(fastlyUrls300) },
      { name: `10k changed (${kept} mutable): Fastly keys / Cloudflare files`, note: `${requests.fastly_keys_10k} / ${requests.cloudflare_files_10k} requests` },
    ],
    ratios: [
      { name: "10k: plan URLs / plan keys time", value: ratio(r.keys10k, r.urls10k), meaning: "URL building (new URL per path) vs plain key strings" },
      { name: "10k / 300 paths plan keys time", value: ratio(r.keys300, r.keys10k), meaning: `≈${(kept / 300).toFixed(0)} if linear in the kept paths; their sort adds a log factor (≈${((kept / 300) * (Math.log(kept) / Math.log(300))).toFixed(0)})` },
    ],
    data: { changed_paths: big.length, mutable_paths: kept, requests, rounds: roundsOf(r) },
  };
}
