/**
 * The RepoCoordinator's SQLite rows (issue 9): one fixed-size meta row, and one row per queue
 * entry, active job, build waiting for the summary, finished update and per-build update detail.
 * Every change touches a bounded number of rows whatever the queue length; lists are read a page
 * at a time. Tables are created lazily on the first write, so an object that is only read
 * creates no storage.
 */
import type { UpdateRecord, BuildVerdict } from "../lib/coordinator/job-outcome.js";
import type { ActiveJob, PublishedBuild, QueuedBuild, RepoMeta } from "../lib/coordinator/state.js";
import type { PurgeReport } from "../lib/purge/contract.js";
import { LazySchema } from "./lazy-schema.js";

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL)",
  `CREATE TABLE IF NOT EXISTS queue (
    build_key TEXT PRIMARY KEY, pos INTEGER NOT NULL, app_id TEXT NOT NULL, artifact TEXT NOT NULL,
    enqueued_at INTEGER NOT NULL, attempts INTEGER NOT NULL, ready_at INTEGER NOT NULL, job_id TEXT)`,
  // plain, not partial: MAX(pos) for a new entry and the paged queue read both seek on it
  "CREATE INDEX IF NOT EXISTS queue_pos ON queue(pos)",
  "CREATE INDEX IF NOT EXISTS queue_ready ON queue(ready_at) WHERE job_id IS NULL",
  "CREATE INDEX IF NOT EXISTS queue_job ON queue(job_id) WHERE job_id IS NOT NULL",
  `CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY, kind TEXT NOT NULL UNIQUE, phase TEXT NOT NULL, created_at INTEGER NOT NULL,
    failures INTEGER NOT NULL, next_check_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS published (
    build_key TEXT PRIMARY KEY, seq INTEGER NOT NULL, app_id TEXT NOT NULL, refs TEXT NOT NULL,
    published_at INTEGER NOT NULL, update_id TEXT)`,
  "CREATE INDEX IF NOT EXISTS published_seq ON published(seq)",
  "CREATE INDEX IF NOT EXISTS published_update ON published(update_id) WHERE update_id IS NOT NULL",
  `CREATE TABLE IF NOT EXISTS updates (
    update_id TEXT PRIMARY KEY, finished_at INTEGER NOT NULL, data TEXT NOT NULL,
    changed_paths TEXT NOT NULL, purge TEXT)`,
  "CREATE INDEX IF NOT EXISTS updates_finished ON updates(finished_at)",
  `CREATE TABLE IF NOT EXISTS update_builds (
    update_id TEXT NOT NULL, build_key TEXT NOT NULL, outcome TEXT NOT NULL, superseded_by TEXT,
    refs TEXT NOT NULL, PRIMARY KEY (update_id, build_key))`,
];

/** Finished updates kept with their per-build detail (the view shows the last 20). */
export const UPDATES_KEPT = 200;

interface QueueRow extends Record<string, SqlStorageValue> {
  build_key: string;
  pos: number;
  app_id: string;
  artifact: string;
  enqueued_at: number;
  attempts: number;
  ready_at: number;
  job_id: string | null;
}

interface PublishedRow extends Record<string, SqlStorageValue> {
  build_key: string;
  seq: number;
  app_id: string;
  refs: string;
  published_at: number;
  update_id: string | null;
}

export interface StoredUpdate {
  record: UpdateRecord;
  changed_paths: string[];
  purge?: PurgeReport;
}

export interface UpdateBuild {
  build_key: string;
  outcome: BuildVerdict["outcome"];
  superseded_by?: string;
  refs: Record<string, string>;
}

const fromQueueRow = (r: QueueRow): QueuedBuild & { pos: number } => ({
  build_key: r.build_key,
  pos: r.pos,
  app_id: r.app_id,
  artifact: JSON.parse(r.artifact) as QueuedBuild["artifact"],
  enqueued_at: r.enqueued_at,
  attempts: r.attempts,
  ready_at: r.ready_at,
  ...(r.job_id ? { job_id: r.job_id } : {}),
});

