/**
 * GitHub App configuration from the worker env. GitHub is optional: without it, approval works
 * through the operator API, and the worker says so at startup (issue 4).
 *
 * The private key must be PKCS#8 (`BEGIN PRIVATE KEY`): WebCrypto's `importKey("pkcs8")` is the
 * only RSA import workerd offers, and GitHub hands out PKCS#1 keys (`BEGIN RSA PRIVATE KEY`),
 * so a PKCS#1 key is refused here with the conversion command instead of failing at the first
 * token exchange (gr2m/universal-github-app-jwt #109: the same library converts silently in Node
 * and throws in browsers/workerd, so tests in Node would pass and production would fail).
 */
import { z } from "zod";
import { ConfigError } from "../config.js";

export const DEFAULT_GITHUB_API_URL = "https://api.github.com";

export const REQUIRED_GITHUB_VARS = ["GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"] as const;

export const PKCS8_CONVERT_COMMAND =
  "openssl pkcs8 -topk8 -inform PEM -outform PEM -nocrypt -in app.private-key.pem -out app.pkcs8.pem";

export type GitHubConfig =
  | {
      configured: false;
      /** the required variables that are not set */
      missing: string[];
      /** what to log at startup */
      message: string;
    }
  | {
      configured: true;
      /** numeric App ID: the JWT issuer and what `check_run.app.id` is compared with */
      appId: number;
      /** PEM, PKCS#8, with real newlines */
      privateKeyPkcs8: string;
      webhookSecret: string;
      /** no trailing slash; `https://HOST/api/v3` for GitHub Enterprise Server */
      apiUrl: string;
    };

/** Environment variables hold PEM keys with literal `\n` (and sometimes CRLF). */
export function normalizePem(value: string): string {
  return value.replace(/\\r\\n|\\n/g, "\n").replace(/\r\n/g, "\n").trim();
}

/** Why a PEM string cannot be used as an App key, or undefined when it is PKCS#8. */
export function pemProblem(pem: string): string | undefined {
  if (pem.includes("-----BEGIN RSA PRIVATE KEY-----")) {
    return `is a PKCS#1 key (BEGIN RSA PRIVATE KEY), as GitHub downloads it; WebCrypto needs PKCS#8. Convert it once with: ${PKCS8_CONVERT_COMMAND}`;
  }
  if (pem.includes("-----BEGIN OPENSSH PRIVATE KEY-----")) {
    return `is an OpenSSH key; use the .pem key GitHub generated for the App, converted with: ${PKCS8_CONVERT_COMMAND}`;
  }
  if (pem.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
    return `is an encrypted PKCS#8 key; remove the passphrase with: ${PKCS8_CONVERT_COMMAND}`;
  }
  const m = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(pem);
  if (!m) return "must be a PEM private key (-----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----)";
  const body = m[1]!.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length < 100) return "has a PEM body that is not valid base64";
  return undefined;
}

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

const GitHubEnv = z.object({
  GITHUB_APP_ID: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(/^\d{1,12}$/, "must be the numeric App ID from the App's settings page (not the client ID)")
      .transform(Number),
  ),
  GITHUB_APP_PRIVATE_KEY: z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform(normalizePem)
      .superRefine((pem, ctx) => {
        const problem = pemProblem(pem);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
  ),
  GITHUB_WEBHOOK_SECRET: z.preprocess(blankToUndefined, z.string().min(1)),
  GITHUB_API_URL: z.preprocess(
    blankToUndefined,
    z
      .url({ protocol: /^https?$/ })
      .default(DEFAULT_GITHUB_API_URL)
      .transform((u) => u.replace(/\/+$/, "")),
  ),
});

/**
 * Parses the GitHub variables. None or only some of the required ones set → `configured:false`
 * (GitHub approval off). A set but unusable value (PKCS#1 key, non-numeric App ID, bad URL)
 * throws `ConfigError` naming the variable: that is a mistake, not a choice.
 * Takes `object` so the generated `Env` interface (no index signature) fits.
 */
export function parseGitHubConfig(env: object): GitHubConfig {
  const missing = REQUIRED_GITHUB_VARS.filter((name) => blankToUndefined(Reflect.get(env, name)) === undefined);
  if (missing.length > 0) {
    const partly = missing.length < REQUIRED_GITHUB_VARS.length;
    return {
      configured: false,
      missing: [...missing],
      message: partly
        ? `GitHub approval is off: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set (the other GitHub variables are). Builds can still be approved through the operator API.`
        : "GitHub approval is off (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_WEBHOOK_SECRET are not set). Builds can still be approved through the operator API.",
    };
  }
  const parsed = GitHubEnv.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })));
  }
  const v = parsed.data;
  return {
    configured: true,
    appId: v.GITHUB_APP_ID,
    privateKeyPkcs8: v.GITHUB_APP_PRIVATE_KEY,
    webhookSecret: v.GITHUB_WEBHOOK_SECRET,
    apiUrl: v.GITHUB_API_URL,
  };
}
