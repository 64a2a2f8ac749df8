/** Which repos go to flat-manager, how a coordinator job id finds its repo, and the REPOS rules. */
import { describe, expect, it } from "vitest";
import { RepoPolicy } from "../../lib/config.js";
import { flatManagerTarget, repoOfJobId } from "../../workers/publish/flat-manager-config.js";

const REPOS = {
  stable: { approval: "required", backend: "flat-manager", flat_manager_url: "https://hub.example.org/", flat_manager_repo: "main" },
  "stable-beta": { approval: "auto", backend: "flat-manager", flat_manager_url: "https://hub.example.org" },
  agent: { approval: "auto" },
};

describe("flat-manager configuration", () => {
  it("needs flat_manager_url for the flat-manager backend; agent stays the default", () => {
    expect(RepoPolicy.safeParse({ approval: "auto", backend: "flat-manager" }).error?.issues[0]).toMatchObject({ path: ["flat_manager_url"], message: 'backend "flat-manager" needs flat_manager_url' });
    expect(RepoPolicy.parse({ approval: "auto" }).backend).toBe("agent");
  });

  it("resolves the target: repo name, origin URL for the summary, token before secret", () => {
    const env = { REPOS: JSON.stringify(REPOS), FLAT_MANAGER_TOKEN: "tok", FLAT_MANAGER_SECRET: "c2VjcmV0" };
    expect(flatManagerTarget(env, "stable")).toEqual({ ok: true, target: { repo: "stable", fmRepo: "main", baseUrl: "https://hub.example.org", repoUrl: "https://hub.example.org/repo/main", credential: { kind: "token", token: "tok" } } });
    expect(flatManagerTarget(env, "agent")).toBeUndefined();
    expect(flatManagerTarget({ REPOS: JSON.stringify(REPOS) }, "stable")).toMatchObject({ ok: false, message: expect.stringContaining("neither FLAT_MANAGER_TOKEN nor FLAT_MANAGER_SECRET") });
    // without REPOS every repo is the agent's, as before
    expect(flatManagerTarget({}, "stable")).toBeUndefined();
  });

  it("finds a job's repo by the longest name, so stable and stable-beta stay apart", () => {
    const env = { REPOS: JSON.stringify(REPOS) };
    expect(repoOfJobId(env, "stable-publish-3-ab12cd34")).toBe("stable");
    expect(repoOfJobId(env, "stable-beta-update-7-ab12cd34")).toBe("stable-beta");
    expect(repoOfJobId(env, "agent-publish-1-x")).toBe("agent");
    expect(repoOfJobId(env, "other-publish-1-x")).toBeUndefined();
  });
});
