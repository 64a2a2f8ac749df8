/**
 * The refs an OSTree summary file lists, ref -> commit checksum. The summary is the GVariant
 * `(a(s(taya{sv}))a{sv})` (ostree's OSTREE_SUMMARY_GVARIANT_FORMAT): refs sorted by name, each
 * with (commit size, checksum bytes, metadata). This is the file flat-manager's update-repo
 * signs; `live` is read from it (issue 12 "Coalescing stays with flat-manager"). Pure.
 */
function offsetSize(n: number): number {
  if (n === 0) return 0;
  if (n <= 0xff) return 1;
  if (n <= 0xffff) return 2;
  if (n <= 0xffffffff) return 4;
  return 8;
}

function readOffset(b: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (b[at + i] ?? 0);
  return v;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/** A tuple's variable-size members: `count` of them before the last one (framing offsets at the end, in reverse). */
function tupleEnds(b: Uint8Array, count: number): { ends: number[]; tail: number } | undefined {
  const os = offsetSize(b.length);
  const tail = b.length - os * count;
  if (tail < 0) return undefined;
  const ends: number[] = [];
  for (let i = 0; i < count; i++) {
    const end = readOffset(b, b.length - os * (i + 1), os);
    if (end > tail) return undefined;
    ends.push(end);
  }
  return { ends, tail };
}

function variableArray(b: Uint8Array, alignment: number): Uint8Array[] | undefined {
  if (b.length === 0) return [];
  const os = offsetSize(b.length);
  const tableStart = readOffset(b, b.length - os, os);
  if (tableStart > b.length || (b.length - tableStart) % os !== 0) return undefined;
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < (b.length - tableStart) / os; i++) {
    const end = readOffset(b, tableStart + i * os, os);
    if (end < start || end > tableStart) return undefined;
    out.push(b.subarray(start, end));
    start = align(end, alignment);
  }
  return out;
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/** ref -> 64-hex commit, or undefined when the bytes are not a summary. */
export function summaryRefs(summary: Uint8Array): Map<string, string> | undefined {
  const top = tupleEnds(summary, 1);
  if (!top) return undefined;
  const entries = variableArray(summary.subarray(0, top.ends[0]), 8);
  if (!entries) return undefined;
  const refs = new Map<string, string>();
  for (const entry of entries) {
    // (s(taya{sv})): the ref name ends at the one framing offset; the tuple starts at the next multiple of 8
    const outer = tupleEnds(entry, 1);
    if (!outer) return undefined;
    const nameEnd = outer.ends[0]!;
    if (nameEnd < 1 || entry[nameEnd - 1] !== 0) return undefined;
    const name = new TextDecoder().decode(entry.subarray(0, nameEnd - 1));
    const inner = entry.subarray(align(nameEnd, 8), outer.tail);
    // (taya{sv}): 8 bytes of size, then the checksum bytes up to the framing offset
    const fields = tupleEnds(inner, 1);
    if (!fields) return undefined;
    const checksum = inner.subarray(8, fields.ends[0]);
    if (checksum.length !== 32) return undefined;
    refs.set(name, hex(checksum));
  }
  return refs;
}

/**
 * flatpak's summary index, summary.idx: `(a{s(ayaaya{sv})}a{sv})`, subsummary name -> (sha256
 * of the subsummary, history, metadata). Names are `<arch>` (and `<subset>-<arch>`); each
 * subsummary is a summary of that arch's refs, stored gzipped at `summaries/<sha256>.gz`.
 * The compat `summary` leaves out arches not in `flatpak.summary-arches`, so a multi-arch repo
 * must be read through the index (flatpak's common/flatpak-repo-utils.c, generate_summary).
 */
export function summaryIndex(index: Uint8Array): Map<string, string> | undefined {
  const top = tupleEnds(index, 1);
  if (!top) return undefined;
  const entries = variableArray(index.subarray(0, top.ends[0]), 8);
  if (!entries) return undefined;
  const out = new Map<string, string>();
  for (const entry of entries) {
    const outer = tupleEnds(entry, 1);
    if (!outer) return undefined;
    const nameEnd = outer.ends[0]!;
    if (nameEnd < 1 || entry[nameEnd - 1] !== 0) return undefined;
    const name = new TextDecoder().decode(entry.subarray(0, nameEnd - 1));
    const value = entry.subarray(align(nameEnd, 8), outer.tail);
    // (ay aay a{sv}): two framing offsets, the first member's end last
    const fields = tupleEnds(value, 2);
    if (!fields) return undefined;
    const digest = value.subarray(0, fields.ends[0]);
    if (digest.length !== 32) return undefined;
    out.set(name, hex(digest));
  }
  return out;
}
