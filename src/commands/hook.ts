/**
 * `migcheck hook <name>`: what each git hook runs. cli.ts calls `hookMain` before it loads yargs,
 * and the analysis modules are imported only once a hook has work to do, so a hook costs little
 * more than starting node.
 *
 * What each hook can do follows from git (DESIGN §8): pre-commit can stage files into the commit
 * it guards; pre-merge-commit runs after the merge's tree is written, so it can only stop the
 * merge (MERGE_HEAD stays) and leave the fix staged for the `git commit` that finishes it;
 * post-merge and post-rewrite run after the fact and can only say what to do; pre-push can refuse.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Report } from '../api.js';
import type { Io } from '../cli.js';
import type { Finding } from '../core/findings.js';
import { HOOKS, isHookName, type HookName } from '../core/hookfile.js';
import { sortStrings } from '../core/order.js';
import type { OnConflict } from '../io/config.js';
import { git, repoPaths } from '../io/git.js';
import { hookMessages } from '../messages.js';

/** Hooks whose job is to stop git; the others report and let git go on whatever happens. */
const BLOCKING = new Set<HookName>(['pre-commit', 'pre-merge-commit', 'pre-push']);

type MaybeBranchConflict = Finding & { cause?: string };

/** Findings that onConflict governs (several leaves in an app); every other error always blocks. */
export function isConflict(f: Finding, report: Pick<Report, 'findings'>): boolean {
  if (f.code === 'multiple-leaves') return true;
  if (f.code === 'branch-conflict') {
    const cause = (f as MaybeBranchConflict).cause;
    // Both sides moving max_migration.txt is the merge driver's business, and comes with the leaves.
    return cause === 'multiple-leaves' || (cause === 'content-conflict' && (f.file ?? '').endsWith('/max_migration.txt'));
  }
  // A lockfile is stale by definition while its app has several leaves: the merge fixes both.
  if (f.code === 'stale-lockfile') return report.findings.some((g) => g.code === 'multiple-leaves' && g.app === f.app);
  return false;
}

interface Ctx {
  name: HookName;
  args: readonly string[];
  io: Io;
  root: string;
  gitDir: string;
  mode: OnConflict;
  stdin: NodeJS.ReadableStream | undefined;
  /** Whether the staged changes touch anything migcheck reads (pre-commit, pre-merge-commit). */
  touches: Promise<boolean>;
}

/**
 * The hook entry point: `migcheck hook <name> [git's arguments]`. Never throws; returns the exit
 * code git should see.
 */
