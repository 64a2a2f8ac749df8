/**
 * The refs a signed summary lists, read straight from the `summary` file flatpak just wrote:
 * what clients see is the summary, not refs/heads, and reading one file is far cheaper than
 * opening one file per ref (issue 9 item 4: 30,000 refs).
 *
 * The summary is the GVariant `(a(s(taya{sv}))a{sv})` (OSTREE_SUMMARY_GVARIANT_FORMAT): an
 * array of (ref name, (size, checksum bytes, metadata)) then the repo metadata. Only the
 * framing is decoded here; names are compared as UTF-8, checksums turned into hex on demand.
 * https://developer.gnome.org/documentation/specifications/gvariant-specification-1.0.html
 */

import { align, offsetSize, readOffset } from "../lib/gvariant.js";

export interface SummaryRefs {
  count: number;
  /** the commit each ref points at in the summary (hex), or null when the summary lacks it */
  commitsOf(refs: readonly string[]): Map<string, string | null>;
}

class Malformed extends Error {}

function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Malformed(`malformed summary: ${what}`);
}

/** Parses the ref list of a summary; throws on a malformed file (the caller reports the job as failed). */
export function parseSummaryRefs(summary: Uint8Array): SummaryRefs {
  // top-level tuple: its one framing offset (the ref array's end) sits at the very end
  const os = offsetSize(summary.length);
  check(summary.length >= os, "too short");
  const refsEnd = readOffset(summary, summary.length - os, os);
  check(refsEnd <= summary.length - os, "ref array overruns the file");
  const arr = summary.subarray(0, refsEnd);
  // array of variable-size elements: the last offset says where the offset table starts
  const aos = offsetSize(arr.length);
  const tableStart = arr.length === 0 ? 0 : readOffset(arr, arr.length - aos, aos);
  check(tableStart <= arr.length && (arr.length - tableStart) % (aos || 1) === 0, "bad ref array framing");
  const count = aos === 0 ? 0 : (arr.length - tableStart) / aos;
  const element = (i: number): Uint8Array => {
    const start = i === 0 ? 0 : align(readOffset(arr, tableStart + (i - 1) * aos, aos), 8);
    const end = readOffset(arr, tableStart + i * aos, aos);
    check(start <= end && end <= tableStart, `bad element ${i}`);
    return arr.subarray(start, end);
  };
  const decoder = new TextDecoder();
  return {
    count,
    commitsOf(refs) {
      const wanted = new Set(refs);
      const out = new Map<string, string | null>(refs.map((r) => [r, null]));
      for (let i = 0; i < count && wanted.size > 0; i++) {
        // (s(taya{sv})): the name's end (after its NUL) is the element's one framing offset
        const e = element(i);
        const eos = offsetSize(e.length);
        const nameEnd = readOffset(e, e.length - eos, eos);
        check(nameEnd >= 1 && nameEnd <= e.length - eos, `bad ref name in element ${i}`);
        const name = decoder.decode(e.subarray(0, nameEnd - 1));
        if (!wanted.has(name)) continue;
        wanted.delete(name);
        // (taya{sv}) at the next multiple of 8: u64 size, then the checksum bytes (framed by the last offset)
        const inner = e.subarray(align(nameEnd, 8), e.length - eos);
        const ios = offsetSize(inner.length);
        const csumEnd = readOffset(inner, inner.length - ios, ios);
        check(csumEnd === 8 + 32, `ref ${name} has no 32-byte checksum`);
        out.set(name, toHex(inner.subarray(8, csumEnd)));
      }
      return out;
    },
  };
}

function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}
