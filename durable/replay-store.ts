/**
 * The ReplayLedger's SQLite table: one row per key, indexed on expiry so pruning reads only what
 * is due. Created on the first write: a shard that has only been asked creates no storage.
 */
import type { LedgerEntry } from "../lib/replay/decide-replay.js";

export class ReplayStore {
  private created = false;

  constructor(private readonly sql: SqlStorage) {}

  private exists(): boolean {
    if (!this.created) this.created = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger'").toArray().length > 0;
    return this.created;
  }

  private create(): void {
    if (this.exists()) return;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS ledger (
      key TEXT PRIMARY KEY,
      digest TEXT NOT NULL,
      first_seen INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS ledger_expires ON ledger(expires_at)");
    this.created = true;
  }

  get(key: string): LedgerEntry | undefined {
    if (!this.exists()) return undefined;
    return this.sql.exec<{ digest: string; first_seen: number; expires_at: number }>("SELECT digest, first_seen, expires_at FROM ledger WHERE key = ?", key).toArray()[0];
  }

  /** Records `key`, replacing an expired row the prune has not reached yet. */
  put(key: string, entry: LedgerEntry): void {
    this.create();
    this.sql.exec(
      `INSERT INTO ledger (key, digest, first_seen, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET digest = excluded.digest, first_seen = excluded.first_seen, expires_at = excluded.expires_at`,
      key,
      entry.digest,
      entry.first_seen,
      entry.expires_at,
    );
  }

  /** Deletes the row only if it is still the one with this digest. */
  delete(key: string, digest: string): void {
    if (this.exists()) this.sql.exec("DELETE FROM ledger WHERE key = ? AND digest = ?", key, digest);
  }

  /** Deletes at most `limit` expired rows, oldest first, through the expiry index. */
  prune(now: number, limit: number): void {
    if (this.exists()) this.sql.exec("DELETE FROM ledger WHERE key IN (SELECT key FROM ledger WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)", now, limit);
  }

  nextExpiry(): number | undefined {
    if (!this.exists()) return undefined;
    return this.sql.exec<{ n: number | null }>("SELECT MIN(expires_at) AS n FROM ledger").one().n ?? undefined;
  }

  count(): number {
    if (!this.exists()) return 0;
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ledger").one().n;
  }
}
