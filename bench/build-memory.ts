/**
 * 6. What a stored Build record weighs: its JSON (the `builds.data` column of the AppPublisher's
 * SQLite) and the heap it takes once parsed (what `BuildStore.all()` holds during an intake).
 * 10k typical records (live, 7 history entries, 3 refs) and 1k records with a 200-entry history.
 * A Durable Object's isolate has 128 MB.
 */
import type { Build } from "../lib/build.js";
import { buildEvent, buildRecord, longHistoryBuild } from "./builders.js";
import { median, retainedHeap } from "./harness.js";
import { bytes, type Row, type Section } from "./report.js";

const ISOLATE_BYTES = 128 * 1024 * 1024;

function measure(label: string, make: (i: number) => Build, count: number) {
  // one string per record, as the rows read from SQLite are (the records themselves are dropped)
  const strings = retainedHeap(() => Array.from({ length: count }, (_, i) => JSON.stringify(make(i))));
  const rows = strings.value;
  const jsonBytes = rows.reduce((s, r) => s + Buffer.byteLength(r), 0);
  const parseTimes: number[] = [];
  const parsed = retainedHeap(() => {
    const t0 = performance.now();
    const builds = rows.map((r) => JSON.parse(r) as Build); // as BuildStore.all() does
    parseTimes.push(performance.now() - t0);
    return builds;
  });
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const again = rows.map((r) => JSON.parse(r) as Build);
    parseTimes.push(performance.now() - t0);
    if (again.length !== count) throw new Error("parse lost rows");
  }
  return {
    label,
    count,
    json_bytes_per_build: jsonBytes / count,
    heap_bytes_per_build: parsed.bytes / count,
    string_heap_bytes_per_build: strings.bytes / count,
    total_heap_bytes: parsed.bytes,
    parse_all_ms: median(parseTimes),
    exact: parsed.exact,
  };
}

export function benchBuildMemory(): Section {
  const typical = measure("typical (live, 7 history, 3 refs)", (i) => buildRecord(buildEvent({ buildNumber: i }), "live"), 10_000);
  const long = measure("long history (200 entries)", () => longHistoryBuild(200), 500);
  const rows: Row[] = [typical, long].flatMap((m) => [
    { name: `${m.label}: JSON per build`, memoryBytes: m.json_bytes_per_build, memoryWhat: "JSON" },
    {
      name: `${m.label}: heap per parsed build`,
      memoryBytes: m.heap_bytes_per_build,
      memoryWhat: "heap",
      note: `${(m.heap_bytes_per_build / m.json_bytes_per_build).toFixed(1)}× its JSON; row string ${bytes(m.string_heap_bytes_per_build)}`,
    },
    {
      name: `${m.label}: ${m.count} builds parsed (BuildStore.all)`,
      ms: m.parse_all_ms,
      memoryBytes: m.total_heap_bytes,
      memoryWhat: "heap",
      note: `${((m.total_heap_bytes / ISOLATE_BYTES) * 100).toFixed(0)}% of a 128 MB isolate`,
    },
  ]);
  return {
    id: "build-memory",
    title: `6. Memory per stored Build record (${typical.exact ? "full GC around each reading" : "NO gc: approximate"})`,
    rows,
    ratios: [{ name: "heap / JSON bytes, typical build", value: typical.heap_bytes_per_build / typical.json_bytes_per_build, meaning: "parsed object size relative to its stored JSON" }],
    data: { typical, long_history: long },
  };
}
