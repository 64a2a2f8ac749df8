/** scripts/validate-config.ts: every worker's configuration, judged by the workers' own schemas. */
import { describe, expect, it } from "vitest";
import { formatIssues, validateAgentConfig, validateDeployVars, validateStack, validateWorkerVars, type StackConfigInput } from "../../scripts/validate-config.js";

const SECRET = "whsec_ZGV2LW9ubHktcmVwby1tYXN0ZXItc2VjcmV0LTAwMDE=";
const webhook = (over: Record<string, string> = {}) => ({
  REPOS: JSON.stringify({ stable: { approval: "required" } }),
  BUILD_WEBHOOK_SECRETS: SECRET,
  OPERATOR_TOKENS: "dev:dev-operator-token-change-me",
  ...over,
});
const paths = (issues: { path: string }[]) => issues.map((i) => i.path);

describe("validateWorkerVars", () => {
  it("accepts the development examples' shape", () => {
    expect(validateWorkerVars("webhook", webhook())).toEqual([]);
    expect(validateWorkerVars("publish", { REPO_MASTER_URL: "http://127.0.0.1:8790", REPO_MASTER_SECRET: SECRET })).toEqual([]);
    expect(validateWorkerVars("purge", {})).toEqual([]);
  });

  it("names the variable and the field: REPOS.stable.approval", () => {
    const issues = validateWorkerVars("webhook", webhook({ REPOS: JSON.stringify({ stable: { approval: "manual" } }) }));
    expect(paths(issues)).toEqual(["REPOS.stable.approval"]);
    expect(issues[0]!.message).toContain("required");
  });

  it("refuses a secret without whsec_, in every worker that holds one", () => {
    expect(paths(validateWorkerVars("webhook", webhook({ BUILD_WEBHOOK_SECRETS: "not-a-secret" })))).toEqual(["BUILD_WEBHOOK_SECRETS.0"]);
    expect(paths(validateWorkerVars("webhook", webhook({ REPO_MASTER_SECRET: "plain" })))).toEqual(["REPO_MASTER_SECRET"]);
    const publish = validateWorkerVars("publish", { REPO_MASTER_URL: "http://127.0.0.1:8790", REPO_MASTER_SECRET: "plain" });
    expect(paths(publish)).toEqual(["REPO_MASTER_SECRET"]);
    expect(publish[0]!.message).toContain("whsec_");
  });

  it("checks the webhook worker's GitHub and Slack variables too", () => {
    const github = validateWorkerVars("webhook", webhook({ GITHUB_APP_ID: "abc", GITHUB_APP_PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----", GITHUB_WEBHOOK_SECRET: "s" }));
    expect(paths(github)).toEqual(["GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY"]);
    expect(paths(validateWorkerVars("webhook", webhook({ SLACK_BOT_TOKEN: "xoxb-1" })))).toEqual(["SLACK_CHANNEL"]);
  });

  it("reports cross-field rules and several problems at once", () => {
    const issues = validateWorkerVars("webhook", webhook({ REPOS: JSON.stringify({ stable: { approval: "delayed" }, "Bad Name": { approval: "auto" } }), LOG_LEVEL: "loud" }));
    expect(paths(issues).sort()).toEqual(["LOG_LEVEL", "REPOS.Bad Name", "REPOS.stable.auto_publish_after_hours"]);
    expect(paths(validateWorkerVars("purge", { FASTLY_API_TOKEN: "t" }))).toEqual(["FASTLY_SERVICE_ID"]);
    expect(paths(validateWorkerVars("purge", { PURGE_VERIFY_ROUNDS: "many" }))).toEqual(["PURGE_VERIFY_ROUNDS"]);
  });

  it("says a missing required variable is missing", () => {
    expect(paths(validateWorkerVars("webhook", {}))).toEqual(["REPOS", "BUILD_WEBHOOK_SECRETS"]);
    expect(paths(validateWorkerVars("publish", {}))).toEqual(["REPO_MASTER_URL", "REPO_MASTER_SECRET"]);
  });
});

describe("validateDeployVars", () => {
  it("judges only what [vars] sets: secrets are set elsewhere", () => {
    expect(validateDeployVars("webhook", { LOG_LEVEL: "info" })).toEqual([]);
    expect(validateDeployVars("publish", {})).toEqual([]);
    expect(validateDeployVars("purge", { FASTLY_SERVICE_ID: "svc", FASTLY_SOFT_PURGE: "1" })).toEqual([]);
  });

  it("refuses a bad value in [vars], including a TOML table where JSON text is expected", () => {
    expect(paths(validateDeployVars("webhook", { LOG_LEVEL: "verbose" }))).toEqual(["LOG_LEVEL"]);
    expect(paths(validateDeployVars("webhook", { REPOS: '{"stable":{"approval":"manual"}}' }))).toEqual(["REPOS.stable.approval"]);
    expect(paths(validateDeployVars("webhook", { REPOS: { stable: { approval: "auto" } } }))).toEqual(["REPOS"]);
    expect(paths(validateDeployVars("purge", { FASTLY_PURGE_MODE: "all", PURGE_VERIFY_ROUNDS: "6" }))).toEqual(["FASTLY_PURGE_MODE"]);
  });
});

describe("validateAgentConfig", () => {
  const config = { listen: { port: 8790 }, state_dir: "/tmp/x", repos: { stable: { path: "/tmp/x/repo", gpg_key_ids: ["ABC"] } } };
  it("checks the file and the secret", () => {
    expect(validateAgentConfig(config, { REPO_MASTER_SECRET: SECRET })).toEqual([]);
    expect(validateAgentConfig(config, { REPO_MASTER_SECRET: "plain" })[0]!.message).toContain("REPO_MASTER_SECRET: each secret must be whsec_");
    expect(paths(validateAgentConfig({ ...config, listen: { port: 70000 } }, { REPO_MASTER_SECRET: SECRET }))).toEqual(["listen.port"]);
  });
});

describe("validateStack", () => {
  const input = (over: Partial<StackConfigInput["workers"]["webhook"]> = {}): StackConfigInput => ({
    workers: {
      webhook: { config: "wrangler.toml", varsFile: ".dev.vars", tomlVars: { LOG_LEVEL: "info" }, vars: webhook(), ...over },
      publish: { config: "workers/publish/wrangler.toml", varsFile: "workers/publish/.dev.vars", tomlVars: {}, vars: { REPO_MASTER_URL: "http://127.0.0.1:8790", REPO_MASTER_SECRET: "nope" } },
      purge: { config: "workers/purge/wrangler.toml", varsFile: "workers/purge/.dev.vars", tomlVars: { FASTLY_SOFT_PURGE: "1" }, vars: {} },
    },
    agent: { label: "the repo-master agent", config: { listen: { port: 8790 }, state_dir: "/tmp/x", repos: { stable: { path: "/r", gpg_key_ids: ["K"] } } }, env: { REPO_MASTER_SECRET: "nope" } },
  });

  it("names the file each bad value comes from, .dev.vars over [vars] as wrangler does", () => {
    const issues = validateStack(input({ tomlVars: { LOG_LEVEL: "loud" }, vars: webhook({ REPOS: '{"stable":{"approval":"manual"}}' }) }));
    expect(issues.map((i) => `${i.where}: ${i.path}`)).toEqual([
      ".dev.vars: REPOS.stable.approval",
      "wrangler.toml [vars]: LOG_LEVEL",
      "workers/publish/.dev.vars: REPO_MASTER_SECRET",
      "the repo-master agent: ",
    ]);
    expect(formatIssues(issues)).toContain("  .dev.vars: REPOS.stable.approval: ");
    expect(formatIssues(issues)).toContain("  the repo-master agent: REPO_MASTER_SECRET: each secret must be whsec_");
    // a .dev.vars value replaces the [vars] one
    expect(validateStack(input({ tomlVars: { LOG_LEVEL: "loud" }, vars: webhook({ LOG_LEVEL: "debug" }) })).map((i) => i.path)).not.toContain("LOG_LEVEL");
  });

  it("blames the .dev.vars file for a missing variable, and never the prototype", () => {
    const issues = validateStack(input({ vars: { REPOS: webhook().REPOS, constructor: "x" } }));
    expect(issues[0]).toMatchObject({ where: ".dev.vars", path: "BUILD_WEBHOOK_SECRETS" });
  });
});
