/**
 * A small benchmark harness (tinybench is not a dependency). The machines this runs on are
 * shared and noisy, so the number to quote is a RATIO of variants measured side by side:
 * `compare` warms every variant up, then runs them interleaved for several rounds (rotating who
 * goes first) and reports the median per variant and the median of the per-round ratios.
 * Absolute ops/s are printed too, but only as orders of magnitude.
 */
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";

export interface Variant {
  name: string;
  /** one operation; a returned promise is awaited */
  fn: () => unknown;
}

export interface CompareOptions {
  rounds?: number;
  /** each variant runs about this long per round (iterations are calibrated in the warm-up) */
  roundMs?: number;
  warmupMs?: number;
  /** time every operation to report p50/p95 latency (adds ~0.1 µs per op: use for ops of a few µs or more) */
  latency?: boolean;
}

export interface VariantResult {
  name: string;
  /** median over rounds */
  opsPerSec: number;
  /** ops/s of each round, in round order (for per-round ratios) */
  rounds: number[];
  iterations: number;
  /** per-operation latency in microseconds, pooled over all rounds */
  p50Us?: number;
  p95Us?: number;
}

/** Results land here so the optimizer cannot drop an operation whose value is unused. */
let sink: unknown;
export function consume(value: unknown): void {
  sink = value;
}

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** Nearest-rank percentile. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

const isPromise = (v: unknown): v is Promise<unknown> => typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";

/** Runs `fn` `n` times; sync functions are not awaited (an await per call would dominate a µs op). */
async function runBatch(fn: () => unknown, n: number, async: boolean, samples?: number[]): Promise<number> {
  const start = performance.now();
  if (samples) {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = fn();
      consume(async ? await r : r);
      samples.push((performance.now() - t0) * 1000);
    }
  } else if (async) {
    for (let i = 0; i < n; i++) consume(await fn());
  } else {
    for (let i = 0; i < n; i++) consume(fn());
  }
  return performance.now() - start;
}

/** Warm-up: runs the variant for `ms` and returns its ops per millisecond and whether it is async. */
async function warmUp(v: Variant, ms: number): Promise<{ opsPerMs: number; async: boolean }> {
  const first = v.fn();
  const async = isPromise(first);
  consume(async ? await first : first);
  let n = 1;
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    await runBatch(v.fn, n, async);
    ops += n;
    n = Math.min(n * 2, 100_000);
    elapsed = performance.now() - start;
  }
  return { opsPerMs: ops / elapsed, async };
}

/**
 * Runs the variants interleaved; returns their results under the same keys (in insertion order,
 * which is also the order of the table).
 */
export async function compare<K extends string>(variants: Record<K, Variant>, opts: CompareOptions = {}): Promise<Record<K, VariantResult>> {
  const rounds = opts.rounds ?? 7;
  const roundMs = opts.roundMs ?? 100;
  const warmupMs = opts.warmupMs ?? 150;
  const keys = Object.keys(variants) as K[];
  const list = keys.map((k) => variants[k]);
  const calibrated: { opsPerMs: number; async: boolean }[] = [];
  for (const v of list) calibrated.push(await warmUp(v, warmupMs));
  const iterations = calibrated.map((c) => Math.max(1, Math.round(c.opsPerMs * roundMs)));
  const perRound: number[][] = list.map(() => []);
  const samples: number[][] = list.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < list.length; k++) {
      const i = (r + k) % list.length; // rotate who goes first, so no variant always runs on a cold cache
      const ms = await runBatch(list[i]!.fn, iterations[i]!, calibrated[i]!.async, opts.latency ? samples[i] : undefined);
      perRound[i]!.push((iterations[i]! / ms) * 1000);
    }
  }
  const out = {} as Record<K, VariantResult>;
  keys.forEach((key, i) => {
    out[key] = {
      name: list[i]!.name,
      opsPerSec: median(perRound[i]!),
      rounds: perRound[i]!,
      iterations: iterations[i]!,
      ...(opts.latency ? { p50Us: percentile(samples[i]!, 50), p95Us: percentile(samples[i]!, 95) } : {}),
    };
  });
  return out;
}

/** Median over rounds of `a / b` (ops/s), from variants that ran interleaved in one `compare`. */
export function ratio(a: VariantResult, b: VariantResult): number {
  return median(a.rounds.map((x, i) => x / (b.rounds[i] ?? Number.NaN)));
}

let gcFn: (() => void) | undefined | null = null;

/**
 * A full GC, if we can get one: `--expose-gc` gives `globalThis.gc`; otherwise the flag is set at
 * runtime and `gc` fetched from a new context (works on Node 20 for this flag), so `npm run bench`
 * (plain tsx) still measures retained heap exactly.
 */
export function gc(): boolean {
  if (gcFn === null) {
    const global = (globalThis as { gc?: () => void }).gc;
    if (typeof global === "function") gcFn = global;
    else {
      try {
        v8.setFlagsFromString("--expose-gc");
        const fetched: unknown = vm.runInNewContext("gc");
        gcFn = typeof fetched === "function" ? () => (fetched as () => void)() : undefined;
      } catch {
        gcFn = undefined;
      }
    }
  }
  if (!gcFn) return false;
  gcFn();
  gcFn();
  return true;
}

/** Heap retained by what `make` returns (GC before and after; the value is kept alive across the second reading). */
export function retainedHeap<T>(make: () => T): { bytes: number; value: T; exact: boolean } {
  const exact = gc();
  const before = process.memoryUsage().heapUsed;
  const value = make();
  gc();
  const bytes = process.memoryUsage().heapUsed - before;
  consume(value);
  return { bytes, value, exact };
}

/** A small seeded PRNG (mulberry32), so simulations give the same numbers on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
