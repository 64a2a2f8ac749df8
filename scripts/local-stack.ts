/**
 * The whole pipeline on one machine (issue 3 "Local stack and demo"): the repo-master agent
 * in-process against development repositories, and the three workers under `wrangler dev`.
 * Shared by `npm start` (scripts/dev.ts), `npm run demo` and the end-to-end test.
 */
import { existsSync } from "node:fs";
import { rename } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../repo-master/logger.js";
import { collectionId, startDevAgent, type DevAgent } from "./dev-agent.js";
import { ensureDevVars, loadWorkerVars, type VarsSource, type WorkerName, type WorkerVars } from "./dev-vars.js";
import type { Vars } from "./dotenv.js";
import { ensureTools } from "./ensure-tools.js";
import { stackVars, type RepoInfo } from "./stack-vars.js";
import { acquireStateLock, type StateLock } from "./state-lock.js";
import { formatIssues, validateStack } from "./validate-config.js";
import { assertPortFree, checkTypes, startWranglerDev, type WranglerDev } from "./wrangler-dev.js";
import { readWranglerVars } from "./wrangler-vars.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface LocalStackOptions {
  /** the webhook worker (default 8787) */
  port?: number;
  /** the repo-master agent, which also serves the repos (default 8790) */
  agentPort?: number;
  /** dev repos, keys, agent state, generated configs (default .flatgate/) */
  stateDir?: string;
  /** wrangler's local state: Durable Objects (default .wrangler/state) */
  persistTo?: string;
  /** where configuration comes from (default: the developer's .dev.vars, created when missing) */
  vars?: VarsSource;
  /** per worker, values that replace those of its file (tests) */
  varsOverride?: Partial<Record<WorkerName, Vars>>;
  log?: (line: string) => void;
}

export interface StackSecrets {
  /** the first of BUILD_WEBHOOK_SECRETS: what a build worker signs with */
  buildWebhookSecret: string;
  /** the first OPERATOR_TOKENS entry */
  operator: { name: string; token: string };
  repoMasterSecret: string;
}

export interface LocalStack {
  pipelineUrl: string;
  agentUrl: string;
  secrets: StackSecrets;
  repos: (RepoInfo & { publicKeyPath: string })[];
  stateDir: string;
  /** the agent's combined config (for `npm run repo-master -- --config …`) */
  agentConfigPath: string;
  /** the variables each worker runs with (for the banner: which integrations are configured) */
  vars: Record<WorkerName, Vars>;
  /** which .dev.vars files were created from their examples in this run */
  createdVarsFiles: string[];
  /** per worker, the variables this run overrides (other ports than the files say) */
  overridden: Record<WorkerName, string[]>;
  stop(): Promise<void>;
}

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const port = opts.port ?? 8787;
  const agentPort = opts.agentPort ?? 8790;
  const stateDir = path.resolve(ROOT, opts.stateDir ?? ".flatgate");
  const persistTo = path.resolve(ROOT, opts.persistTo ?? ".wrangler/state");
  const source = opts.vars ?? "dev-vars";
  const pipelineUrl = `http://127.0.0.1:${port}`;
  const agentUrl = `http://127.0.0.1:${agentPort}`;

  const createdVarsFiles = source === "dev-vars" ? await ensureDevVars(ROOT) : [];
  for (const f of createdVarsFiles) log(`[stack] created ${f} from its example (development values)`);
  const files = await loadWorkerVars(ROOT, source);
  for (const [name, override] of Object.entries(opts.varsOverride ?? {}) as [WorkerName, Vars][]) files[name].vars = { ...files[name].vars, ...override };
  const wired = stackVars({ webhook: files.webhook.vars, publish: files.publish.vars, purge: files.purge.vars }, { pipelineUrl, agentUrl });
  if (!wired.ok) throw new Error(wired.error);
  const { vars, changed, repos, repoMasterSecret } = wired.value;
  // every worker's whole configuration, before anything starts: a bad value would otherwise
  // surface as 503 not_configured on every request
  checkConfig({ files, vars, source, repos, stateDir, agentPort, pipelineUrl, repoMasterSecret });
  const secrets = readSecrets(vars.webhook, repoMasterSecret);
  await ensureTools(log);

  // one stack per state directory: a second one would rewrite this one's generated configs
  const lock = await acquireStateLock(stateDir, { pipelineUrl });
  if (lock.replaced) log(`[stack] took over the stale lock of pid ${lock.replaced.pid} (no longer running) in ${path.relative(ROOT, lock.file) || lock.file}`);
  const agentLog: Logger = (level, msg, fields = {}) => log(`[agent] ${JSON.stringify({ level, msg, ...fields })}`);
  let agent: DevAgent | undefined;
  let wrangler: WranglerDev | undefined;
  let held: StateLock | undefined = lock;
  const stop = async () => {
    try {
      await wrangler?.stop();
      wrangler = undefined;
    } finally {
      await agent?.stop();
      agent = undefined;
      held?.release();
      held = undefined;
    }
  };
  try {
    // fail on a busy port before generating keys or starting anything
    await assertPortFree(port, "PORT");
    await retireStaleAgentJobs(persistTo, stateDir, log);
    agent = await startDevAgent({ stateDir, repoNames: repos.map((r) => r.name), port: agentPort, pipelineUrl, secret: repoMasterSecret, log: agentLog });
    log(`[stack] repo-master agent on ${agent.url} (repos: ${repos.map((r) => r.name).join(", ")})`);
    // a worker whose file already holds the right values runs from it; the others get generated ones
    const generatedVars: Partial<Record<WorkerName, Vars>> = {};
    for (const name of ["webhook", "publish", "purge"] as const) {
      if (source === "examples" || changed[name].length > 0) generatedVars[name] = vars[name];
      if (changed[name].length > 0) log(`[stack] ${name}: this run uses its own ${changed[name].join(", ")}`);
    }
    // the developer's own files only: the examples lack the secrets the types were made with
    const typesCheck = source === "dev-vars" ? checkTypes(ROOT) : Promise.resolve(undefined);
    wrangler = await startWranglerDev({ root: ROOT, port, persistTo, stateDir, generatedVars, log });
    log(`[stack] pipeline on ${wrangler.url}`);
    const stale = await typesCheck;
    if (stale) log(`[stack] ${stale}`);
  } catch (e) {
    await stop();
    throw e;
  }
  const devAgent = agent;
  return {
    pipelineUrl,
    agentUrl: devAgent.url,
    secrets,
    repos: repos.map((r) => ({ ...r, publicKeyPath: devAgent.repos[r.name]!.publicKeyPath })),
    stateDir,
    agentConfigPath: devAgent.configPath,
    vars,
    createdVarsFiles,
    overridden: changed,
    stop,
  };
}

