/** log_tail stays small in lines and in bytes, whatever the tool prints (pure). */
import { describe, expect, it } from "vitest";
import { LOG_TAIL_BYTES, LOG_TAIL_LINES, LogTail } from "../../repo-master/log-tail.js";

describe("LogTail", () => {
  it("keeps the last lines", () => {
    const t = new LogTail(["old"]);
    for (let i = 0; i < 30_000; i++) t.push(`No appstream data for app/org.example.App${i}/x86_64/stable`);
    const lines = t.toArray();
    expect(lines).toHaveLength(LOG_TAIL_LINES);
    expect(lines.at(-1)).toBe("No appstream data for app/org.example.App29999/x86_64/stable");
  });

  it("caps the bytes of escaped and multi-byte lines", () => {
    const t = new LogTail();
    for (let i = 0; i < 100; i++) t.push(`${"\u0001".repeat(250)}${"語".repeat(400)}`);
    expect(Buffer.byteLength(JSON.stringify(t.toArray()))).toBeLessThanOrEqual(LOG_TAIL_BYTES + 2);
    expect(t.toArray().length).toBeGreaterThan(0);
  });
});
