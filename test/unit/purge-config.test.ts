import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/config.js";
import { loadPurgeConfig } from "../../lib/purge/config.js";

describe("loadPurgeConfig", () => {
  it("configures no provider from an empty env, with verification defaults", () => {
    const c = loadPurgeConfig({});
    expect(c.fastly).toBeUndefined();
    expect(c.cloudflare).toBeUndefined();
    expect(c.verify).toEqual({ rounds: 6, delayMs: 1000, maxDelayMs: 8000 });
    expect(c.publicUrls).toEqual({});
  });

  it("parses both providers with defaults", () => {
    const c = loadPurgeConfig({
      FASTLY_API_TOKEN: "tok",
      FASTLY_SERVICE_ID: "svc",
      CLOUDFLARE_API_TOKEN: "cf",
      CLOUDFLARE_ZONE_ID: "zone",
      REPOS: JSON.stringify({ stable: { approval: "required", public_url: "https://dl.example.org/repo" }, beta: { approval: "auto" } }),
    });
    expect(c.fastly).toEqual({ apiToken: "tok", serviceId: "svc", apiUrl: "https://api.fastly.com", softPurge: true, mode: "keys" });
    expect(c.cloudflare).toEqual({ apiToken: "cf", zoneId: "zone", apiUrl: "https://api.cloudflare.com", mode: "files" });
    expect(c.publicUrls).toEqual({ stable: "https://dl.example.org/repo" });
  });

  it("reads overrides and treats empty strings as unset", () => {
    const c = loadPurgeConfig({
      FASTLY_API_TOKEN: "tok",
      FASTLY_SERVICE_ID: "svc",
      FASTLY_API_URL: "http://127.0.0.1:9999/",
      FASTLY_SOFT_PURGE: "0",
      FASTLY_PURGE_MODE: "both",
      CLOUDFLARE_API_TOKEN: "",
      CLOUDFLARE_ZONE_ID: " ",
      CLOUDFLARE_PURGE_MODE: "tags",
      PURGE_VERIFY_ROUNDS: "0",
    });
    expect(c.fastly).toMatchObject({ apiUrl: "http://127.0.0.1:9999", softPurge: false, mode: "both" });
    expect(c.cloudflare).toBeUndefined();
    expect(c.verify.rounds).toBe(0);
  });

  it("names the missing variable of a half-configured provider", () => {
    expect(() => loadPurgeConfig({ FASTLY_API_TOKEN: "tok" })).toThrow(/FASTLY_SERVICE_ID: is missing: FASTLY_API_TOKEN is set/);
    expect(() => loadPurgeConfig({ CLOUDFLARE_ZONE_ID: "zone" })).toThrow(/CLOUDFLARE_API_TOKEN: is missing: CLOUDFLARE_ZONE_ID is set/);
    try {
      loadPurgeConfig({ FASTLY_SERVICE_ID: "svc", CLOUDFLARE_API_TOKEN: "cf" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues.map((i) => i.path)).toEqual(["FASTLY_API_TOKEN", "CLOUDFLARE_ZONE_ID"]);
    }
  });

  it("rejects bad values by name", () => {
    expect(() => loadPurgeConfig({ CLOUDFLARE_PURGE_MODE: "everything" })).toThrow(/CLOUDFLARE_PURGE_MODE/);
    expect(() => loadPurgeConfig({ FASTLY_SOFT_PURGE: "maybe" })).toThrow(/FASTLY_SOFT_PURGE/);
    expect(() => loadPurgeConfig({ FASTLY_API_URL: "not a url" })).toThrow(/FASTLY_API_URL/);
    expect(() => loadPurgeConfig({ PURGE_VERIFY_ROUNDS: "-1" })).toThrow(/PURGE_VERIFY_ROUNDS/);
    expect(() => loadPurgeConfig({ REPOS: "{" })).toThrow(/REPOS: must be valid JSON/);
  });
});
