/**
 * A tiny Prometheus text exposition (format 0.0.4) writer: HELP and TYPE once per family, label
 * values escaped, histograms as cumulative `_bucket{le=…}` plus `_sum` and `_count`.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Record<string, string>;

export type Family =
  | { name: string; help: string; type: "gauge" | "counter"; samples: { labels: Labels; value: number }[] }
  | { name: string; help: string; type: "histogram"; buckets: readonly number[]; samples: { labels: Labels; counts: readonly number[]; sum: number; count: number }[] };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values: backslash, double quote and line feed are escaped. */
export const escapeLabelValue = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
/** HELP text: backslash and line feed are escaped. */
const escapeHelp = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function labelSet(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => {
    if (!LABEL.test(k) || k.startsWith("__")) throw new Error(`invalid label name ${k}`);
    return `${k}="${escapeLabelValue(v)}"`;
  });
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** The exposition of `families`, in order; a family with no samples still says what it is. */
export function formatMetrics(families: readonly Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`invalid metric name ${f.name}`);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type !== "histogram") {
      for (const s of f.samples) out.push(`${f.name}${labelSet(s.labels)} ${formatValue(s.value)}`);
      continue;
    }
    for (const s of f.samples) {
      let cumulative = 0;
      f.buckets.forEach((le, i) => {
        cumulative += s.counts[i] ?? 0;
        out.push(`${f.name}_bucket${labelSet({ ...s.labels, le: formatValue(le) })} ${cumulative}`);
      });
      out.push(`${f.name}_bucket${labelSet({ ...s.labels, le: "+Inf" })} ${s.count}`);
      out.push(`${f.name}_sum${labelSet(s.labels)} ${formatValue(s.sum)}`);
      out.push(`${f.name}_count${labelSet(s.labels)} ${s.count}`);
    }
  }
  return `${out.join("\n")}\n`;
}
