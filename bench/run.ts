/**
 * `npm run bench`: runs every benchmark, prints one table, writes bench/results/<time>.json and
 * bench/results/latest.json. `npm run bench -- intake coalescing` runs only those (by id).
 * See bench/README.md for what each one measures and how to read it.
 */
import { benchBuildMemory } from "./build-memory.js";
import { benchCoalescing } from "./coalescing.js";
import { gc } from "./harness.js";
import { benchIntake } from "./intake.js";
import { benchIntakeWorkerd } from "./intake-workerd.js";
import { benchIndexListing } from "./index-listing.js";
import { benchProjections } from "./projections.js";
import { benchPurgePlanning } from "./purge-planning.js";
import { benchReceiveBuild } from "./receive-build.js";
import { environment, formatTable, writeResults, type Section } from "./report.js";

const BENCHMARKS: { id: string; run: () => Section | Promise<Section> }[] = [
  { id: "intake", run: benchIntake },
  { id: "intake-workerd", run: benchIntakeWorkerd },
  { id: "receive-build", run: benchReceiveBuild },
  { id: "coalescing", run: benchCoalescing },
  { id: "purge-planning", run: benchPurgePlanning },
  { id: "projections", run: benchProjections },
  { id: "build-memory", run: benchBuildMemory },
  { id: "index-listing", run: benchIndexListing },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !BENCHMARKS.some((b) => b.id === w));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${BENCHMARKS.map((b) => b.id).join(", ")}`);
  process.exit(2);
}

const startedAt = new Date();
const env = environment(gc());
console.log(`flatgate bench: node ${env.node}, ${env.platform}, ${env.cpus} CPU(s) (${env.cpu_model}), load ${env.load_avg_1m?.toFixed(2)}`);
console.log("Quote the ratios (variants interleaved in one run); absolute ops/s vary with the machine and its load.");

const sections: Section[] = [];
const timings: Record<string, number> = {};
for (const b of BENCHMARKS) {
  if (wanted.length > 0 && !wanted.includes(b.id)) continue;
  const t0 = performance.now();
  process.stdout.write(`running ${b.id}…\n`);
  sections.push(await b.run());
  timings[b.id] = Math.round(performance.now() - t0);
  gc();
}

const memory = process.memoryUsage();
console.log(formatTable(sections));
const durationMs = Math.round(performance.now());
console.log(`\nprocess: rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB; ${(durationMs / 1000).toFixed(1)} s`);

const file = writeResults(
  { started_at: startedAt.toISOString(), duration_ms: durationMs, timings_ms: timings, environment: env, process_memory: memory, sections },
  startedAt,
);
console.log(`wrote ${file} and bench/results/latest.json`);
