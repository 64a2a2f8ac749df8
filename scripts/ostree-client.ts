/**
 * The proof a user would trust: a fresh OSTree client repo that knows only the repo's public
 * key (downloaded from its gpg_key_url), requires a signed summary (gpg-verify-summary=true)
 * and signed commits (gpg-verify=true), reads the summary and pulls the ref.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runCommand } from "../repo-master/run-command.js";

export interface ClientCheck {
  /** `ostree remote summary` output (the refs, then the GPG verification) */
  summaryText: string;
  /** the signer named by "Good signature from …" in the summary check */
  signer: string;
  /** the commit the signed summary lists for the ref */
  summaryCommit: string | undefined;
  /** the commit the client has after `ostree pull` (commit signature verified) */
  pulledCommit: string;
  clientRepo: string;
}

export async function verifyWithOstreeClient(opts: { dir: string; publicUrl: string; gpgKeyUrl: string; ref: string }): Promise<ClientCheck> {
  await mkdir(opts.dir, { recursive: true });
  const keyPath = path.join(opts.dir, "key.gpg");
  const key = await fetch(opts.gpgKeyUrl);
  if (!key.ok) throw new Error(`GET ${opts.gpgKeyUrl} answered ${key.status}`);
  await writeFile(keyPath, new Uint8Array(await key.arrayBuffer()));

  const repo = path.join(opts.dir, "client");
  await must("ostree", ["init", `--repo=${repo}`, "--mode=archive"]);
  await must("ostree", [`--repo=${repo}`, "remote", "add", "--set=gpg-verify-summary=true", "--set=gpg-verify=true", `--gpg-import=${keyPath}`, "demo", opts.publicUrl]);

  const summaryText = await must("ostree", [`--repo=${repo}`, "remote", "summary", "demo"]);
  const signer = /Good signature from "([^"]+)"/.exec(summaryText)?.[1];
  if (!signer) throw new Error(`the summary of ${opts.publicUrl} has no good signature:\n${summaryText}`);
  const summaryCommit = commitInSummary(summaryText, opts.ref);

  await must("ostree", [`--repo=${repo}`, "pull", "demo", opts.ref]);
  const pulledCommit = (await must("ostree", [`--repo=${repo}`, "rev-parse", `demo:${opts.ref}`])).trim();
  return { summaryText, signer, summaryCommit, pulledCommit, clientRepo: repo };
}

/**
 * `* <ref>` (or `* (<collection id>, <ref>)` in a repo with a collection id), then within the
 * next lines `Latest Commit …:` and the 64-hex checksum.
 */
function commitInSummary(text: string, ref: string): string | undefined {
  const lines = text.split("\n");
  const heading = (l: string) => {
    const m = /^\*\s+(?:\(([^,]+),\s*(.+)\)|(\S+))\s*$/.exec(l.trim());
    return m ? (m[2] ?? m[3]) : undefined;
  };
  const at = lines.findIndex((l) => heading(l) === ref);
  if (at < 0) return undefined;
  for (const l of lines.slice(at + 1, at + 6)) {
    const m = /\b([0-9a-f]{64})\b/.exec(l);
    if (m) return m[1];
  }
  return undefined;
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await runCommand(cmd, args, { timeoutMs: 60_000 });
  if (!r.ok) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}
