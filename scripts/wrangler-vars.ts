/**
 * The `[vars]` of wrangler configs, read by wrangler's own config reader (TOML, JSON or JSONC).
 * In a child process: importing wrangler installs SIGINT/SIGTERM handlers that call
 * process.exit() at once, which would kill `npm start` before it stops wrangler dev and the agent.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { z } from "zod";

const READ = `
import { experimental_readRawConfig } from "wrangler";
const out = process.argv.slice(1).map((config) => experimental_readRawConfig({ config }).rawConfig.vars ?? {});
process.stdout.write(JSON.stringify(out));
`;

const VarsList = z.array(z.record(z.string(), z.unknown()));

export function readWranglerVars(root: string, configs: readonly string[]): Record<string, unknown>[] {
  const stdout = execFileSync(process.execPath, ["--input-type=module", "-e", READ, ...configs.map((c) => path.resolve(root, c))], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false" },
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 60_000,
  });
  const list = VarsList.parse(JSON.parse(stdout));
  if (list.length !== configs.length) throw new Error(`read ${list.length} [vars] tables for ${configs.length} wrangler configs`);
  return list;
}
