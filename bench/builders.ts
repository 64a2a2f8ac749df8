/**
 * Test data for the benchmarks: build events and build records shaped like real ones (an app
 * ref plus its Locale and Debug extensions, 64-hex commits, a full approval history). Seeded, so
 * every run measures the same bytes.
 */
import type { Actor, Build, HistoryEntry } from "../lib/build.js";
import type { BuildEvent } from "../lib/build-event.js";
import type { BuildState } from "../lib/build-state.js";
import { buildKey } from "../lib/ids.js";
import { generateSecret, signedHeaders, type VerifyInput } from "../lib/standard-webhooks.js";
import { seededRandom } from "./harness.js";

const rand = seededRandom(0xf1a7);

export function hex(chars: number, random: () => number = rand): string {
  let s = "";
  for (let i = 0; i < chars; i++) s += Math.floor(random() * 16).toString(16);
  return s;
}

export const REPO = "stable";
export const BRANCH = "stable";
const BASE_MS = Date.parse("2026-11-25T10:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

export function appId(i: number): string {
  return `org.flatgate.bench.App${i}`;
}

/** A successful build-complete event: the app ref plus its Locale and Debug runtimes. */
export function buildEvent(opts: { app?: string; buildNumber?: number; arch?: string } = {}): BuildEvent {
  const app = opts.app ?? "org.gnome.TextEditor";
  const n = opts.buildNumber ?? 184_467;
  const arch = opts.arch ?? "x86_64";
  return {
    repo: REPO,
    app_id: app,
    branch: BRANCH,
    build_id: `gh-${n}-1`,
    status: "success",
    source: { owner: "flathub", name: app, sha: hex(40), ref: "refs/heads/master", triggered_by: "flathubbot" },
    artifact: {
      url: `https://builds.example.org/artifacts/${n}/repo`,
      refs: {
        [`app/${app}/${arch}/${BRANCH}`]: hex(64),
        [`runtime/${app}.Locale/${arch}/${BRANCH}`]: hex(64),
        [`runtime/${app}.Debug/${arch}/${BRANCH}`]: hex(64),
      },
    },
    build_log_url: `https://builds.example.org/logs/${n}`,
  };
}

const worker: Actor = { kind: "build_worker", name: "flathubbot" };
const policy: Actor = { kind: "system", name: "policy" };
const maintainer: Actor = { kind: "github", name: "alice", role: "maintain" };
const coordinator: Actor = { kind: "system", name: "coordinator" };

/** The history of a build that went all the way: received → … → live (7 entries). */
function liveHistory(t0: number): HistoryEntry[] {
  const steps: [BuildState | undefined, BuildState, Actor, string?][] = [
    [undefined, "received", worker],
    ["received", "awaiting_approval", policy],
    ["awaiting_approval", "approved", maintainer, undefined],
    ["approved", "queued", coordinator],
    ["queued", "publishing", coordinator, "publish job stable-publish-1042"],
    ["publishing", "published", coordinator],
    ["published", "live", coordinator, "summary update stable-update-1043"],
  ];
  return steps.map(([from, to, actor, reason], i) => ({
    at: iso(t0 + i * 7_000),
    kind: "transition",
    ...(from ? { from } : {}),
    to,
    actor,
    ...(i === 2 ? { action: "approve" } : {}),
    ...(reason ? { reason } : {}),
  }));
}

/**
 * A stored build record of `event`. `state: "live"` gives the full record a build ends up with
 * (approvals, published refs, check run and Slack ids); other states stop after the approval wait.
 */
export function buildRecord(event: BuildEvent, state: BuildState, t0 = BASE_MS): Build {
  const key = buildKey(event.repo, event.app_id, event.build_id);
  const base: Build = {
    key,
    ...event,
    state,
    approval_mode: "required",
    approvals_required: 1,
    approvals: [],
    received_at: iso(t0),
    updated_at: iso(t0 + 1_000),
    publish_attempts: 0,
    history: liveHistory(t0).slice(0, 2),
    github: { installation_id: 51_234_567, check_run_id: 33_000_000_000 + (t0 % 1_000_000) },
    slack: { channel: "C07FLATGATE", ts: `${Math.floor(t0 / 1000)}.000100` },
  };
  if (state === "awaiting_approval") return { ...base, expires_at: iso(t0 + 168 * 3_600_000) };
  if (state === "superseded") return { ...base, superseded_by: `${REPO}/${event.app_id}/gh-next-1`, history: [...base.history, { at: iso(t0 + 3_600_000), kind: "transition", from: "awaiting_approval", to: "superseded", actor: { kind: "system", name: "supersede" }, reason: "superseded by a newer build" }] };
  if (state !== "live") return base;
  const history = liveHistory(t0);
  return {
    ...base,
    approvals: [{ by: "alice", actor_kind: "github", at: iso(t0 + 14_000) }],
    updated_at: history[history.length - 1]!.at,
    publish_attempts: 1,
    published_refs: { ...event.artifact?.refs },
    live: { summary_sha256: hex(64), at: history[history.length - 1]!.at, seconds_from_approval: 35 },
    history,
  };
}

/**
 * The builds an app's publisher holds after `count` builds of one branch: the newest waits for
 * approval (the one a new build supersedes), older ones went live or were superseded (1 in 4).
 */
export function appHistory(count: number, app = "org.gnome.TextEditor"): Build[] {
  const builds: Build[] = [];
  for (let i = 0; i < count; i++) {
    const event = buildEvent({ app, buildNumber: 100_000 + i });
    const state: BuildState = i === count - 1 ? "awaiting_approval" : i % 4 === 3 ? "superseded" : "live";
    builds.push(buildRecord(event, state, BASE_MS + i * 3_600_000));
  }
  return builds;
}

/**
 * A live build with a long audit trail: `entries` history entries of transient publish failures
 * (publishing → queued with the agent's error), refused clicks and notes.
 */
export function longHistoryBuild(entries: number): Build {
  const build = buildRecord(buildEvent(), "live");
  const head = build.history.slice(0, 4); // received … queued
  const tail = build.history.slice(4); // publishing, published, live
  const middle: HistoryEntry[] = [];
  let t = Date.parse(head[head.length - 1]!.at);
  for (let i = 0; middle.length < entries - head.length - tail.length; i++) {
    t += 30_000;
    const kind = i % 5;
    if (kind === 3) {
      middle.push({ at: iso(t), kind: "refused", action: "approve", from: "queued", actor: { kind: "github", name: `contributor${i}`, role: "read" }, reason: "role read is not in admin, maintain, write" });
    } else if (kind === 4) {
      middle.push({ at: iso(t), kind: "note", action: "approve", from: "queued", actor: { kind: "operator", name: "ops" }, reason: "approval recorded, 1 of 1" });
    } else if (i % 2 === 0) {
      middle.push({ at: iso(t), kind: "transition", from: "queued", to: "publishing", actor: coordinator, reason: `publish job stable-publish-${2000 + i}` });
    } else {
      middle.push({ at: iso(t), kind: "transition", from: "publishing", to: "queued", actor: coordinator, reason: `transient: error: While pulling app/org.gnome.TextEditor/x86_64/stable from remote: Server returned HTTP 503 (attempt ${i})` });
    }
  }
  return { ...build, publish_attempts: Math.ceil(entries / 4), history: [...head, ...middle, ...tail] };
}

export interface SignedEvent {
  /** BUILD_WEBHOOK_SECRETS with one secret */
  one: string[];
  /**
   * During a rotation: "<previous> <current>", the sender already on the current one, so every
   * request first fails against the previous secret (the worst case).
   */
  two: string[];
  input: VerifyInput;
  now: number;
}

/** The bench event, signed for real as a build worker would send it. */
export async function signedEvent(): Promise<SignedEvent> {
  const now = Date.parse("2026-11-25T10:00:00.000Z");
  const current = generateSecret();
  const previous = generateSecret();
  const body = JSON.stringify(buildEvent());
  const h = await signedHeaders(current, body, { id: "msg_2mWyqH7ZtfPmtfKG6aQ9jBZRnhW", now });
  return {
    one: [current],
    two: [previous, current],
    input: { id: h["webhook-id"], timestamp: h["webhook-timestamp"], signature: h["webhook-signature"], body },
    now,
  };
}
