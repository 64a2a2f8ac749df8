/** Helpers for the workerd tests: signed build events, operator calls, the local stand-ins. */
import { env, SELF } from "cloudflare:test";
import type { BuildEvent } from "../../lib/build-event.js";
import { signedHeaders } from "../../lib/standard-webhooks.js";
import { TEST_SECRETS } from "./test-env.js";

let counter = 0;
export const hex = (n: number, seed: string) => {
  let out = "";
  let x = [...seed].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7);
  while (out.length < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += (x >>> 8).toString(16).padStart(6, "0");
  }
  return out.slice(0, n);
};

/** A successful build's event: its artifact is always there. */
export type SuccessEvent = BuildEvent & { artifact: NonNullable<BuildEvent["artifact"]> };

export function makeEvent(overrides: Partial<BuildEvent> & { app_id?: string } = {}): SuccessEvent {
  const appId = overrides.app_id ?? "org.example.App";
  const branch = overrides.branch ?? "stable";
  const buildId = overrides.build_id ?? `b${++counter}-${Date.now()}`;
  return {
    repo: "stable",
    app_id: appId,
    branch,
    build_id: buildId,
    status: "success",
    source: { owner: "flathub", name: appId, sha: hex(40, buildId), ref: "refs/heads/master", triggered_by: "builder-bob" },
    artifact: { url: `https://builds.example.org/${buildId}/repo`, refs: { [`app/${appId}/x86_64/${branch}`]: hex(64, buildId) } },
    build_log_url: `https://builds.example.org/${buildId}/log`,
    ...overrides,
  };
}

export async function postBuild(
  event: unknown,
  opts: { secret?: string; id?: string; now?: number; headers?: Record<string, string | null>; raw?: string } = {},
): Promise<Response> {
  const body = opts.raw ?? JSON.stringify(event);
  const signed: Record<string, string> = { ...(await signedHeaders(opts.secret ?? TEST_SECRETS.build, body, { id: opts.id, now: opts.now })) };
  const headers: Record<string, string> = { "content-type": "application/json", ...signed };
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    if (v === null) delete headers[k];
    else headers[k] = v;
  }
  return SELF.fetch("https://flatgate.test/v1/builds", { method: "POST", headers, body });
}

export async function operator(method: string, path: string, body?: unknown, token = TEST_SECRETS.operatorToken): Promise<Response> {
  return SELF.fetch(`https://flatgate.test${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export function publisherStub(repo: string, appId: string) {
  return env.APP_PUBLISHER.get(env.APP_PUBLISHER.idFromName(`${repo}/${appId}`));
}

export function coordinatorStub(repo: string) {
  return env.REPO_COORDINATOR.get(env.REPO_COORDINATOR.idFromName(repo));
}

export async function json<T = any>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Steers a local stand-in (fake repo master or fake SaaS) from inside workerd. */
export async function control(base: string, cmd: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}/__control/${cmd}`, { method: "POST", body: JSON.stringify(body ?? {}) });
  return res.json();
}

export const fakeAgent = () => (env as unknown as { FAKE_AGENT_URL: string }).FAKE_AGENT_URL;
export const saas = () => (env as unknown as { SAAS_URL: string }).SAAS_URL;

/**
 * Runs a Durable Object's alarm until `check` holds. The clock runs for real (intervals in
 * test-env are tens of milliseconds); `runDurableObjectAlarm` only fires an alarm that is set.
 */
export async function driveAlarms<T>(stub: DurableObjectStub, check: () => Promise<T | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const { runDurableObjectAlarm } = await import("cloudflare:test");
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = await check();
    if (value) return value;
    await runDurableObjectAlarm(stub);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
