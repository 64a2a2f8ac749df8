/**
 * Development and test fixtures with real tools: a signed OSTree repo with a throwaway GPG key
 * (ensureDevRepo) and a tiny real Flatpak app built without any SDK (makeTestBuild).
 * The key is for development only: no passphrase, kept next to the repo.
 */
import { chmod, mkdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { AgentConfig, type AgentConfigInput } from "./config.js";
import { buildUpdateRepo, initRepo, revParse } from "./ostree.js";
import { describeFailure, runCommand, type CommandResult } from "./run-command.js";

export interface DevRepoOptions {
  dir: string;
  repoName: string;
  collectionId?: string;
  /** port of the agent in the written config (default 0: any free port) */
  port?: number;
  pipelineUrl?: string;
}

export interface DevRepo {
  configPath: string;
  /** the signing key's fingerprint */
  keyId: string;
  repoPath: string;
  /** binary OpenPGP public key, for `--gpg-import` */
  publicKeyPath: string;
  gpgHomedir: string;
  /** the config as written, parsed (ready for startAgent) */
  config: AgentConfig;
}

const DEV_UID = "Flatgate development key (NOT FOR PRODUCTION) <dev@flatgate.invalid>";

/** Creates whatever is missing (key, repo, public key, signed summary, config); safe to call again. */
export async function ensureDevRepo(opts: DevRepoOptions): Promise<DevRepo> {
  const dir = path.resolve(opts.dir);
  const gpgHomedir = path.join(dir, "gnupg");
  const repoPath = path.join(dir, "repo");
  const publicKeyPath = path.join(dir, "key.gpg");
  const configPath = path.join(dir, "repo-master.json");
  await mkdir(gpgHomedir, { recursive: true });
  // gpg refuses (warns about) homedirs readable by others
  await chmod(gpgHomedir, 0o700);

  const keyId = (await findSecretKey(gpgHomedir)) ?? (await generateKey(gpgHomedir));
  if (!(await exists(path.join(repoPath, "config")))) {
    must(await initRepo(repoPath, opts.collectionId ? { collectionId: opts.collectionId } : {}));
  }
  must(await runCommand("gpg", ["--batch", "--yes", "--homedir", gpgHomedir, "--output", publicKeyPath, "--export", keyId]));
  if (!(await exists(path.join(repoPath, "summary")))) {
    must(await buildUpdateRepo({ repo: repoPath, signing: { keyIds: [keyId], homedir: gpgHomedir }, staticDeltas: false }));
  }

  const input: AgentConfigInput = {
    listen: { host: "127.0.0.1", port: opts.port ?? 0 },
    state_dir: path.join(dir, "state"),
    serve_repos: true,
    ...(opts.pipelineUrl ? { pipeline_url: opts.pipelineUrl } : {}),
    repos: {
      [opts.repoName]: {
        path: repoPath,
        ...(opts.collectionId ? { collection_id: opts.collectionId } : {}),
        gpg_key_ids: [keyId],
        gpg_homedir: gpgHomedir,
        public_key_file: publicKeyPath,
      },
    },
  };
  const config = AgentConfig.parse(input);
  await writeFile(configPath, `${JSON.stringify(input, null, 2)}\n`);
  return { configPath, keyId, repoPath, publicKeyPath, gpgHomedir, config };
}

/** Stops the gpg-agent a homedir started, so test runs do not leave daemons behind. */
export async function stopGpgAgent(gpgHomedir: string): Promise<void> {
  await runCommand("gpgconf", ["--homedir", gpgHomedir, "--kill", "gpg-agent"], { timeoutMs: 10_000 });
}

async function findSecretKey(homedir: string): Promise<string | undefined> {
  const r = await runCommand("gpg", ["--batch", "--homedir", homedir, "--with-colons", "--list-secret-keys"]);
  if (!r.ok) return undefined;
  // the first fpr line after a sec line is the primary key's fingerprint
  const lines = r.stdout.split("\n");
  const sec = lines.findIndex((l) => l.startsWith("sec:"));
  const fpr = lines.slice(sec + 1).find((l) => l.startsWith("fpr:"));
  return sec >= 0 ? fpr?.split(":")[9] : undefined;
}

async function generateKey(homedir: string): Promise<string> {
  must(
    await runCommand(
      "gpg",
      ["--batch", "--homedir", homedir, "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", DEV_UID, "ed25519", "sign", "never"],
      { timeoutMs: 120_000 },
    ),
  );
  const key = await findSecretKey(homedir);
  if (!key) throw new Error(`gpg generated no key in ${homedir}`);
  return key;
}

export interface TestBuildOptions {
  dir: string;
  appId: string;
  branch: string;
  /** must be the host's (flatpak build-export refuses others); default: flatpak --default-arch */
  arch?: string;
  /** written into the app so each build has different content (default: a random value) */
  marker?: string;
}

export interface TestBuild {
  /** the build repo (archive-z2), usable as a publish job's artifact url */
  repoPath: string;
  ref: string;
  /** ref -> commit in the build repo */
  refs: Record<string, string>;
}

/**
 * A real Flatpak app without an SDK: `metadata`, `files/bin/hello` and an empty `export/` are
 * all `flatpak build-export` needs. Builds accumulate in `<dir>/repo` like on a build machine.
 */
export async function makeTestBuild(opts: TestBuildOptions): Promise<TestBuild> {
  const dir = path.resolve(opts.dir);
  const arch = opts.arch ?? (await defaultArch());
  const buildDir = path.join(dir, "build");
  const repoPath = path.join(dir, "repo");
  await rm(buildDir, { recursive: true, force: true });
  await mkdir(path.join(buildDir, "files", "bin"), { recursive: true });
  await mkdir(path.join(buildDir, "export"), { recursive: true });
  await writeFile(
    path.join(buildDir, "metadata"),
    `[Application]\nname=${opts.appId}\nruntime=org.example.Platform/${arch}/${opts.branch}\nsdk=org.example.Sdk/${arch}/${opts.branch}\ncommand=hello\n`,
  );
  const marker = opts.marker ?? crypto.randomUUID();
  await writeFile(path.join(buildDir, "files", "bin", "hello"), `#!/bin/sh\necho "hello from ${opts.appId} (${marker})"\n`, { mode: 0o755 });
  must(
    await runCommand("flatpak", [
      "build-export",
      "--disable-sandbox",
      `--arch=${arch}`,
      `--subject=test build ${marker}`,
      repoPath,
      buildDir,
      opts.branch,
    ]),
  );
  const ref = `app/${opts.appId}/${arch}/${opts.branch}`;
  const commit = must(await revParse(repoPath, ref)).stdout.trim();
  return { repoPath, ref, refs: { [ref]: commit } };
}

async function defaultArch(): Promise<string> {
  return must(await runCommand("flatpak", ["--default-arch"])).stdout.trim();
}

function must(r: CommandResult): CommandResult {
  if (!r.ok) throw new Error(describeFailure(r));
  return r;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export interface ManyRefsOptions {
  /** the repo to fill (already holding `commit`) */
  repoPath: string;
  commit: string;
  count: number;
  arch: string;
  branch?: string;
  /** first app number (default 0): `app/org.example.App<N>/<arch>/<branch>` */
  from?: number;
}

/**
 * Points `count` app refs at one existing commit by writing refs/heads files directly, the way
 * ostree stores them (one file per ref holding the checksum): Flathub-sized repos in seconds,
 * for benchmarks and the bounded-payload tests. Returns the refs written.
 */
export async function pointManyRefs(opts: ManyRefsOptions): Promise<string[]> {
  const refs: string[] = [];
  const from = opts.from ?? 0;
  for (let i = from; i < from + opts.count; i++) refs.push(`app/org.example.App${i}/${opts.arch}/${opts.branch ?? "stable"}`);
  const heads = path.join(opts.repoPath, "refs", "heads");
  for (let i = 0; i < refs.length; i += 256) {
    await Promise.all(
      refs.slice(i, i + 256).map(async (ref) => {
        const file = path.join(heads, ...ref.split("/"));
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, `${opts.commit}\n`);
      }),
    );
  }
  return refs;
}
