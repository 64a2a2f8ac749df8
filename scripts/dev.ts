/**
 * `npm start`: the pipeline on http://127.0.0.1:8787 (PORT overrides; AGENT_PORT for the
 * repo-master agent, default 8790), until SIGINT/SIGTERM. Needs no TTY:
 * `npm start > stack.log 2>&1 &` works.
 */
import path from "node:path";
import { ROOT, startLocalStack, type LocalStack } from "./local-stack.js";
import { watchLauncher } from "./watch-launcher.js";

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    process.stderr.write(`${name} must be a port number, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

function banner(stack: LocalStack): string {
  const rel = (p: string) => path.relative(ROOT, p) || ".";
  const w = stack.vars.webhook;
  const p = stack.vars.purge;
  const github = Boolean(w.GITHUB_APP_ID && w.GITHUB_APP_PRIVATE_KEY && w.GITHUB_WEBHOOK_SECRET);
  const slack = Boolean((w.SLACK_BOT_TOKEN && w.SLACK_CHANNEL) || w.SLACK_WEBHOOK_URL);
  const cdn = [p.FASTLY_API_TOKEN && p.FASTLY_SERVICE_ID ? "Fastly" : "", p.CLOUDFLARE_API_TOKEN && p.CLOUDFLARE_ZONE_ID ? "Cloudflare" : ""].filter(Boolean);
  const repoLines = stack.repos.flatMap((r) => [
    `  ${r.name.padEnd(10)} ${r.public_url}   (approval: ${r.approval}, key ${r.gpg_key_url})`,
    `             flatpak remote-add --user --gpg-import=${rel(r.publicKeyPath)} flatgate-${r.name} ${r.public_url}`,
  ]);
  return [
    "",
    "Flatgate is running locally (development values only).",
    `  pipeline     ${stack.pipelineUrl}   (POST /v1/builds, GET /v1/repos/<repo>, operator API)`,
    `  repo master  ${stack.agentUrl}   (config ${rel(stack.agentConfigPath)}, state ${rel(path.join(stack.stateDir, "agent"))})`,
    "repositories (served read-only by the agent, signed with a development key):",
    ...repoLines,
    "secrets (development only):",
    `  operator token, build webhook secret, REPO_MASTER_SECRET: .dev.vars  (operator "${stack.secrets.operator.name}")`,
    "  workers/publish/.dev.vars, workers/purge/.dev.vars: the internal workers",
    `integrations: GitHub ${github ? "configured" : "not configured (approve with the operator API)"}, ` +
      `Slack ${slack ? "configured" : "not configured"}, CDN ${cdn.length ? cdn.join(" + ") : "not configured (purges are skipped)"}`,
    ...overrides(stack),
    "",
    "Run `npm run demo` in another terminal to push a build through. Ctrl-C (or SIGTERM) stops everything.",
    "",
  ].join("\n");
}

function overrides(stack: LocalStack): string[] {
  const lines = Object.entries(stack.overridden)
    .filter(([, names]) => names.length > 0)
    .map(([worker, names]) => `  ${worker}: ${names.join(", ")}`);
  if (lines.length === 0) return [];
  return [`this run's ports differ from the .dev.vars files; the workers get generated values (${path.relative(ROOT, path.join(stack.stateDir, "wrangler"))}/):`, ...lines];
}

async function main(): Promise<void> {
  const port = intEnv("PORT", 8787);
  const agentPort = intEnv("AGENT_PORT", 8790);
  let stack: LocalStack | undefined;
  let stopRequested: string | undefined;
  let stopping = false;
  const shutdown = (why: string) => {
    stopRequested ??= why;
    // a signal during startup is honoured as soon as the stack is up (wrangler is in its own
    // process group: dying now would leave it running)
    if (!stack || stopping) return;
    stopping = true;
    process.stderr.write(`[stack] ${why}: stopping\n`);
    stack.stop().then(
      () => {
        process.stderr.write("[stack] stopped\n");
        process.exit(0);
      },
      (e: unknown) => {
        process.stderr.write(`[stack] stop failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => shutdown(signal));
  watchLauncher(() => shutdown("npm exited"));

  stack = await startLocalStack({ port, agentPort, ...(process.env.FLATGATE_STATE_DIR ? { stateDir: process.env.FLATGATE_STATE_DIR } : {}) });
  if (stopRequested) return shutdown(stopRequested);
  process.stdout.write(`${banner(stack)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`\nnpm start failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
