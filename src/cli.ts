#!/usr/bin/env node
/**
 * The command line: the only file that knows yargs and the only place that exits. Commands are
 * imported lazily so `--help` and hooks start fast.
 */
import { MigcheckError, UsageError } from './errors.js';
import { setNoticeSink } from './io/notices.js';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const FORMATS = ['human', 'json', 'github', 'sarif'] as const;
const EXIT_CODES = 'Exit codes: 0 no errors, 1 errors found (or warnings with --strict), 2 usage or internal error.';

function withCwd(io: Io, args: { cwd?: string }): Io {
  return args.cwd ? { ...io, cwd: args.cwd } : io;
}

async function main(argv: string[]): Promise<number> {
  const io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
  setNoticeSink((line) => io.stderr.write(`migcheck: ${line}\n`));
  // Git hooks run on every commit: `migcheck hook <name>` skips yargs and everything it does not need.
  if (argv[0] === 'hook') return (await import('./commands/hook.js')).hookMain(argv.slice(1), io).catch((e: unknown) => reportError(e, io));
  // So do pre-commit hooks and CI that run `check` with plain flags: yargs costs more than the
  // check itself on a warm cache. Anything else (help, --against, a typo) goes through yargs.
  const plain = argv[0] === 'check' ? plainCheckArgs(argv.slice(1)) : null;
  if (plain) return (await import('./commands/check.js')).checkCommand(plain, withCwd(io, plain)).catch((e: unknown) => reportError(e, io));
  const [{ default: yargs }, { redactUrl }] = await Promise.all([import('yargs'), import('./core/dburl.js')]);
  let exitCode = 0;
  const run = async (args: { _: Array<string | number>; format?: string }, job: () => Promise<number>) => {
    // Annotations and SARIF describe findings on lines of files: only `check` reports those.
    const command = String(args._[0]);
    if ((args.format === 'github' || args.format === 'sarif') && command !== 'check') {
      throw new UsageError(`--format ${args.format} is for \`migcheck check\`; \`migcheck ${command}\` prints human or json`);
    }
    exitCode = await job();
  };
  const cli = yargs(argv)
    .scriptName('migcheck')
    .usage(
      'migcheck: Django migration conflicts, found in git before they reach a deploy.\n\n' +
        'Reads migration files from the work tree, the index or any commit, with no Python\n' +
        'and no Django, and reaches the verdict Django would.\n\n' +
        'Usage: $0 <command> [options]',
    )
    .option('cwd', { type: 'string', describe: 'Run as if started in this directory', default: undefined })
    .option('format', { choices: FORMATS, default: 'human' as (typeof FORMATS)[number], describe: 'Output format' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Print errors only' })
    .option('strict', { type: 'boolean', default: false, describe: 'Warnings fail too (exit 1)' })
    .option('verbose', { type: 'boolean', default: false, describe: 'Say on stderr what was read and how long it took' })
    .command(
      'check',
      'Check one state of the repository for what Django would refuse: several leaves in an app, missing or circular dependencies, unreadable migrations',
      (y) =>
        y
          .option('staged', { type: 'boolean', describe: 'Check the index (what `git commit` would commit)' })
          .option('ref', { type: 'string', describe: 'Check a commit, branch or tag instead of the work tree' })
          .option('against', { type: 'string', array: true, describe: 'Also predict merging with these refs (e.g. origin/main)' })
          .option('all', {
            type: 'boolean',
            default: false,
            describe: 'List every duplicate-number, also those a merge migration already joins (default: only new, unjoined ones)',
          })
          .conflicts('staged', 'ref')
          .example('$0 check', 'the work tree, as `manage.py migrate` would see it')
          .example('$0 check --staged', 'what is about to be committed (pre-commit hooks)')
          .example('$0 check --ref origin/main --format json', 'a branch, as JSON')
          .example('$0 check --against origin/main', 'will merging this branch into main conflict?')
          .example('$0 check --all', 'also the migration numbers that merged branches share')
          .epilog(EXIT_CODES),
      (args) => run(args, async () => (await import('./commands/check.js')).checkCommand(args, withCwd(io, args))),
    )
    .command(
      'merge',
      'Write the merge migration `makemigrations --merge` would write, byte for byte, for each app with several leaves',
      (y) =>
        y
          .option('app', { type: 'string', array: true, describe: 'Only these apps (default: every app with a conflict)' })
          .option('name', { type: 'string', describe: 'Name the migration NNNN_<name> instead of merge_<leaves>' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'Print what would be written; write nothing' })
          .option('header', { type: 'boolean', default: true, describe: 'Write the "# Generated by Django" header (--no-header drops it)' })
          .option('django-version', { type: 'string', describe: 'Django version to write for (default: config, then requirements, then 3.2.25)' })
          .option('black', {
            type: 'string',
            describe: "Format as Django 4.1+ does when black is on PATH; give black's major version for black 23's layout (--black 23)",
          })
          .option('force', { type: 'boolean', default: false, describe: 'Merge even when the branches clash on operations' })
          .example('$0 merge', 'one merge migration per conflicting app')
          .example('$0 merge --app billing --dry-run', 'show the file without writing it')
          .example('$0 merge --django-version 4.2 --black', 'as Django 4.2 writes it with black installed')
          .epilog(EXIT_CODES),
      (args) => run(args, async () => (await import('./commands/merge.js')).mergeCommand(args, withCwd(io, args))),
    )
    .command(
      'branches',
      'Predict conflicts between every branch and the target branch(es), grouped by app and parent',
      (y) =>
        y
          .option('target', { type: 'string', array: true, describe: "Branches to merge into (default: the repository's main branch)" })
          .option('remote', { type: 'boolean', default: false, describe: 'Also scan remote-tracking branches' })
          .option('include', { type: 'string', array: true, describe: 'Only branches matching these globs' })
          .option('exclude', { type: 'string', array: true, describe: 'Skip branches matching these globs' })
          .option('pairs', { type: 'boolean', default: false, describe: 'Also compare branches with each other' })
          .example('$0 branches', 'every local branch against main')
          .example('$0 branches --remote --target origin/main', 'what the open pull requests will do to main')
          .epilog(EXIT_CODES),
      (args) => run(args, async () => (await import('./commands/branches.js')).branchesCommand(args, withCwd(io, args))),
    )
    .command(
      'deploy-check',
      'Compare the code with the migrations a database has applied: the plan, what will fail, and the fix',
      (y) =>
        y
          .option('database', { type: 'string', describe: 'postgres://user:pass@host:port/db or sqlite:///path.db (default: $DATABASE_URL)' })
          .option('applied', { type: 'string', describe: 'A file: `showmigrations --list` or `--plan` output, or CSV app,name' })
          .option('ref', { type: 'string', describe: 'The code to deploy (default: the work tree)' })
          .option('rollback-to', { type: 'string', array: true, describe: 'APP NAME: the reverse plan down to this migration' })
          .conflicts('database', 'applied')
          .example('$0 deploy-check --database "$DATABASE_URL"', 'before `manage.py migrate` in a deploy')
          .example('$0 deploy-check --applied showmigrations.txt', 'from `manage.py showmigrations --list` output')
          .epilog(EXIT_CODES),
      (args) => run(args, async () => (await import('./commands/deploy-check.js')).deployCheckCommand(args, withCwd(io, args))),
    )
    .command(
      'graph',
      'Draw the migration graph: a plan like `showmigrations --plan`, or Mermaid or Graphviz, with conflicts marked',
      (y) =>
        y
          .option('app', { type: 'string', array: true, describe: 'Only these apps (their cross-app parents are shown too)' })
          .option('format', { choices: ['text', 'mermaid', 'dot'] as const, default: 'text' as const, describe: 'Drawing format' })
          .option('staged', { type: 'boolean', describe: 'Draw the index' })
          .option('ref', { type: 'string', describe: 'Draw a commit, branch or tag' })
          .conflicts('staged', 'ref')
          .example('$0 graph --app billing', 'the plan of one app, conflicting leaves marked')
          .example('$0 graph --format mermaid > graph.mmd', 'paste into a pull request')
          .example('$0 graph --format dot | dot -Tsvg > graph.svg', 'with Graphviz'),
      (args) =>
        run(args, async () =>
          (await import('./commands/graph.js')).graphCommand({ ...args, format: args.format as 'text' | 'mermaid' | 'dot' }, withCwd(io, args)),
        ),
    )
    .command(
      'install',
      'Install the git hooks (pre-commit, pre-merge-commit, post-merge, post-rewrite, pre-push) and the max_migration.txt merge driver',
      (y) =>
        y
          .option('dry-run', { type: 'boolean', default: false, describe: 'Print what would change; change nothing' })
          .option('husky', { type: 'boolean', default: false, describe: 'Write to .husky/ (Husky v9) even when it does not exist yet' })
          .example('$0 install', 'one line in each hook (.husky/ when present, else the hooks folder), and the merge driver')
          .example('$0 install --dry-run', 'show what would change')
          .epilog('Installing twice is installing once. Existing hooks keep every line; `migcheck uninstall` removes only migcheck\'s.'),
      (args) => run(args, async () => (await import('./commands/install.js')).installCommand(args, withCwd(io, args))),
    )
    .command(
      'uninstall',
      'Remove the lines, config and .gitattributes entry `migcheck install` added, and nothing else',
      (y) => y.option('dry-run', { type: 'boolean', default: false, describe: 'Print what would change; change nothing' }),
      (args) => run(args, async () => (await import('./commands/uninstall.js')).uninstallCommand(args, withCwd(io, args))),
    )
    .command(
      'hook <name> [args..]',
      'What each installed git hook runs (pre-commit, pre-merge-commit, post-merge, post-rewrite, pre-push); config onConflict: block | warn | generate',
      (y) =>
        y
          .positional('name', { type: 'string', describe: 'The git hook' })
          .positional('args', { type: 'string', array: true, describe: "git's arguments to the hook" })
          .epilog('MIGCHECK=0 or HUSKY=0 skips. Outside a repository, or with no migrations, a hook does nothing.'),
      (args) =>
        run(args, async () =>
          (await import('./commands/hook.js')).hookMain([String(args.name), ...(args.args ?? []).map(String)], withCwd(io, args)),
        ),
    )
    .command(
      'lock',
      "Write each app's max_migration.txt (django-linear-migrations' format: the latest migration's name), or verify them with --check",
      (y) =>
        y
          .option('check', { type: 'boolean', default: false, describe: 'Verify only: exit 1 when a file is missing or stale' })
          .option('app', { type: 'string', array: true, describe: 'Only these apps' })
          .example('$0 lock', 'after makemigrations: point every max_migration.txt at its app\'s leaf')
          .example('$0 lock --check', 'in CI')
          .epilog(EXIT_CODES),
      (args) => run(args, async () => (await import('./commands/lock.js')).lockCommand(args, withCwd(io, args))),
    )
    .command(
      'merge-driver <base> <ours> <theirs> [marker-size] [path]',
      'The git merge driver for max_migration.txt (git runs it: `migcheck install` sets merge.migcheck.driver)',
      (y) =>
        y
          .positional('base', { type: 'string', describe: '%O' })
          .positional('ours', { type: 'string', describe: '%A: the result is written here' })
          .positional('theirs', { type: 'string', describe: '%B' })
          .positional('marker-size', { type: 'number', describe: '%L' })
          .positional('path', { type: 'string', describe: '%P: the path in the repository' })
          .epilog('Exit 0: resolved (and the merge migration written beside the file); 1: conflict markers left for you.'),
      (args) =>
        run(args, async () =>
          (await import('./commands/merge-driver.js')).mergeDriverCommand(
            { base: String(args.base), ours: String(args.ours), theirs: String(args.theirs), markerSize: args.markerSize, path: String(args.path ?? args.ours) },
            withCwd(io, args),
          ),
        ),
    )
    .command(
      'rebase',
      "Renumber this branch's new migrations of an app on top of the other branch's leaf, rewriting every reference: the linear alternative to a merge migration",
      (y) =>
        y
          .option('app', { type: 'string', demandOption: true, describe: 'The app whose leaves to line up' })
          .option('onto', { type: 'string', describe: "The leaf that stays (default: the one already in the target branch, the rebase's HEAD or the merge's first parent)" })
          .option('dry-run', { type: 'boolean', default: false, describe: 'Print the renames and a unified diff; change nothing' })
          .option('applied', { type: 'string', describe: 'Refuse when a moving migration is applied: `showmigrations --list` output, or CSV app,name' })
          .option('database', { type: 'string', describe: 'Refuse when a moving migration is applied in this database (postgres://... or sqlite:///...)' })
          .option('force', { type: 'boolean', default: false, describe: 'Rebase even when a moving migration is applied or the branches clash on operations' })
          .conflicts('database', 'applied')
          .example('$0 rebase --app blog --dry-run', 'show what would be renamed and rewritten')
          .example('$0 rebase --app blog --applied showmigrations.txt', 'refuse if the dev database already ran them')
          .epilog('Exit codes: 0 rebased (or nothing to do), 1 refused (nothing changed), 2 usage error.'),
      (args) => run(args, async () => (await import('./commands/rebase.js')).rebaseCommand({ ...args, app: String(args.app) }, withCwd(io, args))),
    )
    .demandCommand(1, 'Say which command to run: for example `migcheck check`.')
    .strict()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      // yargs echoes unknown arguments: a database URL given without --database carries a password.
      io.stderr.write(`migcheck: ${redactUrl(msg)}\nRun \`migcheck --help\` for usage.\n`);
      exitCode = 2;
      throw new HandledExit();
    });
  try {
    await cli.parseAsync();
  } catch (e) {
    if (e instanceof HandledExit) return 2;
    return reportError(e, io);
  }
  return exitCode;
}

