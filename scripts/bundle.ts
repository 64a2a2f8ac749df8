/** Bundles a worker with `wrangler deploy --dry-run --outdir` (what CI and the workerd tests use). */
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { wranglerEnv } from "./wrangler-env.js";

export function bundle(config: string, out: string): { files: { file: string; bytes: number }[] } {
  // wrangler resolves a relative --outdir against the config file's folder
  const outdir = resolve(out);
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir, "-c", config], {
    env: wranglerEnv(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  const files = readdirSync(outdir)
    .filter((f) => f.endsWith(".js"))
    .map((f) => ({ file: join(outdir, f), bytes: statSync(join(outdir, f)).size }));
  return { files };
}
