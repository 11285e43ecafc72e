/** Errors that carry the exit code the CLI should use. The library throws; only cli.ts exits. */
export class MigcheckError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 2,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags, bad config, a ref that does not exist: the user can fix the invocation. */
export class UsageError extends MigcheckError {}

/** A git command failed. `stderr` is git's own words. */
export class GitError extends MigcheckError {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    readonly code: number | null,
  ) {
    super(`git ${args.join(' ')} failed${code === null ? '' : ` (exit ${code})`}: ${stderr.trim() || 'no output'}`);
  }
}

export class ConfigError extends MigcheckError {}

/**
 * An object git cannot read: a partial clone whose promisor remote is out of reach, or a damaged
 * repository. A branch scan skips the branch that needs it and goes on.
 */
export class MissingObjectError extends MigcheckError {
  constructor(
    readonly oid: string,
    message: string,
  ) {
    super(message);
  }
}
