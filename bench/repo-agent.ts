/**
 * Drives the real repo-master agent over its real HTTP API, in-process (startAgent): jobs are
 * submitted signed, and timed from the POST until the agent's signed completion callback
 * arrives at a local receiver, so the figure includes everything the agent does for a job
 * (job store writes with fsync, the refs file, the snapshot, the callback).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Job, type CreateJobRequest } from "../lib/repo-master-contract.js";
import { generateSecret, signedHeaders, verify } from "../lib/standard-webhooks.js";
import type { AgentConfig } from "../repo-master/config.js";
import { startAgent, type RunningAgent } from "../repo-master/main.js";

export interface BenchAgent {
  /** runs one job; resolves with the finished Job and the wall time in ms */
  run(request: CreateJobRequest): Promise<{ job: Job; ms: number }>;
  close(): Promise<void>;
}

export async function startBenchAgent(config: AgentConfig): Promise<BenchAgent> {
  const secret = generateSecret();
  const waiting = new Map<string, (job: Job) => void>();
  const receiver: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const h = (n: string) => (typeof req.headers[n] === "string" ? (req.headers[n] as string) : undefined);
    const checked = await verify([secret], { id: h("webhook-id"), timestamp: h("webhook-timestamp"), signature: h("webhook-signature"), body });
    res.writeHead(checked.ok ? 204 : 401).end();
    if (!checked.ok) return;
    const job = Job.parse(JSON.parse(body));
    waiting.get(job.job_id)?.(job);
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const callback = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/repo-master/events`;
  const agent: RunningAgent = await startAgent(config, { REPO_MASTER_SECRET: secret }, { log: () => {} });

  return {
    async run(request) {
      const body = JSON.stringify({ ...request, callback_url: callback });
      const done = new Promise<Job>((resolve) => waiting.set(request.job_id, resolve));
      const t0 = performance.now();
      const res = await fetch(`${agent.url}/v1/jobs`, {
        method: "POST",
        headers: { ...(await signedHeaders(secret, body)), "content-type": "application/json" },
        body,
      });
      if (res.status !== 202) throw new Error(`agent refused ${request.job_id}: ${res.status} ${await res.text()}`);
      const job = await done;
      const ms = performance.now() - t0;
      waiting.delete(request.job_id);
      if (job.state !== "succeeded") throw new Error(`${request.job_id} failed: ${job.error ?? "?"}\n${job.log_tail.join("\n")}`);
      return { job, ms };
    },
    async close() {
      await agent.close();
      await new Promise<void>((r) => receiver.close(() => r()));
    },
  };
}