const fromPublishedRow = (r: PublishedRow): PublishedBuild => ({
  build_key: r.build_key,
  seq: r.seq,
  app_id: r.app_id,
  refs: JSON.parse(r.refs) as Record<string, string>,
  published_at: r.published_at,
  ...(r.update_id ? { update_id: r.update_id } : {}),
});

export class CoordinatorStore {
  private readonly schema: LazySchema;

  constructor(private readonly storage: DurableObjectStorage) {
    this.schema = new LazySchema(storage.sql, "meta", SCHEMA);
  }

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  private exists(): boolean {
    return this.schema.exists();
  }

  /**
   * Runs `fn` atomically: every row it writes lands, or none does (a storage error rolls back).
   * The tables are created before the transaction, never by one that might roll back.
   */
  write<T>(fn: () => T, before: () => void = () => undefined): T {
    this.schema.ensure();
    before();
    return this.storage.transactionSync(fn);
  }

  // ---- meta --------------------------------------------------------------------------------

  meta(): RepoMeta | undefined {
    if (!this.exists()) return undefined;
    const row = this.sql.exec<{ data: string }>("SELECT data FROM meta WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.data) as RepoMeta) : undefined;
  }

  putMeta(meta: RepoMeta): void {
    this.sql.exec("INSERT INTO meta (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data", JSON.stringify(meta));
  }

  // ---- queue -------------------------------------------------------------------------------

  /** Is the build anywhere in this coordinator (queued, in a job, or waiting for the summary)? */
  knows(buildKey: string): boolean {
    if (!this.exists()) return false;
    return this.sql.exec<{ n: number }>(
      "SELECT (SELECT COUNT(*) FROM queue WHERE build_key = ?1) + (SELECT COUNT(*) FROM published WHERE build_key = ?1) AS n",
      buildKey,
    ).one().n > 0;
  }

  addToQueue(q: Omit<QueuedBuild, "job_id">): void {
    this.sql.exec(
      `INSERT INTO queue (build_key, pos, app_id, artifact, enqueued_at, attempts, ready_at)
       VALUES (?1, (SELECT COALESCE(MAX(pos), 0) + 1 FROM queue), ?2, ?3, ?4, ?5, ?6) ON CONFLICT(build_key) DO NOTHING`,
      q.build_key, q.app_id, JSON.stringify(q.artifact), q.enqueued_at, q.attempts, q.ready_at,
    );
  }

  /** The oldest unclaimed entries that are ready (more than a batch: some may share a ref). */
  readyCandidates(now: number, limit: number): QueuedBuild[] {
    if (!this.exists()) return [];
    return this.sql
      // in queue order from the front (the oldest are the ready ones), not a sort of every ready row
      .exec<QueueRow>("SELECT * FROM queue INDEXED BY queue_pos WHERE job_id IS NULL AND ready_at <= ? ORDER BY pos LIMIT ?", now, limit)
      .toArray()
      .map(fromQueueRow);
  }

  earliestReady(): number | undefined {
    if (!this.exists()) return undefined;
    return this.sql.exec<{ t: number | null }>("SELECT MIN(ready_at) AS t FROM queue WHERE job_id IS NULL").one().t ?? undefined;
  }

  claimForJob(jobId: string, keys: readonly string[]): void {
    for (const k of keys) this.sql.exec("UPDATE queue SET job_id = ? WHERE build_key = ? AND job_id IS NULL", jobId, k);
  }

  queuedInJob(jobId: string): QueuedBuild[] {
    if (!this.exists()) return [];
    return this.sql.exec<QueueRow>("SELECT * FROM queue WHERE job_id = ? ORDER BY pos", jobId).toArray().map(fromQueueRow);
  }

  removeFromQueue(keys: readonly string[]): void {
    for (const k of keys) this.sql.exec("DELETE FROM queue WHERE build_key = ?", k);
  }

  requeue(q: QueuedBuild): void {
    this.sql.exec("UPDATE queue SET job_id = NULL, attempts = ?, ready_at = ? WHERE build_key = ?", q.attempts, q.ready_at, q.build_key);
  }

  /** A page of the queue in order, after the entry at `afterPos`. */
  queuePage(afterPos: number, limit: number): (QueuedBuild & { pos: number })[] {
    if (!this.exists()) return [];
    return this.sql.exec<QueueRow>("SELECT * FROM queue WHERE pos > ? ORDER BY pos LIMIT ?", afterPos, limit).toArray().map(fromQueueRow);
  }

  queueCount(): { total: number; claimed: number } {
    if (!this.exists()) return { total: 0, claimed: 0 };
    return this.sql.exec<{ total: number; claimed: number | null }>("SELECT COUNT(*) AS total, SUM(job_id IS NOT NULL) AS claimed FROM queue").toArray().map((r) => ({ total: r.total, claimed: r.claimed ?? 0 }))[0]!;
  }

  // ---- jobs --------------------------------------------------------------------------------

  jobs(): ActiveJob[] {
    if (!this.exists()) return [];
    return this.sql.exec<ActiveJob & Record<string, SqlStorageValue>>("SELECT job_id, kind, phase, created_at, failures, next_check_at FROM jobs").toArray().map((r) => ({ ...r }));
  }

  job(kind: ActiveJob["kind"]): ActiveJob | undefined {
    return this.jobs().find((j) => j.kind === kind);
  }

  putJob(j: ActiveJob): void {
    this.sql.exec(
      `INSERT INTO jobs (job_id, kind, phase, created_at, failures, next_check_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(job_id) DO UPDATE SET phase = excluded.phase, failures = excluded.failures, next_check_at = excluded.next_check_at`,
      j.job_id, j.kind, j.phase, j.created_at, j.failures, j.next_check_at,
    );
  }

  deleteJob(jobId: string): void {
    this.sql.exec("DELETE FROM jobs WHERE job_id = ?", jobId);
  }

  // ---- published, waiting for the summary ----------------------------------------------------

  addPublished(p: Omit<PublishedBuild, "seq" | "update_id">): void {
    this.sql.exec(
      `INSERT INTO published (build_key, seq, app_id, refs, published_at) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM published), ?2, ?3, ?4)
       ON CONFLICT(build_key) DO NOTHING`,
      p.build_key, p.app_id, JSON.stringify(p.refs), p.published_at,
    );
  }

  /** Published builds no update-repo covers yet, oldest first. */
  waiting(limit: number): PublishedBuild[] {
    if (!this.exists()) return [];
    return this.sql.exec<PublishedRow>("SELECT * FROM published WHERE update_id IS NULL ORDER BY seq LIMIT ?", limit).toArray().map(fromPublishedRow);
  }

  waitingSummary(): { count: number; first?: number; last?: number } {
    if (!this.exists()) return { count: 0 };
    const r = this.sql.exec<{ n: number; first: number | null; last: number | null }>(
      "SELECT COUNT(*) AS n, MIN(published_at) AS first, MAX(published_at) AS last FROM published WHERE update_id IS NULL",
    ).one();
    return { count: r.n, ...(r.first !== null ? { first: r.first } : {}), ...(r.last !== null ? { last: r.last } : {}) };
  }

  assignUpdate(updateId: string, keys: readonly string[]): void {
    for (const k of keys) this.sql.exec("UPDATE published SET update_id = ? WHERE build_key = ?", updateId, k);
  }

  /** The builds an update covers, in publication order; `limit` -1 (SQLite's "no limit") for all. */
  inUpdate(updateId: string, limit = -1): PublishedBuild[] {
    if (!this.exists()) return [];
    return this.sql.exec<PublishedRow>("SELECT * FROM published WHERE update_id = ? ORDER BY seq LIMIT ?", updateId, limit).toArray().map(fromPublishedRow);
  }

  countInUpdate(updateId: string): number {
    if (!this.exists()) return 0;
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM published WHERE update_id = ?", updateId).one().n;
  }

  /** A failed update-repo: its builds wait for the next one. */
  releaseUpdate(updateId: string): void {
    this.sql.exec("UPDATE published SET update_id = NULL WHERE update_id = ?", updateId);
  }

  deletePublishedOf(updateId: string): void {
    this.sql.exec("DELETE FROM published WHERE update_id = ?", updateId);
  }

  // ---- finished updates ----------------------------------------------------------------------

  addUpdate(u: StoredUpdate, builds: readonly UpdateBuild[]): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO updates (update_id, finished_at, data, changed_paths, purge) VALUES (?, ?, ?, ?, NULL)",
      u.record.update_id, u.record.finished_at, JSON.stringify(u.record), JSON.stringify(u.changed_paths),
    );
    for (const b of builds) {
      this.sql.exec(
        "INSERT OR REPLACE INTO update_builds (update_id, build_key, outcome, superseded_by, refs) VALUES (?, ?, ?, ?, ?)",
        u.record.update_id, b.build_key, b.outcome, b.superseded_by ?? null, JSON.stringify(b.refs),
      );
    }
    this.pruneUpdates();
  }

  /** Keeps the last UPDATES_KEPT updates; one older update (and its detail) goes per new one. */
  private pruneUpdates(): void {
    const old = this.sql.exec<{ update_id: string }>("SELECT update_id FROM updates ORDER BY finished_at DESC LIMIT 2 OFFSET ?", UPDATES_KEPT).toArray();
    for (const { update_id } of old) {
      this.sql.exec("DELETE FROM update_builds WHERE update_id = ?", update_id);
      this.sql.exec("DELETE FROM updates WHERE update_id = ?", update_id);
    }
  }

  getUpdate(updateId: string): StoredUpdate | undefined {
    if (!this.exists()) return undefined;
    const row = this.sql.exec<{ data: string; changed_paths: string; purge: string | null }>("SELECT data, changed_paths, purge FROM updates WHERE update_id = ?", updateId).toArray()[0];
    if (!row) return undefined;
    return {
      record: JSON.parse(row.data) as UpdateRecord,
      changed_paths: JSON.parse(row.changed_paths) as string[],
      ...(row.purge ? { purge: JSON.parse(row.purge) as PurgeReport } : {}),
    };
  }

  recordPurge(updateId: string, report: PurgeReport): void {
    this.sql.exec("UPDATE updates SET purge = ? WHERE update_id = ?", JSON.stringify(report), updateId);
  }

  /** Newest first, finished before `before` (a cursor), at most `limit`. */
  updatesPage(before: number, limit: number): StoredUpdate[] {
    if (!this.exists()) return [];
    return this.sql
      .exec<{ update_id: string }>("SELECT update_id FROM updates WHERE finished_at < ? ORDER BY finished_at DESC LIMIT ?", before, limit)
      .toArray()
      .map((r) => this.getUpdate(r.update_id))
      .filter((u): u is StoredUpdate => u !== undefined);
  }

  updateBuildsPage(updateId: string, afterKey: string, limit: number): UpdateBuild[] {
    if (!this.exists()) return [];
    return this.sql
      .exec<{ build_key: string; outcome: string; superseded_by: string | null; refs: string }>(
        "SELECT build_key, outcome, superseded_by, refs FROM update_builds WHERE update_id = ? AND build_key > ? ORDER BY build_key LIMIT ?",
        updateId, afterKey, limit,
      )
      .toArray()
      .map((r) => ({
        build_key: r.build_key,
        outcome: r.outcome === "live" ? "live" : "superseded",
        ...(r.superseded_by ? { superseded_by: r.superseded_by } : {}),
        refs: JSON.parse(r.refs) as Record<string, string>,
      }));
  }
}
