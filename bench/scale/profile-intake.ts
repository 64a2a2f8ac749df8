/**
 * Where the intake's CPU goes: a V8 CPU profile of the pipeline's isolate (the webhook worker
 * and the Durable Objects it hosts) over a batch of POST /v1/builds, taken through wrangler's
 * inspector proxy (Chrome DevTools protocol). Time in native calls (SQLite, WebCrypto, RPC) is
 * charged to the JS function that made them, so `exec` is SQL and `verify` is HMAC.
 * Sampling makes the requests slower; the profile says where, not how much in absolute terms.
 */
import { WebSocket } from "undici";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  fn: string;
  ms: number;
  share: number;
}

export interface IntakeProfile {
  /** the raw CDP profile, for a closer look (not written to the results JSON) */
  raw?: Profile;
  total_ms: number;
  /** JS-visible time (not idle, program or GC) */
  busy_ms: number;
  self: ProfileEntry[];
  inclusive: ProfileEntry[];
  /** time in native calls that matter (SQL, RPC, crypto), split by the JS function that made them */
  native_callers: ProfileEntry[];
}

class Cdp {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener("message", (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result);
    });
  }

  static async connect(inspectorPort: number): Promise<Cdp> {
    const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { webSocketDebuggerUrl: string }[];
    const url = targets[0]?.webSocketDebuggerUrl;
    if (!url) throw new Error("wrangler's inspector lists no target");
    // wrangler's inspector proxy refuses an upgrade without an Origin (it allows local ones)
    const ws = new WebSocket(url, { headers: { origin: "http://127.0.0.1" } });
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve());
      ws.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)));
    });
    return new Cdp(ws);
  }

  send<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** wrangler's proxy may drop what arrives before it has attached to the runtime: ask until it answers */
  async ready(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.send("Runtime.enable", {}, 2_000);
        return;
      } catch (e) {
        if (attempt >= 5) throw e;
      }
    }
  }

  close(): void {
    this.ws.close();
  }
}

const keyOf = (f: CallFrame) => {
  const file = f.url.split("/").pop() ?? "";
  return `${f.functionName || "(anonymous)"} ${file}${file ? `:${f.lineNumber + 1}` : ""}`;
};

/** Self and inclusive time per function (a recursive function counts once per sample). */
export function summarizeProfile(p: Profile, top = 25): IntakeProfile {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  let busy = 0;
  p.samples.forEach((id, i) => {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const leaf = byId.get(id);
    if (!leaf) return;
    const leafKey = keyOf(leaf.callFrame);
    self.set(leafKey, (self.get(leafKey) ?? 0) + dt);
    if (!["(idle)", "(program)", "(garbage collector)"].includes(leaf.callFrame.functionName)) busy += dt;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = keyOf(byId.get(at)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  });
  // a native leaf (no url) is charged to its caller: "exec ← put build-store.js:12"
  const callers = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.url || leaf.callFrame.functionName.startsWith("(")) return;
    let at = parent.get(id);
    const chain: string[] = [];
    while (at !== undefined && chain.length < 2) {
      const f = byId.get(at)!.callFrame;
      if (f.url && f.functionName && f.functionName !== "(anonymous)") chain.push(keyOf(f));
      at = parent.get(at);
    }
    const k = `${leaf.callFrame.functionName} ← ${chain.join(" ← ") || "?"}`;
    callers.set(k, (callers.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  const list = (m: Map<string, number>, denom: number) =>
    [...m].filter(([k]) => !k.startsWith("(root)")).sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, ms]) => ({ fn, ms, share: ms / denom }));
  return { raw: p, total_ms: total, busy_ms: busy, self: list(self, total), inclusive: list(incl, busy), native_callers: list(callers, busy) };
}

/** Profiles the pipeline's isolate while `work` runs. */
export async function profileWhile(inspectorPort: number, work: () => Promise<void>): Promise<IntakeProfile> {
  const cdp = await Cdp.connect(inspectorPort);
  try {
    await cdp.ready();
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
    await work();
    const { profile } = await cdp.send<{ profile: Profile }>("Profiler.stop", {}, 60_000);
    return summarizeProfile(profile);
  } finally {
    cdp.close();
  }
}
