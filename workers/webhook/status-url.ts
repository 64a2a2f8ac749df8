/** Where a build's status lives: PIPELINE_URL when configured, else the origin the request came to. */
export function statusUrl(base: string, repo: string, appId: string, buildId: string): string {
  return `${base.replace(/\/+$/, "")}/v1/repos/${encodeURIComponent(repo)}/apps/${encodeURIComponent(appId)}/builds/${encodeURIComponent(buildId)}`;
}

/** The public status page of a build (no token needed): what a build worker can show its users. */
export function statusPageUrl(base: string, repo: string, appId: string, buildId: string): string {
  return `${base.replace(/\/+$/, "")}/status/${encodeURIComponent(repo)}/${encodeURIComponent(appId)}/${encodeURIComponent(buildId)}`;
}
