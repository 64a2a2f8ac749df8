/**
 * The BuildIndex's SQLite rows: one per build (fixed columns, bounded text), one per transition
 * counter, one per histogram. Tables are created on the first write, so an index that is only
 * read (a repo with no builds yet) creates no storage.
 */
import type { BuildState } from "../lib/build-state.js";
import type { IndexEntry } from "../lib/build-index/entry.js";
import type { ListedBuild, ListQuery } from "../lib/build-index/listing.js";
import { emptyHistogram, type HistogramData, type HistogramName } from "../lib/build-index/transition-metrics.js";
import { emptyRunTotals, foldPurges, foldRuns, type PurgeRun, type PurgeTotals, type UpdateRun, type UpdateRunTotals } from "../lib/build-index/update-runs.js";
import { LazySchema } from "./lazy-schema.js";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS builds (
    key TEXT PRIMARY KEY, repo TEXT NOT NULL, app_id TEXT NOT NULL, branch TEXT NOT NULL, build_id TEXT NOT NULL,
    state TEXT NOT NULL, received_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, rev INTEGER NOT NULL,
    counted INTEGER NOT NULL, approvals INTEGER NOT NULL, approvals_required INTEGER NOT NULL,
    reason TEXT, live_summary_sha256 TEXT, check_run_id INTEGER)`,
  // (received_at, key) is the listing order; the key makes it total, so a cursor is exact
  "CREATE INDEX IF NOT EXISTS builds_received ON builds(received_at, key)",
  "CREATE INDEX IF NOT EXISTS builds_state ON builds(state, received_at, key)",
  "CREATE INDEX IF NOT EXISTS builds_app_branch ON builds(app_id, branch, received_at, key)",
  "CREATE TABLE IF NOT EXISTS transitions (state TEXT PRIMARY KEY, total INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS histograms (name TEXT PRIMARY KEY, data TEXT NOT NULL)",
  // update-repo runs already folded into the totals: the ids of the coordinator's current window
  // purge = 1 once the update's purge report is counted (it is recorded after the update finishes)
  "CREATE TABLE IF NOT EXISTS update_runs_seen (update_id TEXT PRIMARY KEY, finished_at INTEGER NOT NULL, purge INTEGER NOT NULL DEFAULT 0)",
  "CREATE TABLE IF NOT EXISTS purge_totals (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS update_run_totals (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL)",
];

interface Row extends Record<string, SqlStorageValue> {
  key: string;
  repo: string;
  app_id: string;
  branch: string;
  build_id: string;
  state: string;
  received_at: number;
  updated_at: number;
  approvals: number;
  approvals_required: number;
  reason: string | null;
  live_summary_sha256: string | null;
  check_run_id: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

const toListed = (r: Row): ListedBuild => ({
  key: r.key,
  repo: r.repo,
  app_id: r.app_id,
  branch: r.branch,
  build_id: r.build_id,
  // written only from IndexEntry.state, a BuildState
  state: r.state as BuildState,
  received_at: iso(r.received_at),
  updated_at: iso(r.updated_at),
  approvals: { count: r.approvals, required: r.approvals_required },
  ...(r.reason !== null ? { reason: r.reason } : {}),
  ...(r.live_summary_sha256 !== null ? { live_summary_sha256: r.live_summary_sha256 } : {}),
  ...(r.check_run_id !== null ? { check_run_id: r.check_run_id } : {}),
});

export class BuildIndexStore {
  private readonly schema: LazySchema;

  constructor(private readonly sql: SqlStorage) {
    this.schema = new LazySchema(sql, "builds", SCHEMA);
  }

  private exists(): boolean {
    return this.schema.exists();
  }

  /** Creates the tables; call it before a transaction that writes (see LazySchema). */
  ensureSchema(): void {
    this.schema.ensure();
  }

  /** The transitions already counted for `key` (0 for a new build). */
  counted(key: string): { rev: number; updated_at: number; counted: number } | undefined {
    if (!this.exists()) return undefined;
    return this.sql.exec<{ rev: number; updated_at: number; counted: number }>("SELECT rev, updated_at, counted FROM builds WHERE key = ?", key).toArray()[0];
  }

  /**
   * Writes the row unless the stored one is newer (higher rev, or same rev and later updated_at).
   * A check run id, once known, is kept: an upsert made before it was learned does not erase it.
   */
  upsert(e: IndexEntry, counted: number): void {
    this.sql.exec(
      `INSERT INTO builds (key, repo, app_id, branch, build_id, state, received_at, updated_at, rev, counted, approvals, approvals_required, reason, live_summary_sha256, check_run_id)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
       ON CONFLICT(key) DO UPDATE SET
         state = excluded.state, updated_at = excluded.updated_at, rev = excluded.rev, approvals = excluded.approvals,
         approvals_required = excluded.approvals_required, reason = excluded.reason, live_summary_sha256 = excluded.live_summary_sha256,
         check_run_id = COALESCE(excluded.check_run_id, builds.check_run_id)
       WHERE excluded.rev > builds.rev OR (excluded.rev = builds.rev AND excluded.updated_at >= builds.updated_at)`,
      e.key, e.repo, e.app_id, e.branch, e.build_id, e.state, e.received_at, e.updated_at, e.rev, counted,
      e.approvals, e.approvals_required, e.reason ?? null, e.live_summary_sha256 ?? null, e.check_run_id ?? null,
    );
    // the counted ordinal only grows, whichever upsert carried it
    this.sql.exec("UPDATE builds SET counted = MAX(counted, ?) WHERE key = ?", counted, e.key);
  }

  addTransitions(counts: Partial<Record<BuildState, number>>): void {
    for (const [state, n] of Object.entries(counts)) {
      this.sql.exec("INSERT INTO transitions (state, total) VALUES (?, ?) ON CONFLICT(state) DO UPDATE SET total = total + excluded.total", state, n);
    }
  }

  histogram(name: HistogramName): HistogramData {
    if (!this.exists()) return emptyHistogram(name);
    const row = this.sql.exec<{ data: string }>("SELECT data FROM histograms WHERE name = ?", name).toArray()[0];
    return row ? (JSON.parse(row.data) as HistogramData) : emptyHistogram(name);
  }

  putHistogram(name: HistogramName, h: HistogramData): void {
    this.sql.exec("INSERT INTO histograms (name, data) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET data = excluded.data", name, JSON.stringify(h));
  }

  list(q: ListQuery): ListedBuild[] {
    if (!this.exists()) return [];
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (q.state !== undefined) (where.push("state = ?"), args.push(q.state));
    if (q.app_id !== undefined) (where.push("app_id = ?"), args.push(q.app_id));
    if (q.branch !== undefined) (where.push("branch = ?"), args.push(q.branch));
    if (q.after) (where.push("(received_at, key) < (?, ?)"), args.push(q.after.received_at, q.after.key));
    const sql = `SELECT key, repo, app_id, branch, build_id, state, received_at, updated_at, approvals, approvals_required, reason, live_summary_sha256, check_run_id
      FROM builds ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY received_at DESC, key DESC LIMIT ?`;
    return this.sql.exec<Row>(sql, ...args, q.limit).toArray().map(toListed);
  }

  countsByState(): Record<string, number> {
    if (!this.exists()) return {};
    const rows = this.sql.exec<{ state: string; n: number }>("SELECT state, COUNT(*) AS n FROM builds GROUP BY state").toArray();
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  transitionTotals(): Record<string, number> {
    if (!this.exists()) return {};
    return Object.fromEntries(this.sql.exec<{ state: string; total: number }>("SELECT state, total FROM transitions").toArray().map((r) => [r.state, r.total]));
  }

  updateRunTotals(): UpdateRunTotals {
    if (!this.exists()) return emptyRunTotals();
    const row = this.sql.exec<{ data: string }>("SELECT data FROM update_run_totals WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.data) as UpdateRunTotals) : emptyRunTotals();
  }

  /** The runs of `runs` not folded in yet (read-only). */
  unseenRuns(runs: readonly UpdateRun[]): UpdateRun[] {
    if (!this.exists() || runs.length === 0) return [...runs];
    const seen = new Set(this.sql.exec<{ update_id: string }>("SELECT update_id FROM update_runs_seen").toArray().map((r) => r.update_id));
    return runs.filter((r) => !seen.has(r.update_id));
  }

  /**
   * Folds in `fresh` (from unseenRuns) and forgets ids older than the window `runs` (they cannot
   * come back). Needs the schema (ensureSchema first).
   */
  recordUpdateRuns(runs: readonly UpdateRun[], fresh: readonly UpdateRun[]): UpdateRunTotals {
    const before = this.updateRunTotals();
    if (fresh.length === 0) return before;
    const after = foldRuns(before, fresh, new Set());
    for (const r of fresh) this.sql.exec("INSERT OR IGNORE INTO update_runs_seen (update_id, finished_at) VALUES (?, ?)", r.update_id, r.finished_at);
    const oldest = Math.min(...runs.map((r) => r.finished_at));
    this.sql.exec("DELETE FROM update_runs_seen WHERE finished_at < ?", oldest);
    this.sql.exec("INSERT INTO update_run_totals (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data", JSON.stringify(after));
    return after;
  }

  /** Of `ids` (updates whose purge is recorded), those whose purge is not counted yet (read-only). */
  purgesUncounted(ids: readonly string[]): string[] {
    if (!this.exists() || ids.length === 0) return [...ids];
    const counted = new Set(this.sql.exec<{ update_id: string }>("SELECT update_id FROM update_runs_seen WHERE purge = 1").toArray().map((r) => r.update_id));
    return ids.filter((id) => !counted.has(id));
  }

  purgeTotals(): PurgeTotals {
    if (!this.exists()) return {};
    const row = this.sql.exec<{ data: string }>("SELECT data FROM purge_totals WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.data) as PurgeTotals) : {};
  }

  /** Counts the purges of runs already recorded (recordUpdateRuns first), each once. Needs the schema. */
  recordPurges(purges: readonly PurgeRun[]): PurgeTotals {
    const fresh = purges.filter((p) => this.sql.exec("UPDATE update_runs_seen SET purge = 1 WHERE update_id = ? AND purge = 0", p.update_id).rowsWritten > 0);
    const before = this.purgeTotals();
    if (fresh.length === 0) return before;
    const after = foldPurges(before, fresh);
    this.sql.exec("INSERT INTO purge_totals (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data", JSON.stringify(after));
    return after;
  }
}
