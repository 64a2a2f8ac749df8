/**
 * BuildIndex Durable Object, key `<repo>`: one row per build of the repo, kept current by the
 * AppPublishers' `index` outbox effect, for listing across apps (`GET /v1/builds`, `GET /v1/repos`,
 * the dashboard) and for the build metrics of `GET /metrics` (issue 11). A per-repo object, not
 * D1: same deploy model, nothing extra to provision, and one writer per repo (docs/api.md, "The build index").
 *
 * RPC API (all answers are plain data):
 * - `upsert(entry)`: idempotent; a stale entry (lower `rev`) changes nothing; each transition is
 *   counted once however often or in whatever order upserts arrive. Answers whether the row
 *   moved, or `{ok: false, error}` when storage failed (retry it).
 * - `list(query)`: a page, newest first by (received_at, key), after an optional position.
 * - `counts()`: builds by state.
 * - `metrics(updateRuns?, purges?)`: builds by state, transition totals, the two histograms, and
 *   the update-repo run and purge totals after folding in `updateRuns` (the coordinator's
 *   `updatesPage` items) and `purges` (from its `updateDetail`); each counted once by update id.
 * - `purgesWanted(ids)`: which of these updates' purge reports are not counted yet.
 * Reads create no storage.
 */
import { DurableObject } from "cloudflare:workers";
import type { IndexEntry } from "../lib/build-index/entry.js";
import type { ListPage, ListQuery } from "../lib/build-index/listing.js";
import { MAX_LIMIT } from "../lib/build-index/listing.js";
import { newTransitions, observe, type HistogramData, type HistogramName } from "../lib/build-index/transition-metrics.js";
import type { PurgeRun, PurgeTotals, UpdateRun, UpdateRunTotals } from "../lib/build-index/update-runs.js";
import { BuildIndexStore } from "./build-index-store.js";

export interface IndexMetrics {
  builds: Record<string, number>;
  transitions: Record<string, number>;
  histograms: Record<HistogramName, HistogramData>;
  update_runs: UpdateRunTotals;
  purges: PurgeTotals;
}

export type UpsertResult = { ok: true; applied: boolean; counted: number } | { ok: false; error: string };

export class BuildIndex extends DurableObject<Env> {
  private readonly store: BuildIndexStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new BuildIndexStore(ctx.storage.sql);
  }

  /**
   * A storage failure comes back as a value, not a rejection: the caller's outbox retries it, and
   * an object reset mid-call (a deploy, a test's abort) leaves no promise rejected unobserved.
   */
  async upsert(entry: IndexEntry): Promise<UpsertResult> {
    try {
      // outside the transaction: a rolled-back CREATE would leave LazySchema believing it ran
      this.store.ensureSchema();
      return this.ctx.storage.transactionSync(() => {
        const before = this.store.counted(entry.key);
        const fresh = newTransitions(entry, before?.counted ?? 0);
        const applied = !before || entry.rev > before.rev || (entry.rev === before.rev && entry.updated_at >= before.updated_at);
        this.store.upsert(entry, fresh.counted);
        this.store.addTransitions(fresh.counts);
        for (const o of fresh.observations) this.store.putHistogram(o.name, observe(o.name, this.store.histogram(o.name), o.seconds));
        return { ok: true as const, applied, counted: fresh.counted };
      });
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }

  async list(query: ListQuery): Promise<ListPage> {
    const limit = Math.min(Math.max(1, Math.trunc(query.limit)), MAX_LIMIT);
    const rows = this.store.list({ ...query, limit: limit + 1 });
    return { items: rows.slice(0, limit), more: rows.length > limit };
  }

  async counts(): Promise<Record<string, number>> {
    return this.store.countsByState();
  }

  async purgesWanted(ids: readonly string[]): Promise<string[]> {
    return this.store.purgesUncounted(ids);
  }

  async metrics(updateRuns: readonly UpdateRun[] = [], purges: readonly PurgeRun[] = []): Promise<IndexMetrics> {
    const window = updateRuns.map((r): UpdateRun => ({ update_id: r.update_id, ok: r.ok, finished_at: r.finished_at, ...(r.duration_ms !== undefined ? { duration_ms: r.duration_ms } : {}) }));
    const fresh = this.store.unseenRuns(window);
    // a scrape writes only when the coordinator finished updates (or purges) not counted yet
    const writes = fresh.length > 0 || purges.length > 0;
    if (writes) this.store.ensureSchema();
    const { runs, purged } = writes
      ? this.ctx.storage.transactionSync(() => ({ runs: this.store.recordUpdateRuns(window, fresh), purged: this.store.recordPurges(purges) }))
      : { runs: this.store.updateRunTotals(), purged: this.store.purgeTotals() };
    return {
      update_runs: runs,
      purges: purged,
      builds: this.store.countsByState(),
      transitions: this.store.transitionTotals(),
      histograms: { approval_wait: this.store.histogram("approval_wait"), approval_to_live: this.store.histogram("approval_to_live") },
    };
  }
}
