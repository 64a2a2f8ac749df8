/**
 * `npm run bench:repo` (issue 9 item 7): the real agent's update-repo and one-build publish
 * beside the bare commands it wraps, with real ostree/flatpak/gpg, on generated repos of
 * 1,000, 7,280 and 30,000 refs (BENCH_REPO_SIZES=1000,7280 to choose; BENCH_REPO_ROUNDS, default
 * 5). Per round, on the same repo: the agent publishes one build and regenerates the summary
 * (over HTTP, timed to its callback), and the bare commands do the same for another app
 * (`flatpak build-commit-from` with the agent's flags; `flatpak build-update-repo` with the same
 * signing flags); who goes first alternates. A warm-up round is not counted. Prints a table and
 * writes bench/results/repo-<time>.json with per-size medians (seconds) and the ratios.
 * Target: agent update-repo ≤ 1.1× bare at 7,280 and 30,000 refs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stopGpgAgent } from "../repo-master/dev-repo.js";
import { buildCommitFrom, buildUpdateRepo, signingOf } from "../repo-master/ostree.js";
import { describeFailure, type CommandResult } from "../repo-master/run-command.js";
import { median } from "./harness.js";
import { environment, formatTable, type Section } from "./report.js";
import { startBenchAgent } from "./repo-agent.js";
import { benchRepo, BENCH_REPO, freshBuild, type BenchRepo } from "./repo-fixture.js";


const sizes = (process.env.BENCH_REPO_SIZES ?? "1000,7280,30000").split(",").map((s) => Number(s.trim()));
const rounds = Number(process.env.BENCH_REPO_ROUNDS ?? 5);
if (sizes.some((n) => !Number.isInteger(n) || n < 2) || !Number.isInteger(rounds) || rounds < 1) {
  console.error("BENCH_REPO_SIZES must be integers ≥ 2 (comma-separated), BENCH_REPO_ROUNDS a positive integer");
  process.exit(2);
}

interface SizeResult {
  refs: number;
  rounds: number;
  seconds: Record<"agent_update" | "bare_update" | "agent_publish" | "bare_publish", number[]>;
  /** the agent's own phases of each update-repo (ms), from its job log */
  agent_update_phases: Record<string, number>[];
  median_s: Record<string, number>;
  /**
   * the agent's own cost per update-repo: its wall time minus its flatpak build-update-repo
   * run (seconds, per round). flatpak's run-to-run spread on a shared machine is far larger
   * than this, so `ratio_update_overhead` = (bare + overhead) / bare is the steadier figure.
   */
  agent_update_overhead_s: number[];
  ratio_update_overhead: number;
  ratio_update: number;
  ratio_publish: number;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const startedAt = new Date();
const env = environment(false);
log(`flatgate bench:repo: node ${env.node}, ${env.cpus} CPU(s) (${env.cpu_model}), load ${env.load_avg_1m?.toFixed(2)}; sizes ${sizes.join(", ")}; ${rounds} rounds`);

const results: SizeResult[] = [];
for (const size of sizes) results.push(await benchSize(await benchRepo(size, log)));

const sections: Section[] = results.map((r) => ({
  id: `repo-${r.refs}`,
  title: `${r.refs.toLocaleString("en")} refs (median of ${r.rounds} interleaved rounds)`,
  rows: [
    { name: "agent update-repo (HTTP job → callback)", ms: r.median_s.agent_update! * 1000 },
    { name: "bare flatpak build-update-repo", ms: r.median_s.bare_update! * 1000 },
    { name: "agent overhead beyond its flatpak run", ms: median(r.agent_update_overhead_s) * 1000 },
    { name: "agent publish, 1 build (HTTP job → callback)", ms: r.median_s.agent_publish! * 1000 },
    { name: "bare flatpak build-commit-from", ms: r.median_s.bare_publish! * 1000 },
  ],
  ratios: [
    { name: "update-repo agent/bare", value: r.ratio_update, meaning: "median of per-round ratios; target ≤ 1.1 at 7,280 and 30,000 refs" },
    { name: "update-repo (bare + agent overhead)/bare", value: r.ratio_update_overhead, meaning: "the agent's added cost alone, free of flatpak's run-to-run spread" },
    { name: "publish agent/bare", value: r.ratio_publish, meaning: "median of per-round ratios" },
  ],
  data: r,
}));
log(formatTable(sections));

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `repo-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify({ started_at: startedAt.toISOString(), environment: env, rounds, sizes: results }, null, 2)}\n`);
log(`wrote ${file}`);

