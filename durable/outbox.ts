/**
 * A transactional outbox in Durable Object SQLite storage: effects are written in the same
 * synchronous block as the state change that asked for them, and performed later from the alarm
 * with capped exponential backoff. A crash between the two loses nothing.
 */
import { backoffMs, DEFAULT_BACKOFF } from "../lib/backoff.js";
import { LazySchema } from "./lazy-schema.js";

export interface OutboxItem<E> {
  id: number;
  effect: E;
  attempts: number;
  next_at: number;
  last_error: string | null;
}

export class Outbox<E extends { kind: string; build_key?: string }> {
  private readonly schema: LazySchema;

  /** No SQL here: the table appears with the first effect, so a read-only object stores nothing. */
  constructor(private readonly sql: SqlStorage) {
    this.schema = new LazySchema(sql, "outbox", [
      `CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        dedupe TEXT,
        effect TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_error TEXT
      )`,
      "CREATE UNIQUE INDEX IF NOT EXISTS outbox_dedupe ON outbox(dedupe) WHERE dedupe IS NOT NULL",
    ]);
  }

  /** Creates the table now (e.g. before a transaction that must not be the one to create it). */
  ensureSchema(): void {
    this.schema.ensure();
  }

  /**
   * Adds effects. Effects with a `dedupe` key (e.g. "sync the check run of build X") are kept
   * once: a pending sync already brings the target up to date with whatever state it reads.
   */
  add(effects: readonly E[], now: number, dedupe: (e: E) => string | undefined = () => undefined): void {
    if (effects.length === 0) return;
    this.schema.ensure();
    for (const e of effects) {
      const key = dedupe(e) ?? null;
      this.sql.exec(
        "INSERT INTO outbox (kind, dedupe, effect, next_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        e.kind,
        key,
        JSON.stringify(e),
        now,
      );
    }
  }

  due(now: number, limit = 25): OutboxItem<E>[] {
    if (!this.schema.exists()) return [];
    return this.sql
      .exec<{ id: number; effect: string; attempts: number; next_at: number; last_error: string | null }>(
        "SELECT id, effect, attempts, next_at, last_error FROM outbox WHERE next_at <= ? ORDER BY id LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map((r) => ({ id: r.id, effect: JSON.parse(r.effect) as E, attempts: r.attempts, next_at: r.next_at, last_error: r.last_error }));
  }

  /**
   * Marks an item in flight: its dedupe key is released so a state change made while the effect
   * runs queues a fresh sync instead of being swallowed by the one already on the wire.
   */
  start(id: number): void {
    if (!this.schema.exists()) return;
    this.sql.exec("UPDATE outbox SET dedupe = NULL WHERE id = ?", id);
  }

  done(id: number): void {
    if (!this.schema.exists()) return;
    this.sql.exec("DELETE FROM outbox WHERE id = ?", id);
  }

  /** Reschedules after a failure: the server's Retry-After when given, else backoff. Never dropped. */
  retry(item: OutboxItem<E>, now: number, error: string, retryAfterMs?: number): void {
    if (!this.schema.exists()) return;
    const attempts = item.attempts + 1;
    const wait = Math.max(retryAfterMs ?? 0, backoffMs(Math.min(attempts, DEFAULT_BACKOFF.maxAttempts), DEFAULT_BACKOFF));
    this.sql.exec("UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?", attempts, now + wait, error.slice(0, 500), item.id);
  }

  nextAt(): number | undefined {
    if (!this.schema.exists()) return undefined;
    const row = this.sql.exec<{ n: number | null }>("SELECT MIN(next_at) AS n FROM outbox").one();
    return row.n ?? undefined;
  }

  pending(): OutboxItem<E>[] {
    return this.due(Number.MAX_SAFE_INTEGER, 1000);
  }
}
