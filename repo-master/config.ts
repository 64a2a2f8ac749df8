/**
 * The agent's configuration file (JSON), parsed with zod so a bad value is refused at start
 * with a message naming the field. The shared secret is never in the file: only the name of
 * the environment variable that holds it (`secret_env`).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { RepoName } from "../lib/ids.js";
import { isValidSecret } from "../lib/standard-webhooks.js";
import { err, ok, type Result } from "../lib/result.js";

export const RepoConfig = z.strictObject({
  /** the OSTree repository (archive mode) this agent is the single writer of */
  path: z.string().min(1),
  collection_id: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_-]*)+$/, "must be a reverse-DNS collection id")
    .optional(),
  /** key ids or fingerprints; gpg resolves them through gpg-agent, so a hardware token works */
  gpg_key_ids: z.array(z.string().regex(/^\S+$/, "must be a key id or fingerprint without spaces")).min(1, "needs at least one key id"),
  gpg_homedir: z.string().min(1).optional(),
  generate_static_deltas: z.boolean().default(false),
  /** served at /repos/<name>/key.gpg in local mode; otherwise exported from gpg_homedir */
  public_key_file: z.string().min(1).optional(),
});
export type RepoConfig = z.infer<typeof RepoConfig>;

export const AgentConfig = z.strictObject({
  listen: z.strictObject({
    host: z.string().min(1).default("127.0.0.1"),
    /** 0 picks a free port (tests, the local stack) */
    port: z.number().int().min(0).max(65535),
  }),
  secret_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name").default("REPO_MASTER_SECRET"),
  pipeline_url: z.url().optional(),
  state_dir: z.string().min(1),
  serve_repos: z.boolean().default(false),
  repos: z.record(RepoName, RepoConfig).refine((r) => Object.keys(r).length > 0, "must declare at least one repo"),
});
export type AgentConfig = z.infer<typeof AgentConfig>;
/** What a caller writes (defaults not yet applied). */
export type AgentConfigInput = z.input<typeof AgentConfig>;

/** Parses config JSON; relative paths are resolved against `baseDir` (the file's directory). */
export function parseConfig(json: unknown, baseDir = process.cwd()): Result<AgentConfig, string> {
  const parsed = AgentConfig.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
    return err(`invalid repo-master config:\n${lines.join("\n")}`);
  }
  const c = parsed.data;
  const abs = (p: string) => path.resolve(baseDir, p);
  const repos = Object.fromEntries(
    Object.entries(c.repos).map(([name, r]) => [
      name,
      {
        ...r,
        path: abs(r.path),
        ...(r.gpg_homedir ? { gpg_homedir: abs(r.gpg_homedir) } : {}),
        ...(r.public_key_file ? { public_key_file: abs(r.public_key_file) } : {}),
      },
    ]),
  );
  return ok({ ...c, state_dir: abs(c.state_dir), repos });
}

export async function loadConfig(file: string): Promise<Result<AgentConfig, string>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    return err(`cannot read config ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err(`config ${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseConfig(json, path.dirname(path.resolve(file)));
}

export interface Runtime {
  /** every accepted secret (rotation: space-separated in the variable); the first signs callbacks */
  secrets: string[];
  pipelineUrl?: string;
}

/** Reads the secret and the callback URL from the environment, never from the file. */
export function runtimeFromEnv(config: AgentConfig, env: Record<string, string | undefined>): Result<Runtime, string> {
  const raw = env[config.secret_env] ?? "";
  const secrets = raw.split(/\s+/).filter(Boolean);
  if (secrets.length === 0) return err(`${config.secret_env} is not set: it must hold the whsec_ secret shared with the pipeline`);
  if (!secrets.every(isValidSecret)) return err(`${config.secret_env}: each secret must be whsec_<base64 of 24-64 bytes>`);
  const pipelineUrl = config.pipeline_url ?? env.PIPELINE_URL;
  if (pipelineUrl !== undefined && !z.url().safeParse(pipelineUrl).success) return err(`PIPELINE_URL must be a URL, got ${JSON.stringify(pipelineUrl)}`);
  return ok({ secrets, ...(pipelineUrl ? { pipelineUrl } : {}) });
}