/** An error as the user sees it: ours as one line with its exit code, anything else as a bug (2). */
async function reportError(e: unknown, io: Io): Promise<number> {
  // A database URL in a message carries a password.
  const { redactUrl } = await import('./core/dburl.js');
  if (e instanceof MigcheckError) {
    io.stderr.write(`migcheck: ${redactUrl(e.message)}\n`);
    return e.exitCode;
  }
  io.stderr.write(`migcheck: internal error: ${redactUrl((e as Error)?.stack ?? String(e))}\n`);
  return 2;
}

class HandledExit extends Error {}

/**
 * `check [--staged | --ref R] [--format F] [--quiet] [--strict] [--cwd D]`, each flag at most once,
 * as yargs would read them; null for anything else, which then goes to yargs.
 */
function plainCheckArgs(
  args: readonly string[],
): { format: (typeof FORMATS)[number]; quiet: boolean; strict: boolean; staged: boolean; ref?: string; cwd?: string } | null {
  const out: { format: (typeof FORMATS)[number]; quiet: boolean; strict: boolean; staged: boolean; ref?: string; cwd?: string } = {
    format: 'human',
    quiet: false,
    strict: false,
    staged: false,
  };
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (seen.has(flag)) return null;
    seen.add(flag);
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = args[i + 1];
      if (next === undefined || next.startsWith('-')) return undefined;
      i++;
      return next;
    };
    if (flag === '--staged' || flag === '--quiet' || flag === '-q' || flag === '--strict') {
      if (inline !== undefined) return null;
      if (flag === '--staged') out.staged = true;
      else if (flag === '--strict') out.strict = true;
      else out.quiet = true;
    } else if (flag === '--format') {
      const v = value();
      if (!FORMATS.includes(v as (typeof FORMATS)[number])) return null;
      out.format = v as (typeof FORMATS)[number];
    } else if (flag === '--ref' || flag === '--cwd') {
      const v = value();
      if (!v) return null;
      if (flag === '--ref') out.ref = v;
      else out.cwd = v;
    } else return null;
  }
  if (seen.has('-q') && seen.has('--quiet')) return null;
  return out.staged && out.ref !== undefined ? null : out;
}

/**
 * Output to a pipe whose reader has gone (`migcheck check | head`) ends quietly: the reader asked
 * for no more, so the rest is dropped (later writes to the closed stream fail the same way) and
 * the exit code stays the command's.
 */
function quietOnClosedPipe(stream: NodeJS.WritableStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    throw e;
  });
}
quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);

/** `git migcheck ...` runs the `git-migcheck` bin with the same arguments. */
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`migcheck: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
