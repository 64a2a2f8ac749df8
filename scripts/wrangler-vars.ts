/** The `[vars]` of a wrangler config, read by wrangler's own config reader (TOML, JSON or JSONC). */
import path from "node:path";
import { experimental_readRawConfig } from "wrangler";

export function readWranglerVars(root: string, config: string): Record<string, unknown> {
  const { rawConfig } = experimental_readRawConfig({ config: path.resolve(root, config) });
  return { ...(rawConfig.vars ?? {}) };
}
