/**
 * 1. The intake path per event, as `POST /v1/builds` runs it after reading the body: Standard
 * Webhooks `verify()` over the raw body, then `JSON.parse` and `BuildEvent.safeParse`.
 *
 * Side by side: our WebCrypto `verify()` (imports the key on every call; `crypto.subtle.verify`
 * compares) against the same checks with node:crypto `createHmac` + `timingSafeEqual`, and
 * against WebCrypto with the keys imported once. This is Node's WebCrypto, which hands every
 * operation to a thread pool; intake-workerd.ts measures the same variants in workerd, where
 * the code actually runs.
 */
import { BuildEvent } from "../lib/build-event.js";
import { secretBytes, verify } from "../lib/standard-webhooks.js";
import { signedEvent } from "./builders.js";
import { compare, ratio } from "./harness.js";
import { roundsOf, toRow, type Section } from "./report.js";
import { importVerifyKey, verifyCachedKeys, verifyNodeCrypto } from "./verify-variants.js";

export async function benchIntake(): Promise<Section> {
  const { one, two, input, now } = await signedEvent();
  const body = input.body;
  const oneBytes = one.map(secretBytes);
  const twoBytes = two.map(secretBytes);
  const oneKeys = await Promise.all(one.map(importVerifyKey));

  // every variant must accept the request, or we would be timing the reject path
  for (const r of [await verify(one, input, now), await verify(two, input, now)]) if (!r.ok) throw new Error(`verify refused the bench event: ${r.error}`);
  if (!verifyNodeCrypto(oneBytes, input, now) || !verifyNodeCrypto(twoBytes, input, now)) throw new Error("node:crypto verify refused the bench event");
  if (!(await verifyCachedKeys(oneKeys, input, now))) throw new Error("cached-key verify refused the bench event");
  const parsed = BuildEvent.safeParse(JSON.parse(body));
  if (!parsed.success) throw new Error(`bench event does not parse: ${parsed.error.message}`);

  const intake = async (secrets: readonly string[]) => {
    const r = await verify(secrets, input, now);
    return r.ok ? BuildEvent.safeParse(JSON.parse(body)) : r;
  };
  const v = await compare(
    {
      web1: { name: "verify WebCrypto, 1 secret", fn: () => verify(one, input, now) },
      web2: { name: "verify WebCrypto, 2 secrets", fn: () => verify(two, input, now) },
      cached1: { name: "verify WebCrypto key cached, 1 secret", fn: () => verifyCachedKeys(oneKeys, input, now) },
      node1: { name: "verify node:crypto, 1 secret", fn: () => verifyNodeCrypto(oneBytes, input, now) },
      node2: { name: "verify node:crypto, 2 secrets", fn: () => verifyNodeCrypto(twoBytes, input, now) },
      path1: { name: "intake: verify (1 secret) + parse", fn: () => intake(one) },
      path2: { name: "intake: verify (2 secrets) + parse", fn: () => intake(two) },
      parse: { name: "JSON.parse + BuildEvent.safeParse", fn: () => BuildEvent.safeParse(JSON.parse(body)) },
    },
    { latency: true },
  );

  const bodyBytes = Buffer.byteLength(body);
  return {
    id: "intake",
    title: `1. Intake per event in Node (body ${bodyBytes} B: app + Locale + Debug refs)`,
    rows: Object.values(v).map((r) => toRow(r)),
    ratios: [
      { name: "node:crypto / WebCrypto verify, 1 secret", value: ratio(v.node1, v.web1), meaning: "times faster node:crypto verifies (Node's WebCrypto)" },
      { name: "node:crypto / WebCrypto verify, 2 secrets", value: ratio(v.node2, v.web2), meaning: "same, during a secret rotation" },
      { name: "WebCrypto 1 secret / 2 secrets", value: ratio(v.web1, v.web2), meaning: "time with 2 secrets ÷ time with 1: the cost of a rotation" },
      { name: "WebCrypto key cached / imported per call", value: ratio(v.cached1, v.web1), meaning: "speed-up if the CryptoKey were imported once per isolate" },
      { name: "verify+parse / parse-only events/s", value: ratio(v.path1, v.parse), meaning: "share of the intake time spent in JSON.parse + zod" },
    ],
    data: { body_bytes: bodyBytes, rounds: roundsOf(v) },
  };
}
