/**
 * Who is announcing a build (issue 13): a trusted publisher's OIDC token (`Authorization:
 * Bearer`), or a Standard Webhooks signature under a scoped BUILD_CREDENTIALS entry or an
 * unscoped BUILD_WEBHOOK_SECRETS secret. Then whether that sender may announce this event, and
 * what the build's history names as its worker.
 */
import { BEARER_MESSAGES, parseBearerJwt } from "../../lib/auth/bearer.js";
import { verifyBuildCredential, type MatchedCredential } from "../../lib/auth/build-credentials.js";
import { scopeRefusal } from "../../lib/auth/scope.js";
import { publisherScopeRefusal, workflowRunUrl } from "../../lib/auth/trusted-publisher.js";
import { verifyOidcToken, type VerifiedPublisher } from "../../lib/auth/verify-oidc-token.js";
import type { Actor } from "../../lib/build.js";
import type { BuildEvent } from "../../lib/build-event.js";
import type { WebhookConfig } from "../../lib/config.js";
import { AppError } from "../../lib/errors.js";
import { sha256Hex } from "../../lib/replay/ledger-keys.js";

export type BuildSender =
  | { kind: "webhook"; webhookId: string; credential: MatchedCredential }
  | ({ kind: "oidc" } & VerifiedPublisher);

type Headers = { get(name: string): string | null | undefined };

/** Verifies the request; the body is still unparsed (STYLE.md: verify before reading content). */
export async function authenticateBuild(config: WebhookConfig, headers: Headers, body: string): Promise<BuildSender> {
  const authorization = headers.get("authorization");
  // a Standard Webhooks signature wins: a proxy may add an Authorization header of its own
  if (authorization && !headers.get("webhook-signature")) {
    const bearer = parseBearerJwt(authorization);
    if (!bearer.ok) throw new AppError("invalid_token", BEARER_MESSAGES[bearer.error], [{ path: "authorization", message: BEARER_MESSAGES[bearer.error] }]);
    if (config.TRUSTED_PUBLISHERS.length === 0) throw new AppError("invalid_token", "no TRUSTED_PUBLISHERS are configured; sign the request with Standard Webhooks instead");
    const verified = await verifyOidcToken(bearer.value, config.TRUSTED_PUBLISHERS, { jwksCooldownMs: config.OIDC_JWKS_COOLDOWN_SECONDS * 1000 });
    return { kind: "oidc", ...verified };
  }
  const { webhookId, credential } = await verifyBuildCredential(config.BUILD_CREDENTIALS, config.BUILD_WEBHOOK_SECRETS, headers, body);
  return { kind: "webhook", webhookId, credential };
}

/** Throws `403 forbidden_app` when the sender may not announce this event. */
export function authorizeBuild(sender: BuildSender, event: BuildEvent): void {
  if (sender.kind === "oidc") {
    const refusal = publisherScopeRefusal(sender.publisher, sender.claims, event);
    if (refusal) throw new AppError("forbidden_app", refusal, undefined, { publisher: sender.publisher.name, app_id: event.app_id, repo: event.repo });
    return;
  }
  if (sender.credential.kind === "unscoped") return;
  const refusal = scopeRefusal(sender.credential.scope, event.app_id, event.repo);
  if (refusal) {
    throw new AppError("forbidden_app", `credential ${sender.credential.name} may not publish ${event.app_id} to ${event.repo}: ${refusal}`, undefined, {
      credential: sender.credential.name,
      app_id: event.app_id,
      repo: event.repo,
    });
  }
}

/** The build worker the history records; unscoped secrets keep naming `source.triggered_by`. */
export function buildWorker(sender: BuildSender): Actor | undefined {
  if (sender.kind === "oidc") return { kind: "build_worker", name: sender.publisher.name, url: workflowRunUrl(sender.claims) };
  return sender.credential.kind === "scoped" ? { kind: "build_worker", name: sender.credential.name } : undefined;
}

/** The replay-ledger id of a token: its `jti`, within its issuer. */
export async function tokenId(sender: Extract<BuildSender, { kind: "oidc" }>): Promise<string> {
  return sha256Hex(`${sender.publisher.issuer}\n${sender.claims.jti}`);
}
