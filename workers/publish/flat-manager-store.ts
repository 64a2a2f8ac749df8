/**
 * The flat-manager backend's memory, one SQLite Durable Object per Flatgate repo: which
 * flat-manager build, publish job and update-repo job belong to which Flatgate job. One row per
 * item, so a change writes a bounded number of rows (DESIGN.md "Durable Objects").
 */
export type JobState = "running" | "succeeded" | "failed";
export type BuildPhase = "check" | "publishing" | "published" | "failed";

export interface JobRow {
  job_id: string;
  kind: "publish" | "update-repo";
  state: JobState;
  created_at: number;
  updated_at: number;
  runs: number;
  error: string | null;
  /** the update-repo result, as JSON, once succeeded */
  result: string | null;
  /** summary reads that did not yet show a consistent, signed summary */
  summary_misses: number;
}

export interface BuildRow {
  job_id: string;
  build_key: string;
  app_id: string;
  fm_build_id: number | null;
  /** ref -> commit in the build repo, as the event listed them (JSON) */
  refs: string;
  phase: BuildPhase;
  publish_job_id: number | null;
  /** ref -> commit flat-manager published into the repo (JSON) */
  published_refs: string | null;
  update_job_id: number | null;
  error: string | null;
}

export class FlatManagerStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, runs INTEGER NOT NULL DEFAULT 0, error TEXT, result TEXT, summary_misses INTEGER NOT NULL DEFAULT 0)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (updated_at)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS builds (job_id TEXT NOT NULL, build_key TEXT NOT NULL, app_id TEXT NOT NULL, fm_build_id INTEGER, refs TEXT NOT NULL, phase TEXT NOT NULL, publish_job_id INTEGER, published_refs TEXT, update_job_id INTEGER, error TEXT, PRIMARY KEY (job_id, build_key))`);
    // ref -> the newest flat-manager update-repo job that a publish of it queued
    sql.exec(`CREATE TABLE IF NOT EXISTS pending (ref TEXT PRIMARY KEY, update_job_id INTEGER NOT NULL, commit_id TEXT NOT NULL)`);
    // an update-repo job's changed refs, and after it the commit the summary lists (null: not listed)
    sql.exec(`CREATE TABLE IF NOT EXISTS update_refs (job_id TEXT NOT NULL, ref TEXT NOT NULL, listed INTEGER NOT NULL DEFAULT 0, commit_id TEXT, PRIMARY KEY (job_id, ref))`);
    // the flat-manager update-repo jobs a Flatgate update-repo job waits for
    sql.exec(`CREATE TABLE IF NOT EXISTS update_waits (job_id TEXT NOT NULL, fm_job_id INTEGER NOT NULL, status INTEGER NOT NULL DEFAULT 0, log_offset INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (job_id, fm_job_id))`);
  }

  job(jobId: string): JobRow | undefined {
    return this.sql.exec<Record<string, SqlStorageValue>>(`SELECT * FROM jobs WHERE job_id = ?`, jobId).toArray()[0] as JobRow | undefined;
  }

  addJob(row: Pick<JobRow, "job_id" | "kind" | "created_at">): void {
    this.sql.exec(`INSERT INTO jobs (job_id, kind, state, created_at, updated_at) VALUES (?, ?, 'running', ?, ?)`, row.job_id, row.kind, row.created_at, row.created_at);
  }

  touch(jobId: string, now: number): void {
    this.sql.exec(`UPDATE jobs SET runs = runs + 1, updated_at = ? WHERE job_id = ?`, now, jobId);
  }

  finishJob(jobId: string, state: "succeeded" | "failed", now: number, fields: { error?: string; result?: string }): void {
    this.sql.exec(`UPDATE jobs SET state = ?, updated_at = ?, error = ?, result = ? WHERE job_id = ?`, state, now, fields.error ?? null, fields.result ?? null, jobId);
  }

  summaryMiss(jobId: string): number {
    this.sql.exec(`UPDATE jobs SET summary_misses = summary_misses + 1 WHERE job_id = ?`, jobId);
    return this.job(jobId)?.summary_misses ?? 0;
  }

  addBuild(row: Pick<BuildRow, "job_id" | "build_key" | "app_id" | "fm_build_id" | "refs" | "phase" | "error">): void {
    this.sql.exec(`INSERT OR IGNORE INTO builds (job_id, build_key, app_id, fm_build_id, refs, phase, error) VALUES (?, ?, ?, ?, ?, ?, ?)`, row.job_id, row.build_key, row.app_id, row.fm_build_id, row.refs, row.phase, row.error);
  }

  builds(jobId: string): BuildRow[] {
    return this.sql.exec<Record<string, SqlStorageValue>>(`SELECT * FROM builds WHERE job_id = ? ORDER BY build_key`, jobId).toArray() as unknown as BuildRow[];
  }

  putBuild(b: BuildRow): void {
    this.sql.exec(`UPDATE builds SET phase = ?, publish_job_id = ?, published_refs = ?, update_job_id = ?, error = ? WHERE job_id = ? AND build_key = ?`, b.phase, b.publish_job_id, b.published_refs, b.update_job_id, b.error, b.job_id, b.build_key);
  }

  setPending(refs: Readonly<Record<string, string>>, updateJobId: number): void {
    for (const [ref, commit] of Object.entries(refs)) {
      this.sql.exec(`INSERT INTO pending (ref, update_job_id, commit_id) VALUES (?, ?, ?) ON CONFLICT (ref) DO UPDATE SET update_job_id = excluded.update_job_id, commit_id = excluded.commit_id`, ref, updateJobId, commit);
    }
  }

  /** ref -> published commit, for this update's refs whose flat-manager update job is `fmJobId` */
  pendingOf(jobId: string, fmJobId: number): Map<string, string> {
    const rows = this.sql.exec<{ ref: string; commit_id: string }>(`SELECT p.ref, p.commit_id FROM pending p JOIN update_refs u ON u.ref = p.ref AND u.job_id = ? WHERE p.update_job_id = ?`, jobId, fmJobId).toArray();
    return new Map(rows.map((r) => [r.ref, r.commit_id]));
  }

  /** the update's refs, and the flat-manager update jobs that cover them (bounded by the contract's 10,000 refs) */
  addUpdate(jobId: string, refs: readonly string[]): void {
    for (const ref of refs) {
      this.sql.exec(`INSERT OR IGNORE INTO update_refs (job_id, ref) VALUES (?, ?)`, jobId, ref);
      this.sql.exec(`INSERT OR IGNORE INTO update_waits (job_id, fm_job_id) SELECT ?, update_job_id FROM pending WHERE ref = ?`, jobId, ref);
    }
  }

  waits(jobId: string): { fm_job_id: number; status: number; log_offset: number }[] {
    return this.sql.exec<{ fm_job_id: number; status: number; log_offset: number }>(`SELECT fm_job_id, status, log_offset FROM update_waits WHERE job_id = ? ORDER BY fm_job_id`, jobId).toArray();
  }

  /** the job's status, and how many bytes of its log were read (the next read asks only for the rest) */
  setWait(jobId: string, fmJobId: number, status: number, logOffset: number): void {
    this.sql.exec(`UPDATE update_waits SET status = ?, log_offset = ? WHERE job_id = ? AND fm_job_id = ?`, status, logOffset, jobId, fmJobId);
  }

  updateRefs(jobId: string, after = "", limit = 10_000): { ref: string; listed: number; commit_id: string | null }[] {
    return this.sql.exec<{ ref: string; listed: number; commit_id: string | null }>(`SELECT ref, listed, commit_id FROM update_refs WHERE job_id = ? AND ref > ? ORDER BY ref LIMIT ?`, jobId, after, limit).toArray();
  }

  listRef(jobId: string, ref: string, commit: string | null): void {
    this.sql.exec(`UPDATE update_refs SET listed = 1, commit_id = ? WHERE job_id = ? AND ref = ?`, commit, jobId, ref);
  }

  /** the refs' update jobs are over and the summary was read: they wait no more */
  clearPending(jobId: string): void {
    this.sql.exec(`DELETE FROM pending WHERE ref IN (SELECT ref FROM update_refs WHERE job_id = ?) AND update_job_id IN (SELECT fm_job_id FROM update_waits WHERE job_id = ?)`, jobId, jobId);
  }

  /**
   * Jobs nobody asked about for a week are dropped: the coordinator reads a result within
   * seconds, and a job it gave up on (and replaced) is never asked about again.
   */
  prune(before: number): void {
    const old = `SELECT job_id FROM jobs WHERE updated_at < ?`;
    for (const t of ["builds", "update_refs", "update_waits"]) this.sql.exec(`DELETE FROM ${t} WHERE job_id IN (${old})`, before);
    this.sql.exec(`DELETE FROM jobs WHERE updated_at < ?`, before);
  }
}
