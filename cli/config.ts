/**
 * Where the operator commands find the pipeline and their token: `FLATGATE_URL` and
 * `FLATGATE_TOKEN` first, then `$XDG_CONFIG_HOME/flatgate/config.json` (default
 * `~/.config/flatgate/config.json`, `{"url","token"}`), field by field. Pure over its inputs
 * (env, home dir, a file reader) so the order is unit-tested without touching the real home.
 */
import path from "node:path";
import { z } from "zod";
import { err, ok, type Result } from "../lib/result.js";

export const ConfigFile = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).optional(),
  token: z.string().min(1).optional(),
});
export type ConfigFile = z.infer<typeof ConfigFile>;

export interface ConfigSources {
  env: Record<string, string | undefined>;
  homeDir: string;
  /** the file's text, or undefined when it does not exist */
  readFile: (file: string) => string | undefined;
}

export interface OperatorConfig {
  url: string;
  token: string;
}

export function configPath(env: Record<string, string | undefined>, homeDir: string): string {
  // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and must be ignored
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(homeDir, ".config");
  return path.join(base, "flatgate", "config.json");
}

export function readConfigFile(src: ConfigSources): Result<ConfigFile & { file: string }, string> {
  const file = configPath(src.env, src.homeDir);
  const text = src.readFile(file);
  if (text === undefined) return ok({ file });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return err(`${file} is not valid JSON`);
  }
  const parsed = ConfigFile.safeParse(json);
  if (!parsed.success) return err(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  return ok({ ...parsed.data, file });
}

/**
 * The URL and token for an operator command. `fallbackUrl` is the origin of a pasted status
 * URL: it counts only when nothing else names the pipeline.
 */
export function resolveOperatorConfig(src: ConfigSources, flags: { url?: string | undefined; fallbackUrl?: string | undefined } = {}): Result<OperatorConfig, string> {
  const file = readConfigFile(src);
  if (!file.ok) return file;
  const url = nonEmpty(flags.url) ?? nonEmpty(src.env.FLATGATE_URL) ?? file.value.url ?? flags.fallbackUrl;
  const token = nonEmpty(src.env.FLATGATE_TOKEN) ?? file.value.token;
  if (!url) return err(`no pipeline URL: pass --url, set FLATGATE_URL, or put "url" in ${file.value.file}`);
  if (!/^https?:\/\//.test(url)) return err(`the pipeline URL "${url}" must start with http:// or https://`);
  if (!token) return err(`no operator token: set FLATGATE_TOKEN or put "token" in ${file.value.file}`);
  return ok({ url, token });
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === "" ? undefined : s.trim();
}
