/**
 * The build-complete event from `--from-json FILE` or from one flag per field, checked against
 * the intake schema (lib/build-event.ts) before anything is sent, so a mistake names the flag
 * instead of coming back as a 422. Inside GitHub Actions the source fields default to the run's
 * own (`GITHUB_REPOSITORY`, `GITHUB_SHA`, `GITHUB_REF`, `GITHUB_ACTOR`): with `--oidc` the
 * server requires `source.sha` to be the token's `sha`, which is `GITHUB_SHA`.
 */
import { BuildEvent } from "../lib/build-event.js";
import { err, ok, type Result } from "../lib/result.js";
import { EVENT_FLAGS, list, str, type Values } from "./args.js";

/** JSON path of the event → the flag that sets it, for messages. */
const FLAG_OF: Record<string, string> = {
  repo: "--repo",
  app_id: "--app-id",
  branch: "--branch",
  build_id: "--build-id",
  status: "--status",
  "source.owner": "--source-owner",
  "source.name": "--source-name",
  "source.sha": "--source-sha",
  "source.ref": "--source-ref",
  "source.triggered_by": "--triggered-by",
  "artifact.url": "--artifact-url",
  "artifact.refs": "--artifact-ref",
  artifact: "--artifact-url/--artifact-ref",
  build_log_url: "--build-log-url",
};

export function eventFromFlags(values: Values, env: Record<string, string | undefined>, readFile: (f: string) => string | undefined): Result<BuildEvent, string> {
  const file = str(values, "from-json");
  const fieldFlags = Object.keys(EVENT_FLAGS).filter((f) => values[f] !== undefined);
  if (file !== undefined) {
    if (fieldFlags.length > 0) return err(`--from-json cannot be combined with ${fieldFlags.map((f) => `--${f}`).join(", ")}: put those fields in the file`);
    const text = readFile(file);
    if (text === undefined) return err(`--from-json: ${file} does not exist`);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return err(`--from-json: ${file} is not valid JSON`);
    }
    return check(raw, (path) => path, file);
  }
  const refs: Record<string, string> = {};
  for (const pair of list(values, "artifact-ref")) {
    const i = pair.lastIndexOf("=");
    if (i <= 0) return err(`--artifact-ref must be REF=COMMIT (app/org.example.App/x86_64/stable=<64 hex>), got "${pair}"`);
    refs[pair.slice(0, i)] = pair.slice(i + 1);
  }
  const [ghOwner, ghName] = (env.GITHUB_REPOSITORY ?? "").split("/");
  const artifactUrl = str(values, "artifact-url");
  const logUrl = str(values, "build-log-url") ?? actionsRunUrl(env);
  const raw = {
    repo: str(values, "repo"),
    app_id: str(values, "app-id"),
    branch: str(values, "branch"),
    build_id: str(values, "build-id") ?? (env.GITHUB_RUN_ID ? `${env.GITHUB_RUN_ID}.${env.GITHUB_RUN_ATTEMPT ?? "1"}` : undefined),
    status: str(values, "status") ?? "success",
    source: {
      owner: str(values, "source-owner") ?? (ghOwner || undefined),
      name: str(values, "source-name") ?? (ghName || undefined),
      sha: str(values, "source-sha") ?? env.GITHUB_SHA,
      ref: str(values, "source-ref") ?? env.GITHUB_REF,
      triggered_by: str(values, "triggered-by") ?? env.GITHUB_ACTOR,
    },
    ...(artifactUrl !== undefined || Object.keys(refs).length > 0 ? { artifact: { url: artifactUrl, refs } } : {}),
    ...(logUrl ? { build_log_url: logUrl } : {}),
  };
  return check(raw, (path) => FLAG_OF[path] ?? FLAG_OF[path.split(".").slice(0, 2).join(".")] ?? path);
}

function check(raw: unknown, name: (path: string) => string, file?: string): Result<BuildEvent, string> {
  const parsed = BuildEvent.safeParse(raw);
  if (parsed.success) return ok(parsed.data);
  const lines = parsed.error.issues.map((i) => {
    const path = i.path.map(String).join(".");
    const missing = i.code === "invalid_type" && i.message.includes("undefined");
    return `  ${name(path) || "(event)"}: ${missing ? "is required" : i.message}`;
  });
  return err(`the build event is not valid${file ? ` (${file})` : ""}:\n${lines.join("\n")}`);
}

/** The run's page, as the build log when no other is given. */
function actionsRunUrl(env: Record<string, string | undefined>): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  return server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined;
}
