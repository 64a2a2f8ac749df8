/**
 * Tables created once, lazily, on the first write (issue 9 item 5, issue 10 item 4): a Durable
 * Object that is only read (a status page of an unknown app, a probe) runs no schema statement
 * and holds no table. Reads (and updates of rows that must already exist) go through
 * `ifExists`, which looks at sqlite_master once and then answers from memory; statements that
 * store something new go through `write`, which creates the tables first if needed.
 *
 * The cached answer is safe because only this object writes its storage. Should a
 * `transactionSync` that created the tables roll back, the next statement meets "no such
 * table": `ifExists` then answers empty and `write` creates the tables again and retries once.
 */
export class LazySchema {
  private ready: boolean | undefined;

  constructor(
    private readonly sql: SqlStorage,
    /** the table whose presence means the whole schema is there (created first) */
    private readonly probe: string,
    private readonly statements: readonly string[],
  ) {}

  /** Whether the tables exist (one sqlite_master lookup per object lifetime). */
  exists(): boolean {
    if (this.ready === undefined) {
      this.ready = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", this.probe).toArray().length > 0;
    }
    return this.ready;
  }

  /** Creates the tables now if they are not there (idempotent). */
  ensure(): void {
    if (this.ready) return;
    for (const s of this.statements) this.sql.exec(s);
    this.ready = true;
  }

  /** Runs a query, or answers `empty` without touching storage when there are no tables. */
  ifExists<T>(query: () => T, empty: T): T {
    if (!this.exists()) return empty;
    try {
      return query();
    } catch (e) {
      if (!missingTable(e)) throw e;
      this.ready = false;
      return empty;
    }
  }

  /** Runs a statement that stores something, creating the tables first when needed. */
  write<T>(statement: () => T): T {
    this.ensure();
    try {
      return statement();
    } catch (e) {
      if (!missingTable(e)) throw e;
      this.ready = undefined;
      this.ensure();
      return statement();
    }
  }
}

const missingTable = (e: unknown) => e instanceof Error && /no such table/i.test(e.message);
