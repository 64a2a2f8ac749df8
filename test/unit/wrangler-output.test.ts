/** scripts/wrangler-dev.ts `quieter`: wrangler dev's lines that are doubled or wrong in our setup. */
import { describe, expect, it } from "vitest";
import { quieter } from "../../scripts/wrangler-dev.js";

describe("quieter", () => {
  it("drops the proxy's request line: the worker logs each request once itself", () => {
    expect(quieter("[wrangler:info] GET /healthz 200 OK (540ms)")).toBeUndefined();
    expect(quieter("[wrangler:info] POST /v1/builds 202 Accepted (12ms)")).toBeUndefined();
    expect(quieter("[wrangler:info] Ready on http://127.0.0.1:8787")).toBe("[wrangler:info] Ready on http://127.0.0.1:8787");
  });

  it("drops the types warning wrangler gives for every internal worker", () => {
    expect(quieter("❓ Your types might be out of date. Re-run `wrangler types` to ensure your types are correct.")).toBeUndefined();
  });

  it("says our own workers are in the same wrangler dev instead of [not connected]", () => {
    expect(quieter("env.PUBLISH (flatgate-publish)                    Worker                    local [not connected]")).toBe(
      "env.PUBLISH (flatgate-publish)                    Worker                    local (same wrangler dev)",
    );
    expect(quieter("Service bindings, Durable Object bindings, and Tail consumers connect to other Wrangler or Vite dev processes running locally")).toBeUndefined();
    // a binding to something else that is not running is still reported
    expect(quieter("env.OTHER (someone-else)                    Worker                    local [not connected]")).toContain("[not connected]");
  });

  it("keeps the worker's own lines and wrangler's errors", () => {
    const line = '{"time":"2026-12-04T18:00:00.000Z","level":"info","msg":"request","method":"GET","path":"/v1/repos/stable","status":200,"ms":3}';
    expect(quieter(line)).toBe(line);
    expect(quieter("✘ [ERROR] Build failed with 1 error:")).toBe("✘ [ERROR] Build failed with 1 error:");
  });
});