interface ConfigCheckInput {
  files: Record<WorkerName, WorkerVars>;
  vars: Record<WorkerName, Vars>;
  source: VarsSource;
  repos: RepoInfo[];
  stateDir: string;
  agentPort: number;
  pipelineUrl: string;
  repoMasterSecret: string;
}

/** Throws naming every bad variable and field (docs/configuration.md), or returns. */
function checkConfig(c: ConfigCheckInput): void {
  const names = ["webhook", "publish", "purge"] as const;
  const tomlVars = readWranglerVars(ROOT, names.map((n) => c.files[n].config));
  const worker = (name: WorkerName) => {
    const f = c.files[name];
    const file = path.relative(ROOT, f.file);
    return { config: f.config, varsFile: c.source === "examples" ? `${file}.example` : file, tomlVars: tomlVars[names.indexOf(name)]!, vars: c.vars[name] };
  };
  const issues = validateStack({
    workers: { webhook: worker("webhook"), publish: worker("publish"), purge: worker("purge") },
    agent: {
      label: "the repo-master agent",
      // as startDevAgent will write it; the key ids exist only once the dev keys are generated
      config: {
        listen: { host: "127.0.0.1", port: c.agentPort },
        secret_env: "REPO_MASTER_SECRET",
        pipeline_url: c.pipelineUrl,
        state_dir: path.join(c.stateDir, "agent"),
        serve_repos: true,
        repos: Object.fromEntries(
          c.repos.map((r) => [r.name, { path: path.join(c.stateDir, "repos", r.name, "repo"), collection_id: collectionId(r.name), gpg_key_ids: ["generated-on-first-start"] }]),
        ),
      },
      env: { REPO_MASTER_SECRET: c.repoMasterSecret },
    },
  });
  if (issues.length === 0) return;
  throw new Error(`invalid configuration, nothing was started:\n${formatIssues(issues)}\nFix the values above (docs/configuration.md lists every variable) and start again.`);
}

/**
 * The coordinator numbers its jobs per repo (`stable-publish-1`, …) in its Durable Object
 * storage. After `.wrangler/state` is deleted it counts from 1 again, and the agent, which
 * kept its jobs, refuses the reused ids with 409 conflicting_job (one publish attempt lost per
 * collision). Jobs of a pipeline whose state is gone mean nothing: move them aside.
 */
async function retireStaleAgentJobs(persistTo: string, stateDir: string, log: (line: string) => void): Promise<void> {
  const jobs = path.join(stateDir, "agent", "jobs");
  if (existsSync(persistTo) || !existsSync(jobs)) return;
  const aside = path.join(stateDir, "agent", `jobs-before-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  await rename(jobs, aside);
  log(`[stack] ${path.relative(ROOT, persistTo)} is new: moved the agent's old jobs to ${path.relative(ROOT, aside)} (their ids would collide)`);
}

/** The credentials a build worker and an operator use, from the webhook worker's variables. */
export function readSecrets(webhook: Vars, repoMasterSecret: string): StackSecrets {
  const buildWebhookSecret = (webhook.BUILD_WEBHOOK_SECRETS ?? "").split(/\s+/).find(Boolean);
  if (!buildWebhookSecret) throw new Error(".dev.vars has no BUILD_WEBHOOK_SECRETS (copy it from .dev.vars.example)");
  const pair = (webhook.OPERATOR_TOKENS ?? "").split(/\s+/).find((p) => p.includes(":"));
  if (!pair) throw new Error(".dev.vars has no OPERATOR_TOKENS name:token pair (copy it from .dev.vars.example)");
  const i = pair.indexOf(":");
  return { buildWebhookSecret, operator: { name: pair.slice(0, i), token: pair.slice(i + 1) }, repoMasterSecret };
}
