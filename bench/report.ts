/** The results of a run: one table on stdout, and the same data as JSON under bench/results/. */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { VariantResult } from "./harness.js";

export interface Row {
  name: string;
  /** median ops/s over interleaved rounds */
  opsPerSec?: number;
  /** one-shot wall time, when ops/s does not apply */
  ms?: number;
  p50?: number;
  p95?: number;
  /** unit of p50/p95: per-operation microseconds, or simulated seconds */
  latencyUnit?: "us" | "sim_s";
  memoryBytes?: number;
  /** what memoryBytes is (retained heap, JSON size, output size…) */
  memoryWhat?: string;
  note?: string;
}

export interface Ratio {
  name: string;
  value: number;
  /** how to read it, e.g. "node:crypto is N× faster than WebCrypto" */
  meaning: string;
}

export interface Section {
  id: string;
  title: string;
  rows: Row[];
  ratios: Ratio[];
  /** anything else worth keeping in the JSON (raw rounds, simulation details) */
  data?: unknown;
}

/** A `compare` result as a table row (latency columns when it was sampled). */
export function toRow(r: VariantResult, extra: Partial<Row> = {}): Row {
  return {
    name: r.name,
    opsPerSec: r.opsPerSec,
    ...(r.p50Us !== undefined ? { p50: r.p50Us, p95: r.p95Us, latencyUnit: "us" as const } : {}),
    ...extra,
  };
}

/** The raw per-round ops/s, kept in the JSON so a ratio can be recomputed. */
export function roundsOf(results: Record<string, VariantResult>): Record<string, number[]> {
  return Object.fromEntries(Object.values(results).map((r) => [r.name, r.rounds]));
}

const si = (n: number): string => {
  if (!Number.isFinite(n)) return "-";
  if (n >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${(n / 1e3).toPrecision(3)}k`;
  return n >= 100 ? n.toFixed(0) : n.toPrecision(3);
};

const duration = (v: number | undefined, unit: Row["latencyUnit"]): string => {
  if (v === undefined) return "";
  if (unit === "sim_s") return `${v.toFixed(0)} s*`;
  return v >= 1000 ? `${(v / 1000).toPrecision(3)} ms` : `${v.toPrecision(3)} µs`;
};

export const bytes = (n: number | undefined): string => {
  if (n === undefined) return "";
  const a = Math.abs(n);
  if (a >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (a >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
};

function pad(cells: string[][]): string[] {
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
  return cells.map((r) => r.map((cell, c) => (c === 0 || c === 5 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd());
}

export function formatTable(sections: readonly Section[]): string {
  const out: string[] = [];
  for (const s of sections) {
    out.push("", `## ${s.title}`);
    const cells = [["name", "ops/s | ms", "p50", "p95", "memory", "note"]];
    for (const r of s.rows) {
      const rate = r.opsPerSec !== undefined ? si(r.opsPerSec) : r.ms !== undefined ? `${r.ms.toPrecision(3)} ms` : "";
      const mem = r.memoryBytes !== undefined ? `${bytes(r.memoryBytes)}${r.memoryWhat ? ` ${r.memoryWhat}` : ""}` : "";
      cells.push([r.name, rate, duration(r.p50, r.latencyUnit), duration(r.p95, r.latencyUnit), mem, r.note ?? ""]);
    }
    out.push(...pad(cells));
    for (const q of s.ratios) out.push(`  ratio ${q.name}: ${q.value.toPrecision(3)}  (${q.meaning})`);
  }
  return out.join("\n");
}

export function environment(gcExact: boolean) {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? "unknown",
    load_avg_1m: os.loadavg()[0],
    gc_for_memory: gcExact ? "exact (full GC before and after)" : "approximate (no gc available)",
  };
}

/** Writes `bench/results/<timestamp>.json` and `bench/results/latest.json`; returns the first path. */
export function writeResults(result: unknown, startedAt: Date): string {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const file = path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, json);
  writeFileSync(path.join(dir, "latest.json"), json);
  return file;
}
