/**
 * Every worker's configuration checked with the workers' own schemas before anything runs
 * (issue 10 item 11): `"approval":"manual"` or a secret without `whsec_` used to let `npm start`
 * come up and then answer 503 to every request. `npm start` checks what each worker will see
 * (its `[vars]` overlaid by its .dev.vars, as wrangler does); `npm run check:deploy` checks each
 * wrangler config's `[vars]` alone (secrets live elsewhere in production). Pure: plain data in,
 * issues out.
 */
import { ConfigError, WebhookEnvConfig } from "../lib/config.js";
import { parseGitHubConfig } from "../lib/github/config.js";
import { loadPurgeConfig } from "../lib/purge/config.js";
import { loadSlackConfig } from "../lib/slack/config.js";
import { AgentConfig, runtimeFromEnv, type AgentConfigInput } from "../repo-master/config.js";
import { PublishConfig } from "../workers/publish/config.js";
import type { WorkerName } from "./dev-vars.js";

export interface ConfigIssue {
  /** the variable and field, e.g. `REPOS.stable.approval` */
  path: string;
  message: string;
}

/** Where a worker's value came from, for the message (a file, or a wrangler config's [vars]). */
export interface LabelledIssue extends ConfigIssue {
  where: string;
}

type ZodIssueLike = { path: PropertyKey[]; message: string };
const fromZod = (issues: readonly ZodIssueLike[]): ConfigIssue[] => issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));

/** ConfigError (what the workers throw at request time) becomes issues; anything else is a bug. */
function collect(issues: ConfigIssue[], check: () => unknown): void {
  try {
    check();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    issues.push(...e.issues);
  }
}

/** One worker's whole configuration, checked exactly as that worker parses it at request time. */
export function validateWorkerVars(worker: WorkerName, vars: Record<string, unknown>): ConfigIssue[] {
  // a fresh object per call: the loaders cache by env object
  const env = { ...vars };
  const issues: ConfigIssue[] = [];
  switch (worker) {
    case "webhook": {
      const parsed = WebhookEnvConfig.safeParse(env);
      if (!parsed.success) issues.push(...fromZod(parsed.error.issues));
      collect(issues, () => parseGitHubConfig(env));
      collect(issues, () => loadSlackConfig(env));
      break;
    }
    case "publish": {
      const parsed = PublishConfig.safeParse(env);
      if (!parsed.success) issues.push(...fromZod(parsed.error.issues));
      break;
    }
    case "purge":
      collect(issues, () => loadPurgeConfig(env));
      break;
  }
  return dedupe(issues);
}

/**
 * `[vars]` of a wrangler config on their own: only what they set is judged. A required secret
 * is not in `[vars]` (it is set with `wrangler secret put`), so "REPOS is missing" is not an issue
 * here, but a value `[vars]` does set must pass the worker's schema.
 */
export function validateDeployVars(worker: WorkerName, vars: Record<string, unknown>): ConfigIssue[] {
  const set = new Set(Object.keys(vars));
  return validateWorkerVars(worker, vars).filter((i) => set.has(i.path.split(".")[0]!));
}

/** The agent of the local stack: its config as `npm start` will write it, and its secret. */
export function validateAgentConfig(config: AgentConfigInput, env: Record<string, string | undefined>): ConfigIssue[] {
  const parsed = AgentConfig.safeParse(config);
  if (!parsed.success) return fromZod(parsed.error.issues);
  const runtime = runtimeFromEnv(parsed.data, env);
  // runtimeFromEnv's messages already start with the variable's name
  return runtime.ok ? [] : [{ path: "", message: runtime.error }];
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\0${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** One line per issue: `  <where>: <path>: <message>`. */
export function formatIssues(issues: LabelledIssue[]): string {
  return issues.map((i) => `  ${i.where}: ${i.path ? `${i.path}: ` : ""}${i.message}`).join("\n");
}

export interface StackConfigInput {
  workers: Record<
    WorkerName,
    {
      /** the wrangler config, e.g. workers/publish/wrangler.toml */
      config: string;
      /** where `vars` come from, e.g. workers/publish/.dev.vars */
      varsFile: string;
      /** the config's `[vars]` */
      tomlVars: Record<string, unknown>;
      /** the worker's .dev.vars values as this run passes them (ports rewired) */
      vars: Record<string, string>;
    }
  >;
  agent: { label: string; config: AgentConfigInput; env: Record<string, string | undefined> };
}

/**
 * What every process of the local stack will run with, checked as each parses it. wrangler
 * overlays `[vars]` with .dev.vars, so each issue names the file its variable comes from.
 */
export function validateStack(input: StackConfigInput): LabelledIssue[] {
  const out: LabelledIssue[] = [];
  for (const [name, w] of Object.entries(input.workers) as [WorkerName, StackConfigInput["workers"][WorkerName]][]) {
    for (const issue of validateWorkerVars(name, { ...w.tomlVars, ...w.vars })) {
      const variable = issue.path.split(".")[0]!;
      const where = Object.hasOwn(w.vars, variable) || !Object.hasOwn(w.tomlVars, variable) ? w.varsFile : `${w.config} [vars]`;
      out.push({ ...issue, where });
    }
  }
  for (const issue of validateAgentConfig(input.agent.config, input.agent.env)) out.push({ ...issue, where: input.agent.label });
  return out;
}
