/**
 * After a purge, look at what users get: GET `<public_url>/summary` and `/summary.sig` through
 * the CDN, exactly as flatpak does (no cache-busting query or no-cache header: a cache-busted
 * fetch would prove only that the origin is fresh). While the edge is stale, purge the summary
 * set again and re-check, a bounded number of times with capped doubling waits.
 *
 * A fresh summary with an old summary.sig (or the reverse) is what Flathub users saw as
 * "BAD signature" (flatpak/flatpak#1450): reported as `signature_mismatch`.
 */
import { z } from "zod";
import { request } from "../http/request.js";
import type { VerifyConfig } from "./config.js";
import type { VerifyReport } from "./contract.js";
import { publicUrls } from "./mutable-paths.js";
import { signaturePairing, type SignaturePairing } from "./summary-signature.js";

export interface VerifyDeps {
  fetch?: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export interface VerifyEdgeInput {
  publicUrl: string;
  /** repo-relative path -> sha256 hex; "summary" required, "summary.sig" when known */
  expected: Record<string, string>;
  /** when the first purge request went out: ms_until_fresh counts from here */
  startedAt: number;
  /** purges the summary set again (called between stale checks) */
  repurge: () => Promise<void>;
  options: VerifyConfig;
  deps: VerifyDeps;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface EdgeFile {
  status: number;
  bytes?: Uint8Array;
}

/**
 * One GET through the shared request helper (timeout, 5xx retries). The helper decodes bodies
 * as text, which would mangle a binary GVariant, so the fetch it calls keeps the raw bytes and
 * hands the helper a small JSON stand-in instead.
 */
async function getEdgeFile(url: string, deps: VerifyDeps, optional: boolean): Promise<EdgeFile | { error: string }> {
  const sink: { bytes?: Uint8Array } = {};
  const inner = deps.fetch ?? fetch;
  const keepBytes: typeof fetch = async (input, init) => {
    const res = await inner(input, init);
    if (!res.ok) return res;
    sink.bytes = new Uint8Array(await res.arrayBuffer());
    return new Response(JSON.stringify({ size: sink.bytes.length }), { status: res.status, headers: { "content-type": "application/json" } });
  };
  const res = await request({
    service: "CDN edge",
    url,
    method: "GET",
    headers: { accept: "*/*", "user-agent": "flatgate-purge-verify" },
    schema: z.unknown(),
    attempts: 2,
    acceptStatus: optional ? [404] : [],
    fetch: keepBytes,
    sleep: deps.sleep,
  });
  if (!res.ok) return { error: res.error.message };
  return { status: res.value.status, ...(sink.bytes ? { bytes: sink.bytes } : {}) };
}

interface Snapshot {
  summarySha?: string;
  sigSha?: string;
  /** summary.sig answered 404 */
  sigMissing: boolean;
  pairing: SignaturePairing;
  error?: string;
}

async function snapshot(publicUrl: string, deps: VerifyDeps): Promise<Snapshot> {
  const [summaryUrl, sigUrl] = publicUrls(publicUrl, ["summary", "summary.sig"]) as [string, string];
  const [summary, sig] = await Promise.all([getEdgeFile(summaryUrl, deps, false), getEdgeFile(sigUrl, deps, true)]);
  const snap: Snapshot = { sigMissing: false, pairing: "unknown" };
  const errors: string[] = [];
  if ("error" in summary) errors.push(summary.error);
  else if (summary.bytes) snap.summarySha = await sha256Hex(summary.bytes);
  if ("error" in sig) errors.push(sig.error);
  else if (sig.status === 404) snap.sigMissing = true;
  else if (sig.bytes) snap.sigSha = await sha256Hex(sig.bytes);
  if (!("error" in summary) && summary.bytes && !("error" in sig) && sig.bytes) {
    snap.pairing = await signaturePairing(summary.bytes, sig.bytes);
  }
  if (errors.length > 0) snap.error = errors.join("; ");
  return snap;
}

interface Judgement {
  fresh: boolean;
  mismatch: boolean;
  /** nothing left to wait for */
  settled: boolean;
  check: NonNullable<VerifyReport["signature_check"]>;
}

function judge(snap: Snapshot, expected: Record<string, string>): Judgement {
  const fresh = snap.summarySha === expected.summary;
  const expectedSig = expected["summary.sig"];
  const sigFresh = expectedSig !== undefined && snap.sigSha === expectedSig;
  let mismatch: boolean;
  let check: Judgement["check"];
  if (snap.pairing !== "unknown") {
    // the strongest evidence: the signature's own digest prefix against the summary bytes
    check = "openpgp";
    mismatch = snap.pairing === "mismatch";
  } else if (expectedSig !== undefined && snap.summarySha !== undefined && snap.error === undefined) {
    check = "sha256";
    // exactly one of the pair is new (a missing summary.sig counts as old)
    mismatch = fresh !== sigFresh;
  } else {
    check = "none";
    mismatch = false;
  }
  const sigSettled = expectedSig === undefined || sigFresh || snap.pairing === "match";
  return { fresh, mismatch, settled: fresh && !mismatch && sigSettled, check };
}

export async function verifyEdge(input: VerifyEdgeInput): Promise<VerifyReport> {
  const { options, deps } = input;
  let attempts = 0;
  let msUntilFresh: number | undefined;
  let snap: Snapshot = { sigMissing: false, pairing: "unknown" };
  let verdict: Judgement = { fresh: false, mismatch: false, settled: false, check: "none" };
  for (let round = 1; round <= options.rounds; round++) {
    attempts++;
    snap = await snapshot(input.publicUrl, deps);
    verdict = judge(snap, input.expected);
    if (verdict.fresh && msUntilFresh === undefined) msUntilFresh = Math.max(0, Math.round(deps.now() - input.startedAt));
    if (verdict.settled || round === options.rounds) break;
    await input.repurge();
    await deps.sleep(Math.min(options.maxDelayMs, options.delayMs * 2 ** (round - 1)));
  }
  const report: VerifyReport = {
    ok: verdict.fresh && !verdict.mismatch,
    attempts,
    signature_mismatch: verdict.mismatch,
    signature_check: verdict.check,
    ...(msUntilFresh !== undefined ? { ms_until_fresh: msUntilFresh } : {}),
    ...(snap.summarySha !== undefined ? { summary_sha256_edge: snap.summarySha } : {}),
    ...(snap.sigSha !== undefined ? { summary_sig_sha256_edge: snap.sigSha } : {}),
  };
  const problems: string[] = [];
  if (!verdict.fresh) {
    problems.push(
      snap.summarySha === undefined
        ? `could not fetch the summary from the edge after ${attempts} check(s)`
        : `the edge still served an old summary after ${attempts} check(s) (sha256 ${snap.summarySha.slice(0, 12)}…, expected ${String(input.expected.summary).slice(0, 12)}…)`,
    );
  }
  if (verdict.mismatch) {
    problems.push(
      snap.sigMissing
        ? "the edge serves no summary.sig for a signed summary"
        : "the edge serves a summary.sig that does not belong to its summary",
    );
  }
  if (snap.error !== undefined) problems.push(snap.error);
  if (problems.length > 0 && !report.ok) report.error = problems.join("; ");
  return report;
}
