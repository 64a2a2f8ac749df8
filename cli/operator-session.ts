/** The API client of an operator command, from --url / FLATGATE_URL / FLATGATE_TOKEN / config file. */
import { ApiClient } from "./api-client.js";
import { str, type Values } from "./args.js";
import { resolveOperatorConfig } from "./config.js";
import { usageError } from "./exit-codes.js";
import type { Io } from "./io.js";

export function operatorClient(values: Values, io: Io, fallbackUrl?: string): ApiClient {
  const cfg = resolveOperatorConfig(io, { url: str(values, "url"), fallbackUrl });
  if (!cfg.ok) throw usageError(cfg.error);
  return new ApiClient({ baseUrl: cfg.value.url, token: cfg.value.token, notice: (l) => io.err(`flatgate: ${l}\n`), ...(io.fetch ? { fetch: io.fetch } : {}), ...(io.sleep ? { sleep: io.sleep } : {}) });
}

/** Reads are retried briefly: a pipeline restarting for a deploy should not fail a script. */
export const READ_RETRY_MS = 30_000;

export function buildPath(repo: string, appId: string, buildId: string, action?: string): string {
  const p = `/v1/repos/${encodeURIComponent(repo)}/apps/${encodeURIComponent(appId)}/builds/${encodeURIComponent(buildId)}`;
  return action ? `${p}/${action}` : p;
}
