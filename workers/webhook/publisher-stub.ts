/** Typed stubs of the Durable Objects, by their keys. */
export function appPublisher(env: Env, repo: string, appId: string) {
  return env.APP_PUBLISHER.get(env.APP_PUBLISHER.idFromName(`${repo}/${appId}`));
}

export function repoCoordinator(env: Env, repo: string) {
  return env.REPO_COORDINATOR.get(env.REPO_COORDINATOR.idFromName(repo));
}
