/**
 * The repo files a CDN must purge after a summary update (DESIGN.md "Purge"): the summary
 * files, refs/heads/**, appstream/** and delta-indexes/**. objects/, deltas/ and summaries/
 * are content-addressed and never change, so they are not looked at. A snapshot maps each
 * mutable path to its sha256; comparing two snapshots gives the paths to purge.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export type Snapshot = Record<string, string>;

const SUMMARY_FILES = ["summary", "summary.sig", "summary.idx", "summary.idx.sig"];
const MUTABLE_DIRS = ["refs/heads", "appstream", "delta-indexes"];

export async function snapshotMutable(repo: string): Promise<Snapshot> {
  const snap: Snapshot = {};
  for (const f of SUMMARY_FILES) {
    const h = await hashFile(path.join(repo, f));
    if (h) snap[f] = h;
  }
  for (const dir of MUTABLE_DIRS) {
    for (const rel of await listFiles(repo, dir)) {
      const h = await hashFile(path.join(repo, rel));
      if (h) snap[rel] = h;
    }
  }
  return snap;
}

/** Paths added, changed or removed between two snapshots (a removed file is stale in caches too). */
export function changedPaths(before: Snapshot, after: Snapshot): string[] {
  const paths = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...paths].filter((p) => before[p] !== after[p]).sort();
}

/** ref -> commit, read from refs/heads (one file per ref holding its checksum). */
export async function readRefs(repo: string): Promise<Record<string, string>> {
  const refs: Record<string, string> = {};
  for (const rel of await listFiles(repo, "refs/heads")) {
    const text = await readFile(path.join(repo, rel), "utf8").catch(() => "");
    const commit = text.trim();
    if (/^[0-9a-f]{64}$/.test(commit)) refs[rel.slice("refs/heads/".length)] = commit;
  }
  return refs;
}

export async function sha256File(file: string): Promise<string | undefined> {
  return hashFile(file);
}

async function hashFile(file: string): Promise<string | undefined> {
  try {
    return createHash("sha256").update(await readFile(file)).digest("hex");
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
