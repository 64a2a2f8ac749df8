/**
 * `npm run bench:scale` (issue 9 item 7; not part of `npm test`): Flatgate at Flathub's scale on
 * the real local stack. bench/scale/bench-stack.ts starts `wrangler dev` with the real configs and
 * real Durable Object storage in a temp dir, a fast stand-in agent that checks signatures and
 * schemas, and a bare Worker. Then:
 * 1. intake CPU (item 5): interleaved rounds of POST /v1/builds and of the bare Worker, CPU of the
 *    workerd processes only, from /proc;
 * 2. bursts of N builds of distinct apps into one repo, posted while it is paused, then resumed:
 *    intake per tenth, enqueue pace, bytes written, largest rows, drain, jobs and errors;
 * 3. a steady trickle;
 * and beside each profile the same arrival trace under flat-manager's policy
 * (bench/scale/flat-manager-policy.ts) with the job durations the stand-in measured.
 * Prints a table and writes bench/results/scale-<timestamp>.json. Every knob is an env var
 * (BENCH_SCALE_*, see bench/README.md).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { buildEvent } from "./builders.js";
import { median, percentile } from "./harness.js";
import { bytes, environment } from "./report.js";
import { startBenchStack, type BenchStack } from "./scale/bench-stack.js";
import { fitDuration, simulateFlatManager, type PolicyResult } from "./scale/flat-manager-policy.js";
import { postAll, postOne, type Posted } from "./scale/post-builds.js";
import { profileWhile, type IntakeProfile } from "./scale/profile-intake.js";
import { cpuMs, ioBytes } from "./scale/process-cpu.js";
import { coordinatorFile, GrowthMeter, largestRows, largestRowsOf, objectFiles, storageSizes, type ClassFiles, type LargestRow } from "./scale/storage-probe.js";
import type { JobRun } from "../test/fixtures/fake-repo-master.js";

// ---- configuration ---------------------------------------------------------------------------

const linear = z.string().regex(/^\d+(\.\d+)?(\+\d+(\.\d+)?)?$/, "must be <base ms>[+<ms per item>]").transform((s) => {
  const [base, per] = s.split("+").map(Number);
  return { base: base!, per: per ?? 0 };
});
const optionalInt = z.coerce.number().int().nonnegative().optional();

const Config = z.object({
  BENCH_SCALE_SIZES: z.string().default("1000,3249,10000").transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean).map(Number)).pipe(z.array(z.number().int().min(10).max(100_000))),
  /** <builds per second>x<seconds>, or 0 for none */
  BENCH_SCALE_TRICKLE: z.string().regex(/^(0|\d+(\.\d+)?x\d+)$/, "must be <rate>x<seconds> or 0").default("2x120"),
  BENCH_SCALE_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** stand-in job durations: publish <base>+<per build>, update-repo <base>+<per changed ref> (ms) */
  BENCH_SCALE_PUBLISH_MS: linear.prefault("200+20"),
  BENCH_SCALE_UPDATE_MS: linear.prefault("2000+0.1"),
  /** refs per build: the app plus its .Locale and .Debug (Flathub's usual three) */
  BENCH_SCALE_REFS: z.coerce.number().int().min(1).max(3).default(3),
  BENCH_SCALE_CPU_ROUNDS: z.coerce.number().int().min(0).max(100).default(6),
  BENCH_SCALE_CPU_REQUESTS: z.coerce.number().int().min(10).max(10_000).default(150),
  /** repo policy overrides (defaults: debounce 30 s, max wait 120 s, batch 20) */
  BENCH_SCALE_DEBOUNCE_S: optionalInt,
  BENCH_SCALE_MAX_WAIT_S: optionalInt,
  BENCH_SCALE_BATCH: optionalInt,
  BENCH_SCALE_DRAIN_TIMEOUT_S: z.coerce.number().int().positive().default(1800),
  BENCH_SCALE_KEEP: z.enum(["0", "1"]).default("0"),
  /** a CPU profile of the intake: auto = when the CPU ratio is above 3 */
  BENCH_SCALE_PROFILE: z.enum(["0", "1", "auto"]).default("auto"),
});
type Config = z.infer<typeof Config>;

