/**
 * Configuration of the webhook worker (and the Durable Objects it hosts), parsed with zod.
 * A bad value is a clear error naming the variable, never a silent default.
 */
import { z } from "zod";
import { BuildCredential } from "./auth/build-credentials.js";
import { OperatorEntry } from "./auth/operator-roles.js";
import { TrustedPublisher } from "./auth/trusted-publisher.js";
import { RepoName } from "./ids.js";
import { isValidSecret } from "./standard-webhooks.js";

export const ApprovalMode = z.enum(["required", "auto", "delayed"]);
export type ApprovalMode = z.infer<typeof ApprovalMode>;

export const RepoPolicy = z
  .strictObject({
    approval: ApprovalMode,
    /** GitHub repository roles (`role_name`, custom roles included) allowed to approve */
    approver_roles: z.array(z.string().min(1)).min(1).default(["admin", "maintain", "write"]),
    prevent_self_approval: z.boolean().default(false),
    approvals_required: z.number().int().min(1).max(10).default(1),
    approval_ttl_hours: z.number().positive().max(24 * 365).default(168),
    auto_publish_after_hours: z.number().nonnegative().max(24 * 90).optional(),
    /** where users fetch the repo (through the CDN); the purge verifies against it */
    public_url: z.url().optional(),
    /** the repo's public GPG key, for `flatpak remote-add --gpg-import` */
    gpg_key_url: z.url().optional(),
    /** summary regeneration coalescing (DESIGN.md defaults 30 s / 120 s) */
    update_debounce_seconds: z.number().nonnegative().max(3600).default(30),
    update_max_wait_seconds: z.number().positive().max(6 * 3600).default(120),
    publish_batch_size: z.number().int().min(1).max(200).default(20),
    generate_static_deltas: z.boolean().optional(),
    /** final builds kept whole per branch (newest first); older ones are compacted to a summary row */
    retain_final_builds: z.number().int().min(1).max(10_000).default(20),
    /** final builds older than this are compacted whatever their rank */
    retain_final_days: z.number().positive().max(3650).default(90),
    /** who imports, signs and regenerates the summary: the repo-master agent, or flat-manager (issue 12) */
    backend: z.enum(["agent", "flat-manager"]).default("agent"),
    /** flat-manager's base URL, without /api/v1 (e.g. https://hub.example.org) */
    flat_manager_url: z.url({ protocol: /^https?$/ }).optional(),
    /** the repo's name in flat-manager; defaults to the Flatgate repo name */
    flat_manager_repo: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be a flat-manager repo name").optional(),
    /**
     * Where Flatgate reads the signed summary after flat-manager's update-repo, before the CDN is
     * purged (so not through the CDN); defaults to <flat_manager_url>/repo/<flat_manager_repo>.
     */
    flat_manager_repo_url: z.url({ protocol: /^https?$/ }).optional(),
  })
  .refine((p) => p.backend !== "flat-manager" || p.flat_manager_url !== undefined, {
    message: "backend \"flat-manager\" needs flat_manager_url",
    path: ["flat_manager_url"],
  })
  .refine((p) => p.approval !== "delayed" || p.auto_publish_after_hours !== undefined, {
    message: "approval \"delayed\" needs auto_publish_after_hours",
    path: ["auto_publish_after_hours"],
  })
  .refine((p) => p.update_max_wait_seconds >= p.update_debounce_seconds, {
    message: "must be at least update_debounce_seconds",
    path: ["update_max_wait_seconds"],
  });
export type RepoPolicy = z.infer<typeof RepoPolicy>;

/**
 * REPOS as a null-prototype object: `REPOS["constructor"]` or `REPOS["toString"]` is undefined,
 * not an Object.prototype member (issue 10 item 2). Look repos up with `repoPolicy`, which also
 * checks own properties, so a plain object built elsewhere (a test, a script) is just as safe.
 */
export const Repos = z
  .record(RepoName, RepoPolicy)
  .refine((r) => Object.keys(r).length > 0, "must declare at least one repo")
  .transform((r): Readonly<Record<string, RepoPolicy>> => Object.assign(Object.create(null) as Record<string, RepoPolicy>, r));
export type Repos = z.infer<typeof Repos>;

/** The policy of a configured repo, or undefined: own properties only, whatever the name. */
export function repoPolicy(config: { REPOS: Repos }, name: string): RepoPolicy | undefined {
  return Object.hasOwn(config.REPOS, name) ? config.REPOS[name] : undefined;
}

const Secrets = z
  .string()
  .transform((s) => s.split(/\s+/).filter(Boolean))
  .pipe(
    z
      .array(z.string().refine(isValidSecret, "each secret must be whsec_<base64 of 24-64 bytes>"))
      .min(1, "needs at least one whsec_ secret"),
  );

