/**
 * A build named on the command line: its key `repo/app_id/build_id`, or any URL that ends in
 * one (the public status page `/status/<repo>/<app>/<build>` or the operator status URL
 * `/v1/repos/<repo>/apps/<app>/builds/<build>`), so a link pasted from Slack or a check run works.
 */
import { AppId, BuildId, RepoName } from "../lib/ids.js";
import { err, ok, type Result } from "../lib/result.js";

export interface BuildRef {
  repo: string;
  appId: string;
  buildId: string;
  /** the origin of a pasted URL: used when no FLATGATE_URL is configured */
  origin?: string;
}

export function parseBuildRef(input: string): Result<BuildRef, string> {
  let parts: string[] | undefined;
  let origin: string | undefined;
  if (/^https?:\/\//.test(input)) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return err(`"${input}" is not a valid URL`);
    }
    origin = url.origin;
    const segs = url.pathname.split("/").filter(Boolean).map((s) => decodeURIComponent(s));
    const v1 = segs.length === 7 && segs[0] === "v1" && segs[1] === "repos" && segs[3] === "apps" && segs[5] === "builds";
    const page = segs.length === 4 && segs[0] === "status";
    if (v1) parts = [segs[2]!, segs[4]!, segs[6]!];
    else if (page) parts = segs.slice(1);
    else return err(`"${input}" is not a build status URL (…/status/<repo>/<app>/<build> or …/v1/repos/<repo>/apps/<app>/builds/<build>)`);
  } else {
    parts = input.split("/");
    if (parts.length !== 3) return err(`"${input}" is not a build key: expected repo/app_id/build_id, e.g. stable/org.example.App/1234`);
  }
  const [repo, appId, buildId] = parts as [string, string, string];
  for (const [name, schema, value] of [["repo", RepoName, repo], ["app_id", AppId, appId], ["build_id", BuildId, buildId]] as const) {
    const r = schema.safeParse(value);
    if (!r.success) return err(`${name} "${value}" ${r.error.issues[0]?.message ?? "is invalid"}`);
  }
  return ok({ repo, appId, buildId, ...(origin ? { origin } : {}) });
}
