/**
 * 2. `receiveBuild` against an app that already has 0, 100 or 1000 builds: the duplicate check
 * (`find` by key) and the supersede scan are both linear in the builds held. The AppPublisher
 * also loads every build (`BuildStore.all()`: one `JSON.parse` per row) before each intake, so
 * the "load + receive" rows show what an intake really costs the Durable Object.
 */
import type { Build } from "../lib/build.js";
import { RepoPolicy } from "../lib/config.js";
import { receiveBuild } from "../lib/publisher/receive-build.js";
import { appHistory, buildEvent } from "./builders.js";
import { compare, median, ratio, type Variant, type VariantResult } from "./harness.js";
import { roundsOf, toRow, type Section } from "./report.js";

export async function benchReceiveBuild(): Promise<Section> {
  const policy = RepoPolicy.parse({ approval: "required" });
  const now = new Date("2026-12-01T12:00:00.000Z");
  const event = buildEvent({ buildNumber: 999_999 });
  const sizes = [0, 100, 1000] as const;
  // the rows as the builds table holds them, and the records as BuildStore.all() returns them:
  // freshly parsed, so laid out together in the heap (records built field by field end up
  // scattered, and the scan then measures cache misses, ~10× slower at 1000)
  const rows = new Map<number, string[]>(sizes.map((n) => [n, appHistory(n).map((b) => JSON.stringify(b))]));
  const existing = new Map<number, Build[]>(sizes.map((n) => [n, rows.get(n)!.map((r) => JSON.parse(r) as Build)]));

  for (const n of sizes) {
    const out = receiveBuild(existing.get(n)!, event, policy, now);
    if (out.kind !== "created") throw new Error(`expected a new build with ${n} existing, got ${out.kind}`);
    if (out.superseded.length !== (n > 0 ? 1 : 0)) throw new Error(`expected ${n > 0 ? 1 : 0} superseded build(s), got ${out.superseded.length}`);
  }

  const variants: Record<string, Variant> = {};
  for (const n of sizes) variants[`pure${n}`] = { name: `receiveBuild, ${n} existing`, fn: () => receiveBuild(existing.get(n)!, event, policy, now) };
  for (const n of sizes) {
    const stored = rows.get(n)!;
    variants[`load${n}`] = { name: `load ${n} rows + receiveBuild`, fn: () => receiveBuild(stored.map((r) => JSON.parse(r) as Build), event, policy, now) };
  }
  const r = await compare(variants, { latency: true });
  const at = (key: string) => {
    const v = r[key];
    if (!v) throw new Error(`no result ${key}`);
    return v;
  };
  /** ns each held build adds, from the p50 latencies (the mean also carries GC pauses) */
  const perBuildNs = (base: VariantResult, v: VariantResult, n: number) => (((v.p50Us ?? Number.NaN) - (base.p50Us ?? Number.NaN)) * 1000) / n;
  /** (t1000 − t0) / (t100 − t0) per round, median: ≈10 when the cost per held build is constant */
  const marginal = (base: VariantResult, v100: VariantResult, v1000: VariantResult) =>
    median(base.rounds.map((b, i) => (1 / (v1000.rounds[i] ?? Number.NaN) - 1 / b) / (1 / (v100.rounds[i] ?? Number.NaN) - 1 / b)));

  return {
    id: "receive-build",
    title: "2. receiveBuild vs builds already held by the app (approval: required; newest awaits approval and is superseded)",
    rows: Object.entries(r).map(([key, v]) => {
      const n = Number(key.replace(/\D/g, ""));
      if (n === 0) return toRow(v);
      const kind = key.startsWith("load") ? "load" : "pure";
      const note = `+${perBuildNs(at(`${kind}0`), v, n).toFixed(0)} ns per held build`;
      const json = rows.get(n)!.reduce((sum, row) => sum + row.length, 0);
      return toRow(v, kind === "load" ? { memoryBytes: json, memoryWhat: "JSON parsed per intake", note } : { note });
    }),
    ratios: [
      { name: "receiveBuild time 1000 / 0 existing", value: ratio(at("pure0"), at("pure1000")), meaning: "the scan of 1000 held builds next to the fixed work (new record, transitions, effects)" },
      { name: "load+receive (t1000 − t0) / (t100 − t0)", value: marginal(at("load0"), at("load100"), at("load1000")), meaning: "same with the JSON.parse of every row" },
      { name: "load+receive / receiveBuild, 1000 existing", value: ratio(at("pure1000"), at("load1000")), meaning: "how much loading the rows dominates the pure decision" },
    ],
    data: {
      per_held_build_ns: { receive_build: perBuildNs(at("pure0"), at("pure1000"), 1000), load_and_receive: perBuildNs(at("load0"), at("load1000"), 1000) },
      rounds: roundsOf(r),
    },
  };
}
