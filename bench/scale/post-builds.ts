/** Posts signed build-complete events (Standard Webhooks, a fresh webhook-id each) with bounded concurrency. */
import { signedHeaders } from "../../lib/standard-webhooks.js";

export interface Posted {
  /** index into the bodies */
  i: number;
  started: number;
  ended: number;
  /** Date.now() when the answer came (the coordinator's clock is wall time) */
  endedAt: number;
  status: number;
  /** the error code of a refused request, or a network error */
  error?: string;
}

export async function postOne(url: string, secret: string, body: string, i: number): Promise<Posted> {
  const started = performance.now();
  try {
    const res = await fetch(url, { method: "POST", headers: { ...(await signedHeaders(secret, body)), "content-type": "application/json" }, body, signal: AbortSignal.timeout(120_000) });
    const text = await res.text();
    const ended = performance.now();
    const endedAt = Date.now();
    if (res.status >= 400) {
      let code = `http_${res.status}`;
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? code;
      } catch {
        // not JSON
      }
      return { i, started, ended, endedAt, status: res.status, error: code };
    }
    return { i, started, ended, endedAt, status: res.status };
  } catch (e) {
    return { i, started, ended: performance.now(), endedAt: Date.now(), status: 0, error: e instanceof Error ? e.message : String(e) };
  }
}

/** All bodies, `concurrency` in flight; results in body order. */
export async function postAll(url: string, secret: string, bodies: readonly string[], concurrency: number, stop: () => boolean = () => false): Promise<Posted[]> {
  const out = new Array<Posted>(bodies.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, bodies.length) }, async () => {
      while (next < bodies.length && !stop()) {
        const i = next++;
        out[i] = await postOne(url, secret, bodies[i]!, i);
      }
    }),
  );
  return out.filter(Boolean);
}
