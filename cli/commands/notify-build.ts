/**
 * `flatgate notify-build`: what a build worker runs when a build finishes. Signs the event with a
 * Standard Webhooks secret, or (`--oidc`, inside GitHub Actions) with a fresh OIDC token of the
 * job (issue 13 §1), posts it to `POST /v1/builds`, and prints the public status page URL.
 * Transient failures are retried for about two minutes: the retries reuse one `webhook-id`,
 * so a request that did arrive answers `200 duplicate` rather than making a second build.
 */
import { actionsRuntimeFromEnv, requestActionsIdToken } from "../../lib/auth/actions-id-token.js";
import { isValidSecret, signedHeaders } from "../../lib/standard-webhooks.js";
import { ApiClient } from "../api-client.js";
import { IntakeAnswer } from "../api-schemas.js";
import { bool, seconds, str, type Values } from "../args.js";
import { eventFromFlags } from "../event-from-flags.js";
import { CliError, EXIT, usageError, type ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { json } from "../output.js";

export const DEFAULT_RETRY_SECONDS = 120;

export async function notifyBuild(values: Values, io: Io): Promise<ExitCode> {
  const url = str(values, "url") ?? io.env.FLATGATE_URL;
  if (!url) throw usageError("no pipeline URL: pass --url or set FLATGATE_URL");
  const oidc = bool(values, "oidc");
  const secret = str(values, "secret") ?? (oidc ? undefined : io.env.FLATGATE_WEBHOOK_SECRET);
  if (oidc && str(values, "secret")) throw usageError("--oidc and --secret exclude each other: a trusted publisher signs with its OIDC token");
  if (!oidc && !secret) throw usageError("no credential: pass --secret whsec_… (or set FLATGATE_WEBHOOK_SECRET), or --oidc inside GitHub Actions");
  // never echo the secret: a typo'd one would end up in CI logs
  if (secret !== undefined && !isValidSecret(secret)) throw usageError("the secret must be whsec_ followed by the base64 of 24–64 bytes");
  if (!oidc && str(values, "audience")) throw usageError("--audience only applies with --oidc");
  const retryFor = seconds(values, "retry-for", DEFAULT_RETRY_SECONDS);
  if (!retryFor.ok) throw usageError(retryFor.error);

  const event = eventFromFlags(values, io.env, io.readFile);
  if (!event.ok) throw usageError(event.error);
  const body = JSON.stringify(event.value);

  let headers: () => Promise<Record<string, string>>;
  if (oidc) {
    const runtime = (() => {
      try {
        return actionsRuntimeFromEnv(io.env);
      } catch (e) {
        throw usageError(e instanceof Error ? e.message : String(e));
      }
    })();
    const audience = str(values, "audience") ?? "flatgate";
    // a token's jti is single-use (a replay answers 401 replayed): one fresh token per attempt
    headers = async () => {
      try {
        return { authorization: `Bearer ${await requestActionsIdToken(runtime, audience, io.fetch)}` };
      } catch (e) {
        throw new CliError(e instanceof Error ? e.message : String(e), EXIT.unavailable);
      }
    };
  } else {
    const id = `msg_${crypto.randomUUID()}`;
    const s = secret!;
    // re-signed per attempt so the timestamp stays within the server's ±5 minutes
    headers = () => signedHeaders(s, body, { id });
  }

  const client = new ApiClient({ baseUrl: url, notice: (l) => io.err(`flatgate: ${l}\n`), ...(io.fetch ? { fetch: io.fetch } : {}), ...(io.sleep ? { sleep: io.sleep } : {}) });
  const answer = await client.call({ method: "POST", path: "/v1/builds", body, headers, schema: IntakeAnswer, retryForMs: retryFor.value * 1000 });
  const b = answer.data.build;
  if (bool(values, "json")) {
    io.out(json(answer.data));
    return EXIT.ok;
  }
  io.err(`flatgate: ${answer.data.duplicate ? "already received" : "accepted"} ${b.key} (${b.state})\n`);
  // stdout is only the URL, so `PAGE=$(flatgate notify-build …)` works
  io.out(`${b.status_page_url}\n`);
  return EXIT.ok;
}
