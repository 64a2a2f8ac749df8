/**
 * Local mode: each repository served read-only as plain static files (what a CDN fronts in
 * production; ostree and flatpak clients need nothing more), plus its public key. GET and HEAD
 * only, no directory listings, no dot-files, nothing outside the repository (symlinks included).
 */
import { createReadStream } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { runCommand } from "./run-command.js";
import type { RepoConfig } from "./config.js";

export type FileAnswer = { found: false } | { found: true; file: string; size: number };

/** Resolves a URL path below the repo to a regular file inside it, or nothing. */
export async function resolveRepoFile(root: string, urlPath: string): Promise<FileAnswer> {
  const segments: string[] = [];
  for (const raw of urlPath.split("/")) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return { found: false };
    }
    // dot-segments would escape; dot-files (.lock) and tmp/ are the writer's business
    if (seg === "" || seg.startsWith(".") || /[\\/\0]/.test(seg)) return { found: false };
    segments.push(seg);
  }
  if (segments.length === 0 || segments[0] === "tmp") return { found: false };
  try {
    const realRoot = await realpath(root);
    const file = await realpath(path.join(realRoot, ...segments));
    if (!file.startsWith(realRoot + path.sep)) return { found: false };
    const s = await stat(file);
    return s.isFile() ? { found: true, file, size: s.size } : { found: false };
  } catch {
    return { found: false };
  }
}

/** A 200 with the file's bytes (HEAD: headers only) and its exact Content-Length. */
export function fileResponse(answer: { file: string; size: number }, method: string): Response {
  const headers = { "content-type": "application/octet-stream", "content-length": String(answer.size) };
  if (method === "HEAD") return new Response(null, { status: 200, headers });
  const stream = createReadStream(answer.file);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      stream.on("data", (chunk) => controller.enqueue(typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk)));
      stream.on("error", (e) => controller.error(e));
      stream.on("end", () => controller.close());
    },
    cancel() {
      stream.destroy();
    },
  });
  return new Response(body, { status: 200, headers });
}

/**
 * The repo's public key for `--gpg-import`: the configured file as is, or exported
 * ASCII-armored from the signing homedir (public part only; gpg never prints secret keys here).
 */
export async function publicKey(repo: RepoConfig): Promise<Uint8Array | string | undefined> {
  if (repo.public_key_file) return readFile(repo.public_key_file).catch(() => undefined);
  const r = await runCommand("gpg", [
    "--batch",
    ...(repo.gpg_homedir ? ["--homedir", repo.gpg_homedir] : []),
    "--armor",
    "--export",
    ...repo.gpg_key_ids,
  ]);
  return r.ok && r.stdout.includes("BEGIN PGP PUBLIC KEY BLOCK") ? r.stdout : undefined;
}
