/** Environment for running wrangler offline and quietly (no metrics, no banner, no cf fetch). */
export const wranglerEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
});

/** The three workers: the public webhook worker and the two internal RPC workers. */
export const WORKERS = [
  { name: "webhook", config: "wrangler.toml" },
  { name: "publish", config: "workers/publish/wrangler.toml" },
  { name: "purge", config: "workers/purge/wrangler.toml" },
] as const;
