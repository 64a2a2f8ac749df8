/** The last lines of a job's command output, kept for `log_tail` (the contract's debugging aid). */
export const LOG_TAIL_LINES = 50;

export class LogTail {
  private lines: string[];

  constructor(initial: readonly string[] = []) {
    this.lines = initial.slice(-LOG_TAIL_LINES);
  }

  push = (line: string): void => {
    // a single huge line (a dumped variant) must not blow up the job file
    this.lines.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (this.lines.length > LOG_TAIL_LINES) this.lines.splice(0, this.lines.length - LOG_TAIL_LINES);
  };

  toArray(): string[] {
    return [...this.lines];
  }
}
