/**
 * The local configuration of each worker: `.dev.vars` beside its wrangler config, created from
 * the committed `.dev.vars.example` when missing (wrangler's convention; issue 2).
 */
import { copyFile, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseDotenv, type Vars } from "./dotenv.js";
import { WORKERS } from "./wrangler-env.js";

export type WorkerName = (typeof WORKERS)[number]["name"];

export interface WorkerVars {
  name: WorkerName;
  /** the wrangler config, relative to the project root */
  config: string;
  /** the `.dev.vars` file wrangler reads for this worker (absolute) */
  file: string;
  vars: Vars;
}

/** `dev-vars`: the developer's .dev.vars files; `examples`: the committed examples, ignoring local edits (tests). */
export type VarsSource = "dev-vars" | "examples";

/** Copies each missing `.dev.vars` from its example; returns the files it created. */
export async function ensureDevVars(root: string): Promise<string[]> {
  const created: string[] = [];
  for (const w of WORKERS) {
    const file = devVarsPath(root, w.config);
    if (await exists(file)) continue;
    const example = `${file}.example`;
    if (!(await exists(example))) continue;
    await copyFile(example, file);
    created.push(path.relative(root, file));
  }
  return created;
}

export async function loadWorkerVars(root: string, source: VarsSource): Promise<Record<WorkerName, WorkerVars>> {
  const load = async (name: WorkerName): Promise<WorkerVars> => {
    const config = WORKERS.find((w) => w.name === name)!.config;
    const file = devVarsPath(root, config);
    const text = await readFile(source === "examples" ? `${file}.example` : file, "utf8").catch(() => "");
    return { name, config, file, vars: parseDotenv(text) };
  };
  return { webhook: await load("webhook"), publish: await load("publish"), purge: await load("purge") };
}

export function devVarsPath(root: string, config: string): string {
  return path.join(root, path.dirname(config), ".dev.vars");
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
