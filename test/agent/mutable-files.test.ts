/**
 * The mutable-file snapshot: only the summary set, appstream/** and delta-indexes/** are looked
 * at, unchanged files are not re-hashed, and changed_paths stays within the contract's caps.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_CHANGED_PATHS, MAX_CHANGED_PATHS_BYTES } from "../../lib/repo-master-contract.js";
import { boundChangedPaths, changedPaths, snapshotMutable } from "../../repo-master/mutable-files.js";
import { tempDir } from "./helpers.js";

let repo: string;
const put = async (rel: string, text: string) => {
  await mkdir(path.dirname(path.join(repo, rel)), { recursive: true });
  await writeFile(path.join(repo, rel), text);
};

beforeAll(async () => {
  repo = await tempDir("fg-mutable-");
  await put("summary", "s1");
  await put("summary.sig", "g1");
  await put("delta-indexes/ab/cdef.index", "i1");
  await put("delta-indexes/12/3456.index", "j1");
  await put("appstream/x86_64/org.example.App.flatpakref", "a1");
  await put("refs/heads/app/org.example.App/x86_64/stable", "c".repeat(64));
  await put("objects/00/abcd.commit", "o");
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe("snapshotMutable", () => {
  it("hashes the mutable files other than refs, and re-hashes only what moved", async () => {
    const before = await snapshotMutable(repo);
    expect(Object.keys(before).sort()).toEqual(["appstream/x86_64/org.example.App.flatpakref", "delta-indexes/12/3456.index", "delta-indexes/ab/cdef.index", "summary", "summary.sig"]);
    await put("summary", "s2");
    // another size: an in-place rewrite within the same coarse mtime tick would look unchanged
    // (ostree replaces these files by rename, so a real one also gets a new inode)
    await put("delta-indexes/ab/cdef.index", "i2, longer");
    await put("delta-indexes/ff/new.index", "n");
    await rm(path.join(repo, "delta-indexes/12/3456.index"));
    await put("refs/heads/app/org.example.App/x86_64/stable", "d".repeat(64));
    const after = await snapshotMutable(repo, before);
    // untouched: the very entry of the previous snapshot (not read again)
    expect(after["appstream/x86_64/org.example.App.flatpakref"]).toBe(before["appstream/x86_64/org.example.App.flatpakref"]);
    expect(changedPaths(before, after)).toEqual(["delta-indexes/12/3456.index", "delta-indexes/ab/cdef.index", "delta-indexes/ff/new.index", "summary"]);
  });

  it("accepts a previous snapshot without stats (older agents) and ignores its refs", async () => {
    const now = await snapshotMutable(repo);
    const legacy = Object.fromEntries([...Object.entries(now).map(([p, s]) => [p, { sha256: s.sha256 }]), ["refs/heads/app/x/x86_64/stable", { sha256: "0" }]]);
    expect(changedPaths(legacy, await snapshotMutable(repo, legacy))).toEqual([]);
  });
});

describe("boundChangedPaths", () => {
  it("lists the summary set first and stops at the count and byte caps", () => {
    const many = Array.from({ length: 5_000 }, (_, i) => `delta-indexes/${String(i % 100).padStart(2, "0")}/${"x".repeat(41)}${i}.index`);
    const { listed, omitted } = boundChangedPaths([...many, "summary.sig", "summary"]);
    expect(listed.slice(0, 2)).toEqual(["summary.sig", "summary"]);
    expect(listed.length).toBeLessThanOrEqual(MAX_CHANGED_PATHS);
    expect(Buffer.byteLength(JSON.stringify(listed))).toBeLessThanOrEqual(MAX_CHANGED_PATHS_BYTES);
    expect(listed.length + omitted).toBe(5_002);
    const short = Array.from({ length: 3_000 }, (_, i) => `a/${i}`);
    expect(boundChangedPaths(short).listed).toHaveLength(MAX_CHANGED_PATHS);
  });
});
