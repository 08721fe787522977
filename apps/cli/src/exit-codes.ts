/** The CLI's exit codes (documented in docs/cli.md). */
export const EXIT = {
  /** Everything worked (every watched job succeeded). */
  OK: 0,
  /** A job failed or was canceled. */
  JOB_FAILED: 1,
  /** Bad command line, config or input file. */
  USAGE: 2,
  /** The API refused the call, the key is bad, or the API is unreachable. */
  API: 3,
  /** Interrupted (Ctrl-C): watching stopped; the jobs keep running. */
  INTERRUPTED: 130,
} as const;

/** A mistake of the user's (flags, config, input files): printed with the usage, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to print. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
