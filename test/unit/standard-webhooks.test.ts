import { describe, expect, it } from "vitest";
import { generateSecret, isValidSecret, sign, signedHeaders, verify } from "../../lib/standard-webhooks.js";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("Standard Webhooks", () => {
  it("matches the spec's reference signature", async () => {
    // test vector from standard-webhooks/libraries (javascript/src/index.test.ts)
    const sig = await sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(sig).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("verifies its own headers, with rotation, and refuses tampering", async () => {
    const now = Date.now();
    const h = await signedHeaders(secret, "body", { now });
    const input = { id: h["webhook-id"], timestamp: h["webhook-timestamp"], signature: h["webhook-signature"], body: "body" };
    expect((await verify([secret], input, now)).ok).toBe(true);
    expect((await verify([generateSecret(), secret], input, now)).ok).toBe(true);
    expect(await verify([secret], { ...input, body: "body!" }, now)).toEqual({ ok: false, error: "invalid_signature" });
    expect(await verify([secret], { ...input, id: "other" }, now)).toEqual({ ok: false, error: "invalid_signature" });
    expect(await verify([secret], input, now + 301_000)).toEqual({ ok: false, error: "stale_timestamp" });
    expect(await verify([secret], { ...input, signature: null }, now)).toEqual({ ok: false, error: "missing_signature" });
  });

  it("validates secrets", () => {
    expect(isValidSecret(generateSecret())).toBe(true);
    expect(isValidSecret("whsec_short")).toBe(false);
    expect(isValidSecret("not-prefixed")).toBe(false);
  });
});
