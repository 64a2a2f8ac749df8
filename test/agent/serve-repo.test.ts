/** The static-file resolver on its own: nothing outside the repo is reachable, whatever the path. */
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveRepoFile } from "../../repo-master/serve-repo.js";
import { tempDir } from "./helpers.js";

let dir: string;
let root: string;
beforeAll(async () => {
  dir = await tempDir("fg-serve-");
  root = path.join(dir, "repo");
  await mkdir(path.join(root, "refs", "heads"), { recursive: true });
  await writeFile(path.join(root, "summary"), "S");
  await writeFile(path.join(dir, "secret"), "do not serve");
  await symlink(path.join(dir, "secret"), path.join(root, "escape"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("resolveRepoFile", () => {
  it("finds a file with its size", async () => {
    expect(await resolveRepoFile(root, "summary")).toMatchObject({ found: true, size: 1 });
  });

  it.each(["../secret", "refs/../../secret", "%2e%2e/secret", "..%2fsecret", "escape", "refs", "refs/heads", "", ".lock", "a%00b", "%E0%A4%A"])(
    "refuses %j",
    async (p) => {
      expect(await resolveRepoFile(root, p)).toEqual({ found: false });
    },
  );
});
