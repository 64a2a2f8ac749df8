import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiClient } from "../../cli/api-client.js";
import { CliError, EXIT } from "../../cli/exit-codes.js";
import { table } from "../../cli/output.js";

/** A scripted server at the network edge: each call takes the next reply. */
function scripted(replies: (Response | Error)[]) {
  const seen: { url: string; headers: Headers }[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    seen.push({ url: String(input), headers: new Headers(init?.headers) });
    const next = replies.shift();
    if (!next) throw new Error("no more replies");
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetchImpl, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const Ok = z.object({ ok: z.literal(true) });

async function failure(p: Promise<unknown>): Promise<CliError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof CliError)) throw new Error(`expected a CliError, got ${String(e)}`);
  return e;
}

describe("ApiClient", () => {
  it("retries network errors and 5xx within the budget, honouring Retry-After, then answers", async () => {
    const { fetchImpl, seen } = scripted([new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) }), json(503, { error: { code: "internal_error", message: "deploying" } }, { "retry-after": "7" }), json(200, { ok: true })]);
    const waits: number[] = [];
    const notices: string[] = [];
    const client = new ApiClient({ baseUrl: "http://fg.test/prefix/", token: "t", fetch: fetchImpl, sleep: async (ms) => void waits.push(ms), notice: (l) => notices.push(l) });
    const a = await client.call({ path: "/v1/repos", schema: Ok, retryForMs: 60_000 });
    expect(a).toEqual({ status: 200, data: { ok: true } });
    expect(seen.map((s) => s.url)).toEqual(Array(3).fill("http://fg.test/prefix/v1/repos"));
    expect(seen[0]!.headers.get("authorization")).toBe("Bearer t");
    expect(waits[1]).toBe(7_000);
    expect(notices[0]).toMatch(/unreachable \(ECONNREFUSED\); retrying in/);
    expect(notices[1]).toBe("GET /v1/repos answered 503 internal_error: deploying; retrying in 7 s");
  });

  it("never retries a 4xx: the server's code and message become exit 1", async () => {
    const { fetchImpl, seen } = scripted([json(409, { error: { code: "invalid_transition", message: "cannot approve a live build", state: "live" } })]);
    const client = new ApiClient({ baseUrl: "http://fg.test", fetch: fetchImpl, sleep: async () => {} });
    const e = await failure(client.call({ method: "POST", path: "/v1/x", body: "{}", schema: Ok, retryForMs: 60_000 }));
    expect(e.exitCode).toBe(EXIT.refused);
    expect(e.message).toBe("POST /v1/x answered 409 invalid_transition: cannot approve a live build (state live)");
    expect(seen).toHaveLength(1);
  });

  it("gives up with exit 3 once the budget is spent, and on an answer of the wrong shape", async () => {
    let now = 0;
    const { fetchImpl } = scripted([json(502, "bad gateway"), json(502, "bad gateway"), json(502, "bad gateway")]);
    const client = new ApiClient({ baseUrl: "http://fg.test", fetch: fetchImpl, now: () => now, sleep: async (ms) => void (now += ms) });
    const e = await failure(client.call({ path: "/v1/repos", schema: Ok, retryForMs: 2_500 }));
    expect(e.exitCode).toBe(EXIT.unavailable);
    expect(e.message).toMatch(/^GET \/v1\/repos answered 502 http_502: .*gave up after \d attempts\)$/);

    const shape = new ApiClient({ baseUrl: "http://fg.test", fetch: scripted([json(200, { repos: "nope" })]).fetchImpl });
    const s = await failure(shape.call({ path: "/v1/repos", schema: Ok }));
    expect(s.exitCode).toBe(EXIT.unavailable);
    expect(s.message).toMatch(/unexpected body \(ok: .*\); is http:\/\/fg.test a Flatgate pipeline\?/);
  });
});

describe("table", () => {
  it("aligns columns, shows missing values as -, and keeps one row per line", () => {
    expect(table([{ key: "a/b/1", state: "live", reason: undefined }, { key: "a/b/22", state: "failed", reason: "two\nlines" }], ["key", "state", "reason"])).toBe(
      "KEY     STATE   REASON\na/b/1   live    -\na/b/22  failed  two lines\n",
    );
    expect(table([], ["key"], "(no builds)")).toBe("(no builds)\n");
  });
});
