/**
 * The one client of the Flatgate HTTP API (STYLE.md §7): every command goes through `call`,
 * which owns the bearer token, the per-attempt timeout, retries of transient failures (network
 * errors and 5xx, `Retry-After` honoured) within a time budget, the zod parse of the answer, and
 * the mapping of refusals to exit codes. A 4xx is never retried: the server's `error.code` and
 * message become the CLI's error.
 */
import type { z } from "zod";
import { backoffMs } from "../lib/backoff.js";
import { retryAfterMs } from "../lib/http/request.js";
import { ErrorBody } from "./api-schemas.js";
import { CliError, EXIT } from "./exit-codes.js";

export interface ApiClientOptions {
  baseUrl: string;
  token?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** where retry notices go (stderr) */
  notice?: (line: string) => void;
}

export interface CallOptions<T> {
  method?: "GET" | "POST";
  path: string;
  query?: Record<string, string | undefined>;
  body?: string;
  /** computed per attempt (a Standard Webhooks signature carries the attempt's timestamp; an OIDC token is single-use) */
  headers?: () => Promise<Record<string, string>> | Record<string, string>;
  schema: z.ZodType<T>;
  /** retry network errors and 5xx for this long in total (0: one attempt) */
  retryForMs?: number;
  timeoutMs?: number;
}

export interface Answer<T> {
  status: number;
  data: T;
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Transient failures wait 1 s, 2 s, 4 s … up to 20 s between attempts (with jitter). */
const RETRY_POLICY = { baseMs: 1_000, maxMs: 20_000, maxAttempts: 100 };

export class ApiClient {
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly opts: ApiClientOptions) {
    this.fetch = opts.fetch ?? fetch;
    this.sleep = opts.sleep ?? sleepReal;
    this.now = opts.now ?? Date.now;
  }

  url(path: string, query: Record<string, string | undefined> = {}): string {
    // a base URL with a path prefix (behind a proxy) keeps it: join, do not resolve
    const u = new URL(`${this.opts.baseUrl.replace(/\/+$/, "")}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
    return u.toString();
  }

  async call<T>(c: CallOptions<T>): Promise<Answer<T>> {
    const method = c.method ?? "GET";
    const what = `${method} ${c.path}`;
    const deadline = this.now() + (c.retryForMs ?? 0);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.once(c, method, what);
      if (outcome.kind === "answer") return outcome.answer;
      if (outcome.kind === "refused") throw outcome.error;
      const wait = outcome.retryAfterMs ?? backoffMs(attempt, RETRY_POLICY);
      if (this.now() + wait > deadline) {
        const tried = attempt > 1 ? ` (gave up after ${attempt} attempts)` : "";
        throw new CliError(`${outcome.message}${tried}`, EXIT.unavailable);
      }
      this.opts.notice?.(`${outcome.message}; retrying in ${Math.ceil(wait / 1000)} s`);
      await this.sleep(wait);
    }
  }

  private async once<T>(
    c: CallOptions<T>,
    method: string,
    what: string,
  ): Promise<{ kind: "answer"; answer: Answer<T> } | { kind: "refused"; error: CliError } | { kind: "transient"; message: string; retryAfterMs?: number }> {
    const headers: Record<string, string> = { accept: "application/json", ...(await c.headers?.()) };
    if (this.opts.token) headers.authorization ??= `Bearer ${this.opts.token}`;
    if (c.body !== undefined) headers["content-type"] ??= "application/json";
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), c.timeoutMs ?? 30_000);
    let res: Response;
    let text: string;
    try {
      res = await this.fetch(this.url(c.path, c.query), { method, headers, body: c.body, signal: controller.signal });
      text = await res.text();
    } catch (e) {
      const why = controller.signal.aborted ? "timed out" : `unreachable (${causeOf(e)})`;
      return { kind: "transient", message: `${what}: ${this.opts.baseUrl} ${why}` };
    } finally {
      clearTimeout(timer);
    }
    const json = parseJson(text);
    if (!res.ok) {
      const body = ErrorBody.safeParse(json);
      const code = body.success ? body.data.error.code : `http_${res.status}`;
      const message = body.success ? describeError(body.data.error) : text.slice(0, 300) || res.statusText;
      if (res.status >= 500 || res.status === 408 || res.status === 429) {
        const ra = retryAfterMs(res.headers);
        return { kind: "transient", message: `${what} answered ${res.status} ${code}: ${message}`, ...(ra !== undefined ? { retryAfterMs: ra } : {}) };
      }
      return { kind: "refused", error: new CliError(`${what} answered ${res.status} ${code}: ${message}`, EXIT.refused) };
    }
    const parsed = c.schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      return { kind: "refused", error: new CliError(`${what} answered ${res.status} with an unexpected body (${issues}); is ${this.opts.baseUrl} a Flatgate pipeline?`, EXIT.unavailable) };
    }
    return { kind: "answer", answer: { status: res.status, data: parsed.data } };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function causeOf(e: unknown): string {
  // undici wraps the socket error: "fetch failed" says nothing, its cause says ECONNREFUSED
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined;
  return code ?? (cause instanceof Error ? cause.message : String(cause));
}

function describeError(e: ErrorBody["error"]): string {
  const extra: string[] = [];
  if (e.state) extra.push(`state ${e.state}`);
  if (e.needed_role) extra.push(`needs role ${e.needed_role}`);
  if (e.claim) extra.push(`claim ${e.claim}`);
  if (e.request_id) extra.push(`request ${e.request_id}`);
  const issues = (e.issues ?? []).filter((i) => !e.message.includes(i.message)).map((i) => `${i.path}: ${i.message}`);
  return [e.message, ...issues].join("; ") + (extra.length ? ` (${extra.join(", ")})` : "");
}
