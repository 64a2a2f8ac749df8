/**
 * Jobs on disk, so a restart loses nothing: one JSON file per job under `<state_dir>/jobs/`,
 * written atomically (temp file, fsync, rename), holding the request (needed to re-run the job)
 * and the Job exactly as the API returns it. Also the per-repo snapshot of mutable files taken
 * after the last update-repo (see update-repo.ts), and each succeeded update-repo's changed refs
 * (`<state_dir>/job-refs/<job_id>.json`, sorted [ref, commit|null] pairs; at most the request's
 * 10,000 changed_refs) for GET /v1/jobs/:id/refs, kept beside its job file.
 */
import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { CreateJobRequest, Job } from "../lib/repo-master-contract.js";
import { Commit, FlatpakRef } from "../lib/ids.js";
import { upgradeLegacyJob } from "./legacy-job.js";
import type { Snapshot } from "./mutable-files.js";

export const StoredJob = z.strictObject({ request: CreateJobRequest, job: Job });
export type StoredJob = z.infer<typeof StoredJob>;

// snapshots of older agents hold bare hashes (and refs/heads entries, ignored since)
const SnapshotFile = z.record(
  z.string(),
  z.union([z.string().transform((sha256) => ({ sha256 })), z.strictObject({ sha256: z.string(), stat: z.string().optional() })]),
);

const JobRefsFile = z.array(z.tuple([FlatpakRef, Commit.nullable()]));
export type JobRefs = z.infer<typeof JobRefsFile>;

export class JobStore {
  readonly jobsDir: string;
  readonly reposDir: string;
  readonly jobRefsDir: string;
  /** scratch space (pulled artifacts); on the state disk, not /tmp, because artifacts are big */
  readonly tmpDir: string;

  constructor(stateDir: string) {
    this.jobsDir = path.join(stateDir, "jobs");
    this.reposDir = path.join(stateDir, "repos");
    this.jobRefsDir = path.join(stateDir, "job-refs");
    this.tmpDir = path.join(stateDir, "tmp");
  }

  async init(): Promise<void> {
    await mkdir(this.jobsDir, { recursive: true });
    await mkdir(this.reposDir, { recursive: true });
    await mkdir(this.jobRefsDir, { recursive: true });
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
        let raw: unknown = JSON.parse(await readFile(file, "utf8"));
        const upgraded = await upgradeLegacyJob(raw);
        if (upgraded) raw = upgraded.raw;
        const parsed = StoredJob.safeParse(raw);
        if (parsed.success && upgraded) {
          await this.saveJobRefs(parsed.data.job.job_id, upgraded.refs);
          await this.save(parsed.data);
        }
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

  async saveJobRefs(jobId: string, refs: JobRefs): Promise<void> {
    await writeAtomic(this.jobRefsFile(jobId), JSON.stringify(refs));
  }

  /** undefined when the job has no (readable) refs file */
  async loadJobRefs(jobId: string): Promise<JobRefs | undefined> {
    try {
      const parsed = JobRefsFile.safeParse(JSON.parse(await readFile(this.jobRefsFile(jobId), "utf8")));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  jobFile(jobId: string): string {
    return path.join(this.jobsDir, `${jobId}.json`);
  }

  private jobRefsFile(jobId: string): string {
    return path.join(this.jobRefsDir, `${jobId}.json`);
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
