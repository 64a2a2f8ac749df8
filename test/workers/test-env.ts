/** Configuration of the webhook worker in the workerd tests. Test-only secrets. */
export const TEST_SECRETS = {
  build: "whsec_dGVzdC1idWlsZC13ZWJob29rLXNlY3JldC0wMDAwMDE=",
  buildRotated: "whsec_dGVzdC1idWlsZC13ZWJob29rLXNlY3JldC0wMDAwMDI=",
  repoMaster: "whsec_dGVzdC1yZXBvLW1hc3Rlci1zZWNyZXQtMDAwMDAwMDE=",
  operatorToken: "test-operator-token-0123456789",
  metricsToken: "test-metrics-token-0123456789",
  githubWebhook: "test-github-webhook-secret",
  /** BUILD_CREDENTIALS "buildbot-gnome" (two entries: a rotation) */
  scopedGnome: "whsec_dGVzdC1zY29wZWQtZ25vbWUtY3JlZGVudGlhbC0wMQ==",
  scopedGnomeRotated: "whsec_dGVzdC1zY29wZWQtZ25vbWUtY3JlZGVudGlhbC0wMg==",
  /** OPERATORS (issue 13 §3); ada's is stored as its SHA-256 digest */
  viewerToken: "test-viewer-vera-token-0123456789",
  approverToken: "test-approver-alan-token-0123456789",
  adminAdaToken: "test-admin-ada-token-0123456789",
  /** flat-manager's base64 `secret` (test/fixtures/fake-flat-manager.ts checks tokens with it) */
  flatManager: "ZmxhdGdhdGUtdGVzdC1mbGF0LW1hbmFnZXItc2VjcmV0",
};

/** TRUSTED_PUBLISHERS against the local OIDC issuer (test/fixtures/oidc-issuer.ts) at `base`. */
export function trustedPublishers(base: string) {
  const gnome = {
    issuer: `${base}/main`,
    audience: "flatgate",
    repository: "flathub/org.gnome.Maps",
    repository_id: "123",
    repository_owner_id: "456",
    workflow: "build.yml",
    environment: null,
    refs: ["refs/heads/master", "refs/heads/branch/*"],
    apps: ["org.gnome.Maps"],
    repos: ["stable", "beta"],
  };
  return JSON.stringify([
    { name: "gnome-ci", ...gnome },
    { ...gnome, name: "kde-ci", repository: "flathub/org.kde.Games", repository_id: "789", workflow: "release.yml", environment: "publish", refs: ["refs/tags/v*"], apps: ["org.kde.*"], repos: ["stable"] },
    { ...gnome, name: "rotating-ci", issuer: `${base}/rotating`, repository_id: "321" },
    { ...gnome, name: "down-ci", issuer: `${base}/down`, repository_id: "999" },
  ]);
}

export const TEST_REPOS = {
  stable: { approval: "required", prevent_self_approval: true, approval_ttl_hours: 1, update_debounce_seconds: 0.2, update_max_wait_seconds: 1, public_url: "http://127.0.0.1:9/repo/stable", gpg_key_url: "http://127.0.0.1:9/repo/stable/key.gpg" }, // URLs replaced by vitest.config.ts
  beta: { approval: "auto", update_debounce_seconds: 0.5, update_max_wait_seconds: 2, publish_batch_size: 5 },
  quorum: { approval: "required", approvals_required: 2 },
  delayed: { approval: "delayed", auto_publish_after_hours: 0.5 },
  // a debounce long enough that two publish jobs land in one summary update on a loaded machine
  truth: { approval: "auto", update_debounce_seconds: 3, update_max_wait_seconds: 10 },
  // only ever read, to show that reads create no storage
  readonly: { approval: "required" },
  retain: { approval: "required", retain_final_builds: 2 },
  burst: { approval: "auto", update_debounce_seconds: 0.5, update_max_wait_seconds: 2, publish_batch_size: 200 },
  // published by the stand-in flat-manager (its repo "stable"); URLs replaced by vitest.config.ts
  "flat-manager": { approval: "auto", update_debounce_seconds: 0.1, update_max_wait_seconds: 0.5, backend: "flat-manager", flat_manager_url: "http://127.0.0.1:9", flat_manager_repo: "stable" },
};

export const TEST_ENV = {
  REPOS: JSON.stringify(TEST_REPOS),
  BUILD_WEBHOOK_SECRETS: `${TEST_SECRETS.build} ${TEST_SECRETS.buildRotated}`,
  OPERATOR_TOKENS: `alice:${TEST_SECRETS.operatorToken}`,
  BUILD_CREDENTIALS: JSON.stringify([
    { name: "buildbot-gnome", secret: TEST_SECRETS.scopedGnome, apps: ["org.gnome.*"], repos: ["stable"] },
    { name: "buildbot-gnome", secret: TEST_SECRETS.scopedGnomeRotated, apps: ["org.gnome.*"], repos: ["stable"] },
  ]),
  OPERATORS: JSON.stringify([
    { name: "vera", token: TEST_SECRETS.viewerToken, role: "viewer", repos: ["stable"] },
    { name: "alan", token: TEST_SECRETS.approverToken, role: "approver", repos: ["stable"] },
    { name: "ada", token_sha256: "6dd4acb8838edaef8d49cfe27a57cb43c2900e6c7038220c745f867696948a35", role: "admin", repos: ["quorum"] },
  ]),
  OIDC_JWKS_COOLDOWN_SECONDS: "1",
  METRICS_TOKEN: TEST_SECRETS.metricsToken,
  REPO_MASTER_SECRET: TEST_SECRETS.repoMaster,
  PIPELINE_URL: "https://flatgate.test",
  LOG_LEVEL: "warn",
  RETRY_BASE_SECONDS: "0.05",
  RETRY_MAX_SECONDS: "0.2",
  RETRY_MAX_ATTEMPTS: "3",
  POLL_INTERVAL_SECONDS: "0.1",
  REPO_MASTER_ALERT_AFTER_MINUTES: "0.001",
  REPO_MASTER_PROBE_SECONDS: "0.2",
  // GitHub App and Slack point at the local fake (URLs and the App key are added by vitest.config.ts)
  GITHUB_APP_ID: "4711",
  GITHUB_WEBHOOK_SECRET: TEST_SECRETS.githubWebhook,
  SLACK_BOT_TOKEN: "xoxb-test-token",
  SLACK_CHANNEL: "C0FLATGATE",
};
