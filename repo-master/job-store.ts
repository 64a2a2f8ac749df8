/**
 * Jobs on disk, so a restart loses nothing: one JSON file per job under `<state_dir>/jobs/`,
 * written atomically (temp file, fsync, rename), holding the request (needed to re-run the job)
 * and the Job exactly as the API returns it. Also the per-repo snapshot of mutable files taken
 * after the last update-repo (see update-repo.ts).
 */
import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { CreateJobRequest, Job } from "../lib/repo-master-contract.js";
import type { Snapshot } from "./mutable-files.js";

export const StoredJob = z.strictObject({ request: CreateJobRequest, job: Job });
export type StoredJob = z.infer<typeof StoredJob>;

const SnapshotFile = z.record(z.string(), z.string());

export class JobStore {
  readonly jobsDir: string;
  readonly reposDir: string;
  /** scratch space (pulled artifacts); on the state disk, not /tmp, because artifacts are big */
  readonly tmpDir: string;

  constructor(stateDir: string) {
    this.jobsDir = path.join(stateDir, "jobs");
    this.reposDir = path.join(stateDir, "repos");
    this.tmpDir = path.join(stateDir, "tmp");
  }

  async init(): Promise<void> {
    await mkdir(this.jobsDir, { recursive: true });
    await mkdir(this.reposDir, { recursive: true });
    // leftovers of a crash mid-pull are garbage
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  async save(stored: StoredJob): Promise<void> {
    await writeAtomic(this.jobFile(stored.job.job_id), JSON.stringify(stored, null, 2));
  }

  /** Every readable job; unreadable files are reported, not fatal (one bad file must not stop the agent). */
  async loadAll(): Promise<{ jobs: StoredJob[]; problems: string[] }> {
    const jobs: StoredJob[] = [];
    const problems: string[] = [];
    for (const name of await readdir(this.jobsDir)) {
      if (!name.endsWith(".json")) continue;
      const file = path.join(this.jobsDir, name);
      try {
        const parsed = StoredJob.safeParse(JSON.parse(await readFile(file, "utf8")));
        if (parsed.success) jobs.push(parsed.data);
        else problems.push(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
      } catch (e) {
        problems.push(`${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return { jobs, problems };
  }

  async loadSnapshot(repo: string): Promise<Snapshot | undefined> {
    try {
      const parsed = SnapshotFile.safeParse(JSON.parse(await readFile(this.snapshotFile(repo), "utf8")));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async saveSnapshot(repo: string, snapshot: Snapshot): Promise<void> {
    await writeAtomic(this.snapshotFile(repo), JSON.stringify(snapshot));
  }

  jobFile(jobId: string): string {
    return path.join(this.jobsDir, `${jobId}.json`);
  }

  private snapshotFile(repo: string): string {
    return path.join(this.reposDir, `${repo}.snapshot.json`);
  }
}

async function writeAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  const fh = await open(tmp, "w", 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}
