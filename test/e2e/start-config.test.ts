/**
 * `npm start` refuses a bad configuration before it starts anything (issue 10 item 11): the
 * real startLocalStack with the committed examples and one bad value per worker.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack } from "../../scripts/local-stack.js";
import { assertPortFree, freePorts } from "../../scripts/wrangler-dev.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "fg-cfg-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("npm start's configuration check", () => {
  it("names the variable and field of every bad value, and starts nothing", async () => {
    const [port, agentPort] = await freePorts(2);
    const stateDir = path.join(dir, "state");
    const logs: string[] = [];
    const start = startLocalStack({
      port: port!,
      agentPort: agentPort!,
      stateDir,
      persistTo: path.join(dir, "wrangler-state"),
      vars: "examples",
      varsOverride: {
        webhook: { REPOS: JSON.stringify({ stable: { approval: "manual" } }), BUILD_WEBHOOK_SECRETS: "dev-secret-without-prefix" },
        purge: { FASTLY_PURGE_MODE: "everything" },
      },
      log: (line) => logs.push(line),
    });
    const error: Error = await start.then(
      () => {
        throw new Error("the stack started");
      },
      (e: Error) => e,
    );
    expect(error.message).toContain("invalid configuration, nothing was started");
    expect(error.message).toContain(".dev.vars.example: REPOS.stable.approval: ");
    expect(error.message).toMatch(/BUILD_WEBHOOK_SECRETS\.0: each secret must be whsec_/);
    expect(error.message).toContain("workers/purge/.dev.vars.example: FASTLY_PURGE_MODE: ");
    // nothing started, nothing written
    expect(existsSync(stateDir)).toBe(false);
    await assertPortFree(port!, "PORT");
    await assertPortFree(agentPort!, "AGENT_PORT");
    expect(logs.filter((l) => l.includes("[wrangler]") || l.includes("[agent]"))).toEqual([]);
  });
});
