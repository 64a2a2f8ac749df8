/** The AppPublisher's SQLite tables: builds (one JSON record each) and seen delivery ids. */
import type { Build } from "../lib/build.js";
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
    return this.schema.ifExists(() => this.sql.exec<{ data: string }>("SELECT data FROM builds ORDER BY seq").toArray().map((r) => JSON.parse(r.data) as Build), []);
  }

  /**
   * What intake needs to decide: the same build (duplicate/conflict) and the builds of the branch
   * a new one could supersede. Indexed columns keep this independent of the app's whole history.
   */
  forIntake(key: string, branch: string, supersedable: readonly string[]): Build[] {
    const marks = supersedable.map(() => "?").join(", ");
    return this.schema.ifExists(
      () =>
        this.sql
          .exec<{ data: string }>(`SELECT data FROM builds WHERE key = ? OR (branch = ? AND state IN (${marks})) ORDER BY seq`, key, branch, ...supersedable)
          .toArray()
          .map((r) => JSON.parse(r.data) as Build),
      [],
    );
  }

  /** Builds with a running timer (expiry, delayed auto-publish). */
  awaitingApproval(): Build[] {
    return this.schema.ifExists(
      () =>
        this.sql
          .exec<{ data: string }>("SELECT data FROM builds WHERE state = 'awaiting_approval' ORDER BY seq")
          .toArray()
          .map((r) => JSON.parse(r.data) as Build),
      [],
    );
  }

  get(key: string): Build | undefined {
    const row = this.schema.ifExists(() => this.sql.exec<{ data: string }>("SELECT data FROM builds WHERE key = ?", key).toArray()[0], undefined);
    return row ? (JSON.parse(row.data) as Build) : undefined;
  }

  put(build: Build): void {
    this.schema.write(() =>
      this.sql.exec(
        `INSERT INTO builds (key, seq, branch, build_id, state, data)
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM builds), ?2, ?3, ?4, ?5)
         ON CONFLICT(key) DO UPDATE SET state = excluded.state, data = excluded.data`,
        build.key,
        build.branch,
        build.build_id,
        build.state,
        JSON.stringify(build),
      ),
    );
  }

  delivery(id: string): string | undefined {
    return this.schema.ifExists(() => this.sql.exec<{ build_key: string }>("SELECT build_key FROM deliveries WHERE id = ?", id).toArray()[0]?.build_key, undefined);
  }

  recordDelivery(id: string, buildKey: string, now: number): void {
    this.schema.write(() => this.sql.exec("INSERT OR IGNORE INTO deliveries (id, build_key, at) VALUES (?, ?, ?)", id, buildKey, now));
  }
}
