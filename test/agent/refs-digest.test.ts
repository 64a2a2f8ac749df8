/** The shared refs digest and the agent's paging of it: pure, no tools. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { refsDigest } from "../../lib/refs-digest.js";
import { pageRefs } from "../../repo-master/refs-page.js";

const c = (n: number) => n.toString(16).padStart(64, "0");

describe("refsDigest", () => {
  it("hashes sorted, deduplicated `ref commit` lines, `-` for an absent ref", async () => {
    const text = `app/a/x86_64/stable ${c(1)}\napp/b/x86_64/stable -\n`;
    const expected = createHash("sha256").update(text).digest("hex");
    expect(await refsDigest([["app/b/x86_64/stable", null], ["app/a/x86_64/stable", c(1)], ["app/a/x86_64/stable", c(1)]])).toBe(expected);
  });

  it("sorts by plain string comparison (uppercase before lowercase), not locale", async () => {
    const a = await refsDigest([["app/Z/x/s", null], ["app/a/x/s", null]]);
    expect(a).toBe(createHash("sha256").update("app/Z/x/s -\napp/a/x/s -\n").digest("hex"));
  });

  it("of nothing is the sha256 of the empty string", async () => {
    expect(await refsDigest([])).toBe(createHash("sha256").update("").digest("hex"));
  });
});

describe("pageRefs", () => {
  const list: [string, string | null][] = Array.from({ length: 7 }, (_, i) => [`app/r${i}/x86_64/stable`, i % 2 ? c(i) : null]);

  it("walks the list with opaque cursors", () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = pageRefs(list, cursor, 3);
      if (!page.ok) throw new Error(page.error);
      seen.push(...page.value.refs.map((r) => r.ref));
      if (!page.value.next_cursor) break;
      cursor = page.value.next_cursor;
    }
    expect(seen).toEqual(list.map(([r]) => r));
  });

  it("ends with next_cursor null and refuses a cursor it did not make", () => {
    expect(pageRefs(list, undefined, 7)).toMatchObject({ ok: true, value: { next_cursor: null } });
    expect(pageRefs([], undefined, 5)).toEqual({ ok: true, value: { refs: [], next_cursor: null } });
    expect(pageRefs(list, "%%%", 3)).toEqual({ ok: false, error: "bad_cursor" });
    expect(pageRefs(list, Buffer.from("x").toString("base64url"), 3)).toEqual({ ok: false, error: "bad_cursor" });
  });
});
