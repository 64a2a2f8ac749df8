/**
 * The CLI's exit codes (docs/cli.md "Exit codes"): scripts branch on them, so each cause has
 * one code and they never change meaning.
 */
export const EXIT = {
  ok: 0,
  /** the server refused the request (4xx): its `error.code` and message are printed */
  refused: 1,
  /** bad flags or arguments, missing URL/secret/token, an event that fails the schema locally */
  usage: 2,
  /** unreachable, 5xx after the retries, or an answer that does not match the documented shape */
  unavailable: 3,
  /** `watch`: the build ended in a final state other than `live` */
  notLive: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the command reports to the user and exits with; never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
