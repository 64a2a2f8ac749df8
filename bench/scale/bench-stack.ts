/**
 * The stack bench:scale runs: the three workers under `wrangler dev` with the real configs and
 * real Durable Object storage in a temp dir (scripts/wrangler-dev.ts, as `npm start` runs them),
 * the fast stand-in agent (test/fixtures/fake-repo-master.ts, with job durations and callbacks),
 * and a bare Worker under its own `wrangler dev` for the intake CPU comparison. Ports are free
 * 127.0.0.1 ports; stop() stops every process it started.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { startFakeRepoMaster, type FakeAgentOptions } from "../../test/fixtures/fake-repo-master.js";
import { generateSecret } from "../../lib/standard-webhooks.js";
import { loadWorkerVars } from "../../scripts/dev-vars.js";
import { ROOT } from "../../scripts/local-stack.js";
import { freePorts, startWranglerDev, type WranglerDev } from "../../scripts/wrangler-dev.js";
import { workerdPids } from "./process-cpu.js";

export interface BenchStackOptions {
  stateDir: string;
  /** repo name -> policy (REPOS) */
  repos: Record<string, Record<string, unknown>>;
  agent: FakeAgentOptions;
}

export interface BenchStack {
  pipelineUrl: string;
  bareUrl: string;
  /** wrangler's inspector proxy of the pipeline (Chrome DevTools protocol), for profiling */
  inspectorPort: number;
  persistTo: string;
  secrets: { build: string; repoMaster: string; operatorToken: string };
  agent: Awaited<ReturnType<typeof startFakeRepoMaster>>;
  /** workerd processes of the pipeline's and of the bare Worker's `wrangler dev` */
  pipelinePids(): number[];
  barePids(): number[];
  /** wrangler output lines at level error (the workers log JSON), since start */
  errorLines: string[];
  stop(): Promise<void>;
}

export async function startBenchStack(opts: BenchStackOptions): Promise<BenchStack> {
  const secrets = { build: generateSecret(), repoMaster: generateSecret(), operatorToken: randomBytes(24).toString("hex") };
  const [port, barePort, inspector, bareInspector] = await freePorts(4);
  const pipelineUrl = `http://127.0.0.1:${port}`;
  const persistTo = path.join(opts.stateDir, "do-state");
  const logFile = createWriteStream(path.join(opts.stateDir, "wrangler.log"));
  const errorLines: string[] = [];
  const log = (line: string) => {
    logFile.write(`${line}\n`);
    if (/"level":"error"/.test(line) || /\berror\b.*SQLITE|Uncaught|exceeded/i.test(line)) errorLines.push(line);
  };

  const agent = await startFakeRepoMaster(secrets.repoMaster, opts.agent);
  let main: WranglerDev | undefined;
  let bare: WranglerDev | undefined;
  const stop = async () => {
    await Promise.allSettled([main?.stop(), bare?.stop()]);
    main = bare = undefined;
    await agent.close();
    await new Promise((r) => logFile.end(r));
  };
  try {
    const examples = await loadWorkerVars(ROOT, "examples");
    const repos = JSON.stringify(opts.repos);
    const generatedVars = {
      webhook: {
        REPOS: repos,
        BUILD_WEBHOOK_SECRETS: secrets.build,
        OPERATOR_TOKENS: `bench:${secrets.operatorToken}`,
        REPO_MASTER_SECRET: secrets.repoMaster,
        PIPELINE_URL: pipelineUrl,
        LOG_LEVEL: "info",
      },
      publish: { REPO_MASTER_URL: agent.url, REPO_MASTER_SECRET: secrets.repoMaster, PIPELINE_URL: pipelineUrl },
      purge: { ...examples.purge.vars, REPOS: repos },
    };
    // one after the other: a failed start must leave nothing running that stop() does not know of
    main = await startWranglerDev({ root: ROOT, port: port!, persistTo, stateDir: path.join(opts.stateDir, "pipeline"), generatedVars, inspectorPort: inspector!, log });
    bare = await startWranglerDev({
      root: ROOT,
      port: barePort!,
      persistTo: path.join(opts.stateDir, "bare-state"),
      stateDir: path.join(opts.stateDir, "bare"),
      generatedVars: {},
      inspectorPort: bareInspector!,
      workers: [{ name: "bare", config: "bench/workerd/bare-wrangler.toml" }],
      log: (line) => logFile.write(`[bare] ${line}\n`),
    });
  } catch (e) {
    await stop();
    throw e;
  }
  const mainPid = main.pid;
  const barePid = bare.pid;
  return {
    pipelineUrl,
    bareUrl: bare.url,
    inspectorPort: inspector!,
    persistTo,
    secrets,
    agent,
    pipelinePids: () => workerdPids(mainPid),
    barePids: () => workerdPids(barePid),
    errorLines,
    stop,
  };
}