const say = (line: string) => process.stderr.write(`[bench:scale] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

// ---- talking to the stack --------------------------------------------------------------------

interface RepoView {
  paused: boolean;
  queue_count: number;
  waiting_for_summary_count: number;
  running: { kind: string }[];
}
const View = z.looseObject({ paused: z.boolean(), queue_count: z.number(), waiting_for_summary_count: z.number(), running: z.array(z.looseObject({ kind: z.string() })) });
const QueuePage = z.object({ items: z.array(z.looseObject({ build_key: z.string(), enqueued_at: z.string() })), next_cursor: z.string().nullable() });
const UpdatesPage = z.object({ items: z.array(z.looseObject({ ok: z.boolean(), live: z.number(), superseded: z.number(), builds: z.number() })), next_cursor: z.string().nullable() });
const BuildView = z.object({ build: z.looseObject({ state: z.string(), history: z.array(z.looseObject({ kind: z.string() })) }) });

class Api {
  constructor(private readonly stack: BenchStack) {}

  async call<T>(method: string, route: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    const res = await fetch(`${this.stack.pipelineUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${this.stack.secrets.operatorToken}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text.slice(0, 300)}`);
    return schema.parse(JSON.parse(text));
  }

  view = (repo: string): Promise<RepoView> => this.call("GET", `/v1/repos/${repo}`, View);
  pause = (repo: string) => this.call("POST", `/v1/repos/${repo}/pause`, View, { reason: "bench:scale burst" });
  resume = (repo: string) => this.call("POST", `/v1/repos/${repo}/resume`, View);

  async queue(repo: string): Promise<{ build_key: string; enqueued_at: string }[]> {
    const out: { build_key: string; enqueued_at: string }[] = [];
    for (let cursor: string | null = "0"; cursor !== null; ) {
      const page: z.infer<typeof QueuePage> = await this.call("GET", `/v1/repos/${repo}/queue?limit=200&cursor=${cursor}`, QueuePage);
      out.push(...page.items);
      cursor = page.next_cursor;
    }
    return out;
  }

  async updates(repo: string): Promise<z.infer<typeof UpdatesPage>["items"]> {
    const out: z.infer<typeof UpdatesPage>["items"] = [];
    for (let cursor: string | null = ""; cursor !== null; ) {
      const page: z.infer<typeof UpdatesPage> = await this.call("GET", `/v1/repos/${repo}/updates?limit=200${cursor ? `&cursor=${cursor}` : ""}`, UpdatesPage);
      out.push(...page.items);
      cursor = page.next_cursor;
    }
    return out;
  }

  build = (repo: string, app: string, buildId: string) => this.call("GET", `/v1/repos/${repo}/apps/${app}/builds/${buildId}`, BuildView);
}

// ---- builds ----------------------------------------------------------------------------------

const appOf = (i: number) => `org.flatgate.scale.App${i}`;
const buildIdOf = (i: number) => `gh-${i}-1`;
const appRef = (i: number) => `app/${appOf(i)}/x86_64/stable`;

function bodies(repo: string, n: number, refs: number, offset = 0): string[] {
  return Array.from({ length: n }, (_, k) => {
    const i = offset + k;
    const e = buildEvent({ app: appOf(i), buildNumber: i });
    const kept = Object.fromEntries(Object.entries(e.artifact?.refs ?? {}).slice(0, refs));
    return JSON.stringify({ ...e, repo, build_id: buildIdOf(i), artifact: { ...e.artifact, refs: kept } });
  });
}

const indexOfKey = (key: string) => Number(/App(\d+)\//.exec(key)?.[1] ?? Number.NaN);

// ---- measurements ----------------------------------------------------------------------------

/** Waits until a process group is quiet again (two 250 ms windows at idle), at most `maxMs`. */
async function settle(pids: () => number[], idleMsPerS: number, maxMs = 20_000): Promise<void> {
  let quiet = 0;
  let last = cpuMs(pids());
  const deadline = performance.now() + maxMs;
  while (quiet < 2 && performance.now() < deadline) {
    await sleep(250);
    const now = cpuMs(pids());
    quiet = now - last <= idleMsPerS / 4 + 5 ? quiet + 1 : 0;
    last = now;
  }
}

async function idleRate(pids: () => number[], ms = 2_000): Promise<number> {
  const c0 = cpuMs(pids());
  await sleep(ms);
  return ((cpuMs(pids()) - c0) / ms) * 1000;
}

interface CpuRound {
  bare_cpu_ms_per_req: number;
  intake_cpu_ms_per_req: number;
  bare_req_per_s: number;
  intake_req_per_s: number;
  ratio: number;
  intake_errors: number;
}

async function intakeCpu(stack: BenchStack, api: Api, cfg: Config): Promise<{ rounds: CpuRound[]; idle_ms_per_s: { pipeline: number; bare: number } } | undefined> {
  if (cfg.BENCH_SCALE_CPU_ROUNDS === 0) return undefined;
  const repo = "cpu";
  await api.pause(repo);
  const k = cfg.BENCH_SCALE_CPU_REQUESTS;
  const all = bodies(repo, k * (cfg.BENCH_SCALE_CPU_ROUNDS + 1), cfg.BENCH_SCALE_REFS);
  // warm-up of both (isolates, first DO of each class), not counted
  await postAll(`${stack.pipelineUrl}/v1/builds`, stack.secrets.build, all.slice(0, k), cfg.BENCH_SCALE_CONCURRENCY);
  await postAll(stack.bareUrl, stack.secrets.build, all.slice(0, k), cfg.BENCH_SCALE_CONCURRENCY);
  await settle(stack.pipelinePids, 50);
  const idle = { pipeline: await idleRate(stack.pipelinePids), bare: await idleRate(stack.barePids) };
  say(`intake CPU: idle pipeline ${idle.pipeline.toFixed(1)} ms/s, bare ${idle.bare.toFixed(1)} ms/s`);
  const measure = async (target: "bare" | "intake", batch: string[]) => {
    const pids = target === "bare" ? stack.barePids : stack.pipelinePids;
    const ids = pids();
    const t0 = performance.now();
    const c0 = cpuMs(ids);
    const posted = await postAll(target === "bare" ? stack.bareUrl : `${stack.pipelineUrl}/v1/builds`, stack.secrets.build, batch, cfg.BENCH_SCALE_CONCURRENCY);
    const sent = performance.now();
    // the intake's follow-up (the AppPublisher's alarm enqueues into the coordinator) is its cost too
    await settle(pids, target === "bare" ? idle.bare : idle.pipeline);
    const window = performance.now() - t0;
    const used = cpuMs(ids) - c0 - ((target === "bare" ? idle.bare : idle.pipeline) * window) / 1000;
    return { cpuPerReq: used / batch.length, rps: (batch.length / (sent - t0)) * 1000, errors: posted.filter((p) => p.status !== 202).length };
  };
  const rounds: CpuRound[] = [];
  for (let r = 0; r < cfg.BENCH_SCALE_CPU_ROUNDS; r++) {
    const batch = all.slice(k * (r + 1), k * (r + 2));
    const order: ("bare" | "intake")[] = r % 2 === 0 ? ["bare", "intake"] : ["intake", "bare"];
    const got: Record<string, Awaited<ReturnType<typeof measure>>> = {};
    for (const t of order) got[t] = await measure(t, batch);
    const b = got.bare!;
    const i = got.intake!;
    rounds.push({ bare_cpu_ms_per_req: b.cpuPerReq, intake_cpu_ms_per_req: i.cpuPerReq, bare_req_per_s: b.rps, intake_req_per_s: i.rps, ratio: i.cpuPerReq / b.cpuPerReq, intake_errors: i.errors });
    say(`intake CPU round ${r + 1}: intake ${i.cpuPerReq.toFixed(2)} ms/req (${i.rps.toFixed(0)} req/s), bare ${b.cpuPerReq.toFixed(2)} ms/req (${b.rps.toFixed(0)} req/s)`);
  }
  return { rounds, idle_ms_per_s: idle };
}

/** A CPU profile of the pipeline's isolate over one batch of intakes (after the CPU rounds). */
async function intakeProfile(stack: BenchStack, cfg: Config, cpu: Cpu): Promise<IntakeProfile | undefined> {
  const ratio = cpu ? median(cpu.rounds.map((r) => r.ratio)) : Number.NaN;
  if (cfg.BENCH_SCALE_PROFILE === "0" || (cfg.BENCH_SCALE_PROFILE === "auto" && !(ratio > 3))) return undefined;
  const k = cfg.BENCH_SCALE_CPU_REQUESTS;
  const batch = bodies("cpu", k, cfg.BENCH_SCALE_REFS, k * (cfg.BENCH_SCALE_CPU_ROUNDS + 1));
  say(`profiling ${k} intakes (CPU ratio ${ratio.toFixed(2)})`);
  try {
    return await profileWhile(stack.inspectorPort, async () => {
      await postAll(`${stack.pipelineUrl}/v1/builds`, stack.secrets.build, batch, cfg.BENCH_SCALE_CONCURRENCY);
      // the follow-up alarms; not settle(): the sampling profiler keeps workerd busy
      await sleep(3_000);
    });
  } catch (e) {
    say(`profile failed: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

interface Tenth {
  tenth: number;
  req_per_s: number;
  p50_ms: number;
  p99_ms: number;
  /** workerd CPU per request while this tenth's requests completed (follow-up alarms included) */
  cpu_ms_per_req: number;
  /** the coordinator's pace: span of this tenth's enqueued_at over its builds */
  enqueue_ms_per_build: number;
  /** intake answered → queued in the coordinator, p50 */
  enqueue_lag_p50_ms: number;
}

interface StorageDelta {
  /** net change of files and sizes, and the sampled growth of .sqlite + -wal, per Durable Object class */
  by_class: { name: string; files: number; sqlite_bytes: number; wal_bytes: number; growth_bytes: number }[];
  /** Σ growth of every .sqlite and -wal file, sampled (a rewound WAL is undercounted) */
  file_growth_bytes: number;
  /** /proc write_bytes of the workerd processes (NaN when wrangler restarted workerd meanwhile: its counters began again) */
  proc_write_bytes: number;
}

/** write_bytes of the workerd processes, with the pids it read them from */
function procWrites(stack: BenchStack): { pids: string; bytes: number } {
  const pids = stack.pipelinePids();
  return { pids: pids.join(","), bytes: ioBytes(pids).write_bytes };
}

function storageDelta(before: ClassFiles[], after: ClassFiles[], meter: GrowthMeter, w0: { pids: string; bytes: number }, w1: { pids: string; bytes: number }): StorageDelta {
  const io0 = w0.bytes;
  const io1 = w0.pids === w1.pids ? w1.bytes : Number.NaN;
  const growth = meter.grown;
  return {
    by_class: after.map((a) => {
      const b = before.find((x) => x.name === a.name);
      return { name: a.name, files: a.files - (b?.files ?? 0), sqlite_bytes: a.sqlite_bytes - (b?.sqlite_bytes ?? 0), wal_bytes: a.wal_bytes - (b?.wal_bytes ?? 0), growth_bytes: meter.byClass[a.name] ?? 0 };
    }),
    file_growth_bytes: growth,
    proc_write_bytes: io1 - io0,
  };
}

interface DrainResult {
  drained: boolean;
  /** resume → the last build's ref listed in a signed summary (stand-in's clock) */
  seconds: number;
  /** resume → the repo view shows no queue, nothing waiting, no job */
  idle_seconds: number;
  timeline: { t_s: number; queue: number; waiting: number; running: string }[];
}

async function waitDrained(stack: BenchStack, api: Api, repo: string, indices: number[], since: number, timeoutS: number, meter: GrowthMeter): Promise<DrainResult> {
  const timeline: DrainResult["timeline"] = [];
  const { listedAt } = stack.agent.record();
  const deadline = since + timeoutS * 1000;
  let lastLog = 0;
  for (;;) {
    meter.sample();
    const v = await api.view(repo);
    const t = (Date.now() - since) / 1000;
    if (timeline.length === 0 || t - timeline[timeline.length - 1]!.t_s >= 5) timeline.push({ t_s: round(t)!, queue: v.queue_count, waiting: v.waiting_for_summary_count, running: v.running.map((r) => r.kind).join("+") });
    const listed = indices.filter((i) => listedAt.has(`${repo} ${appRef(i)}`)).length;
    if (Date.now() - lastLog > 15_000) {
      say(`${repo}: ${t.toFixed(0)} s: queue ${v.queue_count}, waiting ${v.waiting_for_summary_count}, running ${v.running.map((r) => r.kind).join("+") || "-"}, listed ${listed}/${indices.length}`);
      lastLog = Date.now();
    }
    const idle = v.queue_count === 0 && v.waiting_for_summary_count === 0 && v.running.length === 0;
    if (idle && listed === indices.length) {
      const last = Math.max(...indices.map((i) => listedAt.get(`${repo} ${appRef(i)}`)!));
      return { drained: true, seconds: (last - since) / 1000, idle_seconds: t, timeline };
    }
    if (idle && listed < indices.length && t > 30 && v.queue_count === 0) {
      // idle with builds not listed: they failed or were dropped; keep going until the timeout only if something runs
    }
    if (Date.now() > deadline) return { drained: false, seconds: Number.NaN, idle_seconds: Number.NaN, timeline };
    await sleep(1_000);
  }
}

interface JobsSummary {
  publish_jobs: number;
  update_runs: number;
  callback_failures: number;
  /** the first failed callbacks: job, and the HTTP status or error */
  callback_errors: { job_id: string; kind: string; callback: number | string }[];
  publish_ms_p50: number;
  update_ms_p50: number;
  runs: JobRun[];
}

function jobsOf(stack: BenchStack, repo: string): JobsSummary {
  const runs = stack.agent.record().runs.filter((r) => r.repo === repo);
  const took = (kind: JobRun["kind"]) => runs.filter((r) => r.kind === kind && r.finished_at !== undefined).map((r) => r.finished_at! - r.started_at);
  return {
    publish_jobs: runs.filter((r) => r.kind === "publish").length,
    update_runs: runs.filter((r) => r.kind === "update-repo").length,
    callback_failures: runs.filter((r) => r.callback !== undefined && r.callback !== 200).length,
    callback_errors: runs.filter((r) => r.callback !== undefined && r.callback !== 200).slice(0, 5).map((r) => ({ job_id: r.job_id, kind: r.kind, callback: r.callback! })),
    publish_ms_p50: median(took("publish")),
    update_ms_p50: median(took("update-repo")),
    runs,
  };
}

interface Comparison {
  flatgate: { repo_master_jobs: number; p50_s: number; max_s: number };
  flat_manager: Omit<PolicyResult, "latencies_ms"> & { repo_master_jobs: number; p50_s: number; max_s: number };
  durations_fitted: { publish: { base_ms: number; per_item_ms: number }; update: { base_ms: number; per_item_ms: number } };
  /** flat-manager jobs ÷ Flatgate jobs (target ≥ 5) */
  jobs_ratio: number;
  /** Flatgate ÷ flat-manager (target p50 ≤ 0.5) */
  p50_ratio: number;
  max_ratio: number;
}

/** Flatgate as measured against flat-manager's policy on the same releases, with the measured durations. */
function compare(jobs: JobsSummary, releases: number[], liveAt: number[], refsPerBuild: number): Comparison {
  const finished = jobs.runs.filter((r) => r.finished_at !== undefined);
  const publish = fitDuration(finished.filter((r) => r.kind === "publish").map((r) => ({ size: r.size, ms: r.finished_at! - r.started_at })));
  const update = fitDuration(finished.filter((r) => r.kind === "update-repo").map((r) => ({ size: r.size, ms: r.finished_at! - r.started_at })));
  const t0 = Math.min(...releases);
  const fm = simulateFlatManager(releases.map((r) => r - t0), refsPerBuild, { publishMs: publish.fn, updateMs: update.fn });
  const fg = liveAt.map((t, i) => (t - releases[i]!) / 1000).filter(Number.isFinite);
  const fmS = fm.latencies_ms.map((x) => x / 1000);
  const flatgate = { repo_master_jobs: jobs.publish_jobs + jobs.update_runs, p50_s: percentile(fg, 50), max_s: Math.max(...fg) };
  const { latencies_ms: _l, ...fmRest } = fm;
  const flat_manager = { ...fmRest, repo_master_jobs: fm.publish_jobs + fm.update_runs, p50_s: percentile(fmS, 50), max_s: Math.max(...fmS) };
  return {
    flatgate,
    flat_manager,
    durations_fitted: { publish: { base_ms: publish.base_ms, per_item_ms: publish.per_item_ms }, update: { base_ms: update.base_ms, per_item_ms: update.per_item_ms } },
    jobs_ratio: flat_manager.repo_master_jobs / flatgate.repo_master_jobs,
    p50_ratio: flatgate.p50_s / flat_manager.p50_s,
    max_ratio: flatgate.max_s / flat_manager.max_s,
  };
}

async function checkBuilds(api: Api, repo: string, indices: number[]): Promise<{ sampled: number; live: number; states: Record<string, number>; transitions_per_build: number }> {
  const step = Math.max(1, Math.floor(indices.length / 20));
  const sample = indices.filter((_, k) => k % step === 0).slice(0, 20);
  const states: Record<string, number> = {};
  const transitions: number[] = [];
  for (const i of sample) {
    const { build } = await api.build(repo, appOf(i), buildIdOf(i));
    states[build.state] = (states[build.state] ?? 0) + 1;
    transitions.push(build.history.filter((h) => h.kind === "transition").length);
  }
  return { sampled: sample.length, live: states.live ?? 0, states, transitions_per_build: median(transitions) };
}

function errorsSince(stack: BenchStack, mark: { log: number; refused: Record<number, number> }) {
  const refused = stack.agent.record().refused;
  const agentRefused = Object.fromEntries(Object.entries(refused).map(([s, n]) => [s, n - (mark.refused[Number(s)] ?? 0)]).filter(([, n]) => Number(n) > 0));
  const lines = stack.errorLines.slice(mark.log);
  return { agent_refused: agentRefused, error_log_lines: lines.length, first_error_lines: lines.slice(0, 5).map((l) => l.slice(0, 400)) };
}
const errorMark = (stack: BenchStack) => ({ log: stack.errorLines.length, refused: { ...stack.agent.record().refused } });

// ---- profiles --------------------------------------------------------------------------------

async function burst(stack: BenchStack, api: Api, cfg: Config, n: number) {
  const repo = `burst-${n}`;
  say(`${repo}: pausing, then posting ${n} builds (concurrency ${cfg.BENCH_SCALE_CONCURRENCY})`);
  const mark = errorMark(stack);
  await api.pause(repo);
  const all = bodies(repo, n, cfg.BENCH_SCALE_REFS);
  const pids = stack.pipelinePids();
  const meter = new GrowthMeter(stack.persistTo);
  const sizes0 = storageSizes(stack.persistTo);
  const io0 = procWrites(stack);
  const sampler = setInterval(() => meter.sample(), 1_000);

  // post, reading CPU whenever another tenth of the requests has completed
  const tenthSize = Math.ceil(n / 10);
  const cpuAt: { done: number; cpu: number; t: number }[] = [{ done: 0, cpu: cpuMs(pids), t: performance.now() }];
  let done = 0;
  const url = `${stack.pipelineUrl}/v1/builds`;
  const posted: Posted[] = new Array(n);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: cfg.BENCH_SCALE_CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        posted[i] = await postOne(url, stack.secrets.build, all[i]!, i);
        done++;
        if (done % tenthSize === 0 || done === n) cpuAt.push({ done, cpu: cpuMs(pids), t: performance.now() });
      }
    }),
  );
  const intakeS = (performance.now() - t0) / 1000;
  say(`${repo}: ${n} posted in ${intakeS.toFixed(1)} s (${(n / intakeS).toFixed(0)} req/s); waiting for the coordinator's queue`);
  const intakeErrors: Record<string, number> = {};
  for (const p of posted) if (p.status !== 202) intakeErrors[p.error ?? String(p.status)] = (intakeErrors[p.error ?? String(p.status)] ?? 0) + 1;
  const accepted = posted.filter((p) => p.status === 202).length;
  const enqueueDeadline = Date.now() + 600_000;
  let queued = 0;
  while ((queued = (await api.view(repo)).queue_count) < accepted && Date.now() < enqueueDeadline) await sleep(500);
  const cpuIntake = cpuMs(pids) - cpuAt[0]!.cpu;
  await settle(stack.pipelinePids, 50);
  meter.sample();
  const sizes1 = storageSizes(stack.persistTo);
  const io1 = procWrites(stack);
  const intakeStorage = storageDelta(sizes0, sizes1, meter, io0, io1);
  const queueRows = await api.queue(repo);
  const coordFile = coordinatorFile(stack.persistTo, repo);
  const rowsQueued = coordFile ? largestRows(coordFile) : [];

  // tenths of the burst, in posting order
  const enqueuedAt = new Map(queueRows.map((q) => [indexOfKey(q.build_key), Date.parse(q.enqueued_at)]));
  const tenths: Tenth[] = [];
  for (let k = 0; k < 10; k++) {
    const part = posted.slice(k * tenthSize, (k + 1) * tenthSize).filter(Boolean);
    if (part.length === 0) continue;
    const lat = part.map((p) => p.ended - p.started);
    const span = Math.max(...part.map((p) => p.ended)) - Math.min(...part.map((p) => p.started));
    const enq = part.map((p) => enqueuedAt.get(p.i)).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
    const lag = part.map((p) => (enqueuedAt.get(p.i) ?? Number.NaN) - p.endedAt).filter(Number.isFinite);
    const c0 = cpuAt.find((c) => c.done >= k * tenthSize);
    const c1 = cpuAt.find((c) => c.done >= Math.min(n, (k + 1) * tenthSize));
    tenths.push({
      tenth: k + 1,
      req_per_s: (part.length / span) * 1000,
      p50_ms: percentile(lat, 50),
      p99_ms: percentile(lat, 99),
      cpu_ms_per_req: c0 && c1 ? (c1.cpu - c0.cpu) / Math.max(1, c1.done - c0.done) : Number.NaN,
      enqueue_ms_per_build: enq.length > 1 ? (enq[enq.length - 1]! - enq[0]!) / (enq.length - 1) : Number.NaN,
      enqueue_lag_p50_ms: lag.length ? percentile(lag, 50) : Number.NaN,
    });
  }

  // resume and drain
  const meter2 = new GrowthMeter(stack.persistTo);
  const io2 = procWrites(stack);
  clearInterval(sampler);
  const sampler2 = setInterval(() => meter2.sample(), 2_000);
  const resumedAt = Date.now();
  await api.resume(repo);
  say(`${repo}: resumed; draining`);
  const indices = Array.from({ length: n }, (_, i) => i).filter((i) => posted[i]?.status === 202);
  let drain: DrainResult;
  try {
    drain = await waitDrained(stack, api, repo, indices, resumedAt, cfg.BENCH_SCALE_DRAIN_TIMEOUT_S, meter2);
  } finally {
    clearInterval(sampler2);
  }
  await settle(stack.pipelinePids, 50);
  meter2.sample();
  const sizes2 = storageSizes(stack.persistTo);
  const drainStorage = storageDelta(sizes1, sizes2, meter2, io2, procWrites(stack));
  const rowsDrained = coordFile ? largestRows(coordFile) : [];
  const updates = await api.updates(repo);
  const builds = await checkBuilds(api, repo, indices);
  const jobs = jobsOf(stack, repo);
  const { listedAt } = stack.agent.record();
  const cmp = compare(jobs, indices.map(() => resumedAt), indices.map((i) => listedAt.get(`${repo} ${appRef(i)}`) ?? Number.NaN), cfg.BENCH_SCALE_REFS);
  const errors = { intake: intakeErrors, ...errorsSince(stack, mark), callback_failures: jobs.callback_failures, failed_updates: updates.filter((u) => !u.ok).length };
  const totalBytes = intakeStorage.proc_write_bytes + drainStorage.proc_write_bytes;
  const fileBytes = intakeStorage.file_growth_bytes + drainStorage.file_growth_bytes;
  const { runs: _r, ...jobCounts } = jobs;
  say(`${repo}: drained=${drain.drained} in ${round(drain.seconds)} s; ${jobs.publish_jobs} publish jobs, ${jobs.update_runs} update-repo`);
  return {
    profile: `burst ${n}`,
    repo,
    n,
    accepted,
    intake: { seconds: intakeS, req_per_s: n / intakeS, cpu_ms_per_req: cpuIntake / n, queued_after_intake: queued, tenths },
    enqueue_ratio_last_first: tenths.length >= 2 ? tenths[tenths.length - 1]!.enqueue_ms_per_build / tenths[0]!.enqueue_ms_per_build : Number.NaN,
    intake_p50_ratio_last_first: tenths.length >= 2 ? tenths[tenths.length - 1]!.p50_ms / tenths[0]!.p50_ms : Number.NaN,
    storage: {
      intake: intakeStorage,
      drain: drainStorage,
      proc_write_bytes_per_build: totalBytes / n,
      file_growth_bytes_per_build: fileBytes / n,
      transitions_per_build: builds.transitions_per_build,
      proc_write_bytes_per_build_per_change: totalBytes / n / Math.max(1, builds.transitions_per_build),
      file_growth_bytes_per_build_per_change: fileBytes / n / Math.max(1, builds.transitions_per_build),
    },
    largest_rows: {
      coordinator_queued: rowsQueued,
      coordinator_drained: rowsDrained,
      app_publisher: largestRowsOf(objectFiles(stack.persistTo, "AppPublisher")),
      replay_ledger: largestRowsOf(objectFiles(stack.persistTo, "ReplayLedger")),
    },
    drain: { ...drain, live: updates.reduce((s, u) => s + u.live, 0), superseded: updates.reduce((s, u) => s + u.superseded, 0), sample: builds },
    jobs: jobCounts,
    errors,
    comparison: cmp,
  };
}

