/**
 * The purge worker's bindings: plain vars and secrets only, every one optional (no provider
 * configured = purges are skipped and the report says so). Parsed by lib/purge/config.ts.
 */
export interface Env {
  /** secret: Fastly API token with the purge_select scope */
  FASTLY_API_TOKEN?: string;
  FASTLY_SERVICE_ID?: string;
  /** default https://api.fastly.com (tests and the local stack point it at a local server) */
  FASTLY_API_URL?: string;
  /** "1" (default) or "0": soft purge marks stale instead of evicting */
  FASTLY_SOFT_PURGE?: string;
  /** keys (default) | urls | both */
  FASTLY_PURGE_MODE?: string;
  /** secret: Cloudflare API token with Zone → Cache Purge */
  CLOUDFLARE_API_TOKEN?: string;
  CLOUDFLARE_ZONE_ID?: string;
  /** default https://api.cloudflare.com */
  CLOUDFLARE_API_URL?: string;
  /** files (default) | tags */
  CLOUDFLARE_PURGE_MODE?: string;
  /** edge checks after a purge (default 6, 0 disables) and their waits */
  PURGE_VERIFY_ROUNDS?: string;
  PURGE_VERIFY_DELAY_MS?: string;
  PURGE_VERIFY_MAX_DELAY_MS?: string;
  /** the same REPOS JSON as the webhook worker; only each repo's public_url is read here */
  REPOS?: string;
}
