/**
 * The build worker's side of trusted publishing (issue 13 §1), for a CLI or script running in a
 * GitHub Actions job with `permissions: id-token: write`: ask the Actions runtime for an OIDC
 * token for `audience`, then post the build event with it instead of a Standard Webhooks
 * signature. Runs in Node 20 (global fetch). Neither function logs or returns the token in an
 * error message.
 * Runtime API: https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-cloud-providers#requesting-the-jwt-using-environment-variables
 */
import { z } from "zod";
import { request } from "../http/request.js";

export interface ActionsRuntime {
  /** ACTIONS_ID_TOKEN_REQUEST_URL */
  requestUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN */
  requestToken: string;
}

/** The runtime's variables, or a message saying how to get them (the job lacks `id-token: write`). */
export function actionsRuntimeFromEnv(env: Record<string, string | undefined>): ActionsRuntime {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw new Error("ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are not set: run inside a GitHub Actions job with `permissions: id-token: write`");
  }
  return { requestUrl, requestToken };
}

/** Fetches an OIDC token for `audience` ("flatgate" unless the publisher says otherwise). */
export async function requestActionsIdToken(runtime: ActionsRuntime, audience = "flatgate", fetchImpl?: typeof fetch): Promise<string> {
  const url = new URL(runtime.requestUrl);
  url.searchParams.set("audience", audience);
  const res = await request({
    url: url.toString(),
    headers: { authorization: `Bearer ${runtime.requestToken}` },
    schema: z.object({ value: z.string().min(1) }),
    service: "GitHub Actions OIDC",
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  if (!res.ok) throw new Error(`could not get an OIDC token: ${res.error.message}`);
  return res.value.data.value;
}

/** Posts a build-complete event to `<pipelineUrl>/v1/builds` with the OIDC token as bearer. */
export async function postBuildWithIdToken(pipelineUrl: string, event: unknown, token: string, fetchImpl: typeof fetch = fetch): Promise<Response> {
  return fetchImpl(new URL("/v1/builds", pipelineUrl), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(event),
  });
}
