/**
 * Runs inside workerd (through Miniflare, see ../intake-workerd.ts). `POST /` hands it the signed
 * bench event; `GET /?variant=<name>&n=<count>` runs one intake variant `n` times. A Worker's
 * clock stands still while it computes, so the host times each request from outside.
 */
import { z } from "zod";
import { BuildEvent } from "../../lib/build-event.js";
import { secretBytes, verify, type VerifyInput } from "../../lib/standard-webhooks.js";
import { importVerifyKey, verifyCachedKeys, verifyNodeCrypto } from "../verify-variants.js";

const Setup = z.object({
  one: z.array(z.string()),
  two: z.array(z.string()),
  input: z.object({ id: z.string(), timestamp: z.string(), signature: z.string(), body: z.string() }),
  now: z.number(),
});

interface Prepared {
  run: Record<string, () => Promise<boolean> | boolean>;
}

let prepared: Prepared | undefined;

async function prepare(raw: unknown): Promise<Prepared> {
  const { one, two, input, now } = Setup.parse(raw);
  const v: VerifyInput = input;
  const oneBytes = one.map(secretBytes);
  const twoBytes = two.map(secretBytes);
  const oneKeys = await Promise.all(one.map(importVerifyKey));
  const parse = () => BuildEvent.safeParse(JSON.parse(v.body)).success;
  return {
    run: {
      noop: () => true,
      web1: async () => (await verify(one, v, now)).ok,
      web2: async () => (await verify(two, v, now)).ok,
      cached1: () => verifyCachedKeys(oneKeys, v, now),
      node1: () => verifyNodeCrypto(oneBytes, v, now),
      node2: () => verifyNodeCrypto(twoBytes, v, now),
      parse,
      path1: async () => (await verify(one, v, now)).ok && parse(),
    },
  };
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method === "POST") {
      prepared = await prepare(await request.json());
      return new Response("ready");
    }
    const url = new URL(request.url);
    const fn = prepared?.run[url.searchParams.get("variant") ?? ""];
    if (!fn) return new Response("unknown variant, or not prepared", { status: 400 });
    const n = Number(url.searchParams.get("n") ?? "1");
    let accepted = 0;
    for (let i = 0; i < n; i++) if (await fn()) accepted++;
    return new Response(String(accepted));
  },
};
