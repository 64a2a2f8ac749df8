import { describe, expect, it } from "vitest";
import {
  SUMMARY_SET,
  chunk,
  isMutablePath,
  mutablePaths,
  normalizePath,
  originCacheHeaders,
  publicUrls,
  sendOrder,
  surrogateKey,
} from "../../lib/purge/mutable-paths.js";

describe("mutablePaths", () => {
  it("keeps exactly the mutable files and always the summary set, summary set first", () => {
    const { paths, ignored } = mutablePaths([
      "refs/heads/app/org.x.App/x86_64/stable",
      "objects/ab/cdef.commit",
      "deltas/ab/cdef/superblock",
      "summaries/0123abcd.gz",
      "summaries/0123abcd.idx.sig",
      "config",
      "delta-indexes/ab/cdef.index",
      "appstream/x86_64/appstream.xml.gz",
      "refs/heads/appstream2/x86_64",
      "refs/mirrors/org.flathub.Stable/app/org.x.App/x86_64/stable",
      "summary",
      "summary.sig",
    ]);
    expect(paths).toEqual([
      "summary",
      "summary.sig",
      "summary.idx",
      "summary.idx.sig",
      "appstream/x86_64/appstream.xml.gz",
      "delta-indexes/ab/cdef.index",
      "refs/heads/app/org.x.App/x86_64/stable",
      "refs/heads/appstream2/x86_64",
      "refs/mirrors/org.flathub.Stable/app/org.x.App/x86_64/stable",
    ]);
    expect(ignored).toEqual([
      "objects/ab/cdef.commit",
      "deltas/ab/cdef/superblock",
      "summaries/0123abcd.gz",
      "summaries/0123abcd.idx.sig",
      "config",
    ]);
  });

  it("adds the summary set even when nothing changed, and dedupes", () => {
    expect(mutablePaths([]).paths).toEqual([...SUMMARY_SET]);
    expect(mutablePaths(["/refs/heads/a", "./refs/heads/a", "refs/heads/a", "summary.idx"]).paths).toEqual([...SUMMARY_SET, "refs/heads/a"]);
  });

  it("refuses traversal and odd paths", () => {
    for (const p of ["../summary", "refs/heads/../../objects/x", "refs/heads/", "refs//heads/a", "summary?x=1", "refs/heads/a b", "", "summary.idx.sig.old", "appstream"]) {
      const n = normalizePath(p);
      expect(n === undefined || !isMutablePath(n), p).toBe(true);
    }
  });
});

describe("keys and URLs", () => {
  it("names one surrogate key per file, prefixed by the repo", () => {
    expect(surrogateKey("stable", "refs/heads/app/org.x.App/x86_64/stable")).toBe("stable:refs/heads/app/org.x.App/x86_64/stable");
    expect(originCacheHeaders("beta", "summary.sig")).toEqual({ "Surrogate-Key": "beta:summary.sig", "Cache-Tag": "beta:summary.sig" });
    expect(originCacheHeaders("beta", "objects/ab/cd.filez")).toEqual({});
  });

  it("resolves paths below a public URL with a path prefix", () => {
    expect(publicUrls("https://dl.example.org/repo", ["summary", "refs/heads/app/org.x.App/x86_64/stable"])).toEqual([
      "https://dl.example.org/repo/summary",
      "https://dl.example.org/repo/refs/heads/app/org.x.App/x86_64/stable",
    ]);
    expect(publicUrls("https://dl.example.org/repo/", ["summary.sig"])).toEqual(["https://dl.example.org/repo/summary.sig"]);
    expect(publicUrls("https://dl.example.org", ["summary"])).toEqual(["https://dl.example.org/summary"]);
  });
});

describe("chunk / sendOrder", () => {
  it("splits into the fewest batches", () => {
    const list = Array.from({ length: 300 }, (_, i) => i);
    expect(chunk(list, 256).map((c) => c.length)).toEqual([256, 44]);
    expect(chunk(list.slice(0, 250), 100).map((c) => c.length)).toEqual([100, 100, 50]);
    expect(chunk([], 100)).toEqual([]);
    expect(() => chunk(list, 0)).toThrow(RangeError);
  });

  it("sends the batch holding the first items (the summary set) last", () => {
    const batches = sendOrder(["summary", "summary.sig", "summary.idx", "summary.idx.sig", "a", "b", "c"], 5);
    expect(batches).toEqual([["b", "c"], ["summary", "summary.sig", "summary.idx", "summary.idx.sig", "a"]]);
  });
});
