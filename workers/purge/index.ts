/**
 * The purge worker: an internal RPC entrypoint (no public routes) that the RepoCoordinator
 * calls through its `PURGE` service binding after each summary update.
 *   const report = await env.PURGE.purge({ repo, update_id, public_url, changed_paths, expected });
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { ConfigError } from "../../lib/config.js";
import { invalidPayload } from "../../lib/errors.js";
import { PurgeRequest, type PurgeReport, type PurgeService } from "../../lib/purge/contract.js";
import { loadPurgeConfig, type PurgeConfig } from "../../lib/purge/config.js";
import { purgeUpdate } from "../../lib/purge/purge-update.js";
import type { Env } from "./env.js";

export default class PurgeWorker extends WorkerEntrypoint<Env> implements PurgeService {
  /** Never throws for a CDN problem (the report carries it); throws for a malformed request. */
  async purge(req: PurgeRequest): Promise<PurgeReport> {
    const parsed = PurgeRequest.safeParse(req);
    if (!parsed.success) throw invalidPayload(parsed.error.issues, "purge request");
    let config: PurgeConfig;
    try {
      config = loadPurgeConfig(this.env);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // a misconfigured CDN must be loud, but it is still not a reason to fail the publish
      return {
        update_id: parsed.data.update_id,
        skipped: `purge worker misconfigured: ${e.message}`,
        providers: [],
        alerts: [`Purge of ${parsed.data.repo} skipped: ${e.message}`],
      };
    }
    const report = await purgeUpdate(parsed.data, config);
    console.log(
      JSON.stringify({
        msg: "purge",
        repo: parsed.data.repo,
        update_id: report.update_id,
        skipped: report.skipped,
        providers: report.providers.map((p) => ({ provider: p.provider, ok: p.ok, attempts: p.attempts, requests: p.requests })),
        verify: report.verify && { ok: report.verify.ok, ms_until_fresh: report.verify.ms_until_fresh, signature_mismatch: report.verify.signature_mismatch },
        alerts: report.alerts.length,
      }),
    );
    return report;
  }

  /** Internal worker: nothing is served over HTTP. */
  override async fetch(): Promise<Response> {
    return new Response("not found\n", { status: 404, headers: { "content-type": "text/plain" } });
  }
}