const OperatorTokens = z
  .string()
  .transform((s) => s.split(/\s+/).filter(Boolean))
  .pipe(
    z.array(
      z
        .string()
        .regex(/^[A-Za-z0-9_.@-]{1,64}:\S{16,}$/, "each entry must be name:token with a token of at least 16 characters"),
    ),
  )
  .transform((pairs) =>
    pairs.map((p) => {
      const i = p.indexOf(":");
      return { name: p.slice(0, i), token: p.slice(i + 1) };
    }),
  );

const JsonString = <T extends z.ZodType>(schema: T) =>
  z.string().transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be valid JSON" });
      return z.NEVER;
    }
  }).pipe(schema);

const optionalString = z.string().optional().transform((s) => (s === undefined || s.trim() === "" ? undefined : s.trim()));

/** An optional JSON list: unset or empty means none. */
const JsonList = <T extends z.ZodType>(entry: T) =>
  z.string().optional().transform((s) => (s === undefined || s.trim() === "" ? "[]" : s)).pipe(JsonString(z.array(entry)));

export const WebhookEnvConfig = z.object({
  REPOS: JsonString(Repos),
  /** unscoped build secrets (before issue 13); BUILD_CREDENTIALS are the scoped, named kind */
  BUILD_WEBHOOK_SECRETS: optionalString.pipe(Secrets.optional()).transform((s) => s ?? []),
  BUILD_CREDENTIALS: JsonList(BuildCredential),
  /** GitHub Actions workflows that announce builds with their OIDC token (issue 13 §1) */
  TRUSTED_PUBLISHERS: JsonList(TrustedPublisher),
  /** an unknown `kid` refetches the issuer's JWKS at most this often */
  OIDC_JWKS_COOLDOWN_SECONDS: z.coerce.number().nonnegative().max(3600).default(30),
  /** admin on every repo (before roles); OPERATORS have a role per repo */
  OPERATOR_TOKENS: OperatorTokens.default([]),
  OPERATORS: JsonList(OperatorEntry),
  /** a bearer token good for GET /metrics only (a Prometheus scraper need not hold an operator token) */
  METRICS_TOKEN: optionalString.pipe(z.string().min(16, "must be at least 16 characters").regex(/^\S+$/, "must not contain spaces").optional()),
  /** public base URL of this worker: status links in check runs and Slack, agent callbacks */
  PIPELINE_URL: z.url().optional(),
  REPO_MASTER_SECRET: optionalString.pipe(
    z.string().refine(isValidSecret, "must be whsec_<base64 of 24-64 bytes>").optional(),
  ),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** publish retries: capped exponential backoff with jitter, then the build is `failed` */
  RETRY_BASE_SECONDS: z.coerce.number().nonnegative().max(3600).default(2),
  RETRY_MAX_SECONDS: z.coerce.number().positive().max(86_400).default(300),
  RETRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  /** how often a running repo-master job is polled (callbacks can be lost) */
  POLL_INTERVAL_SECONDS: z.coerce.number().positive().max(3600).default(5),
  /** a Slack alert when the repo master has been unreachable this long */
  REPO_MASTER_ALERT_AFTER_MINUTES: z.coerce.number().positive().max(10_080).default(10),
  /** while the repo master is unreachable, probe it this often, apart from the job backoff */
  REPO_MASTER_PROBE_SECONDS: z.coerce.number().positive().max(15).default(10),
}).refine((c) => c.BUILD_WEBHOOK_SECRETS.length + c.BUILD_CREDENTIALS.length + c.TRUSTED_PUBLISHERS.length > 0, {
  message: "set at least one of BUILD_WEBHOOK_SECRETS, BUILD_CREDENTIALS and TRUSTED_PUBLISHERS, or no build can be announced",
  path: ["BUILD_WEBHOOK_SECRETS"],
});
export type WebhookConfig = z.infer<typeof WebhookEnvConfig>;

export class ConfigError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}. Fix it in .dev.vars (local) or with wrangler secret put / [vars] (deployed).`);
    this.name = "ConfigError";
  }
}

/**
 * A config loader: parses the env with `schema`, then `finish` (cross-field rules, shaping),
 * once per env object (isolates reuse it across requests). A zod failure or a ConfigError from
 * `finish` names every bad variable.
 */
export function envLoader<S, T = S>(schema: z.ZodType<S>, finish: (parsed: S) => T = (p) => p as unknown as T): (env: object) => T {
  const cache = new WeakMap<object, T>();
  return (env) => {
    const hit = cache.get(env);
    if (hit !== undefined) return hit;
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
      throw new ConfigError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })));
    }
    const config = finish(parsed.data);
    cache.set(env, config);
    return config;
  };
}

/** The webhook worker's (and its Durable Objects') configuration. */
export const loadConfig: (env: object) => WebhookConfig = envLoader(WebhookEnvConfig);
