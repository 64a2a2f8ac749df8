/**
 * Structured JSON lines on stderr (journald keeps them; `jq` reads them). Fields under
 * secret-looking names are redacted by the same rule as the workers' logs (lib/log.ts).
 */
import { redact } from "../lib/log.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export const stderrLogger: Logger = (level, msg, fields = {}) => {
  process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...redact(fields) })}\n`);
};

export const silentLogger: Logger = () => {};
