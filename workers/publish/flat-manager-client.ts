/**
 * The one client of flat-manager (STYLE.md §7): auth (the configured token, or a short-lived one
 * minted per call from FLAT_MANAGER_SECRET), timeout, and parsing of every answer with zod.
 *
 * GET with a JSON body: flat-manager's job reads (`GET /api/v1/job/<id>`,
 * `GET /api/v1/build/<id>/publish`) refuse a request without one (a plain-text 400), and
 * workerd's fetch refuses to send one ("Request with a GET or HEAD method cannot have a body").
 * Those two calls go over a `cloudflare:sockets` connection as one HTTP/1.1 request with
 * `connection: close` (lib/flat-manager/http1.ts); every other call uses fetch. The alternative,
 * following `GET /api/v1/build/<id>` (no body), sees the publish end but never the update-repo
 * job id, and so cannot tell when the summary that lists the build is written.
 */
import { connect } from "cloudflare:sockets";
import type { z } from "zod";
import { FmBuild, FmBuildExtended, FmJob } from "../../lib/flat-manager/api.js";
import { parseResponse, serializeRequest, type RawResponse } from "../../lib/flat-manager/http1.js";
import { classifyFailure, type FmFailure } from "../../lib/flat-manager/map-error.js";
import { claimsFor, mintToken, type FmCall } from "../../lib/flat-manager/token.js";

export interface FlatManagerTarget {
  /** the Flatgate repo */
  repo: string;
  /** flat-manager's name for it */
  fmRepo: string;
  baseUrl: string;
  /** where the repo's files (summary, summary.sig) are read, at the origin */
  repoUrl: string;
  credential: { kind: "token"; token: string } | { kind: "secret"; secret: string };
}

export type FmResult<T> = { ok: true; value: T } | { ok: false; error: FmFailure };

export type Exchange = (method: string, url: URL, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<RawResponse>;

const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const TIMEOUT_MS = 15_000;

/** One HTTP/1.1 request over a socket, read to the end (the request says `connection: close`). */
export const socketExchange: Exchange = async (method, url, headers, body, timeoutMs) => {
  const https = url.protocol === "https:";
  const socket = connect({ hostname: url.hostname, port: Number(url.port || (https ? 443 : 80)) }, { secureTransport: https ? "on" : "off", allowHalfOpen: false });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const exchange = (async () => {
      const writer = socket.writable.getWriter();
      await writer.write(serializeRequest({ method, url, headers, body }));
      writer.releaseLock();
      const reader = socket.readable.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > MAX_RESPONSE_BYTES) throw new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`);
        chunks.push(value);
      }
      const all = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      const res = parseResponse(all);
      if (!res) throw new Error("malformed or truncated HTTP answer");
      return res;
    })();
    return await Promise.race([exchange, timeout]);
  } finally {
    clearTimeout(timer);
    socket.close().catch(() => undefined);
  }
};

export const fetchExchange: Exchange = async (method, url, headers, body, timeoutMs) => {
  const res = await fetch(url, { method, headers, ...(method === "GET" || method === "HEAD" ? {} : { body }), signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, headers: new Map([...res.headers]), body: await res.text() };
};

export class FlatManagerClient {
  constructor(
    readonly target: FlatManagerTarget,
    private readonly deps: { fetch?: Exchange; socket?: Exchange; nowS?: () => number } = {},
  ) {}

  getExtended(buildId: number, appId?: string): Promise<FmResult<FmBuildExtended>> {
    return this.call({ kind: "build", buildId, appId }, "GET", `/api/v1/build/${buildId}/extended`, undefined, FmBuildExtended);
  }

  publish(buildId: number, appId?: string): Promise<FmResult<FmJob>> {
    return this.call({ kind: "publish", buildId, appId }, "POST", `/api/v1/build/${buildId}/publish`, "{}", FmJob);
  }

  /** the build's publish job (404 when none exists yet); a GET with a JSON body */
  publishJob(buildId: number, appId?: string): Promise<FmResult<FmJob>> {
    return this.call({ kind: "build", buildId, appId }, "GET", `/api/v1/build/${buildId}/publish`, "{}", FmJob);
  }

  /**
   * Any job, e.g. the update-repo job a publish queued (needs sub "build" and scope jobs); a GET
   * with a JSON body. `logOffset` is a byte offset into the job's log: the answer carries only
   * the rest, so polling a long update-repo log does not fetch it again and again.
   */
  job(jobId: number, logOffset = 0): Promise<FmResult<FmJob>> {
    return this.call({ kind: "jobs" }, "GET", `/api/v1/job/${jobId}`, JSON.stringify({ "log-offset": logOffset }), FmJob);
  }

  /** deletes an unpublished build's build repo (housekeeping) */
  purge(buildId: number, appId?: string): Promise<FmResult<FmBuild>> {
    return this.call({ kind: "build", buildId, appId }, "POST", `/api/v1/build/${buildId}/purge`, "", FmBuild);
  }

  /** a file of the published repo (summary, summary.sig), as bytes */
  async repoFile(path: string): Promise<FmResult<Uint8Array>> {
    const url = `${this.target.repoUrl.replace(/\/+$/, "")}/${path}`;
    try {
      const res = await fetch(url, { headers: { "cache-control": "no-cache" }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!res.ok) return { ok: false, error: { kind: "transient", status: res.status, message: `flat-manager repo answered ${res.status} to GET ${url}` } };
      return { ok: true, value: new Uint8Array(await res.arrayBuffer()) };
    } catch (e) {
      return { ok: false, error: { kind: "transient", message: `flat-manager repo unreachable (GET ${url}): ${e instanceof Error ? e.message : String(e)}` } };
    }
  }

  private async authorization(call: FmCall): Promise<string> {
    const c = this.target.credential;
    if (c.kind === "token") return `Bearer ${c.token}`;
    const now = this.deps.nowS?.() ?? Math.floor(Date.now() / 1000);
    return `Bearer ${await mintToken(c.secret, claimsFor(call, this.target.fmRepo, now))}`;
  }

  private async call<T>(auth: FmCall, method: string, path: string, body: string | undefined, schema: z.ZodType<T>): Promise<FmResult<T>> {
    const what = `${method} ${path}`;
    const url = new URL(`${this.target.baseUrl.replace(/\/+$/, "")}${path}`);
    const headers: Record<string, string> = { authorization: await this.authorization(auth), accept: "application/json" };
    if (body !== undefined && body !== "") headers["content-type"] = "application/json";
    const withBody = method === "GET" && body !== undefined;
    const exchange = withBody ? (this.deps.socket ?? socketExchange) : (this.deps.fetch ?? fetchExchange);
    let res: RawResponse;
    try {
      res = await exchange(method, url, headers, body ?? "", TIMEOUT_MS);
    } catch (e) {
      return { ok: false, error: { kind: "transient", message: `flat-manager unreachable (${what}): ${e instanceof Error ? e.message : String(e)}` } };
    }
    const credential = this.target.credential.kind === "token" ? "FLAT_MANAGER_TOKEN" : "FLAT_MANAGER_SECRET";
    if (res.status < 200 || res.status > 299) return { ok: false, error: classifyFailure(what, res.status, res.body, credential) };
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      return { ok: false, error: { kind: "transient", status: res.status, message: `flat-manager sent invalid JSON to ${what}` } };
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      return { ok: false, error: { kind: "transient", status: res.status, message: `flat-manager's answer to ${what} did not match the expected shape: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` } };
    }
    return { ok: true, value: parsed.data };
  }
}
