import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/config.js";
import { DEFAULT_GITHUB_API_URL, parseGitHubConfig, PKCS8_CONVERT_COMMAND } from "../../lib/github/config.js";
import { generateAppKey } from "../fixtures/github-app.js";

const key = await generateAppKey();

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("parseGitHubConfig", () => {
  it("is off, and says approval works through the operator API, when nothing is set", () => {
    const c = parseGitHubConfig({});
    expect(c.configured).toBe(false);
    if (c.configured) return;
    expect(c.missing).toEqual(["GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"]);
    expect(c.message).toMatch(/operator API/);
  });

  it("names the variables still missing when only some are set (blank counts as unset)", () => {
    const c = parseGitHubConfig({ GITHUB_APP_ID: "123", GITHUB_WEBHOOK_SECRET: "  " });
    expect(c).toMatchObject({ configured: false, missing: ["GITHUB_APP_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET"] });
    if (!c.configured) expect(c.message).toMatch(/GITHUB_APP_PRIVATE_KEY, GITHUB_WEBHOOK_SECRET are not set/);
  });

  it("parses a full configuration, turning literal \\n escapes into newlines and defaulting the API URL", () => {
    const escaped = key.privateKeyPkcs8.trim().replace(/\n/g, "\\n");
    const c = parseGitHubConfig({ GITHUB_APP_ID: "123456", GITHUB_APP_PRIVATE_KEY: escaped, GITHUB_WEBHOOK_SECRET: "s3cret" });
    expect(c).toEqual({
      configured: true,
      appId: 123456,
      privateKeyPkcs8: key.privateKeyPkcs8.trim(),
      webhookSecret: "s3cret",
      apiUrl: DEFAULT_GITHUB_API_URL,
    });
  });

  it("takes a GitHub Enterprise API URL without its trailing slash", () => {
    const c = parseGitHubConfig({
      GITHUB_APP_ID: "7",
      GITHUB_APP_PRIVATE_KEY: key.privateKeyPkcs8,
      GITHUB_WEBHOOK_SECRET: "x",
      GITHUB_API_URL: "https://ghe.example.com/api/v3/",
    });
    expect(c.configured && c.apiUrl).toBe("https://ghe.example.com/api/v3");
  });

  it("refuses a PKCS#1 key (as GitHub downloads it) and says how to convert it", () => {
    const pkcs1 = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
    expect(pkcs1).toContain("-----BEGIN RSA PRIVATE KEY-----");
    const e = thrown(() => parseGitHubConfig({ GITHUB_APP_ID: "1", GITHUB_APP_PRIVATE_KEY: pkcs1, GITHUB_WEBHOOK_SECRET: "x" }));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]!.path).toBe("GITHUB_APP_PRIVATE_KEY");
    expect(e.message).toContain("PKCS#1");
    expect(e.message).toContain(PKCS8_CONVERT_COMMAND);
    expect(PKCS8_CONVERT_COMMAND).toBe("openssl pkcs8 -topk8 -inform PEM -outform PEM -nocrypt -in app.private-key.pem -out app.pkcs8.pem");
  });

  it("refuses a client ID where the numeric App ID belongs, and a non-PEM key", () => {
    const e = thrown(() =>
      parseGitHubConfig({ GITHUB_APP_ID: "Iv1.abcdef", GITHUB_APP_PRIVATE_KEY: "not a key", GITHUB_WEBHOOK_SECRET: "x" }),
    );
    expect(e.issues.map((i) => i.path)).toEqual(["GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY"]);
    expect(e.message).toMatch(/numeric App ID/);
  });
});
