/**
 * `POST /v1/github`: verify, then turn a delivery into one intent for the route.
 *
 * Order matters (STYLE.md anti-patterns): the `X-Hub-Signature-256` HMAC is verified with
 * @octokit/webhooks over the raw body before anything reads the payload; then we route by the
 * `X-GitHub-Event` header, not by the payload's shape; only then is the payload parsed, with
 * loose objects because GitHub adds fields.
 *
 * Which deliveries matter: `check_run.requested_action` (a button) and `check_run.rerequested`
 * ("Re-run") go only to the App that created the check run, whether or not it subscribes to
 * `check_run` (GitHub webhook docs for check_run: "Only the GitHub App someone requests to
 * perform an action will receive the requested_action payload"; Apps with checks:write get
 * `rerequested` without subscribing). An App subscribed to `check_run` also receives
 * `created`/`completed` for every App's runs, hence the `check_run.app.id` filter.
 */
import { Webhooks } from "@octokit/webhooks";
import { z } from "zod";
import type { BuildAction } from "../build.js";
import { splitBuildKey } from "../ids.js";

export type GitHubIntent =
  | { kind: "invalid_signature"; reason: "missing" | "malformed" | "mismatch" }
  /** signed by GitHub but unusable (not JSON, required fields missing, no delivery id) */
  | { kind: "invalid_payload"; message: string }
  | { kind: "ping"; deliveryId?: string; zen?: string }
  | { kind: "ignored"; reason: string; deliveryId?: string }
  | {
      kind: "action";
      action: Extract<BuildAction, "approve" | "reject" | "retry">;
      /** which GitHub action produced it */
      via: "requested_action" | "rerequested";
      deliveryId: string;
      buildKey: string;
      sender: { login: string };
      /** the repository of the check run: the route checks it is the build's `source` */
      owner: string;
      repo: string;
      installationId?: number;
      checkRunId: number;
      headSha: string;
    };

export interface WebhookInput {
  secret: string;
  /** the raw request body, exactly as received */
  body: string;
  /** `X-Hub-Signature-256` */
  signatureHeader: string | null | undefined;
  /** `X-GitHub-Event` */
  event: string | null | undefined;
  /** `X-GitHub-Delivery`: the dedupe key (a redelivery carries the same one) */
  deliveryId: string | null | undefined;
  /** our numeric App ID: `check_run.app.id` of the runs we created */
  ourAppId: number;
}

/** Identifier of the check-run button → build action (check-run.ts sets the identifiers). */
const BUTTONS = new Map<string, "approve" | "reject" | "retry">([
  ["publish", "approve"],
  ["reject", "reject"],
  ["retry", "retry"],
]);

const Login = z.looseObject({ login: z.string().min(1) });

const CheckRunPayload = z.looseObject({
  action: z.string(),
  check_run: z.looseObject({
    id: z.number().int().positive(),
    head_sha: z.string(),
    external_id: z.string().nullable().optional(),
    app: z.looseObject({ id: z.number().int() }),
  }),
  requested_action: z.looseObject({ identifier: z.string() }).nullable().optional(),
  repository: z.looseObject({ name: z.string().min(1), owner: Login }),
  sender: Login,
  installation: z.looseObject({ id: z.number().int().positive() }).nullable().optional(),
});

const PingPayload = z.looseObject({ zen: z.string().optional() });

const webhooksBySecret = new Map<string, Webhooks>();

/** HMAC-SHA256 check through @octokit/webhooks (WebCrypto in workerd, constant-time compare). */
async function signatureValid(secret: string, body: string, header: string): Promise<boolean> {
  let webhooks = webhooksBySecret.get(secret);
  if (!webhooks) {
    webhooks = new Webhooks({ secret });
    webhooksBySecret.set(secret, webhooks);
  }
  try {
    return await webhooks.verify(body, header);
  } catch {
    // the library throws on an empty body or a signature it cannot decode: not a match
    return false;
  }
}

export async function verifyAndParse(input: WebhookInput): Promise<GitHubIntent> {
  const header = input.signatureHeader?.trim();
  if (!header) return { kind: "invalid_signature", reason: "missing" };
  // checked before the library sees it: its web build throws on non-hex input
  if (!/^sha256=[0-9a-f]{64}$/i.test(header)) return { kind: "invalid_signature", reason: "malformed" };
  if (!(await signatureValid(input.secret, input.body, header))) return { kind: "invalid_signature", reason: "mismatch" };

  const deliveryId = input.deliveryId?.trim() || undefined;
  const event = input.event?.trim();
  if (!event) return { kind: "invalid_payload", message: "missing X-GitHub-Event header" };
  if (event !== "ping" && event !== "check_run") {
    return { kind: "ignored", reason: `event ${event} is not handled`, ...(deliveryId ? { deliveryId } : {}) };
  }

  let json: unknown;
  try {
    json = JSON.parse(input.body);
  } catch {
    return { kind: "invalid_payload", message: "body is not JSON (the webhook content type must be application/json)" };
  }

  if (event === "ping") {
    const ping = PingPayload.safeParse(json);
    return { kind: "ping", ...(deliveryId ? { deliveryId } : {}), ...(ping.success && ping.data.zen ? { zen: ping.data.zen } : {}) };
  }
  return checkRunIntent(json, deliveryId, input.ourAppId);
}

function checkRunIntent(json: unknown, deliveryId: string | undefined, ourAppId: number): GitHubIntent {
  const parsed = CheckRunPayload.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { kind: "invalid_payload", message: `check_run payload: ${first ? `${first.path.join(".")}: ${first.message}` : "invalid"}` };
  }
  const p = parsed.data;
  const ignored = (reason: string): GitHubIntent => ({ kind: "ignored", reason, ...(deliveryId ? { deliveryId } : {}) });
  if (p.check_run.app.id !== ourAppId) return ignored(`check run ${p.check_run.id} belongs to App ${p.check_run.app.id}, not ours`);

  let action: "approve" | "reject" | "retry";
  let via: "requested_action" | "rerequested";
  if (p.action === "requested_action") {
    const identifier = p.requested_action?.identifier;
    const mapped = identifier === undefined ? undefined : BUTTONS.get(identifier);
    if (!mapped) return ignored(`unknown requested_action identifier ${JSON.stringify(identifier ?? null)}`);
    action = mapped;
    via = "requested_action";
  } else if (p.action === "rerequested") {
    // "Re-run" in the checks UI: a retry for failed builds, no effect otherwise (issue 4)
    action = "retry";
    via = "rerequested";
  } else {
    return ignored(`check_run action ${p.action} is not handled`);
  }

  const buildKey = p.check_run.external_id ?? "";
  if (!splitBuildKey(buildKey)) return ignored(`check run ${p.check_run.id} has no Flatgate build key in external_id`);
  if (!deliveryId) return { kind: "invalid_payload", message: "missing X-GitHub-Delivery header" };

  return {
    kind: "action",
    action,
    via,
    deliveryId,
    buildKey,
    sender: { login: p.sender.login },
    owner: p.repository.owner.login,
    repo: p.repository.name,
    ...(p.installation ? { installationId: p.installation.id } : {}),
    checkRunId: p.check_run.id,
    headSha: p.check_run.head_sha,
  };
}
