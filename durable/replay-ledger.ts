/**
 * ReplayLedger Durable Object, key `shard-<hex digit>` (lib/replay/ledger-keys.ts): the
 * pipeline-wide record of webhook-ids and GitHub bodies already seen (issue 10, items 3, 6, 7).
 * Sharded by a hash prefix of the key, so no single object takes every request.
 *
 * A thin shell over `decideReplay`. `check` reads and writes with no `await` in between, so two
 * concurrent checks of one key are serialized: exactly one of them is `new`. The output gate
 * holds the answer until the row is on disk, so a caller that heard `new` may rely on it being
 * committed. Rows expire; the alarm deletes them in bounded batches so storage stays bounded by
 * the traffic of one retention window.
 */
import { DurableObject } from "cloudflare:workers";
import { decideReplay, type ReplayDecision } from "../lib/replay/decide-replay.js";
import { ReplayStore } from "./replay-store.js";

/** Rows deleted per alarm run: keeps one run short whatever the backlog. */
const PRUNE_BATCH = 500;
/** Pruning runs at most this often while rows keep expiring (they expire continuously). */
const PRUNE_INTERVAL_MS = 60_000;

export class ReplayLedger extends DurableObject<Env> {
  private readonly store: ReplayStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new ReplayStore(ctx.storage.sql);
  }

  /** Looks `key` up; records it with `digest` for `ttlMs` when it is new. */
  async check(key: string, digest: string, ttlMs: number): Promise<ReplayDecision> {
    const now = Date.now();
    const decision = decideReplay(this.store.get(key), digest, now);
    if (decision.kind === "new") {
      this.store.put(key, { digest, first_seen: now, expires_at: now + ttlMs });
      await this.schedulePrune(now + ttlMs);
    }
    return decision;
  }

  /** What `check` would answer, without recording anything: a cheap early refusal for a caller. */
  async peek(key: string, digest: string): Promise<ReplayDecision> {
    return decideReplay(this.store.get(key), digest, Date.now());
  }

  /**
   * Takes back an entry `check` recorded, when the work it guarded failed on our side, so the
   * sender's retry of the same message is not refused as a replay. Only the row with this
   * digest: an entry another message made is left alone.
   */
  async forget(key: string, digest: string): Promise<void> {
    this.store.delete(key, digest);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.store.prune(now, PRUNE_BATCH);
    const next = this.store.nextExpiry();
    if (next === undefined) return;
    // rows still due mean a backlog larger than one batch: go on right away
    await this.ctx.storage.setAlarm(next <= now ? now : Math.max(next, now + PRUNE_INTERVAL_MS));
  }

  private async schedulePrune(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at + PRUNE_INTERVAL_MS) await this.ctx.storage.setAlarm(at);
  }

  /** Test and operator helper: rows held (expired ones included until pruned). */
  async size(): Promise<number> {
    return this.store.count();
  }
}