async function benchSize(bench: BenchRepo): Promise<SizeResult> {
  const repo = bench.dev.config.repos[BENCH_REPO]!;
  // jobs of earlier runs only slow the agent's start; the snapshot stays (steady state)
  const state = bench.dev.config.state_dir;
  await rm(path.join(state, "jobs"), { recursive: true, force: true });
  await rm(path.join(state, "job-refs"), { recursive: true, force: true });
  const agent = await startBenchAgent({ ...bench.dev.config, listen: { host: "127.0.0.1", port: 0 }, serve_repos: false });
  const seconds: SizeResult["seconds"] = { agent_update: [], bare_update: [], agent_publish: [], bare_publish: [] };
  const phases: Record<string, number>[] = [];
  const overhead: number[] = [];
  const runId = Date.now().toString(36);
  try {
    for (let round = 0; round <= rounds; round++) {
      const agentApp = "org.example.BenchAgent";
      const bareApp = "org.example.BenchBare";
      const [a, b] = [await freshBuild(bench, agentApp, round), await freshBuild(bench, bareApp, round)];

      const viaAgent = async () => {
        const pub = await agent.run({
          job_id: `bench-${runId}-pub-${round}`,
          kind: "publish",
          repo: BENCH_REPO,
          builds: [{ build_key: `${BENCH_REPO}/${agentApp}/${round}`, app_id: agentApp, artifact: { url: a.repoPath, refs: a.refs } }],
        });
        const built = pub.job.kind === "publish" ? pub.job.result?.builds[0] : undefined;
        if (!built?.ok) throw new Error(`agent publish failed: ${JSON.stringify(built)} ${pub.job.log_tail.join("\n")}`);
        const upd = await agent.run({ job_id: `bench-${runId}-upd-${round}`, kind: "update-repo", repo: BENCH_REPO, options: { changed_refs: [a.ref] } });
        const phases = phasesOf(upd.job.log_tail);
        return { publish: pub.ms, update: upd.ms, phases, overhead: upd.ms - (phases.build_update_repo ?? 0) };
      };
      const bare = async () => {
        const p0 = performance.now();
        must(await buildCommitFrom({ srcRepo: b.repoPath, srcCommit: b.refs[b.ref]!, destRepo: repo.path, destRef: b.ref, signing: signingOf(repo) }));
        const publish = performance.now() - p0;
        const u0 = performance.now();
        must(await buildUpdateRepo({ repo: repo.path, signing: signingOf(repo), staticDeltas: repo.generate_static_deltas }));
        return { publish, update: performance.now() - u0 };
      };

      // alternate who goes first, so neither always finds the page cache the other warmed
      let x: Awaited<ReturnType<typeof viaAgent>>;
      let y: Awaited<ReturnType<typeof bare>>;
      if (round % 2 === 0) {
        x = await viaAgent();
        y = await bare();
      } else {
        y = await bare();
        x = await viaAgent();
      }
      const line = `${bench.size} refs round ${round}${round === 0 ? " (warm-up)" : ""}: update agent ${(x.update / 1000).toFixed(2)} s, bare ${(y.update / 1000).toFixed(2)} s; publish agent ${(x.publish / 1000).toFixed(2)} s, bare ${(y.publish / 1000).toFixed(2)} s`;
      log(`${line}  [agent phases ms: ${Object.entries(x.phases).map(([k, v]) => `${k}=${v}`).join(" ")}]`);
      if (round === 0) continue;
      seconds.agent_update.push(x.update / 1000);
      seconds.bare_update.push(y.update / 1000);
      seconds.agent_publish.push(x.publish / 1000);
      seconds.bare_publish.push(y.publish / 1000);
      phases.push(x.phases);
      overhead.push(x.overhead / 1000);
    }
  } finally {
    await agent.close();
    await stopGpgAgent(bench.dev.gpgHomedir);
  }
  const perRound = (p: number[], q: number[]) => median(p.map((v, i) => v / q[i]!));
  return {
    refs: bench.size,
    rounds,
    seconds,
    agent_update_phases: phases,
    median_s: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, median(v)])),
    agent_update_overhead_s: overhead,
    ratio_update_overhead: (median(seconds.bare_update) + median(overhead)) / median(seconds.bare_update),
    ratio_update: perRound(seconds.agent_update, seconds.bare_update),
    ratio_publish: perRound(seconds.agent_publish, seconds.bare_publish),
  };
}

/** "update-repo phases (ms): a=1 b=2" from the job's log tail */
function phasesOf(lines: readonly string[]): Record<string, number> {
  const line = lines.find((l) => l.startsWith("update-repo phases (ms): "));
  if (!line) return {};
  return Object.fromEntries(
    line
      .slice("update-repo phases (ms): ".length)
      .split(" ")
      .map((kv) => kv.split("="))
      .map(([k, v]) => [k!, Number(v)]),
  );
}

function must(r: CommandResult): CommandResult {
  if (!r.ok) throw new Error(describeFailure(r));
  return r;
}
