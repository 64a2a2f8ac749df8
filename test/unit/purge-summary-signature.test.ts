/**
 * Real OSTree summaries signed with real GPG keys. Generated with ostree 2022.7 / gpg 2.2.40:
 *   ostree init --mode=archive; ostree commit -b app/org.x.App/x86_64/stable tree
 *   ostree summary -u --gpg-sign=<RSA-2048 key>                       -> A, then a new commit -> B
 *   ostree summary -u --gpg-sign=<RSA-2048 key> --gpg-sign=<ed25519>  -> C (two signatures)
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { gpgSignatures, signaturePairing } from "../../lib/purge/summary-signature.js";
import { sha256Hex, verifyEdge } from "../../lib/purge/verify-edge.js";

const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const A = {
  summary: b64("YXBwL29yZy54LkFwcC94ODZfNjQvc3RhYmxlAAAAAACOAAAAAAAAAEpp3LjbqRsS1AdwRP2ixDX/F3yriOFnQuct7f0WrfaGb3N0cmVlLmNvbW1pdC50aW1lc3RhbXAAAAAAAGsGtmwAdBgjKBxuAG9zdHJlZS5zdW1tYXJ5Lm1vZGUAAAAAAGFyY2hpdmUtejIAAHMUAABvc3RyZWUuc3VtbWFyeS5sYXN0LW1vZGlmaWVkAAAAAAAAAABrBrZtAHQdAAAAAABvc3RyZWUuc3VtbWFyeS50b21ic3RvbmUtY29tbWl0cwAAAAAAAAAAAABiIQAAAABvc3RyZWUuc3VtbWFyeS5pbmRleGVkLWRlbHRhcwAAAAEAYh4mU4SsbwA="),
  sig: b64("b3N0cmVlLmdwZ3NpZ3MAAIkBMwQAAQoAHRYhBJCrFOQ6WgkZs1ioAa22h3SKFetABQJrBrZtAAoJEK22h3SKFetAV/wIAKR5a9jQqJ9Q90fvqm2KxSskJgGB6tTSFsWtIEAU+sgaxgNixVuh2Ye3SloHyKqFOQm7kRdOBSn2GC1VqMliK6Jgo0amT7jQy3jP8irY3i0qqup+3kghxk7BJuXRZhjuH8FLwtTGKzDl7eiKr6LETovxkI70vvQBB7reMy1IluAKWlBm1aLLawmE/s/iN6SUthpjgtYiKNohaOkejuiZw0T9+Ry65tziMqHst5E7hzaElFqgs24SmjqY0EnfCJh0BUp71AG7kT86IvMhYJFJD6RM1Dm8sS23t0UeQkpcMSjcHH/50heB9HMDrnEQ7PMJ2PA9WRlRolecMMhS97rpLBo2AQBhYXkPAE4B"),
};
const B = {
  summary: b64("YXBwL29yZy54LkFwcC94ODZfNjQvc3RhYmxlAAAAAACuAAAAAAAAAPeZBV0RunsuKFRsCxbhK9auKHwhItWTl01jkGdUg7b0b3N0cmVlLmNvbW1pdC50aW1lc3RhbXAAAAAAAGsGtoEAdBgjKBxuAG9zdHJlZS5zdW1tYXJ5Lm1vZGUAAAAAAGFyY2hpdmUtejIAAHMUAABvc3RyZWUuc3VtbWFyeS5sYXN0LW1vZGlmaWVkAAAAAAAAAABrBraCAHQdAAAAAABvc3RyZWUuc3VtbWFyeS50b21ic3RvbmUtY29tbWl0cwAAAAAAAAAAAABiIQAAAABvc3RyZWUuc3VtbWFyeS5pbmRleGVkLWRlbHRhcwAAAAEAYh4mU4SsbwA="),
  sig: b64("b3N0cmVlLmdwZ3NpZ3MAAIkBMwQAAQoAHRYhBJCrFOQ6WgkZs1ioAa22h3SKFetABQJrBraCAAoJEK22h3SKFetAyGcIALx7aKPh4MZj5dc+97gWAI3623KL0+CbWuihor3QYJb37vvXfTIdizj5zh7SLa83w7iVPBg+Sc6ZGVDTgEmeBGTXUmCRs/4mwlzZM0iJBGXcky+rsorzTFU5Gx5VJQx/rd69By8uY6YIOa4IkG6F/TgwzIdk9jpQZgiqiUD9lBH4bs7+JGs4owGG6nfijiot8CEjGivM+Ek/h6gK/GHc3gE9pCmONNW8lgk45RoAEB4erhK/XMOJ413HyUugeldr/0LEKJJAnyKocNf3yJoFzaSf3mq0dc/Zh14HM35/vdvSz4xGfB1g9NUm+EEyx2wZhyoluInyR/EloYPzhAX6TDo2AQBhYXkPAE4B"),
};
const C = {
  summary: b64("YXBwL29yZy54LkFwcC94ODZfNjQvc3RhYmxlAAAAAACuAAAAAAAAAKEoBtbYShFLpDG320uT0tnvu3mVRZkDyqoMNj3Qun6bb3N0cmVlLmNvbW1pdC50aW1lc3RhbXAAAAAAAGsGtp4AdBgjKBxuAG9zdHJlZS5zdW1tYXJ5Lm1vZGUAAAAAAGFyY2hpdmUtejIAAHMUAABvc3RyZWUuc3VtbWFyeS5sYXN0LW1vZGlmaWVkAAAAAAAAAABrBraeAHQdAAAAAABvc3RyZWUuc3VtbWFyeS50b21ic3RvbmUtY29tbWl0cwAAAAAAAAAAAABiIQAAAABvc3RyZWUuc3VtbWFyeS5pbmRleGVkLWRlbHRhcwAAAAEAYh4mU4SsbwA="),
  sig: b64("b3N0cmVlLmdwZ3NpZ3MAAIkBMwQAAQoAHRYhBJCrFOQ6WgkZs1ioAa22h3SKFetABQJrBraeAAoJEK22h3SKFetA5vQH/iZRG0Il60pDfKF/Y1LbBy8heCCtYb/fD5kdtbsBmvXbxwnTLtKcR3pz1Z1ERZys9542azgKlRZzNZgS+KbI/0WKO2wQ6IDRN+EGd5aRL2mVPXsx6EwA9ruCBThNOZju2dxjBq+MisZm2RDt7/S4x+WyLpp5ECCY/ffJKsfYW+oUfwUjAnB5qZ5rSRsbWuALXr17PQVvbXrsh+COlGK5onthxOi/2G2ENdI7Ef8mrFmH9j0kjVtEBdBpKTLhiVfnXWPSCoQnCKCP6v9QSZVfi/2Ibt7BNYBCEiPWe29Rx8NQ1yEQeWEXD0foqSBwwRYGmMwUH+U15JNU9x6AYDEarEuIdQQAFggAHRYhBL3p1EDmwgxrP+2P92vV+TYHlvGEBQJrBraeAAoJEGvV+TYHlvGElL0BAOu5L9RiwPgcveNpuEO6SzATBSFk5ZfSMQBSitfAkWMxAQCU+3wlAU3rNV8W15W1e97RK+8ZS2SOWM6MMfR4ubKSCTYBrQEAYWF5DwDHAQ=="),
};

describe("signaturePairing", () => {
  it("finds the OpenPGP signatures inside summary.sig", () => {
    expect(gpgSignatures(A.sig)?.map((s) => s.length)).toEqual([310]);
    expect(gpgSignatures(C.sig)?.map((s) => s.length)).toEqual([310, 119]);
  });

  it("matches a summary with its own summary.sig (RSA, and RSA + ed25519)", async () => {
    expect(await signaturePairing(A.summary, A.sig)).toBe("match");
    expect(await signaturePairing(B.summary, B.sig)).toBe("match");
    expect(await signaturePairing(C.summary, C.sig)).toBe("match");
  });

  it("detects a summary.sig of another summary (the BAD signature pair)", async () => {
    expect(await signaturePairing(B.summary, A.sig)).toBe("mismatch");
    expect(await signaturePairing(A.summary, B.sig)).toBe("mismatch");
    expect(await signaturePairing(A.summary, C.sig)).toBe("mismatch");
  });

  it("cannot tell for something that is not a summary.sig", async () => {
    expect(await signaturePairing(A.summary, new Uint8Array())).toBe("unknown");
    expect(await signaturePairing(A.summary, new TextEncoder().encode("<html>504 Gateway Timeout</html>"))).toBe("unknown");
    const truncated = A.sig.slice(0, 200);
    expect(await signaturePairing(A.summary, truncated)).toBe("unknown");
  });
});

describe("verifyEdge with real signed summaries", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  /** A binary-capable stand-in for the CDN edge serving whatever `files` holds right now. */
  async function edge(files: Record<string, Uint8Array>): Promise<string> {
    server = createServer((req, res) => {
      const body = files[req.url ?? ""];
      if (!body) {
        res.writeHead(404).end("not found");
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.from(body));
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo`;
  }

  const deps = { sleep: async () => {}, now: () => 0 };
  const options = { rounds: 2, delayMs: 10, maxDelayMs: 10 };

  it("flags a fresh summary served with the old summary.sig, without knowing the expected signature", async () => {
    const files = { "/repo/summary": B.summary, "/repo/summary.sig": A.sig };
    const url = await edge(files);
    const report = await verifyEdge({ publicUrl: url, expected: { summary: await sha256Hex(B.summary) }, startedAt: 0, repurge: async () => {}, options, deps });
    expect(report).toMatchObject({ ok: false, signature_mismatch: true, signature_check: "openpgp", attempts: 2, ms_until_fresh: 0 });
    expect(report.error).toMatch(/summary.sig that does not belong to its summary/);
  });

  it("accepts a matching pair once the re-purge brings the new summary.sig", async () => {
    const files: Record<string, Uint8Array> = { "/repo/summary": B.summary, "/repo/summary.sig": A.sig };
    const url = await edge(files);
    let repurges = 0;
    const report = await verifyEdge({
      publicUrl: url,
      expected: { summary: await sha256Hex(B.summary) },
      startedAt: 0,
      repurge: async () => {
        repurges++;
        files["/repo/summary.sig"] = B.sig;
      },
      options,
      deps,
    });
    expect(repurges).toBe(1);
    expect(report).toMatchObject({ ok: true, signature_mismatch: false, signature_check: "openpgp", attempts: 2, summary_sig_sha256_edge: await sha256Hex(B.sig) });
  });
});
