/**
 * 1b. The intake variants of intake.ts inside workerd, the runtime the webhook worker deploys
 * to (Miniflare runs the same workerd binary). workerd's WebCrypto is BoringSSL called on the
 * isolate's thread, unlike Node's thread-pool jobs, so this is the ratio that decides the
 * WebCrypto-vs-node:crypto question.
 *
 * A Worker's clock does not advance while it computes, so each request runs one variant `n`
 * times and the host times the request; a `noop` request in the same round is subtracted.
 */
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { signedEvent } from "./builders.js";
import { median } from "./harness.js";
import type { Ratio, Row, Section } from "./report.js";

const VARIANTS = {
  web1: "verify WebCrypto, 1 secret",
  web2: "verify WebCrypto, 2 secrets",
  cached1: "verify WebCrypto key cached, 1 secret",
  node1: "verify node:crypto, 1 secret",
  node2: "verify node:crypto, 2 secrets",
  path1: "intake: verify (1 secret) + parse",
  parse: "JSON.parse + BuildEvent.safeParse",
} as const;
type Name = keyof typeof VARIANTS;

/** many short rounds: on a loaded machine one slow round then moves a median less */
const ROUNDS = 21;
/** each request computes for about this long; the request overhead (a noop request) is subtracted */
const REQUEST_MS = 40;

async function bundleWorker(): Promise<string> {
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), "workerd", "verify-worker.ts");
  const out = await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "neutral", external: ["node:*"], mainFields: ["module", "main"], write: false, logLevel: "silent" });
  const file = out.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output");
  return file.text;
}

export async function benchIntakeWorkerd(): Promise<Section> {
  const title = "1b. Intake per event inside workerd (Miniflare; same code and event as 1)";
  let mf: Miniflare | undefined;
  try {
    mf = new Miniflare({ modules: true, script: await bundleWorker(), compatibilityDate: "2025-09-01", compatibilityFlags: ["nodejs_compat"] });
    await mf.ready;
  } catch (e) {
    await mf?.dispose();
    return { id: "intake-workerd", title, rows: [{ name: "skipped", note: `workerd did not start: ${e instanceof Error ? e.message : String(e)}` }], ratios: [] };
  }
  try {
    const worker = mf;
    const run = async (variant: Name | "noop", n: number): Promise<number> => {
      const t0 = performance.now();
      const res = await worker.dispatchFetch(`http://bench/?variant=${variant}&n=${n}`);
      const accepted = await res.text();
      const ms = performance.now() - t0;
      if (accepted !== String(n)) throw new Error(`workerd ${variant}: ${accepted} of ${n} accepted`);
      return ms;
    };
    const setup = await worker.dispatchFetch("http://bench/", { method: "POST", body: JSON.stringify(await signedEvent()) });
    if ((await setup.text()) !== "ready") throw new Error("workerd bench worker did not take the setup");

    // warm-up (JIT, BoringSSL contexts), then size each variant's requests to about REQUEST_MS
    const names = Object.keys(VARIANTS) as Name[];
    const idle = median([await run("noop", 1), await run("noop", 1), await run("noop", 1)]);
    const n: Record<string, number> = {};
    for (const v of names) {
      await run(v, 300);
      await run(v, 300);
      const usPerOp = Math.max(((await run(v, 1000)) - idle) / 1000, 0.0005) * 1000;
      n[v] = Math.max(100, Math.min(50_000, Math.round((REQUEST_MS * 1000) / usPerOp)));
    }
    const requestMs: Record<string, number[]> = Object.fromEntries(names.map((v) => [v, []]));
    const noop: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      noop.push(await run("noop", 1));
      for (let k = 0; k < names.length; k++) {
        const v = names[(r + k) % names.length]!;
        requestMs[v]!.push(await run(v, n[v]!));
      }
    }
    const overhead = median(noop);
    const usPerOp = Object.fromEntries(names.map((v) => [v, requestMs[v]!.map((ms) => (Math.max(ms - overhead, 0.001) * 1000) / n[v]!)]));
    const us = (v: Name) => median(usPerOp[v]!);
    /** median over rounds of time(b) / time(a): how many times faster a is */
    const faster = (a: Name, b: Name) => median(usPerOp[b]!.map((t, i) => t / (usPerOp[a]![i] ?? Number.NaN)));
    const rows: Row[] = names.map((v) => ({ name: VARIANTS[v], opsPerSec: 1e6 / us(v), note: `${us(v).toPrecision(3)} µs/op, median of ${ROUNDS} requests of ${n[v]}` }));
    const ratios: Ratio[] = [
      { name: "node:crypto / WebCrypto verify, 1 secret", value: faster("node1", "web1"), meaning: "times faster node:crypto verifies in workerd" },
      { name: "node:crypto / WebCrypto verify, 2 secrets", value: faster("node2", "web2"), meaning: "same, during a secret rotation" },
      { name: "WebCrypto 1 secret / 2 secrets", value: faster("web1", "web2"), meaning: "time with 2 secrets ÷ time with 1: the cost of a rotation" },
      { name: "WebCrypto key cached / imported per call", value: faster("cached1", "web1"), meaning: "speed-up if the CryptoKey were imported once per isolate" },
      { name: "verify+parse / parse-only events/s", value: faster("path1", "parse"), meaning: "share of the intake time spent in JSON.parse + zod" },
    ];
    return { id: "intake-workerd", title, rows, ratios, data: { us_per_op_rounds: usPerOp, ops_per_request: n, request_overhead_ms: overhead } };
  } finally {
    await mf.dispose();
  }
}
