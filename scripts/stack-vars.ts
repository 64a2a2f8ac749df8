/**
 * What each worker must see for the local stack to be wired together: the URLs of this run
 * (pipeline port, agent port) replace the local ones of the `.dev.vars` files. Only loopback
 * values are replaced: a public PIPELINE_URL (a tunnel for GitHub webhooks) or a CDN stand-in
 * a developer configured on purpose is kept.
 */
import { z } from "zod";
import { err, ok, type Result } from "../lib/result.js";
import type { Vars } from "./dotenv.js";
import type { WorkerName } from "./dev-vars.js";

export interface StackUrls {
  /** the webhook worker, e.g. http://127.0.0.1:8787 */
  pipelineUrl: string;
  /** the repo-master agent, e.g. http://127.0.0.1:8790 */
  agentUrl: string;
}

export interface RepoInfo {
  name: string;
  approval: string;
  public_url: string;
  gpg_key_url: string;
}

export interface StackVars {
  /** the variables each worker runs with */
  vars: Record<WorkerName, Vars>;
  /** per worker, the names whose value differs from its .dev.vars file */
  changed: Record<WorkerName, string[]>;
  repos: RepoInfo[];
  repoMasterSecret: string;
}

const ReposJson = z.record(z.string(), z.looseObject({ approval: z.string(), public_url: z.string().optional(), gpg_key_url: z.string().optional() }));

export function stackVars(base: Record<WorkerName, Vars>, urls: StackUrls): Result<StackVars, string> {
  const webhook = { ...base.webhook };
  const publish = { ...base.publish };
  const purge = { ...base.purge };

  const secret = publish.REPO_MASTER_SECRET;
  if (!secret) return err("workers/publish/.dev.vars has no REPO_MASTER_SECRET (copy it from workers/publish/.dev.vars.example)");
  // a .dev.vars made before the repo master existed lacks it: the callbacks need the same secret
  webhook.REPO_MASTER_SECRET ??= secret;
  if (webhook.REPO_MASTER_SECRET !== secret) {
    return err("REPO_MASTER_SECRET differs between .dev.vars and workers/publish/.dev.vars: the agent's callbacks would be refused. Use the same whsec_ value in both.");
  }

  if (!base.webhook.REPOS) return err(".dev.vars has no REPOS (copy it from .dev.vars.example)");
  let reposJson: unknown;
  try {
    reposJson = JSON.parse(base.webhook.REPOS);
  } catch {
    return err(".dev.vars: REPOS is not valid JSON");
  }
  const parsed = ReposJson.safeParse(reposJson);
  if (!parsed.success) return err(`.dev.vars: REPOS must map repo names to policies with an "approval" (${parsed.error.issues[0]?.message ?? "invalid"})`);
  const repos: RepoInfo[] = [];
  const policies: Record<string, unknown> = {};
  for (const [name, policy] of Object.entries(parsed.data)) {
    const served = `${urls.agentUrl}/repos/${name}`;
    const public_url = replaceLocal(policy.public_url, served, [`/repos/${name}`, `/repos/${name}/`]);
    const gpg_key_url = replaceLocal(policy.gpg_key_url, `${served}/key.gpg`, [`/repos/${name}/key.gpg`]);
    policies[name] = { ...policy, public_url, gpg_key_url };
    repos.push({ name, approval: policy.approval, public_url, gpg_key_url });
  }
  const repoJson = JSON.stringify(policies);
  if (repoJson !== JSON.stringify(parsed.data)) webhook.REPOS = repoJson;

  webhook.PIPELINE_URL = replaceLocal(webhook.PIPELINE_URL, urls.pipelineUrl);
  publish.PIPELINE_URL = replaceLocal(publish.PIPELINE_URL, urls.pipelineUrl);
  publish.REPO_MASTER_URL = replaceLocal(publish.REPO_MASTER_URL, urls.agentUrl);

  const vars = { webhook, publish, purge };
  const changed = {
    webhook: diff(base.webhook, webhook),
    publish: diff(base.publish, publish),
    purge: diff(base.purge, purge),
  };
  return ok({ vars, changed, repos, repoMasterSecret: secret });
}

/** `wanted` when `value` is absent or a loopback URL (with one of `paths`, when given); else `value`. */
function replaceLocal(value: string | undefined, wanted: string, paths?: string[]): string {
  if (value === undefined || value.trim() === "") return wanted;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (!loopback) return value;
  if (paths && !paths.includes(url.pathname)) return value;
  return wanted;
}

function diff(before: Vars, after: Vars): string[] {
  return Object.keys(after).filter((k) => before[k] !== after[k]);
}
