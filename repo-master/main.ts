/**
 * Entry point: `npm run repo-master -- --config repo-master.json`. Also `startAgent` for tests
 * and the local stack, which run the agent in-process.
 */
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { BackoffPolicy } from "../lib/backoff.js";
import { callbackUrl, postJobEvent } from "./callback.js";
import { loadConfig, runtimeFromEnv, type AgentConfig } from "./config.js";
import { DEFAULT_IMPORT_RETRY } from "./import-build.js";
import { JobRunner } from "./job-runner.js";
import { JobStore } from "./job-store.js";
import { stderrLogger, type Logger } from "./logger.js";
import { ReplayCache } from "./replay-cache.js";
import { createApp } from "./server.js";

export interface AgentOptions {
  log?: Logger;
  /** in-job retries of transient failures (tests shorten the delays) */
  retry?: BackoffPolicy;
  /** retries of the completion callback */
  callbackAttempts?: number;
  callbackBaseDelayMs?: number;
}

export interface RunningAgent {
  /** `http://host:port`, without a trailing slash */
  url: string;
  /** stops listening, then waits for running jobs and pending callbacks */
  close(): Promise<void>;
}

export async function startAgent(
  config: AgentConfig,
  env: Record<string, string | undefined> = process.env,
  options: AgentOptions = {},
): Promise<RunningAgent> {
  const log = options.log ?? stderrLogger;
  const runtime = runtimeFromEnv(config, env);
  if (!runtime.ok) throw new Error(runtime.error);
  const { secrets, pipelineUrl } = runtime.value;
  const [signingSecret] = secrets;
  if (!pipelineUrl) log("info", "no pipeline_url / PIPELINE_URL: completions are called back only to jobs that carry a callback_url (otherwise the pipeline polls)");
  const runner = new JobRunner({
    config,
    store: new JobStore(config.state_dir),
    log,
    retry: options.retry ?? DEFAULT_IMPORT_RETRY,
    notify: (job, request) => {
      const url = callbackUrl(request, pipelineUrl);
      if (!url || !signingSecret) return Promise.resolve(false);
      return postJobEvent(job, {
        url,
        secret: signingSecret,
        log,
        ...(options.callbackAttempts ? { attempts: options.callbackAttempts } : {}),
        ...(options.callbackBaseDelayMs ? { baseDelayMs: options.callbackBaseDelayMs } : {}),
      });
    },
  });
  const app = createApp({ config, runner, secrets, replays: new ReplayCache(), log });
  const server = await listen(app.fetch, config.listen.host, config.listen.port);
  const { port } = server.address() as AddressInfo;
  const host = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
  const url = `http://${host}:${port}`;
  // listen first so /healthz answers while interrupted jobs are being resumed
  await runner.start();
  log("info", "repo-master listening", { url, repos: Object.keys(config.repos), serve_repos: config.serve_repos });
  return {
    url,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runner.close();
    },
  };
}

function listen(fetch: (req: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    server.once("error", reject);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: "string", short: "c" } } });
  if (!values.config) {
    process.stderr.write("usage: npm run repo-master -- --config <repo-master.json>\n");
    process.exit(2);
  }
  const config = await loadConfig(values.config);
  if (!config.ok) {
    process.stderr.write(`${config.error}\n`);
    process.exit(2);
  }
  await startAgent(config.value, process.env);
  // systemd stops us with SIGTERM: jobs still running are re-run on the next start
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.once(sig, () => {
      stderrLogger("info", "stopping", { signal: sig });
      process.exit(0);
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e: unknown) => {
    stderrLogger("error", "repo-master failed to start", { error: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  });
}
