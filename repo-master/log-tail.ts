/** The last lines of a job's command output, kept for `log_tail` (the contract's debugging aid). */
export const LOG_TAIL_LINES = 50;
/**
 * …and at most this many bytes of JSON, so the Job (callback body, GET /v1/jobs/:id) stays
 * ≤ 64 KiB beside the update-repo result's 32 KiB of changed_paths (issue 9 "Bounded payloads").
 */
export const LOG_TAIL_BYTES = 24 * 1024;
const MAX_LINE_CHARS = 500;

export class LogTail {
  private lines: string[] = [];
  private sizes: number[] = [];
  private bytes = 0;

  constructor(initial: readonly string[] = []) {
    for (const line of initial.slice(-LOG_TAIL_LINES)) this.push(line);
  }

  push = (line: string): void => {
    // a single huge line (a dumped variant) must not blow up the job file
    const kept = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
    const size = Buffer.byteLength(JSON.stringify(kept)) + 1;
    this.lines.push(kept);
    this.sizes.push(size);
    this.bytes += size;
    while (this.lines.length > 1 && (this.lines.length > LOG_TAIL_LINES || this.bytes > LOG_TAIL_BYTES)) {
      this.lines.shift();
      this.bytes -= this.sizes.shift() ?? 0;
    }
  };

  toArray(): string[] {
    return [...this.lines];
  }
}
