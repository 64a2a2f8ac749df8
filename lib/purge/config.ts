/**
 * The purge worker's configuration, parsed from its env with zod. Every provider is optional,
 * but a half-configured one (a token without its service/zone id, or the reverse) is an error
 * naming the missing variable, never a silently disabled CDN.
 */
import { z } from "zod";
import { ConfigError, envLoader } from "../config.js";
import { RepoName } from "../ids.js";

export interface FastlyConfig {
  apiToken: string;
  serviceId: string;
  apiUrl: string;
  /** `Fastly-Soft-Purge: 1`: mark stale instead of evicting, so the origin is not stampeded */
  softPurge: boolean;
  /** surrogate keys (needs the origin's Surrogate-Key headers), URLs, or both */
  mode: "keys" | "urls" | "both";
}

export interface CloudflareConfig {
  apiToken: string;
  zoneId: string;
  apiUrl: string;
  /** `files` (full URLs) or `tags` (needs the origin's Cache-Tag headers) */
  mode: "files" | "tags";
}

export interface VerifyConfig {
  /** edge checks after the purge (0 disables verification) */
  rounds: number;
  /** wait after a stale check before the next one, doubling up to maxDelayMs */
  delayMs: number;
  maxDelayMs: number;
}

export interface PurgeConfig {
  fastly?: FastlyConfig;
  cloudflare?: CloudflareConfig;
  verify: VerifyConfig;
  /** repo -> public base URL from REPOS; a request's public_url wins */
  publicUrls: Record<string, string>;
}

const blank = (s: unknown) => (typeof s === "string" && s.trim() === "" ? undefined : s);
const optionalString = z.preprocess(blank, z.string().trim().optional());
const optionalUrl = (fallback: string) =>
  z.preprocess(blank, z.url({ protocol: /^https?$/ }).optional()).transform((u) => (u ?? fallback).replace(/\/+$/, ""));
const boolFlag = (fallback: boolean) =>
  z.preprocess(blank, z.enum(["1", "0", "true", "false", "yes", "no"]).optional()).transform((v) => (v === undefined ? fallback : ["1", "true", "yes"].includes(v)));
const intVar = (fallback: number, max: number) =>
  z.preprocess(blank, z.string().regex(/^\d+$/, "must be a whole number").optional()).transform((v) => (v === undefined ? fallback : Number(v))).pipe(z.number().int().min(0).max(max));

/** Only `public_url` matters here; the webhook worker validates the rest of each repo's policy. */
const ReposPublicUrls = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be valid JSON" });
      return z.NEVER;
    }
  })
  .pipe(z.record(RepoName, z.looseObject({ public_url: z.url({ protocol: /^https?$/ }).optional() })));

export const PurgeEnv = z.object({
  FASTLY_API_TOKEN: optionalString,
  FASTLY_SERVICE_ID: optionalString,
  FASTLY_API_URL: optionalUrl("https://api.fastly.com"),
  FASTLY_SOFT_PURGE: boolFlag(true),
  FASTLY_PURGE_MODE: z.preprocess(blank, z.enum(["keys", "urls", "both"]).default("keys")),
  CLOUDFLARE_API_TOKEN: optionalString,
  CLOUDFLARE_ZONE_ID: optionalString,
  CLOUDFLARE_API_URL: optionalUrl("https://api.cloudflare.com"),
  CLOUDFLARE_PURGE_MODE: z.preprocess(blank, z.enum(["files", "tags"]).default("files")),
  PURGE_VERIFY_ROUNDS: intVar(6, 50),
  PURGE_VERIFY_DELAY_MS: intVar(1_000, 60_000),
  PURGE_VERIFY_MAX_DELAY_MS: intVar(8_000, 120_000),
  REPOS: z.preprocess(blank, ReposPublicUrls.optional()),
});

/** Both variables of a provider, or neither. */
function pair(
  issues: { path: string; message: string }[],
  a: [string, string | undefined],
  b: [string, string | undefined],
  what: string,
): [string, string] | undefined {
  if (a[1] !== undefined && b[1] !== undefined) return [a[1], b[1]];
  if (a[1] === undefined && b[1] === undefined) return undefined;
  const [missing, present] = a[1] === undefined ? [a[0], b[0]] : [b[0], a[0]];
  issues.push({ path: missing, message: `is missing: ${present} is set, so ${what} needs ${missing} too (or unset ${present} to disable ${what})` });
  return undefined;
}

/** Parses the env once per env object. Throws ConfigError naming every bad or missing variable. */
export const loadPurgeConfig: (env: object) => PurgeConfig = envLoader(PurgeEnv, (e) => {
  const issues: { path: string; message: string }[] = [];
  const fastly = pair(issues, ["FASTLY_API_TOKEN", e.FASTLY_API_TOKEN], ["FASTLY_SERVICE_ID", e.FASTLY_SERVICE_ID], "Fastly");
  const cloudflare = pair(issues, ["CLOUDFLARE_API_TOKEN", e.CLOUDFLARE_API_TOKEN], ["CLOUDFLARE_ZONE_ID", e.CLOUDFLARE_ZONE_ID], "Cloudflare");
  if (e.PURGE_VERIFY_MAX_DELAY_MS < e.PURGE_VERIFY_DELAY_MS) {
    issues.push({ path: "PURGE_VERIFY_MAX_DELAY_MS", message: "must be at least PURGE_VERIFY_DELAY_MS" });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const config: PurgeConfig = {
    verify: { rounds: e.PURGE_VERIFY_ROUNDS, delayMs: e.PURGE_VERIFY_DELAY_MS, maxDelayMs: e.PURGE_VERIFY_MAX_DELAY_MS },
    publicUrls: Object.fromEntries(
      Object.entries(e.REPOS ?? {}).flatMap(([repo, policy]) => (policy.public_url ? [[repo, policy.public_url]] : [])),
    ),
  };
  if (fastly) {
    config.fastly = { apiToken: fastly[0], serviceId: fastly[1], apiUrl: e.FASTLY_API_URL, softPurge: e.FASTLY_SOFT_PURGE, mode: e.FASTLY_PURGE_MODE };
  }
  if (cloudflare) {
    config.cloudflare = { apiToken: cloudflare[0], zoneId: cloudflare[1], apiUrl: e.CLOUDFLARE_API_URL, mode: e.CLOUDFLARE_PURGE_MODE };
  }
  return config;
});
