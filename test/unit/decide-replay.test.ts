/** The replay ledger's pure decision (issue 10 items 3, 6, 7). */
import { describe, expect, it } from "vitest";
import { decideReplay } from "../../lib/replay/decide-replay.js";
import { LEDGER_WINDOWS_MS, ledgerKey } from "../../lib/replay/ledger-keys.js";

describe("decideReplay", () => {
  const entry = { digest: "a", first_seen: 1_000, expires_at: 2_000 };

  it("new when never seen", () => {
    expect(decideReplay(undefined, "a", 1_500)).toEqual({ kind: "new" });
  });

  it("duplicate for the same digest, reused for another, while the entry lives", () => {
    expect(decideReplay(entry, "a", 1_999)).toEqual({ kind: "duplicate", first_seen: 1_000 });
    expect(decideReplay(entry, "b", 1_999)).toEqual({ kind: "reused", first_seen: 1_000 });
  });

  it("an expired entry (not yet pruned) is no evidence: new", () => {
    expect(decideReplay(entry, "a", 2_000)).toEqual({ kind: "new" });
    expect(decideReplay(entry, "b", 5_000)).toEqual({ kind: "new" });
  });
});

describe("ledger keys", () => {
  it("namespaces never collide and windows follow their sources", () => {
    expect(ledgerKey("build", "x")).not.toBe(ledgerKey("callback", "x"));
    expect(LEDGER_WINDOWS_MS.github).toBe(3 * 24 * 3_600_000); // GitHub's redelivery window
    expect(LEDGER_WINDOWS_MS.callback).toBe(10 * 60_000); // 2 × the 5-minute signature tolerance
  });
});
