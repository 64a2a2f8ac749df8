/**
 * GVariant framing, the little of it OSTree's files need (summary, summary.sig, summary.idx):
 * offsets are little-endian and 1, 2, 4 or 8 bytes wide depending on the container's size;
 * variable-size array elements end where the offset table at the container's end says.
 * https://developer.gnome.org/documentation/specifications/gvariant-specification-1.0.html
 */

/** The width of a framing offset in a container of `containerSize` bytes. */
export function offsetSize(containerSize: number): number {
  if (containerSize === 0) return 0;
  if (containerSize <= 0xff) return 1;
  if (containerSize <= 0xffff) return 2;
  if (containerSize <= 0xffffffff) return 4;
  return 8;
}

export function readOffset(b: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (b[at + i] ?? 0);
  return v;
}

export const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** Elements of an array of variable-size elements aligned to `alignment`, or undefined when malformed. */
export function variableArray(b: Uint8Array, alignment: number): Uint8Array[] | undefined {
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
