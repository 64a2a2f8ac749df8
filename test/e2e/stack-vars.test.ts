/**
 * The local stack's wiring, without starting anything: which variables each worker runs with
 * for given ports (scripts/stack-vars.ts), and .dev.vars files read back exactly as written.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatDotenv, parseDotenv } from "../../scripts/dotenv.js";
import { ROOT } from "../../scripts/local-stack.js";
import { stackVars } from "../../scripts/stack-vars.js";

async function examples() {
  const read = async (p: string) => parseDotenv(await readFile(path.join(ROOT, p), "utf8"));
  return { webhook: await read(".dev.vars.example"), publish: await read("workers/publish/.dev.vars.example"), purge: await read("workers/purge/.dev.vars.example") };
}

describe("stack vars", () => {
  it("changes nothing when the examples' ports are used", async () => {
    const r = stackVars(await examples(), { pipelineUrl: "http://127.0.0.1:8787", agentUrl: "http://127.0.0.1:8790" });
    if (!r.ok) throw new Error(r.error);
    expect(r.value.changed).toEqual({ webhook: [], publish: [], purge: [] });
    expect(r.value.repos.map((x) => [x.name, x.approval])).toEqual([
      ["stable", "required"],
      ["beta", "auto"],
    ]);
  });

  it("points every worker at this run's ports", async () => {
    const r = stackVars(await examples(), { pipelineUrl: "http://127.0.0.1:9001", agentUrl: "http://127.0.0.1:9002" });
    if (!r.ok) throw new Error(r.error);
    const { vars, changed } = r.value;
    expect(changed.webhook.sort()).toEqual(["PIPELINE_URL", "REPOS"]);
    expect(changed.publish.sort()).toEqual(["PIPELINE_URL", "REPO_MASTER_URL"]);
    expect(changed.purge).toEqual([]);
    expect(vars.publish).toMatchObject({ PIPELINE_URL: "http://127.0.0.1:9001", REPO_MASTER_URL: "http://127.0.0.1:9002" });
    const repos = JSON.parse(vars.webhook.REPOS!);
    expect(repos.stable).toMatchObject({ approval: "required", public_url: "http://127.0.0.1:9002/repos/stable", gpg_key_url: "http://127.0.0.1:9002/repos/stable/key.gpg", update_debounce_seconds: 2 });
  });

  it("keeps deliberate non-local values and refuses mismatched secrets", async () => {
    const base = await examples();
    base.webhook.PIPELINE_URL = "https://abc.trycloudflare.com";
    base.webhook.REPOS = JSON.stringify({ stable: { approval: "required", public_url: "https://dl.example.org/stable" } });
    const r = stackVars(base, { pipelineUrl: "http://127.0.0.1:9001", agentUrl: "http://127.0.0.1:9002" });
    if (!r.ok) throw new Error(r.error);
    expect(r.value.vars.webhook.PIPELINE_URL).toBe("https://abc.trycloudflare.com");
    expect(r.value.repos[0]).toMatchObject({ public_url: "https://dl.example.org/stable", gpg_key_url: "http://127.0.0.1:9002/repos/stable/key.gpg" });

    base.webhook.REPO_MASTER_SECRET = "whsec_c29tZS1vdGhlci1zZWNyZXQtb2YtMzItYnl0ZXMhIQ==";
    const bad = stackVars(base, { pipelineUrl: "http://127.0.0.1:9001", agentUrl: "http://127.0.0.1:9002" });
    expect(bad.ok ? "ok" : bad.error).toMatch(/REPO_MASTER_SECRET differs/);
  });

  it("writes .dev.vars values that read back unchanged", () => {
    const vars = {
      REPOS: '{"stable":{"approval":"auto","note":"#1"}}',
      KEY: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----",
      QUOTE: "it's",
      EMPTY: "",
    };
    expect(parseDotenv(formatDotenv(vars, "# header\n"))).toEqual(vars);
  });
});
