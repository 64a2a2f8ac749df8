/**
 * Tables created once, lazily, on the first write (issue 9 item 5, issue 10 item 4): a Durable
 * Object that is only read (a status page of an unknown app, a probe) creates no storage and
 * runs no schema statements. Reads ask `exists()`, which looks at sqlite_master once and then
 * answers from memory; writes call `ensure()` first.
 *
 * The cached answer is safe because only this object writes its storage. One caveat: a
 * `transactionSync` that creates the tables and then throws rolls them back while the flag
 * says they exist; call `ensure()` before such a transaction (Outbox.ensureSchema does).
 */
export class LazySchema {
  private ready: boolean | undefined;

  constructor(
    private readonly sql: SqlStorage,
    /** the table whose presence means the whole schema is there (created first) */
    private readonly probe: string,
    private readonly statements: readonly string[],
  ) {}

  exists(): boolean {
    if (this.ready === undefined) {
      this.ready = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", this.probe).toArray().length > 0;
    }
    return this.ready;
  }

  ensure(): void {
    if (this.ready) return;
    for (const s of this.statements) this.sql.exec(s);
    this.ready = true;
  }
}
