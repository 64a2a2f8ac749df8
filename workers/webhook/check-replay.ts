/**
 * The routes' one way into the replay ledger: finds the key's shard, asks it, and hands back a
 * `forget` for a route whose own work failed after the key was recorded.
 */
import type { ReplayDecision } from "../../lib/replay/decide-replay.js";
import { LEDGER_WINDOWS_MS, ledgerKey, ledgerShard, type LedgerNamespace } from "../../lib/replay/ledger-keys.js";
import { replayLedger } from "./publisher-stub.js";

export interface ReplayCheck {
  decision: ReplayDecision;
  /** takes back the entry this check recorded (no-op unless it was `new`) */
  forget(): Promise<void>;
}

async function shardOf(env: Env, namespace: LedgerNamespace, id: string) {
  const key = ledgerKey(namespace, id);
  return { key, ledger: replayLedger(env, await ledgerShard(key)) };
}

/** Check-and-reserve: records `id` with `digest` when it is new. */
export async function checkReplay(env: Env, namespace: LedgerNamespace, id: string, digest: string): Promise<ReplayCheck> {
  const { key, ledger } = await shardOf(env, namespace, id);
  const decision = await ledger.check(key, digest, LEDGER_WINDOWS_MS[namespace]);
  return { decision, forget: async () => (decision.kind === "new" ? ledger.forget(key, digest) : undefined) };
}

/** The decision `checkReplay` would make now, recording nothing (to refuse a replay before costly work). */
export async function peekReplay(env: Env, namespace: LedgerNamespace, id: string, digest: string): Promise<ReplayDecision> {
  const { key, ledger } = await shardOf(env, namespace, id);
  return ledger.peek(key, digest);
}
