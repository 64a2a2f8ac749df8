/** Where a build's status lives: PIPELINE_URL when configured, else the origin the request came to. */
export function statusUrl(base: string, repo: string, appId: string, buildId: string): string {
  return `${base.replace(/\/+$/, "")}/v1/repos/${encodeURIComponent(repo)}/apps/${encodeURIComponent(appId)}/builds/${encodeURIComponent(buildId)}`;
}
