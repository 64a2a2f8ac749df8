/** The config file and environment: refused with messages naming the field, secret never in the file. */
import { describe, expect, it } from "vitest";
import { generateSecret } from "../../lib/standard-webhooks.js";
import { AgentConfig, parseConfig, runtimeFromEnv } from "../../repo-master/config.js";

const valid = {
  listen: { host: "127.0.0.1", port: 8090 },
  state_dir: "state",
  serve_repos: false,
  repos: { stable: { path: "/srv/repo", gpg_key_ids: ["ABCDEF0123456789"] } },
};

describe("parseConfig", () => {
  it("applies defaults and resolves relative paths against the file's directory", () => {
    const r = parseConfig(valid, "/etc/flatgate");
    expect(r).toMatchObject({ ok: true, value: { secret_env: "REPO_MASTER_SECRET", state_dir: "/etc/flatgate/state" } });
    expect(r.ok && r.value.repos.stable?.generate_static_deltas).toBe(false);
  });

  it("names the offending field", () => {
    const r = parseConfig({ ...valid, repos: { stable: { path: "/srv/repo", gpg_key_ids: [] }, "Bad Name": valid.repos.stable } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toContain("repos.stable.gpg_key_ids");
    expect(r.error).toContain("Bad Name");
  });

  it("refuses a secret in the file (unknown key)", () => {
    const r = parseConfig({ ...valid, secret: "whsec_x" });
    expect(!r.ok && r.error).toMatch(/secret/);
  });
});

describe("runtimeFromEnv", () => {
  const config = AgentConfig.parse(valid);

  it("reads the secrets (rotation: several) and PIPELINE_URL", () => {
    const [a, b] = [generateSecret(), generateSecret()];
    expect(runtimeFromEnv(config, { REPO_MASTER_SECRET: `${a} ${b}`, PIPELINE_URL: "http://127.0.0.1:8787" })).toEqual({
      ok: true,
      value: { secrets: [a, b], pipelineUrl: "http://127.0.0.1:8787" },
    });
  });

  it("refuses a missing or malformed secret, naming the variable", () => {
    expect(runtimeFromEnv(config, {})).toMatchObject({ ok: false, error: expect.stringContaining("REPO_MASTER_SECRET") });
    expect(runtimeFromEnv(config, { REPO_MASTER_SECRET: "hunter2" })).toMatchObject({ ok: false, error: expect.stringContaining("whsec_") });
  });
});
