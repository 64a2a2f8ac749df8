/**
 * Shared setup for the agent tests: a dev repo with a throwaway GPG key in a temp dir, the
 * agent started in-process on a free port, and signed requests to it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Job } from "../../lib/repo-master-contract.js";
import { generateSecret, signedHeaders } from "../../lib/standard-webhooks.js";
import type { AgentConfig } from "../../repo-master/config.js";
import { ensureDevRepo, stopGpgAgent, type DevRepo } from "../../repo-master/dev-repo.js";
import type { LogLevel } from "../../repo-master/logger.js";
import { startAgent, type RunningAgent } from "../../repo-master/main.js";
import { runCommand } from "../../repo-master/run-command.js";

export const REPO = "stable";

export interface LogLine {
  level: LogLevel;
  msg: string;
  fields: Record<string, unknown>;
}

export interface TestAgent {
  dir: string;
  dev: DevRepo;
  secret: string;
  config: AgentConfig;
  agent: RunningAgent;
  logs: LogLine[];
  /** a signed request (fresh webhook-id unless given) */
  call(method: "GET" | "POST", urlPath: string, body?: unknown, opts?: { id?: string; secret?: string; now?: number }): Promise<Response>;
  waitForJob(jobId: string, timeoutMs?: number): Promise<Job>;
  /** stop the agent (jobs drained) without deleting anything */
  stop(): Promise<void>;
  /** start it again on the same state dir */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function tempDir(prefix: string): Promise<string> {
  // short paths: gpg-agent's socket path must fit in 108 bytes
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function setupAgent(opts: { pipelineUrl?: string; extraRepos?: AgentConfig["repos"]; beforeStart?: (t: { dir: string; dev: DevRepo }) => Promise<void> } = {}): Promise<TestAgent> {
  const dir = await tempDir("fg-agent-");
  const dev = await ensureDevRepo({ dir, repoName: REPO, collectionId: "org.flatgate.Test" });
  const secret = generateSecret();
  const config: AgentConfig = {
    ...dev.config,
    ...(opts.pipelineUrl ? { pipeline_url: opts.pipelineUrl } : {}),
    repos: { ...dev.config.repos, ...opts.extraRepos },
  };
  await opts.beforeStart?.({ dir, dev });
  const logs: LogLine[] = [];
  const start = () =>
    startAgent(config, { REPO_MASTER_SECRET: secret }, {
      log: (level, msg, fields = {}) => logs.push({ level, msg, fields }),
      retry: { baseMs: 20, maxMs: 100, maxAttempts: 2 },
      callbackAttempts: 3,
      callbackBaseDelayMs: 20,
    });
  let agent = await start();
  const t: TestAgent = {
    dir,
    dev,
    secret,
    config,
    get agent() {
      return agent;
    },
    logs,
    async call(method, urlPath, body, o = {}) {
      const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
      const headers = await signedHeaders(o.secret ?? secret, text, { ...(o.id ? { id: o.id } : {}), ...(o.now ? { now: o.now } : {}) });
      return fetch(`${agent.url}${urlPath}`, {
        method,
        headers: { ...headers, ...(method === "POST" ? { "content-type": "application/json" } : {}) },
        ...(method === "POST" ? { body: text } : {}),
      });
    },
    async waitForJob(jobId, timeoutMs = 45_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await t.call("GET", `/v1/jobs/${jobId}`);
        if (res.status === 200) {
          const job = Job.parse(await res.json());
          if (job.state === "succeeded" || job.state === "failed") return job;
        }
        if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      await agent.close();
    },
    async restart() {
      agent = await start();
    },
    async cleanup() {
      await agent.close();
      await stopGpgAgent(dev.gpgHomedir);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return t;
}

/** An ostree client repo trusting only the dev key, with summary signatures required. */
export async function clientRemote(dir: string, url: string, keyPath: string): Promise<{ repo: string; remote: string }> {
  const repo = path.join(dir, "client");
  const init = await runCommand("ostree", ["init", `--repo=${repo}`, "--mode=archive-z2"]);
  if (!init.ok) throw new Error(init.stderr);
  const add = await runCommand("ostree", [
    `--repo=${repo}`,
    "remote",
    "add",
    `--gpg-import=${keyPath}`,
    "--set=gpg-verify-summary=true",
    "--set=gpg-verify=true",
    "dev",
    url,
  ]);
  if (!add.ok) throw new Error(add.stderr);
  return { repo, remote: "dev" };
}