async function trickle(stack: BenchStack, api: Api, cfg: Config) {
  const [rate, seconds] = cfg.BENCH_SCALE_TRICKLE.split("x").map(Number) as [number, number];
  const repo = "trickle";
  const n = Math.round(rate * seconds);
  say(`${repo}: ${rate} builds/s for ${seconds} s (${n} builds)`);
  const mark = errorMark(stack);
  const all = bodies(repo, n, cfg.BENCH_SCALE_REFS);
  const url = `${stack.pipelineUrl}/v1/builds`;
  const t0 = performance.now();
  const pending: Promise<Posted>[] = [];
  for (let i = 0; i < n; i++) {
    const at = t0 + (i * 1000) / rate;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(postOne(url, stack.secrets.build, all[i]!, i));
  }
  const posted = await Promise.all(pending);
  const indices = posted.filter((p) => p.status === 202).map((p) => p.i);
  const drain = await waitDrained(stack, api, repo, indices, posted[posted.length - 1]!.endedAt, cfg.BENCH_SCALE_DRAIN_TIMEOUT_S, new GrowthMeter(stack.persistTo));
  const jobs = jobsOf(stack, repo);
  const { listedAt } = stack.agent.record();
  const releases = indices.map((i) => posted[i]!.endedAt);
  const cmp = compare(jobs, releases, indices.map((i) => listedAt.get(`${repo} ${appRef(i)}`) ?? Number.NaN), cfg.BENCH_SCALE_REFS);
  const lat = posted.map((p) => p.ended - p.started);
  const { runs: _r, ...jobCounts } = jobs;
  return {
    profile: `trickle ${rate}/s × ${seconds} s`,
    repo,
    n,
    accepted: indices.length,
    intake: { p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99) },
    drain: { drained: drain.drained, after_last_post_s: drain.seconds, timeline: drain.timeline },
    jobs: jobCounts,
    errors: { intake: posted.filter((p) => p.status !== 202).length, ...errorsSince(stack, mark), callback_failures: jobs.callback_failures },
    comparison: cmp,
  };
}