export async function hookMain(argv: readonly string[], io: Io, stdin: NodeJS.ReadableStream | undefined = process.stdin): Promise<number> {
  // Our switch and Husky's: skip before doing anything at all.
  if (io.env.MIGCHECK === '0' || io.env.HUSKY === '0') return 0;
  const [name, ...gitArgs] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stderr.write(hookMessages.usage(HOOKS));
    return name === undefined ? 2 : 0;
  }
  if (!isHookName(name)) {
    // A hand-written line with a typo must not stop git, nor go unnoticed.
    io.stderr.write(`migcheck: ${hookMessages.unknownHook(name, HOOKS)}\n`);
    return 0;
  }
  // Run by the pre-commit framework: git's arguments and stdin come from its PRE_COMMIT_* variables.
  const framework = io.env.PRE_COMMIT === '1' ? (await import('./hook-framework.js')).frameworkRun(name, gitArgs, io.env) : null;
  if (framework?.kind === 'other-stage') return 0;
  const args = framework?.kind === 'framework' ? framework.args : gitArgs;
  if (framework?.kind === 'framework') stdin = framework.stdin;
  let mode: OnConflict = 'block';
  // The one git process a commit that touches no migration costs: started first, so it runs while
  // the rest starts up.
  const guardsCommit = (name === 'pre-commit' || name === 'pre-merge-commit') && !(framework?.kind === 'framework' && framework.wholeIndex);
  const touches = guardsCommit ? stagedTouchesMigrations(io.cwd) : Promise.resolve(true);
  touches.catch(() => {});
  try {
    const info = await workTree(io.cwd, io.env);
    // Outside a repository, or in a bare one (a server-side hook): nothing to guard.
    if (!info) return 0;
    const { loadConfig } = await import('../io/config.js');
    mode = (await loadConfig(info.root)).onConflict;
    const ctx: Ctx = { name, args, io, root: info.root, gitDir: info.gitDir, mode, stdin, touches };
    switch (name) {
      case 'pre-commit':
        return await preCommit(ctx);
      case 'pre-merge-commit':
        return await preMergeCommit(ctx);
      case 'post-merge':
        return await postMerge(ctx);
      case 'post-rewrite':
        return await postRewrite(ctx);
      case 'pre-push':
        return await prePush(ctx);
    }
  } catch (e) {
    io.stderr.write(`migcheck (${name}): ${hookMessages.internalError(e instanceof Error ? e.message : String(e))}\n`);
    // A blocking hook fails closed (it says how to get past it); a reporting hook never stops git.
    if (BLOCKING.has(name) && mode !== 'warn') {
      io.stderr.write(`migcheck: ${hookMessages.failClosed(name)}\n`);
      return 2;
    }
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// The hooks

async function preCommit(ctx: Ctx): Promise<number> {
  if (!(await ctx.touches)) return 0;
  const { check } = await import('../api.js');
  const source = { staged: true } as const;
  let report = await check({ cwd: ctx.root, ...source });
  if (!errorsOf(report).length) return 0;
  if (otherErrors(report).length) return refuse(ctx, report, hookMessages.commitRefused());
  // What the merge driver chose (max_migration.txt names it), a merge migration waiting in the
  // work tree during a merge, or with "generate" a new one: what a pre-commit hook stages goes into
  // the commit it guards, the commit that concludes a merge included.
  const fixes = await import('./hook-fixes.js');
  const generate = ctx.mode === 'generate';
  const finished = await fixes.finishMerges(where(ctx), source, { generate, reuse: generate || (await fixes.mergeInProgress(where(ctx))) });
  if (!finished.ok) return refuse(ctx, report, finished.message);
  if (finished.done.length) {
    await fixes.stageIntoCommit(where(ctx), finished.paths);
    for (const d of finished.done) {
      say(ctx, d.how === 'wrote' ? hookMessages.addedToCommit(d.path, d.app) : hookMessages.stagedPending(d.path, d.app));
      if (d.lockfile) say(ctx, hookMessages.lockfileStaged(d.lockfile));
    }
    report = await check({ cwd: ctx.root, ...source });
    if (!errorsOf(report).length) return 0;
    if (otherErrors(report).length) return refuse(ctx, report, hookMessages.commitRefused());
  }
  if (ctx.mode === 'warn') return warn(ctx, report, hookMessages.commitGoesOn());
  return refuse(ctx, report, hookMessages.commitRefusedConflict(conflictApps(report)));
}

async function preMergeCommit(ctx: Ctx): Promise<number> {
  if (!(await ctx.touches)) return 0;
  const { check } = await import('../api.js');
  const source = { staged: true } as const;
  let report = await check({ cwd: ctx.root, ...source });
  if (!errorsOf(report).length) return 0;
  if (otherErrors(report).length) return refuse(ctx, report, hookMessages.mergeRefused());
  // Git wrote the merge commit's tree before this hook ran: a file staged here reaches the merge
  // only through the `git commit` the user runs next, so the hook stops the merge (in every mode)
  // whenever it wrote or staged anything, and `git merge --abort` takes it all away again.
  const fixes = await import('./hook-fixes.js');
  const finished = await fixes.finishMerges(where(ctx), source, { generate: ctx.mode === 'generate', reuse: true });
  if (!finished.ok) return refuse(ctx, report, finished.message);
  if (finished.done.length) {
    await fixes.stage(ctx.root, finished.paths);
    report = await check({ cwd: ctx.root, ...source });
    if (!errorsOf(report).length) {
      const wrote = finished.done.some((d) => d.how === 'wrote');
      say(ctx, wrote ? hookMessages.wroteFinishMerge(finished.paths) : hookMessages.stagedFinishMerge(finished.paths));
      return 1;
    }
    if (otherErrors(report).length) return refuse(ctx, report, hookMessages.mergeRefused());
  }
  if (ctx.mode === 'warn') return warn(ctx, report, hookMessages.mergeGoesOn());
  return refuse(ctx, report, hookMessages.mergeRefusedConflict(conflictApps(report)));
}

async function postMerge(ctx: Ctx): Promise<number> {
  // `git merge --squash` makes no commit: what it merged is in the index.
  const squash = ctx.args[0] === '1';
  const source = squash ? ({ staged: true } as const) : ({ ref: 'HEAD' } as const);
  const { check } = await import('../api.js');
  const report = await check({ cwd: ctx.root, ...source });
  if (!errorsOf(report).length) return 0;
  await printFindings(ctx, report, errorsOf(report));
  if (otherErrors(report).length === 0 && !squash) {
    // The merge is committed (the checks were skipped: --no-verify): write what it lacks, for the next commit.
    const finished = await (await import('./hook-fixes.js')).finishMerges(where(ctx), source, { generate: ctx.mode === 'generate', reuse: true });
    if (finished.ok && finished.done.length) {
      const wrote = finished.done.some((d) => d.how === 'wrote');
      say(ctx, wrote ? hookMessages.wroteCommitIt(finished.paths, ctx.mode === 'generate') : hookMessages.commitPending(finished.paths));
      return 0;
    }
    if (!finished.ok) say(ctx, finished.message);
  }
  if (squash) say(ctx, hookMessages.squashPending(conflictApps(report)));
  else say(ctx, hookMessages.afterMerge());
  return 0;
}

async function postRewrite(ctx: Ctx): Promise<number> {
  const { check } = await import('../api.js');
  let report = await check({ cwd: ctx.root, ref: 'HEAD' });
  if (!errorsOf(report).length) return 0;
  if (ctx.args[0] === 'rebase' && otherErrors(report).length === 0) {
    // The rebase is over (its branch updated, nothing to abort any more): what the merge driver
    // left to write during the replay goes into a commit on top, so the branch ends whole.
    const fixes = await import('./hook-fixes.js');
    const finished = await fixes.finishMerges(where(ctx), { ref: 'HEAD' }, { generate: ctx.mode === 'generate', reuse: true });
    if (finished.ok && finished.done.length) {
      await fixes.stage(ctx.root, finished.paths);
      await git(['commit', '--no-verify', '-q', '-m', hookMessages.rebaseCommitMessage(finished.paths), '--', ...finished.paths], { cwd: ctx.root });
      say(ctx, hookMessages.committedAfterRebase(finished.paths));
      report = await check({ cwd: ctx.root, ref: 'HEAD' });
      if (!errorsOf(report).length) return 0;
    } else if (!finished.ok) say(ctx, finished.message);
  }
  await printFindings(ctx, report, errorsOf(report));
  say(ctx, hookMessages.afterRewrite(ctx.args[0] === 'amend' ? 'amend' : 'rebase'));
  return 0;
}

const ZERO = /^0+$/;

async function prePush(ctx: Ctx): Promise<number> {
  const input = await readStdin(ctx.stdin);
  const updates = input
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 4 && !ZERO.test(f[1]));
  if (!updates.length) return 0;
  const { check } = await import('../api.js');
  const targets = await pushTargets(ctx);
  let refused = false;
  for (const [localRef, localSha, remoteRef] of updates) {
    const report = await check({ cwd: ctx.root, ref: localSha, against: targets });
    const errors = errorsOf(report);
    if (!errors.length) continue;
    const blocking = errors.filter((f) => !isConflict(f, report) || ctx.mode !== 'warn');
    await printFindings(ctx, report, errors);
    if (blocking.length) {
      refused = true;
      say(ctx, hookMessages.pushRefused(shortRef(localRef), shortRef(remoteRef), targets));
    } else say(ctx, hookMessages.pushGoesOn(shortRef(localRef)));
  }
  return refused ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function errorsOf(report: Report): Finding[] {
  return report.findings.filter((f) => f.severity === 'error');
}

function otherErrors(report: Report): Finding[] {
  return errorsOf(report).filter((f) => !isConflict(f, report));
}

function conflictApps(report: Report): string[] {
  return sortStrings(new Set(report.findings.filter((f) => f.code === 'multiple-leaves' && f.app).map((f) => f.app!)));
}

function say(ctx: Ctx, text: string): void {
  ctx.io.stderr.write(`migcheck: ${text}\n`);
}

async function printFindings(ctx: Ctx, report: Report, findings: readonly Finding[]): Promise<void> {
  const { renderFinding } = await import('../render/human.js');
  const { colorEnabled, paint } = await import('../render/color.js');
  const p = paint(colorEnabled(ctx.io.stderr.isTTY, ctx.io.env));
  ctx.io.stderr.write(findings.map((f) => renderFinding(report, f, p)).join('\n') + '\n');
}

async function refuse(ctx: Ctx, report: Report, why: string): Promise<number> {
  await printFindings(ctx, report, errorsOf(report));
  say(ctx, why);
  say(ctx, hookMessages.bypass(ctx.name));
  return 1;
}

async function warn(ctx: Ctx, report: Report, why: string): Promise<number> {
  await printFindings(ctx, report, errorsOf(report));
  say(ctx, why);
  return 0;
}

function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

async function readStdin(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream || (stream as NodeJS.ReadStream).isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The top of the work tree and the git directory, in one `git rev-parse` (a hook pays for every
 * process it starts); null outside a repository and in a bare one, where `--show-toplevel` fails.
 */
async function workTree(cwd: string, env: NodeJS.ProcessEnv): Promise<{ root: string; gitDir: string } | null> {
  // Git starts a hook at the top of the work tree and says so with GIT_PREFIX; there, `.git` is the
  // git directory or a file naming it (a linked worktree): no process needed to find out.
  if (env.GIT_PREFIX !== undefined) {
    if (env.GIT_DIR) return { root: cwd, gitDir: path.resolve(cwd, env.GIT_DIR) };
    try {
      const dotGit = path.join(cwd, '.git');
      if ((await stat(dotGit)).isDirectory()) return { root: cwd, gitDir: dotGit };
      const link = /^gitdir: (.+)$/m.exec(await readFile(dotGit, 'utf8'));
      if (link) return { root: cwd, gitDir: path.resolve(cwd, link[1].trim()) };
    } catch {
      // No .git here: ask git.
    }
  }
  const info = await repoPaths(cwd);
  return info?.root ? { root: info.root, gitDir: info.gitDir } : null;
}

/**
 * Whether the commit changes anything migcheck reads: a file directly in a `migrations` folder,
 * a `manage.py`, or the config. A commit that does not is not how a conflict enters, even when the
 * branch already has one (post-merge and pre-push say so); it is not held up.
 */
async function stagedTouchesMigrations(cwd: string): Promise<boolean> {
  // Paths are repository-relative from any folder. Fails (128) before the first commit, when
  // everything staged is new, and outside a repository (where nothing runs anyway).
  const { stdout, code } = await git(['diff-index', '--cached', '--name-only', '-z', '--no-renames', 'HEAD', '--'], { cwd, okCodes: [128] });
  if (code !== 0) return true;
  return stdout
    .toString('utf8')
    .split('\0')
    .some((p) => p !== '' && (readByMigcheck(p) || p === 'migcheck.config.json' || p === 'package.json'));
}

/**
 * listing.ts's `relevantPath` (a direct child of a folder whose name holds `migrations`, or a
 * manage.py) and the project layout's files (`apps.py`, settings modules), written out here so a
 * commit that touches none does not load the analysis modules at all.
 */
function readByMigcheck(p: string): boolean {
  if (p === 'manage.py' || p.endsWith('/manage.py')) return true;
  const slash = p.lastIndexOf('/');
  const dir = p.slice(p.lastIndexOf('/', slash - 1) + 1, Math.max(0, slash));
  if (dir.includes('migrations')) return true;
  return p.endsWith('.py') && (p.endsWith('apps.py') || p.includes('settings'));
}

function where(ctx: Ctx) {
  return { root: ctx.root, gitDir: ctx.gitDir, env: ctx.io.env };
}

/**
 * The branches a push is judged against: the config's `targets`, else the remote's default branch
 * (`<remote>/HEAD`, else `<remote>/main` or `<remote>/master`). None when git pushes to a URL.
 */
async function pushTargets(ctx: Ctx): Promise<string[]> {
  const { loadConfig } = await import('../io/config.js');
  const config = await loadConfig(ctx.root);
  const verify = async (ref: string) =>
    (await git(['rev-parse', '-q', '--verify', `${ref}^{commit}`], { cwd: ctx.root, okCodes: [1, 128] })).code === 0;
  if (config.targets.length) {
    const found: string[] = [];
    for (const t of config.targets) if (!t.startsWith('-') && (await verify(t))) found.push(t);
    return found;
  }
  const remote = ctx.args[0];
  if (!remote || !/^[A-Za-z0-9._-]+$/.test(remote)) return [];
  const head = await git(['symbolic-ref', '-q', `refs/remotes/${remote}/HEAD`], { cwd: ctx.root, okCodes: [1, 128] });
  const target = head.stdout.toString('utf8').trim().replace(/^refs\/remotes\//, '');
  if (head.code === 0 && target && (await verify(target))) return [target];
  for (const name of ['main', 'master']) if (await verify(`${remote}/${name}`)) return [`${remote}/${name}`];
  return [];
}
