/** Typed stubs of the Durable Objects, by their keys. */
export function appPublisher(env: Env, repo: string, appId: string) {
  return env.APP_PUBLISHER.get(env.APP_PUBLISHER.idFromName(`${repo}/${appId}`));
}

export function repoCoordinator(env: Env, repo: string) {
  return env.REPO_COORDINATOR.get(env.REPO_COORDINATOR.idFromName(repo));
}

/** `shard` from ledgerShard (lib/replay/ledger-keys.ts). */
export function replayLedger(env: Env, shard: string) {
  return env.REPLAY_LEDGER.get(env.REPLAY_LEDGER.idFromName(shard));
}

/** The repo's BuildIndex (durable/build-index.ts): listing and build metrics. */
export function buildIndex(env: Env, repo: string) {
  return env.BUILD_INDEX.get(env.BUILD_INDEX.idFromName(repo));
}
