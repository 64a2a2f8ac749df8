/**
 * The repo files (other than refs) a CDN must purge after a summary update (DESIGN.md "Purge"):
 * the summary files, appstream/** and delta-indexes/**. objects/, deltas/ and summaries/ are
 * content-addressed and never change, so they are not looked at; refs/heads/** is not either:
 * the pipeline names the refs it moved (options.changed_refs), and hashing one file per ref
 * was most of the agent's update-repo time at Flathub's size (issue 9 item 4).
 *
 * A snapshot maps each mutable path to its sha256 plus the stat that produced it; the next
 * snapshot re-hashes only files whose (inode, size, mtime) moved, a few at a time. The four
 * summary files are always hashed: they are rewritten on every update and the summary's hash
 * is part of the result.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { MAX_CHANGED_PATHS, MAX_CHANGED_PATHS_BYTES } from "../lib/repo-master-contract.js";

export interface FileState {
  sha256: string;
  /** `${ino}:${size}:${mtimeNs}`; absent for snapshots written by older agents (then: re-hash) */
  stat?: string;
}

export type Snapshot = Record<string, FileState>;

export const SUMMARY_FILES = ["summary", "summary.sig", "summary.idx", "summary.idx.sig"] as const;
const MUTABLE_DIRS = ["appstream", "delta-indexes"];
/** enough to keep the disk busy without a thousand open files */
const CONCURRENCY = 16;

export async function snapshotMutable(repo: string, previous: Snapshot = {}): Promise<Snapshot> {
  const listed = await Promise.all(MUTABLE_DIRS.map((dir) => listFiles(repo, dir)));
  const files: { rel: string; reuse: boolean }[] = [
    ...SUMMARY_FILES.map((rel) => ({ rel, reuse: false })),
    ...listed.flat().map((rel) => ({ rel, reuse: true })),
  ];
  const states = await mapLimit(files, CONCURRENCY, ({ rel, reuse }) => fileState(path.join(repo, rel), reuse ? previous[rel] : undefined));
  const snap: Snapshot = {};
  files.forEach(({ rel }, i) => {
    const s = states[i];
    if (s) snap[rel] = s;
  });
  return snap;
}

/** Paths added, changed or removed between two snapshots (a removed file is stale in caches too). */
export function changedPaths(before: Snapshot, after: Snapshot): string[] {
  const paths = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...paths].filter((p) => !isRefPath(p) && before[p]?.sha256 !== after[p]?.sha256).sort();
}

/**
 * The summary files first (they must always be purged), then the rest in order, while the list
 * stays within the contract's caps: the Job carrying it must stay ≤ 64 KiB.
 */
export function boundChangedPaths(paths: readonly string[]): { listed: string[]; omitted: number } {
  const summary = new Set<string>(SUMMARY_FILES);
  const ordered = [...paths.filter((p) => summary.has(p)), ...paths.filter((p) => !summary.has(p))];
  const listed: string[] = [];
  let bytes = 2;
  for (const p of ordered) {
    const cost = Buffer.byteLength(JSON.stringify(p)) + 1;
    if (listed.length >= MAX_CHANGED_PATHS || bytes + cost > MAX_CHANGED_PATHS_BYTES) break;
    listed.push(p);
    bytes += cost;
  }
  return { listed, omitted: ordered.length - listed.length };
}

/** Snapshots of older agents also listed refs/heads/**; those entries are ignored. */
function isRefPath(p: string): boolean {
  return p.startsWith("refs/");
}

async function fileState(file: string, previous: FileState | undefined): Promise<FileState | undefined> {
  try {
    const s = await stat(file, { bigint: true });
    if (!s.isFile()) return undefined;
    const key = `${s.ino}:${s.size}:${s.mtimeNs}`;
    if (previous?.stat === key) return previous;
    return { sha256: createHash("sha256").update(await readFile(file)).digest("hex"), stat: key };
  } catch {
    return undefined;
  }
}

/** Repo-relative paths (with `/`) of the regular files under `dir`, recursively. */
async function listFiles(repo: string, dir: string): Promise<string[]> {
  const entries = await readdir(path.join(repo, dir), { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(repo, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
