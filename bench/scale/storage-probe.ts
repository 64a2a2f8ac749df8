/**
 * What the Durable Objects store under `wrangler dev --persist-to <dir>`: one SQLite file (plus
 * WAL) per object under `v3/do/<script>-<Class>/`. Sizes are sampled while a profile runs and
 * WAL growth is summed, because a checkpoint truncates or rewinds the WAL; the largest row per
 * table is read with Debian's `sqlite3` CLI, read-only.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

export interface ClassFiles {
  /** e.g. flatgate-RepoCoordinator */
  name: string;
  files: number;
  sqlite_bytes: number;
  wal_bytes: number;
}

export function doRoot(persistTo: string): string {
  return path.join(persistTo, "v3", "do");
}

/** Per Durable Object class: how many objects have a file, and the bytes of .sqlite and -wal. */
export function storageSizes(persistTo: string): ClassFiles[] {
  const root = doRoot(persistTo);
  if (!existsSync(root)) return [];
  return readdirSync(root).map((name) => {
    const dir = path.join(root, name);
    let files = 0;
    let sqlite_bytes = 0;
    let wal_bytes = 0;
    for (const f of readdirSync(dir)) {
      const size = fileSize(path.join(dir, f));
      if (f.endsWith(".sqlite")) {
        files++;
        sqlite_bytes += size;
      } else if (f.endsWith(".sqlite-wal")) wal_bytes += size;
    }
    return { name, files, sqlite_bytes, wal_bytes };
  });
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Follows every file's size between samples and sums its growth. A file that shrinks (a WAL
 * checkpoint with truncate, a VACUUM) starts over from its new size; a WAL that is rewound
 * without truncation is undercounted, which is why /proc write_bytes is reported beside it.
 */
export class GrowthMeter {
  private last = new Map<string, number>();
  grown = 0;
  /** per class directory (e.g. flatgate-AppPublisher) */
  byClass: Record<string, number> = {};

  constructor(private readonly persistTo: string) {
    this.sample();
    this.grown = 0;
    this.byClass = {};
  }

  sample(): void {
    const root = doRoot(this.persistTo);
    if (!existsSync(root)) return;
    for (const name of readdirSync(root)) {
      const dir = path.join(root, name);
      for (const f of readdirSync(dir)) {
        if (!f.endsWith(".sqlite") && !f.endsWith(".sqlite-wal")) continue;
        const file = path.join(dir, f);
        const size = fileSize(file);
        const before = this.last.get(file) ?? 0;
        if (size > before) {
          this.grown += size - before;
          this.byClass[name] = (this.byClass[name] ?? 0) + size - before;
        }
        this.last.set(file, size);
      }
    }
  }
}

function sqlite(file: string, query: string): Record<string, unknown>[] {
  const out = execFileSync("sqlite3", ["-readonly", "-json", file, query], { encoding: "utf8", maxBuffer: 64 << 20 });
  return out.trim() === "" ? [] : (JSON.parse(out) as Record<string, unknown>[]);
}

export interface LargestRow {
  table: string;
  rows: number;
  max_row_bytes: number;
}

/** Per user table: row count and the largest row (sum of its columns' lengths). */
export function largestRows(file: string): LargestRow[] {
  const tables = sqlite(file, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").map((r) => String(r.name));
  return tables.map((table) => {
    const cols = sqlite(file, `SELECT name FROM pragma_table_info('${table}')`).map((r) => String(r.name));
    const size = cols.map((c) => `COALESCE(length(CAST("${c}" AS BLOB)), 0)`).join(" + ") || "0";
    const r = sqlite(file, `SELECT COUNT(*) AS n, COALESCE(MAX(${size}), 0) AS m FROM "${table}"`)[0] ?? {};
    return { table, rows: Number(r.n ?? 0), max_row_bytes: Number(r.m ?? 0) };
  });
}

/** The object files of one class, e.g. `RepoCoordinator`. */
export function objectFiles(persistTo: string, className: string): string[] {
  const root = doRoot(persistTo);
  if (!existsSync(root)) return [];
  const dir = readdirSync(root).find((d) => d.endsWith(`-${className}`));
  if (!dir) return [];
  return readdirSync(path.join(root, dir)).filter((f) => f.endsWith(".sqlite")).map((f) => path.join(root, dir, f));
}

/** The RepoCoordinator file whose meta row names `repo`. */
export function coordinatorFile(persistTo: string, repo: string): string | undefined {
  for (const file of objectFiles(persistTo, "RepoCoordinator")) {
    try {
      const row = sqlite(file, "SELECT data FROM meta WHERE id = 1")[0];
      if (row && (JSON.parse(String(row.data)) as { repo?: string }).repo === repo) return file;
    } catch {
      // no meta table yet
    }
  }
  return undefined;
}

/** The largest row per table over several files (the biggest `sample` of them). */
export function largestRowsOf(files: readonly string[], sample = 10): LargestRow[] {
  const biggest = [...files].sort((a, b) => fileSize(b) - fileSize(a)).slice(0, sample);
  const byTable = new Map<string, LargestRow>();
  for (const f of biggest) {
    for (const r of largestRows(f)) {
      const seen = byTable.get(r.table);
      byTable.set(r.table, { table: r.table, rows: Math.max(seen?.rows ?? 0, r.rows), max_row_bytes: Math.max(seen?.max_row_bytes ?? 0, r.max_row_bytes) });
    }
  }
  return [...byTable.values()];
}
