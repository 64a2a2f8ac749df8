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

export async function checkReplay(env: Env, namespace: LedgerNamespace, id: string, digest: string): Promise<ReplayCheck> {
  const key = ledgerKey(namespace, id);
  const ledger = replayLedger(env, await ledgerShard(key));
  const decision = await ledger.check(key, digest, LEDGER_WINDOWS_MS[namespace]);
  return { decision, forget: async () => (decision.kind === "new" ? ledger.forget(key, digest) : undefined) };
}
