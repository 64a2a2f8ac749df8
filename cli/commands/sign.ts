/**
 * `flatgate sign --secret whsec_… FILE`: the three Standard Webhooks headers for the file's exact
 * bytes, one per line, so `curl -H @headers.txt --data-binary @FILE` can send it (README
 * "Intake contract"). Signing by hand in bash needs base64 → hex → openssl → base64; this is it.
 */
import { readFileSync } from "node:fs";
import { isValidSecret, signedHeaders } from "../../lib/standard-webhooks.js";
import { str, type Values } from "../args.js";
import { EXIT, usageError, type ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";

export async function sign(values: Values, positionals: string[], io: Io): Promise<ExitCode> {
  const secret = str(values, "secret") ?? io.env.FLATGATE_WEBHOOK_SECRET;
  if (!secret) throw usageError("no secret: pass --secret whsec_… or set FLATGATE_WEBHOOK_SECRET");
  if (!isValidSecret(secret)) throw usageError("the secret must be whsec_ followed by the base64 of 24–64 bytes");
  const file = positionals[0]!;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file === "-" ? 0 : file);
  } catch (e) {
    throw usageError(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const body = bytes.toString("utf8");
  // the signature is over the bytes sent; a file that is not UTF-8 would be signed differently
  if (!Buffer.from(body, "utf8").equals(bytes)) throw usageError(`${file} is not UTF-8 text; the intake only takes JSON`);
  const id = str(values, "id");
  const headers = await signedHeaders(secret, body, id ? { id } : {});
  io.out(Object.entries(headers).map(([k, v]) => `${k}: ${v}\n`).join(""));
  return EXIT.ok;
}
