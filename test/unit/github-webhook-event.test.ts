import { describe, expect, it } from "vitest";
import { verifyAndParse, type WebhookInput } from "../../lib/github/webhook-event.js";
import { examplePayload, ourCheckRunPayload, signGitHubBody } from "../fixtures/github-app.js";

const SECRET = "It's a Secret to Everybody";
const APP_ID = 31337;
const BUILD_KEY = "stable/org.example.App/build-42";
const DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958";

async function delivery(event: string, payload: unknown, opts: { secret?: string; signature?: string | null; deliveryId?: string | null } = {}): Promise<WebhookInput> {
  const body = JSON.stringify(payload);
  return {
    secret: SECRET,
    body,
    signatureHeader: opts.signature === undefined ? await signGitHubBody(opts.secret ?? SECRET, body) : opts.signature,
    event,
    deliveryId: opts.deliveryId === undefined ? DELIVERY : opts.deliveryId,
    ourAppId: APP_ID,
  };
}

const button = (identifier: string, sender = "bob") => ourCheckRunPayload("requested_action", { appId: APP_ID, buildKey: BUILD_KEY, identifier, sender });

describe("verifyAndParse", () => {
  it("signs and verifies GitHub's documented example (sanity check of the signer)", async () => {
    // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!"
    expect(await signGitHubBody(SECRET, "Hello, World!")).toBe("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  });

  it("turns a real requested_action payload (Publish) into an approve intent", async () => {
    const intent = await verifyAndParse(await delivery("check_run", button("publish")));
    expect(intent).toEqual({
      kind: "action",
      action: "approve",
      via: "requested_action",
      deliveryId: DELIVERY,
      buildKey: BUILD_KEY,
      sender: { login: "bob" },
      owner: "electron",
      repo: "electron",
      installationId: 690857,
      checkRunId: 1494503112,
      headSha: "5bd5f196a46b8222fb7484f05faba41a73cf34bd",
    });
  });

  it("maps reject and retry buttons", async () => {
    expect(await verifyAndParse(await delivery("check_run", button("reject")))).toMatchObject({ kind: "action", action: "reject" });
    expect(await verifyAndParse(await delivery("check_run", button("retry")))).toMatchObject({ kind: "action", action: "retry" });
  });

  it("treats check_run.rerequested (Re-run) as retry", async () => {
    const payload = ourCheckRunPayload("rerequested", { appId: APP_ID, buildKey: BUILD_KEY });
    expect(await verifyAndParse(await delivery("check_run", payload))).toEqual({
      kind: "action",
      action: "retry",
      via: "rerequested",
      deliveryId: DELIVERY,
      buildKey: BUILD_KEY,
      sender: { login: "octocat" },
      owner: "github",
      repo: "hello-world",
      installationId: 1,
      checkRunId: expect.any(Number),
      headSha: expect.any(String),
    });
  });

  it("rejects a wrong secret", async () => {
    expect(await verifyAndParse(await delivery("check_run", button("publish"), { secret: "not the secret" }))).toEqual({
      kind: "invalid_signature",
      reason: "mismatch",
    });
  });

  it("rejects a missing or malformed signature header, before looking at the payload", async () => {
    const missing = await delivery("check_run", button("publish"), { signature: null });
    expect(await verifyAndParse(missing)).toEqual({ kind: "invalid_signature", reason: "missing" });
    const sha1 = await delivery("check_run", button("publish"), { signature: "sha1=7d38cdd689735b008b3c702edd92eea23791c5f6" });
    expect(await verifyAndParse(sha1)).toEqual({ kind: "invalid_signature", reason: "malformed" });
    // even an unparseable body is a signature failure first
    expect(await verifyAndParse({ ...missing, body: "not json" })).toEqual({ kind: "invalid_signature", reason: "missing" });
  });

  it("rejects a body changed after signing", async () => {
    const input = await delivery("check_run", button("reject"));
    const tampered = { ...input, body: input.body.replace('"identifier":"reject"', '"identifier":"publish"') };
    expect(tampered.body).not.toBe(input.body);
    expect(await verifyAndParse(tampered)).toEqual({ kind: "invalid_signature", reason: "mismatch" });
  });

  it("ignores check runs of other Apps", async () => {
    const payload = ourCheckRunPayload("requested_action", { appId: 25811, buildKey: BUILD_KEY, identifier: "publish" });
    const intent = await verifyAndParse(await delivery("check_run", payload));
    expect(intent).toMatchObject({ kind: "ignored", reason: expect.stringMatching(/belongs to App 25811/) });
  });

  it("ignores unknown events, unknown check_run actions and unknown button identifiers", async () => {
    const push = examplePayload("push");
    expect(await verifyAndParse(await delivery("push", push))).toMatchObject({ kind: "ignored", reason: "event push is not handled" });
    const created = ourCheckRunPayload("created", { appId: APP_ID, buildKey: BUILD_KEY });
    expect(await verifyAndParse(await delivery("check_run", created))).toMatchObject({ kind: "ignored", reason: "check_run action created is not handled" });
    expect(await verifyAndParse(await delivery("check_run", button("lgtm|26764")))).toMatchObject({ kind: "ignored" });
    expect(await verifyAndParse(await delivery("check_run", button("constructor")))).toMatchObject({ kind: "ignored" });
  });

  it("routes by the X-GitHub-Event header, not by the payload's shape", async () => {
    // a check_run payload delivered under another event name is not a button click
    expect(await verifyAndParse(await delivery("check_suite", button("publish")))).toMatchObject({ kind: "ignored" });
  });

  it("ignores our check runs without a Flatgate build key", async () => {
    const payload = ourCheckRunPayload("requested_action", { appId: APP_ID, buildKey: "", identifier: "publish" });
    expect(await verifyAndParse(await delivery("check_run", payload))).toMatchObject({ kind: "ignored", reason: expect.stringMatching(/no Flatgate build key/) });
  });

  it("answers ping", async () => {
    const ping = examplePayload("ping");
    expect(await verifyAndParse(await delivery("ping", ping))).toMatchObject({ kind: "ping", deliveryId: DELIVERY });
  });

  it("flags a signed action without a delivery id (nothing to dedupe on) and a signed non-JSON body", async () => {
    expect(await verifyAndParse(await delivery("check_run", button("publish"), { deliveryId: null }))).toEqual({
      kind: "invalid_payload",
      message: "missing X-GitHub-Delivery header",
    });
    const body = "payload=%7B%7D";
    const input: WebhookInput = { secret: SECRET, body, signatureHeader: await signGitHubBody(SECRET, body), event: "check_run", deliveryId: DELIVERY, ourAppId: APP_ID };
    expect(await verifyAndParse(input)).toMatchObject({ kind: "invalid_payload", message: expect.stringMatching(/application\/json/) });
  });

  it("reports a signed check_run payload missing required fields", async () => {
    const payload = button("publish");
    delete payload["sender"];
    expect(await verifyAndParse(await delivery("check_run", payload))).toMatchObject({ kind: "invalid_payload", message: expect.stringMatching(/sender/) });
  });
});