// ---- report ----------------------------------------------------------------------------------

function table(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "-" : typeof c === "number" ? (Number.isFinite(c) ? String(round(c, Math.abs(c) < 10 ? 2 : 1)) : "-") : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")).join("\n");
}

type Burst = Awaited<ReturnType<typeof burst>>;
type Trickle = Awaited<ReturnType<typeof trickle>>;
type Cpu = Awaited<ReturnType<typeof intakeCpu>>;

interface Target {
  target: string;
  measured: string;
  pass: boolean | "not run";
}

function targets(cfg: Config, cpu: Cpu, bursts: Burst[], tr: Trickle | undefined): Target[] {
  const out: Target[] = [];
  const b10k = bursts.find((b) => b.n === 10_000);
  const zeroErrors = (b: Burst) => b.drain.drained && b.accepted === b.n && b.drain.live === b.n && Object.keys(b.errors.intake).length === 0 && Object.keys(b.errors.agent_refused).length === 0 && b.errors.error_log_lines === 0 && b.errors.callback_failures === 0 && b.errors.failed_updates === 0;
  out.push(b10k
    ? { target: "10,000-build burst drains with zero errors", measured: `drained ${b10k.drain.drained}, live ${b10k.drain.live}/${b10k.n}, errors ${JSON.stringify({ intake: b10k.errors.intake, agent: b10k.errors.agent_refused, log: b10k.errors.error_log_lines, callbacks: b10k.errors.callback_failures })}`, pass: zeroErrors(b10k) }
    : { target: "10,000-build burst drains with zero errors", measured: "not in BENCH_SCALE_SIZES", pass: "not run" });
  for (const b of bursts) {
    out.push({ target: `burst ${b.n}: time per enqueue, last tenth ≤ 1.5× first`, measured: `${b.enqueue_ratio_last_first.toFixed(2)}× (enqueue ${b.intake.tenths[0]?.enqueue_ms_per_build.toFixed(1)} → ${b.intake.tenths.at(-1)?.enqueue_ms_per_build.toFixed(1)} ms/build; intake p50 ${b.intake_p50_ratio_last_first.toFixed(2)}×)`, pass: b.enqueue_ratio_last_first <= 1.5 });
    out.push({ target: `burst ${b.n}: storage ≤ 8 KiB per build per state change`, measured: `${bytes(b.storage.proc_write_bytes_per_build_per_change)} (/proc write_bytes; file growth ${bytes(b.storage.file_growth_bytes_per_build_per_change)}) over ${b.storage.transitions_per_build} changes`, pass: Math.max(b.storage.proc_write_bytes_per_build_per_change, b.storage.file_growth_bytes_per_build_per_change) <= 8192 });
  }
  const b3249 = bursts.find((b) => b.n === 3249);
  const defaults = cfg.BENCH_SCALE_DEBOUNCE_S === undefined && cfg.BENCH_SCALE_MAX_WAIT_S === undefined;
  out.push(b3249
    ? { target: `update-repo runs for the 3,249 burst ≤ 10${defaults ? "" : " (NOT the default debounce/max wait)"}`, measured: String(b3249.jobs.update_runs), pass: b3249.jobs.update_runs <= 10 }
    : { target: "update-repo runs for the 3,249 burst ≤ 10", measured: "not in BENCH_SCALE_SIZES", pass: "not run" });
  for (const p of [...bursts, ...(tr ? [tr] : [])]) {
    out.push({ target: `${p.profile}: vs flat-manager ≥ 5× fewer repo-master jobs`, measured: `${p.comparison.jobs_ratio.toFixed(2)}× (${p.comparison.flat_manager.repo_master_jobs} vs ${p.comparison.flatgate.repo_master_jobs})`, pass: p.comparison.jobs_ratio >= 5 });
    out.push({ target: `${p.profile}: vs flat-manager ≤ 0.5× p50 approval→live`, measured: `${p.comparison.p50_ratio.toFixed(2)}× (${p.comparison.flatgate.p50_s.toFixed(0)} s vs ${p.comparison.flat_manager.p50_s.toFixed(0)} s)`, pass: p.comparison.p50_ratio <= 0.5 });
  }
  if (cpu) {
    const ratio = median(cpu.rounds.map((r) => r.ratio));
    out.push({ target: "intake CPU ≤ 3× the bare Worker", measured: `${ratio.toFixed(2)}× (${median(cpu.rounds.map((r) => r.intake_cpu_ms_per_req)).toFixed(2)} vs ${median(cpu.rounds.map((r) => r.bare_cpu_ms_per_req)).toFixed(2)} ms/request)`, pass: ratio <= 3 });
  } else out.push({ target: "intake CPU ≤ 3× the bare Worker", measured: "BENCH_SCALE_CPU_ROUNDS=0", pass: "not run" });
  return out;
}

