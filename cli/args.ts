/**
 * The command line: the command's name, then its flags and positionals, parsed strictly with
 * node:util `parseArgs` (an unknown flag is an error, not ignored). Pure: it returns what was
 * asked or a usage message; nothing here reads the environment.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { err, ok, type Result } from "../lib/result.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface CommandSpec {
  summary: string;
  usage: string;
  options: Options;
  /** allowed number of positionals */
  positionals: [min: number, max: number];
}

const url = { type: "string" } as const;
const json = { type: "boolean" } as const;
const reason = { type: "string" } as const;

/** One flag per build-event field (lib/build-event.ts), named after its JSON path. */
export const EVENT_FLAGS = {
  repo: { type: "string" },
  "app-id": { type: "string" },
  branch: { type: "string" },
  "build-id": { type: "string" },
  status: { type: "string" },
  "source-owner": { type: "string" },
  "source-name": { type: "string" },
  "source-sha": { type: "string" },
  "source-ref": { type: "string" },
  "triggered-by": { type: "string" },
  "artifact-url": { type: "string" },
  "artifact-ref": { type: "string", multiple: true },
  "build-log-url": { type: "string" },
} as const satisfies Options;

const ACTION = (verb: string, extra: Options = {}): CommandSpec => ({
  summary: `${verb.toLowerCase()} a build`,
  usage: `flatgate ${verb.toLowerCase()} BUILD${"reason" in extra ? " --reason TEXT" : " [--reason TEXT]"} [--json]   (BUILD: repo/app_id/build_id or a status URL)`,
  options: { reason, url, json, ...extra },
  positionals: [1, 1],
});

export const COMMANDS = {
  "notify-build": {
    summary: "sign and post a build-complete event (POST /v1/builds)",
    usage:
      "flatgate notify-build [--url URL] (--secret whsec_… | --oidc [--audience flatgate]) (--from-json FILE | --repo R --app-id ID --branch B --build-id N [--status success|failure] --source-owner O --source-name N --source-sha SHA --source-ref REF --triggered-by LOGIN --artifact-url URL --artifact-ref REF=COMMIT… [--build-log-url URL]) [--retry-for SECONDS] [--json]",
    options: { url, secret: { type: "string" }, oidc: { type: "boolean" }, audience: { type: "string" }, "from-json": { type: "string" }, "retry-for": { type: "string" }, json, ...EVENT_FLAGS },
    positionals: [0, 0],
  },
  status: {
    summary: "repos, one repo, one app's builds, or one build with its history",
    usage: "flatgate status [REPO [APP [BUILD]]] | flatgate status BUILD-KEY|STATUS-URL   [--json]",
    options: { url, json },
    positionals: [0, 3],
  },
  builds: {
    summary: "list builds across apps, newest first (GET /v1/builds, every page)",
    usage: "flatgate builds [--state STATE] [--repo R] [--app-id ID] [--branch B] [--limit N] [--json]",
    options: { url, json, state: { type: "string" }, repo: { type: "string" }, "app-id": { type: "string" }, branch: { type: "string" }, limit: { type: "string" } },
    positionals: [0, 0],
  },
  approve: ACTION("Approve"),
  reject: ACTION("Reject", { reason }),
  retry: ACTION("Retry"),
  cancel: ACTION("Cancel"),
  pause: { summary: "stop starting publish and update jobs for a repo", usage: "flatgate pause REPO [--reason TEXT] [--json]", options: { url, json, reason }, positionals: [1, 1] },
  resume: { summary: "start a paused repo's jobs again", usage: "flatgate resume REPO [--json]", options: { url, json }, positionals: [1, 1] },
  watch: {
    summary: "follow a build until it is final; exit 0 when live",
    usage: "flatgate watch BUILD [--interval SECONDS] [--timeout SECONDS]   (BUILD: repo/app_id/build_id or a status URL)",
    options: { url, interval: { type: "string" }, timeout: { type: "string" } },
    positionals: [1, 1],
  },
  sign: {
    summary: "print the Standard Webhooks headers for a body file (for curl)",
    usage: "flatgate sign --secret whsec_… [--id MSG_ID] FILE   (then: curl -H @headers.txt --data-binary @FILE …)",
    options: { secret: { type: "string" }, id: { type: "string" } },
    positionals: [1, 1],
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export type ParsedCommand = { kind: "help"; command?: CommandName } | { kind: "version" } | { kind: "run"; command: CommandName; values: Values; positionals: string[] };

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

export function parseCommandLine(argv: readonly string[]): Result<ParsedCommand, string> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined && !isCommand(topic)) return err(`unknown command "${topic}"`);
    return ok({ kind: "help", ...(topic ? { command: topic } : {}) });
  }
  if (name === "--version" || name === "-V") return ok({ kind: "version" });
  if (!isCommand(name)) return err(`unknown command "${name}"`);
  const spec: CommandSpec = COMMANDS[name];
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options: { ...spec.options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (e) {
    return err(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (parsed.values.help) return ok({ kind: "help", command: name });
  const [min, max] = spec.positionals;
  const n = parsed.positionals.length;
  if (n < min || n > max) {
    return err(`${name}: expected ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}, got ${n}${n ? ` (${parsed.positionals.join(" ")})` : ""}`);
  }
  return ok({ kind: "run", command: name, values: parsed.values, positionals: parsed.positionals });
}

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

export function bool(values: Values, name: string): boolean {
  return values[name] === true;
}

export function list(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : [];
}

/** A positive number of seconds from a flag, or a usage message. */
export function seconds(values: Values, name: string, fallback: number): Result<number, string> {
  const v = str(values, name);
  if (v === undefined) return ok(fallback);
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) return err(`--${name} must be a number of seconds, got "${v}"`);
  return ok(n);
}

export function helpText(command?: CommandName): string {
  if (command) {
    const spec: CommandSpec = COMMANDS[command];
    return `${spec.summary}\n\nusage: ${spec.usage}\n`;
  }
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, s]) => `  ${n.padEnd(width)}  ${s.summary}`);
  return `flatgate: the Flatgate pipeline from the command line (docs/cli.md)\n\nusage: flatgate COMMAND [flags]\n\n${lines.join("\n")}\n\nflatgate help COMMAND shows a command's flags.\nOperator commands read FLATGATE_URL and FLATGATE_TOKEN, or ~/.config/flatgate/config.json.\n`;
}
