/** Structured JSON lines on stderr (journald keeps them; `jq` reads them). Never log secrets. */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export const stderrLogger: Logger = (level, msg, fields = {}) => {
  process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields })}\n`);
};

export const silentLogger: Logger = () => {};
