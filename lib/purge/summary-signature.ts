/**
 * Does this summary.sig belong to this summary? Answered without the public key, from the
 * OpenPGP signatures themselves: every v4 signature packet carries the left 16 bits of the
 * digest it signed (RFC 4880 §5.2.3), and that digest is H(data ‖ hashed signature fields ‖
 * trailer), all of which we have. A summary.sig left over from an older summary (the Flathub
 * "BAD signature" incident, flatpak/flatpak#1450) fails this check with probability 65535/65536
 * per signature. It does not prove the signature is valid; flatpak does that with the key.
 *
 * summary.sig is a GVariant `a{sv}` whose key "ostree.gpgsigs" holds `aay`: one detached,
 * binary OpenPGP signature per signing key (ostree's OSTREE_SUMMARY_SIG_GVARIANT_FORMAT).
 */

import { offsetSize, readOffset, variableArray } from "../gvariant.js";

export type SignaturePairing = "match" | "mismatch" | "unknown";

/** The `aay` value of "ostree.gpgsigs" in a summary.sig, or undefined when absent/malformed. */
export function gpgSignatures(sig: Uint8Array): Uint8Array[] | undefined {
  const entries = variableArray(sig, 8);
  if (!entries) return undefined;
  for (const entry of entries) {
    // {sv}: key string (NUL-terminated), value variant at the next multiple of 8, one framing offset at the end
    const os = offsetSize(entry.length);
    if (entry.length < os) return undefined;
    const keyEnd = readOffset(entry, entry.length - os, os);
    if (keyEnd < 1 || keyEnd > entry.length - os) return undefined;
    const key = new TextDecoder().decode(entry.subarray(0, keyEnd - 1));
    if (key !== "ostree.gpgsigs") continue;
    const variant = entry.subarray(Math.ceil(keyEnd / 8) * 8, entry.length - os);
    const sep = variant.lastIndexOf(0);
    if (sep < 0 || new TextDecoder().decode(variant.subarray(sep + 1)) !== "aay") return undefined;
    return variableArray(variant.subarray(0, sep), 1);
  }
  return undefined;
}

interface PacketBody {
  tag: number;
  body: Uint8Array;
}

/** The packets of an OpenPGP message (old and new header formats; no partial lengths). */
function packets(b: Uint8Array): PacketBody[] | undefined {
  const out: PacketBody[] = [];
  let i = 0;
  while (i < b.length) {
    const h = b[i++] ?? 0;
    if ((h & 0x80) === 0) return undefined;
    let tag: number;
    let len: number;
    if (h & 0x40) {
      tag = h & 0x3f;
      const o1 = b[i++] ?? 0;
      if (o1 < 192) len = o1;
      else if (o1 < 224) len = ((o1 - 192) << 8) + (b[i++] ?? 0) + 192;
      else if (o1 === 255) {
        len = readBE(b, i, 4);
        i += 4;
      } else return undefined; // partial body lengths never occur in signature packets
    } else {
      tag = (h >> 2) & 0x0f;
      const lt = h & 0x03;
      if (lt === 3) len = b.length - i;
      else {
        const n = [1, 2, 4][lt] ?? 1;
        len = readBE(b, i, n);
        i += n;
      }
    }
    if (i + len > b.length) return undefined;
    out.push({ tag, body: b.subarray(i, i + len) });
    i += len;
  }
  return out;
}

function readBE(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 256 + (b[at + k] ?? 0);
  return v;
}

const HASHES: Record<number, string> = { 2: "SHA-1", 8: "SHA-256", 9: "SHA-384", 10: "SHA-512" };

/** true/false for a v4 signature over binary data with a WebCrypto hash; undefined otherwise. */
async function v4DigestPrefixMatches(data: Uint8Array, sig: Uint8Array): Promise<boolean | undefined> {
  if (sig[0] !== 4 || sig[1] !== 0x00 || sig.length < 6) return undefined; // v4, "signature of a binary document"
  const hash = HASHES[sig[3] ?? -1];
  if (!hash) return undefined;
  const hashedLen = readBE(sig, 4, 2);
  const signedFields = 6 + hashedLen;
  if (signedFields + 2 > sig.length) return undefined;
  const unhashedLen = readBE(sig, signedFields, 2);
  const left16At = signedFields + 2 + unhashedLen;
  if (left16At + 2 > sig.length) return undefined;
  const trailer = new Uint8Array(6);
  trailer[0] = 0x04;
  trailer[1] = 0xff;
  new DataView(trailer.buffer).setUint32(2, signedFields);
  const input = new Uint8Array(data.length + signedFields + trailer.length);
  input.set(data, 0);
  input.set(sig.subarray(0, signedFields), data.length);
  input.set(trailer, data.length + signedFields);
  const digest = new Uint8Array(await crypto.subtle.digest(hash, input));
  return digest[0] === sig[left16At] && digest[1] === sig[left16At + 1];
}

/**
 * "match": some signature in summary.sig was made over exactly these summary bytes;
 * "mismatch": every checkable signature was made over something else (users: BAD signature);
 * "unknown": nothing checkable (unsigned, ed25519-signed, unusual packet versions or hashes).
 */
export async function signaturePairing(summary: Uint8Array, summarySig: Uint8Array): Promise<SignaturePairing> {
  const sigs = gpgSignatures(summarySig);
  if (!sigs || sigs.length === 0) return "unknown";
  let checked = 0;
  for (const blob of sigs) {
    for (const p of packets(blob) ?? []) {
      if (p.tag !== 2) continue;
      const m = await v4DigestPrefixMatches(summary, p.body);
      if (m === true) return "match";
      if (m === false) checked++;
    }
  }
  return checked > 0 ? "mismatch" : "unknown";
}