function render(cfg: Config, cpu: Cpu, profile: IntakeProfile | undefined, bursts: Burst[], tr: Trickle | undefined, checks: Target[]): string {
  const out: string[] = [];
  out.push(`stand-in agent: publish ${cfg.BENCH_SCALE_PUBLISH_MS.base}+${cfg.BENCH_SCALE_PUBLISH_MS.per} ms/build, update-repo ${cfg.BENCH_SCALE_UPDATE_MS.base}+${cfg.BENCH_SCALE_UPDATE_MS.per} ms/ref, one job at a time, callbacks; ${cfg.BENCH_SCALE_REFS} refs per build; concurrency ${cfg.BENCH_SCALE_CONCURRENCY}`);
  if (cpu) {
    out.push("", "## Intake CPU (workerd processes only, idle subtracted; interleaved rounds)");
    out.push(table(["round", "intake ms/req", "bare ms/req", "ratio", "intake req/s", "bare req/s"], cpu.rounds.map((r, i) => [String(i + 1), r.intake_cpu_ms_per_req, r.bare_cpu_ms_per_req, r.ratio, r.intake_req_per_s, r.bare_req_per_s])));
    out.push(`median ratio ${median(cpu.rounds.map((r) => r.ratio)).toFixed(2)} (intake ÷ bare CPU per request)`);
  }
  if (profile) {
    out.push("", `## Intake CPU profile (pipeline isolate, ${profile.busy_ms.toFixed(0)} ms busy of ${profile.total_ms.toFixed(0)} ms sampled)`);
    out.push(table(["inclusive (share of busy)", "ms", "share"], profile.inclusive.slice(0, 20).map((e) => [e.fn, e.ms, `${(e.share * 100).toFixed(1)} %`])));
    out.push(table(["self (share of sampled)", "ms", "share"], profile.self.slice(0, 15).map((e) => [e.fn, e.ms, `${(e.share * 100).toFixed(1)} %`])));
  }
  for (const b of bursts) {
    out.push("", `## Burst of ${b.n} (repo ${b.repo}, paused during intake): ${b.intake.req_per_s.toFixed(0)} req/s over ${b.intake.seconds.toFixed(1)} s, ${b.intake.cpu_ms_per_req.toFixed(2)} ms workerd CPU/req`);
    out.push(table(["tenth", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "enqueue ms/build", "lag p50 ms"], b.intake.tenths.map((t) => [String(t.tenth), t.req_per_s, t.p50_ms, t.p99_ms, t.cpu_ms_per_req, t.enqueue_ms_per_build, t.enqueue_lag_p50_ms])));
    const coord = [...b.largest_rows.coordinator_queued, ...b.largest_rows.coordinator_drained].reduce<Record<string, LargestRow>>((m, r) => ((m[r.table] = !m[r.table] || m[r.table]!.max_row_bytes < r.max_row_bytes ? r : m[r.table]!), m), {});
    out.push(
      `storage: intake ${bytes(b.storage.intake.proc_write_bytes)} written (/proc), ${bytes(b.storage.intake.file_growth_bytes)} file growth; drain ${bytes(b.storage.drain.proc_write_bytes)} / ${bytes(b.storage.drain.file_growth_bytes)}; ` +
        `per build ${bytes(b.storage.proc_write_bytes_per_build)} (/proc) / ${bytes(b.storage.file_growth_bytes_per_build)} (files), per build per state change (${b.storage.transitions_per_build}) ${bytes(b.storage.proc_write_bytes_per_build_per_change)} / ${bytes(b.storage.file_growth_bytes_per_build_per_change)}`,
      `storage by class, file growth per build (intake + drain): ${b.storage.intake.by_class.map((c) => `${c.name.replace(/^flatgate-/, "")} ${bytes((c.growth_bytes + (b.storage.drain.by_class.find((d) => d.name === c.name)?.growth_bytes ?? 0)) / b.n)}`).join(", ")}`,
      `largest rows: coordinator ${Object.values(coord).map((r) => `${r.table} ${bytes(r.max_row_bytes)}`).join(", ")}; AppPublisher ${b.largest_rows.app_publisher.map((r) => `${r.table} ${bytes(r.max_row_bytes)}`).join(", ")}; ReplayLedger ${b.largest_rows.replay_ledger.map((r) => `${r.table} ${bytes(r.max_row_bytes)}`).join(", ")}`,
      `drain: ${b.drain.drained ? `${b.drain.seconds.toFixed(1)} s to the last build listed (${b.drain.idle_seconds.toFixed(0)} s to an idle view)` : "DID NOT DRAIN"}; live ${b.drain.live}/${b.n} (sample ${b.drain.sample.live}/${b.drain.sample.sampled} live); ${b.jobs.publish_jobs} publish jobs, ${b.jobs.update_runs} update-repo runs`,
      `errors: intake ${JSON.stringify(b.errors.intake)}, stand-in refused ${JSON.stringify(b.errors.agent_refused)}, callbacks failed ${b.errors.callback_failures}${b.jobs.callback_errors.length ? ` ${JSON.stringify(b.jobs.callback_errors)}` : ""}, failed updates ${b.errors.failed_updates}, error log lines ${b.errors.error_log_lines}`,
    );
  }
  const profiles = [...bursts, ...(tr ? [tr] : [])];
  if (tr) out.push("", `## ${tr.profile}: intake p50 ${tr.intake.p50_ms.toFixed(0)} ms, p99 ${tr.intake.p99_ms.toFixed(0)} ms; drained ${tr.drain.drained} ${tr.drain.after_last_post_s.toFixed(0)} s after the last post; errors ${tr.errors.intake} intake, ${tr.errors.error_log_lines} log`);
  if (profiles.length) {
    out.push("", "## Against flat-manager's policy (same releases; durations fitted to the stand-in's measured jobs)");
    out.push(table(["profile", "FG jobs", "FM jobs", "jobs ×", "FG p50 s", "FM p50 s", "p50 ×", "FG max s", "FM max s", "max ×"], profiles.map((p) => {
      const c = p.comparison;
      return [p.profile, c.flatgate.repo_master_jobs, c.flat_manager.repo_master_jobs, c.jobs_ratio, c.flatgate.p50_s, c.flat_manager.p50_s, c.p50_ratio, c.flatgate.max_s, c.flat_manager.max_s, c.max_ratio];
    })));
  }
  out.push("", "## Targets");
  out.push(table(["target", "measured", "pass"], checks.map((c) => [c.target, c.measured, c.pass === "not run" ? "not run" : c.pass ? "PASS" : "FAIL"])));
  return out.join("\n");
}

