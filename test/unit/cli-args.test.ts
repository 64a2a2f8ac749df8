import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../cli/args.js";
import { parseBuildRef } from "../../cli/build-ref.js";
import { eventFromFlags } from "../../cli/event-from-flags.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const COMMIT = "a".repeat(64);

describe("parseCommandLine", () => {
  it("parses a command's flags and positionals", () => {
    const r = parseCommandLine(["reject", "stable/org.x.App/1", "--reason", "broken", "--json"]);
    expect(r).toEqual({ ok: true, value: { kind: "run", command: "reject", positionals: ["stable/org.x.App/1"], values: { reason: "broken", json: true } } });
  });

  it("refuses unknown commands, unknown flags and a wrong number of arguments", () => {
    expect(parseCommandLine(["deploy"])).toEqual({ ok: false, error: 'unknown command "deploy"' });
    const flag = parseCommandLine(["status", "--verbose"]);
    expect(flag.ok || flag.error).toMatch(/status: Unknown option '--verbose'/);
    expect(parseCommandLine(["approve"])).toEqual({ ok: false, error: "approve: expected 1 argument, got 0" });
    expect(parseCommandLine(["status", "a", "b", "c", "d"])).toMatchObject({ ok: false, error: expect.stringMatching(/expected 0 to 3 arguments, got 4/) });
  });

  it("answers help for no command, help COMMAND and --help", () => {
    expect(parseCommandLine([])).toEqual({ ok: true, value: { kind: "help" } });
    expect(parseCommandLine(["help", "watch"])).toEqual({ ok: true, value: { kind: "help", command: "watch" } });
    expect(parseCommandLine(["sign", "--help"])).toEqual({ ok: true, value: { kind: "help", command: "sign" } });
  });

  it("takes --artifact-ref more than once", () => {
    const r = parseCommandLine(["notify-build", "--artifact-ref", "a=1", "--artifact-ref", "b=2"]);
    expect(r.ok && r.value.kind === "run" && r.value.values["artifact-ref"]).toEqual(["a=1", "b=2"]);
  });
});

describe("parseBuildRef", () => {
  it("reads a key, a public status page URL and an operator status URL", () => {
    expect(parseBuildRef("stable/org.x.App/12")).toEqual({ ok: true, value: { repo: "stable", appId: "org.x.App", buildId: "12" } });
    expect(parseBuildRef("https://fg.example.org/status/beta/org.x.App/b-1")).toEqual({ ok: true, value: { repo: "beta", appId: "org.x.App", buildId: "b-1", origin: "https://fg.example.org" } });
    expect(parseBuildRef("http://127.0.0.1:8787/v1/repos/stable/apps/org.x.App/builds/7")).toEqual({
      ok: true,
      value: { repo: "stable", appId: "org.x.App", buildId: "7", origin: "http://127.0.0.1:8787" },
    });
  });

  it("names what is wrong", () => {
    expect(parseBuildRef("stable/org.x.App")).toMatchObject({ ok: false, error: expect.stringMatching(/not a build key/) });
    expect(parseBuildRef("stable/notreverse/1")).toMatchObject({ ok: false, error: expect.stringMatching(/^app_id "notreverse"/) });
    expect(parseBuildRef("https://x.example/v1/repos/stable")).toMatchObject({ ok: false, error: expect.stringMatching(/not a build status URL/) });
  });
});

describe("eventFromFlags", () => {
  const none = () => undefined;
  const flags = {
    repo: "stable",
    "app-id": "org.x.App",
    branch: "stable",
    "build-id": "9",
    "source-owner": "flathub",
    "source-name": "org.x.App",
    "source-sha": SHA,
    "source-ref": "refs/heads/master",
    "triggered-by": "octocat",
    "artifact-url": "https://builds.example.org/9/repo",
    "artifact-ref": [`app/org.x.App/x86_64/stable=${COMMIT}`],
  };

  it("builds the event from one flag per field, status success by default", () => {
    const r = eventFromFlags(flags, {}, none);
    expect(r).toEqual({
      ok: true,
      value: {
        repo: "stable",
        app_id: "org.x.App",
        branch: "stable",
        build_id: "9",
        status: "success",
        source: { owner: "flathub", name: "org.x.App", sha: SHA, ref: "refs/heads/master", triggered_by: "octocat" },
        artifact: { url: "https://builds.example.org/9/repo", refs: { "app/org.x.App/x86_64/stable": COMMIT } },
      },
    });
  });

  it("fills the source, build id and log URL from a GitHub Actions run", () => {
    const env = { GITHUB_REPOSITORY: "flathub/org.x.App", GITHUB_SHA: SHA, GITHUB_REF: "refs/heads/master", GITHUB_ACTOR: "octocat", GITHUB_RUN_ID: "42", GITHUB_RUN_ATTEMPT: "2", GITHUB_SERVER_URL: "https://github.com" };
    const r = eventFromFlags({ repo: "stable", "app-id": "org.x.App", branch: "stable", "artifact-url": "https://b/9", "artifact-ref": [`app/org.x.App/x86_64/stable=${COMMIT}`] }, env, none);
    expect(r.ok && r.value).toMatchObject({ build_id: "42.2", source: { owner: "flathub", name: "org.x.App", sha: SHA }, build_log_url: "https://github.com/flathub/org.x.App/actions/runs/42" });
  });

  it("names the flag of every missing or bad field", () => {
    const r = eventFromFlags({ ...flags, "source-sha": "abc", "build-id": undefined }, {}, none);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/--build-id: is required/);
    expect(!r.ok && r.error).toMatch(/--source-sha: must be a 40-hex git commit sha/);
  });

  it("reads --from-json and refuses it combined with field flags", () => {
    const file = JSON.stringify({ repo: "beta", app_id: "org.x.App", branch: "beta", build_id: "1", status: "failure", source: { owner: "o", name: "n", sha: SHA, ref: "refs/heads/x", triggered_by: "u" } });
    expect(eventFromFlags({ "from-json": "ev.json" }, {}, (f) => (f === "ev.json" ? file : undefined))).toMatchObject({ ok: true, value: { repo: "beta", status: "failure" } });
    expect(eventFromFlags({ "from-json": "ev.json", repo: "stable" }, {}, () => file)).toMatchObject({ ok: false, error: expect.stringMatching(/cannot be combined with --repo/) });
    expect(eventFromFlags({ "from-json": "gone.json" }, {}, none)).toMatchObject({ ok: false, error: expect.stringMatching(/does not exist/) });
  });
});
