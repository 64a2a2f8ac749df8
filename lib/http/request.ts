/**
 * The single request helper behind every external client (STYLE.md §7): it owns the timeout,
 * retries of 5xx/429 with capped backoff, `Retry-After` and the zod parse of the response.
 * Waits longer than `maxInlineWaitMs` are not slept inside a request: the failure comes back
 * with `retryAfterMs` so a Durable Object alarm can retry later without holding the isolate.
 */
import type { z } from "zod";
import { backoffMs } from "../backoff.js";
import { err, ok, type Result } from "../result.js";

export interface HttpFailure {
  kind: "network" | "timeout" | "http" | "parse";
  status?: number;
  /** how long the server asked us to wait (429/503 `Retry-After`, or a rate-limit reset) */
  retryAfterMs?: number;
  retryable: boolean;
  message: string;
  body?: string;
  attempts: number;
}

export interface HttpSuccess<T> {
  status: number;
  headers: Headers;
  data: T;
  attempts: number;
}

export interface RequestOptions<T> {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** objects are sent as JSON */
  body?: string | object;
  schema: z.ZodType<T>;
  timeoutMs?: number;
  /** total attempts including the first (default 3) */
  attempts?: number;
  baseDelayMs?: number;
  maxInlineWaitMs?: number;
  /** statuses that are answers, not failures (e.g. 404 for "not a collaborator") */
  acceptStatus?: number[];
  /** the service's name in messages: "GitHub", "Slack", … */
  service: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Parses `Retry-After` (seconds or an HTTP date) and GitHub's `x-ratelimit-reset` (epoch s). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ra = headers.get("retry-after");
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.ceil(Number(ra) * 1000);
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers.get("x-ratelimit-reset");
  if (reset && headers.get("x-ratelimit-remaining") === "0" && /^\d+$/.test(reset)) {
    return Math.max(0, Number(reset) * 1000 - now);
  }
  return undefined;
}

export async function request<T>(opts: RequestOptions<T>): Promise<Result<HttpSuccess<T>, HttpFailure>> {
  const attempts = opts.attempts ?? 3;
  const sleep = opts.sleep ?? defaultSleep;
  const doFetch = opts.fetch ?? fetch;
  const maxInline = opts.maxInlineWaitMs ?? 5_000;
  const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
  let body: string | undefined;
  if (typeof opts.body === "string") body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  let last: HttpFailure = { kind: "network", retryable: true, message: "not attempted", attempts: 0 };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const outcome = await once(opts, doFetch, headers, body, attempt);
    if (outcome.ok) return outcome;
    last = outcome.error;
    if (!last.retryable || attempt === attempts) break;
    const wait = last.retryAfterMs ?? backoffMs(attempt, { baseMs: opts.baseDelayMs ?? 250, maxMs: maxInline, maxAttempts: attempts });
    if (wait > maxInline) break; // too long to hold this invocation: let the caller's alarm retry
    await sleep(wait);
  }
  return err(last);
}

async function once<T>(
  opts: RequestOptions<T>,
  doFetch: typeof fetch,
  headers: Record<string, string>,
  body: string | undefined,
  attempt: number,
): Promise<Result<HttpSuccess<T>, HttpFailure>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 10_000);
  let res: Response;
  try {
    res = await doFetch(opts.url, { method: opts.method ?? "GET", headers, body, signal: controller.signal });
  } catch (e) {
    const timeout = controller.signal.aborted;
    return err({
      kind: timeout ? "timeout" : "network",
      retryable: true,
      message: `${opts.service} ${timeout ? "timed out" : "unreachable"}: ${e instanceof Error ? e.message : String(e)}`,
      attempts: attempt,
    });
  } finally {
    clearTimeout(timer);
  }
  const text = await res.text();
  const accepted = res.ok || (opts.acceptStatus ?? []).includes(res.status);
  if (!accepted) {
    const rateLimited = res.status === 429 || (res.status === 403 && retryAfterMs(res.headers) !== undefined);
    return err({
      kind: "http",
      status: res.status,
      retryAfterMs: retryAfterMs(res.headers),
      retryable: rateLimited || res.status >= 500 || res.status === 408,
      message: `${opts.service} answered ${res.status} to ${opts.method ?? "GET"} ${new URL(opts.url).pathname}: ${text.slice(0, 300)}`,
      body: text.slice(0, 2000),
      attempts: attempt,
    });
  }
  let json: unknown = text;
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json") || /^\s*[[{]/.test(text)) {
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      return err({ kind: "parse", status: res.status, retryable: false, message: `${opts.service} sent invalid JSON`, body: text.slice(0, 2000), attempts: attempt });
    }
  }
  const parsed = opts.schema.safeParse(json);
  if (!parsed.success) {
    return err({
      kind: "parse",
      status: res.status,
      retryable: false,
      message: `${opts.service} response did not match the expected shape: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      body: text.slice(0, 2000),
      attempts: attempt,
    });
  }
  return ok({ status: res.status, headers: res.headers, data: parsed.data, attempts: attempt });
}