// ---- main ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const parsed = Config.safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`bench:scale: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}\n`);
    process.exit(2);
  }
  const cfg = parsed.data;
  const startedAt = new Date();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "flatgate-scale-"));
  const policy = {
    approval: "auto",
    ...(cfg.BENCH_SCALE_DEBOUNCE_S !== undefined ? { update_debounce_seconds: cfg.BENCH_SCALE_DEBOUNCE_S } : {}),
    ...(cfg.BENCH_SCALE_MAX_WAIT_S !== undefined ? { update_max_wait_seconds: cfg.BENCH_SCALE_MAX_WAIT_S } : {}),
    ...(cfg.BENCH_SCALE_BATCH !== undefined ? { publish_batch_size: cfg.BENCH_SCALE_BATCH } : {}),
  };
  const repos: Record<string, Record<string, unknown>> = { cpu: policy, trickle: policy };
  for (const n of cfg.BENCH_SCALE_SIZES) repos[`burst-${n}`] = policy;
  const p = cfg.BENCH_SCALE_PUBLISH_MS;
  const u = cfg.BENCH_SCALE_UPDATE_MS;
  say(`state in ${stateDir}; starting wrangler dev (pipeline + bare Worker) and the stand-in agent`);

  let stack: BenchStack | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    await stack?.stop();
    if (cfg.BENCH_SCALE_KEEP === "0") rmSync(stateDir, { recursive: true, force: true });
    else say(`kept ${stateDir}`);
  })());
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      say(`${signal}: stopping`);
      void stop().finally(() => process.exit(130));
    });
  }
  try {
    stack = await startBenchStack({ stateDir, repos, agent: { durations: { publishMs: (b) => p.base + p.per * b, updateMs: (r) => u.base + u.per * r } } });
    const api = new Api(stack);
    const cpu = await intakeCpu(stack, api, cfg);
    const profile = await intakeProfile(stack, cfg, cpu);
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `scale-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
    const bursts: Burst[] = [];
    let tr: Trickle | undefined;
    // written after every profile, so a long run stopped half-way keeps what it measured
    const save = (complete: boolean) => {
      const checks = targets(cfg, cpu, bursts, tr);
      const { raw: _raw, ...profileSummary } = profile ?? {};
      writeFileSync(file, `${JSON.stringify({ started_at: startedAt.toISOString(), finished_at: new Date().toISOString(), complete, environment: environment(false), config: cfg, cpu, profile: profile ? profileSummary : undefined, bursts, trickle: tr, targets: checks }, null, 2)}\n`);
      return checks;
    };
    save(false);
    if (cfg.BENCH_SCALE_TRICKLE !== "0") {
      tr = await trickle(stack, api, cfg);
      save(false);
    }
    for (const n of cfg.BENCH_SCALE_SIZES) {
      bursts.push(await burst(stack, api, cfg, n));
      const checks = save(false);
      say(`partial results in ${path.relative(process.cwd(), file)}`);
      process.stderr.write(`${render(cfg, undefined, undefined, bursts.slice(-1), undefined, checks.filter((c) => c.target.includes(`burst ${n}`)))}\n`);
    }
    const checks = save(true);
    process.stdout.write(`${render(cfg, cpu, profile, bursts, tr, checks)}\n`);
    say(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    await stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:scale failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
