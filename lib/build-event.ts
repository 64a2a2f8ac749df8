/** The build-complete event a build worker posts to `POST /v1/builds` (issue 2 contract). */
import { z } from "zod";
import { AppId, Branch, BuildId, Commit, FlatpakRef, GitSha, RepoName, refBelongsTo } from "./ids.js";

export const MAX_BODY_BYTES = 256 * 1024;

export const BuildEvent = z
  .strictObject({
    repo: RepoName,
    app_id: AppId,
    branch: Branch,
    build_id: BuildId,
    status: z.enum(["success", "failure"]),
    source: z.strictObject({
      owner: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "must be a GitHub owner login"),
      name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "must be a GitHub repository name"),
      sha: GitSha,
      ref: z.string().regex(/^refs\/(heads|tags|pull)\/\S{1,250}$/, "must be a git ref like refs/heads/master"),
      triggered_by: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(\[bot\])?$/, "must be a GitHub login"),
    }),
    /** what a successful build produced; a failed build has none to report (issue 10 item 13) */
    artifact: z.strictObject({
      url: z.string().min(1).max(2048).refine(
        (u) => /^(https?|file):\/\//.test(u) || u.startsWith("/"),
        "must be an http(s):// or file:// URL or an absolute path of an OSTree repo",
      ),
      refs: z.record(FlatpakRef, Commit),
    }).optional(),
    build_log_url: z.url({ protocol: /^https?$/ }).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.status === "success" && !e.artifact) {
      ctx.addIssue({ code: "custom", path: ["artifact"], message: "a successful build must carry its artifact" });
      return;
    }
    const refs = Object.keys(e.artifact?.refs ?? {});
    if (e.status === "success" && refs.length === 0) {
      ctx.addIssue({ code: "custom", path: ["artifact", "refs"], message: "a successful build must list at least one ref" });
    }
    for (const ref of refs) {
      if (!refBelongsTo(ref, e.app_id, e.branch)) {
        ctx.addIssue({
          code: "custom",
          path: ["artifact", "refs", ref],
          message: `ref must be app/${e.app_id}/<arch>/${e.branch} or runtime/${e.app_id}.<ext>/<arch>/${e.branch}`,
        });
      }
    }
  });
export type BuildEvent = z.infer<typeof BuildEvent>;
