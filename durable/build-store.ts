/** The AppPublisher's SQLite tables: builds (one JSON record each) and seen delivery ids. */
import type { Build } from "../lib/build.js";
import { TERMINAL } from "../lib/build-state.js";
import { boundHistory, compactBuild } from "../lib/publisher/retention.js";
import { LazySchema } from "./lazy-schema.js";

export class BuildStore {
  private readonly schema: LazySchema;

  /** No SQL here: an object that is only read must not create storage (issue 10 item 4, issue 9 item 5). */
  constructor(private readonly sql: SqlStorage) {
    this.schema = new LazySchema(sql, "builds", [
      `CREATE TABLE IF NOT EXISTS builds (
        key TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        branch TEXT NOT NULL,
        build_id TEXT NOT NULL,
        state TEXT NOT NULL,
        data TEXT NOT NULL
      )`,
      "CREATE INDEX IF NOT EXISTS builds_branch_state ON builds(branch, state)",
      // webhook-id of build events and X-GitHub-Delivery of clicks: idempotency keys (STYLE.md §8)
      `CREATE TABLE IF NOT EXISTS deliveries (
        id TEXT PRIMARY KEY,
        build_key TEXT NOT NULL,
        at INTEGER NOT NULL
      )`,
    ]);
  }

  all(): Build[] {
    if (!this.schema.exists()) return [];
    return this.sql.exec<{ data: string }>("SELECT data FROM builds ORDER BY seq").toArray().map((r) => JSON.parse(r.data) as Build);
  }

  /**
   * What intake needs to decide: the same build (duplicate/conflict) and the builds of the branch
   * a new one could supersede. Indexed columns keep this independent of the app's whole history.
   */
  forIntake(key: string, branch: string, supersedable: readonly string[]): Build[] {
    if (!this.schema.exists()) return [];
    const marks = supersedable.map(() => "?").join(", ");
    return this.sql
      .exec<{ data: string }>(`SELECT data FROM builds WHERE key = ? OR (branch = ? AND state IN (${marks})) ORDER BY seq`, key, branch, ...supersedable)
      .toArray()
      .map((r) => JSON.parse(r.data) as Build);
  }

  /** Builds with a running timer (expiry, delayed auto-publish). */
  awaitingApproval(): Build[] {
    if (!this.schema.exists()) return [];
    return this.sql
      .exec<{ data: string }>("SELECT data FROM builds WHERE state = 'awaiting_approval' ORDER BY seq")
      .toArray()
      .map((r) => JSON.parse(r.data) as Build);
  }

  /** The repo of this object's builds (all share it: the object's key is `<repo>/<app_id>`). */
  anyRepo(): string | undefined {
    if (!this.schema.exists()) return undefined;
    return this.sql.exec<{ repo: string | null }>("SELECT json_extract(data, '$.repo') AS repo FROM builds LIMIT 1").toArray()[0]?.repo ?? undefined;
  }

  get(key: string): Build | undefined {
    if (!this.schema.exists()) return undefined;
    const row = this.sql.exec<{ data: string }>("SELECT data FROM builds WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(row.data) as Build) : undefined;
  }

  put(whole: Build): void {
    this.schema.ensure();
    const build = boundHistory(whole);
    this.sql.exec(
      `INSERT INTO builds (key, seq, branch, build_id, state, data)
       VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM builds), ?2, ?3, ?4, ?5)
       ON CONFLICT(key) DO UPDATE SET state = excluded.state, data = excluded.data`,
      build.key,
      build.branch,
      build.build_id,
      build.state,
      JSON.stringify(build),
    );
  }

  /**
   * Compacts final builds past retention, at most `limit` per call (the alarm calls it again):
   * per branch, those beyond the newest `keep` final ones, and any final for longer than
   * `before` (an ISO time). Also forgets delivery ids older than `deliveriesBefore`.
   */
  compactFinal(keep: number, before: string, deliveriesBefore: number, limit = 50): number {
    if (!this.schema.exists()) return 0;
    const marks = TERMINAL.map(() => "?").join(", ");
    const rows = this.sql
      .exec<{ data: string }>(
        `SELECT data FROM (
           SELECT data, ROW_NUMBER() OVER (PARTITION BY branch ORDER BY seq DESC) AS rank
           FROM builds WHERE state IN (${marks})
         ) WHERE (rank > ? OR json_extract(data, '$.updated_at') < ?) AND json_extract(data, '$.compacted') IS NULL LIMIT ?`,
        ...TERMINAL, keep, before, limit,
      )
      .toArray();
    for (const r of rows) {
      const b = compactBuild(JSON.parse(r.data) as Build);
      this.sql.exec("UPDATE builds SET data = ? WHERE key = ?", JSON.stringify(b), b.key);
    }
    this.sql.exec("DELETE FROM deliveries WHERE at < ?", deliveriesBefore);
    return rows.length;
  }

  delivery(id: string): string | undefined {
    if (!this.schema.exists()) return undefined;
    return this.sql.exec<{ build_key: string }>("SELECT build_key FROM deliveries WHERE id = ?", id).toArray()[0]?.build_key;
  }

  recordDelivery(id: string, buildKey: string, now: number): void {
    this.schema.ensure();
    this.sql.exec("INSERT OR IGNORE INTO deliveries (id, build_key, at) VALUES (?, ?, ?)", id, buildKey, now);
  }
}
