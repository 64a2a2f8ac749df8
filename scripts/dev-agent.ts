/**
 * The repo-master agent of the local stack: one development repository per REPOS entry (each
 * with its own throwaway GPG key, generated on the first run and reused after), served
 * read-only over HTTP like a CDN would, and one agent for all of them, run in-process.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { AgentConfig } from "../repo-master/config.js";
import { ensureDevRepo, stopGpgAgent, type DevRepo } from "../repo-master/dev-repo.js";
import type { Logger } from "../repo-master/logger.js";
import { startAgent, type RunningAgent } from "../repo-master/main.js";

export interface DevAgentOptions {
  stateDir: string;
  repoNames: string[];
  port: number;
  pipelineUrl: string;
  secret: string;
  log: Logger;
}

export interface DevAgent {
  url: string;
  /** the combined config, also written to <stateDir>/repo-master.json for `npm run repo-master` */
  configPath: string;
  repos: Record<string, DevRepo>;
  stop(): Promise<void>;
}

// gpg-agent's sockets live in the homedir when /run/user/<uid> is missing; a unix socket path
// has at most 107 bytes, and S.gpg-agent.browser is the longest name gpg uses
const LONGEST_SOCKET = "S.gpg-agent.browser";

export async function startDevAgent(opts: DevAgentOptions): Promise<DevAgent> {
  const stateDir = path.resolve(opts.stateDir);
  const repos: Record<string, DevRepo> = {};
  for (const name of opts.repoNames) {
    const dir = path.join(stateDir, "repos", name);
    checkSocketPath(path.join(dir, "gnupg"));
    repos[name] = await ensureDevRepo({ dir, repoName: name, collectionId: collectionId(name), pipelineUrl: opts.pipelineUrl });
  }
  const config = AgentConfig.parse({
    listen: { host: "127.0.0.1", port: opts.port },
    secret_env: "REPO_MASTER_SECRET",
    pipeline_url: opts.pipelineUrl,
    state_dir: path.join(stateDir, "agent"),
    serve_repos: true,
    repos: Object.fromEntries(Object.entries(repos).map(([name, r]) => [name, r.config.repos[name]!])),
  });
  const configPath = path.join(stateDir, "repo-master.json");
  await mkdir(stateDir, { recursive: true });
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);

  let agent: RunningAgent;
  try {
    // only the secret: PIPELINE_URL and friends of the caller's environment must not leak in
    agent = await startAgent(config, { REPO_MASTER_SECRET: opts.secret }, { log: opts.log });
  } catch (e) {
    await Promise.all(Object.values(repos).map((r) => stopGpgAgent(r.gpgHomedir)));
    if (e instanceof Error && "code" in e && e.code === "EADDRINUSE") {
      throw new Error(`port ${opts.port} (the repo-master agent) is in use: is another \`npm start\` running? Set AGENT_PORT to use another port.`);
    }
    throw e;
  }
  return {
    url: agent.url,
    configPath,
    repos,
    stop: async () => {
      await agent.close();
      await Promise.all(Object.values(repos).map((r) => stopGpgAgent(r.gpgHomedir)));
    },
  };
}

/** `stable` -> `org.flatgate.Stable`: a valid OSTree collection id for each dev repo. */
export function collectionId(repo: string): string {
  const segment = repo.replace(/-/g, "_");
  return `org.flatgate.${/^[0-9]/.test(segment) ? `R${segment}` : segment[0]!.toUpperCase() + segment.slice(1)}`;
}

function checkSocketPath(homedir: string): void {
  const uid = process.getuid?.();
  if (uid !== undefined && existsSync(`/run/user/${uid}`)) return;
  const socket = path.join(homedir, LONGEST_SOCKET);
  if (Buffer.byteLength(socket) > 107) {
    throw new Error(`the gpg-agent socket path ${socket} is longer than 107 bytes; use a shorter state directory (FLATGATE_STATE_DIR=/tmp/flatgate)`);
  }
}
