/**
 * The refs an OSTree summary file lists, ref -> commit checksum. The summary is the GVariant
 * `(a(s(taya{sv}))a{sv})` (ostree's OSTREE_SUMMARY_GVARIANT_FORMAT): refs sorted by name, each
 * with (commit size, checksum bytes, metadata). This is the file flat-manager's update-repo
 * signs; `live` is read from it (issue 12 "Coalescing stays with flat-manager"). Pure.
 */
import { align, offsetSize, readOffset, variableArray } from "../gvariant.js";

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

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/**
 * The `(s …)` entries of a file whose first member is an array of them (summary: `a(s(taya{sv}))`,
 * summary.idx: `a{s(ayaaya{sv})}`): each name with its value's bytes, or undefined when malformed.
 * The name ends at the entry's one framing offset; the value starts at the next multiple of 8.
 */
function namedEntries(file: Uint8Array): [name: string, value: Uint8Array][] | undefined {
  const top = tupleEnds(file, 1);
  if (!top) return undefined;
  const entries = variableArray(file.subarray(0, top.ends[0]), 8);
  if (!entries) return undefined;
  const out: [string, Uint8Array][] = [];
  for (const entry of entries) {
    const outer = tupleEnds(entry, 1);
    if (!outer) return undefined;
    const nameEnd = outer.ends[0]!;
    if (nameEnd < 1 || entry[nameEnd - 1] !== 0) return undefined;
    out.push([new TextDecoder().decode(entry.subarray(0, nameEnd - 1)), entry.subarray(align(nameEnd, 8), outer.tail)]);
  }
  return out;
}

/** ref -> 64-hex commit, or undefined when the bytes are not a summary. */
export function summaryRefs(summary: Uint8Array): Map<string, string> | undefined {
  const entries = namedEntries(summary);
  if (!entries) return undefined;
  const refs = new Map<string, string>();
  for (const [name, inner] of entries) {
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
  const entries = namedEntries(index);
  if (!entries) return undefined;
  const out = new Map<string, string>();
  for (const [name, value] of entries) {
    // (ay aay a{sv}): two framing offsets, the first member's end last
    const fields = tupleEnds(value, 2);
    if (!fields) return undefined;
    const digest = value.subarray(0, fields.ends[0]);
    if (digest.length !== 32) return undefined;
    out.set(name, hex(digest));
  }
  return out;
}
