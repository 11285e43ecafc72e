/**
 * What the hooks write and stage to finish a merge: the merge migration the merge driver chose
 * (it names it in max_migration.txt and writes nothing else, so an aborted merge leaves nothing),
 * one already waiting in the work tree (`migcheck merge` without `git add`), or one generated now
 * ("onConflict": "generate"), together with the app's max_migration.txt.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadState, type State } from '../api.js';
import { realLeaves } from '../core/findings.js';
import { lockfilePath, lockfileText, parseLockfile } from '../core/lockfile.js';
import { parseMigration } from '../core/parse.js';
import { writeNewFile } from '../io/atomic.js';
import { exists } from '../io/exists.js';
import { git } from '../io/git.js';
import { readSnapshotLockfiles, writeLockfile } from '../io/lockfile.js';
import { driverMessages, hookMessages } from '../messages.js';
import { clockFrom, mergeMigrations, safeTarget } from './merge.js';

/** Where a hook runs, and its environment (GIT_INDEX_FILE, MIGCHECK_NOW). */
export interface Where {
  root: string;
  gitDir: string;
  env: NodeJS.ProcessEnv;
}

/** `git add` of repository-relative paths, into the index this hook was given (GIT_INDEX_FILE). */
export async function stage(root: string, paths: readonly string[]): Promise<void> {
  if (paths.length) await git(['add', '--', ...paths], { cwd: root });
}

/**
 * Stage into the commit being made. `git commit <paths>` commits a temporary index
 * (`next-index-*.lock`, the hook's GIT_INDEX_FILE) and then installs the index it prepared beside
 * it (`index.lock`): a file added to the first only would be in the commit and missing from the
 * index afterwards, so it goes into both.
 */
export async function stageIntoCommit(where: Where, paths: readonly string[]): Promise<void> {
  if (!paths.length) return;
  await stage(where.root, paths);
  const index = where.env.GIT_INDEX_FILE;
  if (index && /^next-index-.*\.lock$/.test(path.basename(index))) {
    await git(['add', '--', ...paths], { cwd: where.root, env: { GIT_INDEX_FILE: path.join(where.gitDir, 'index.lock') } });
  }
}

/** `git merge` (MERGE_HEAD), `git merge --squash` (SQUASH_MSG) or a rebase is under way. */
export async function mergeInProgress(where: Where): Promise<boolean> {
  for (const name of ['MERGE_HEAD', 'SQUASH_MSG', 'rebase-merge', 'rebase-apply']) if (await exists(path.join(where.gitDir, name))) return true;
  return false;
}

/** Django's time-based merge name, `NNNN_merge_YYYYMMDD_HHMM`: the minute may differ between two runs. */
const TIMED = /^(\d+)_merge_\d{8}_\d{4}$/;

/**
 * Whether max_migration.txt names the merge migration the merge driver chose for these leaves:
 * exactly the name `makemigrations --merge` gives them now, or its time-based form with another
 * minute.
 */
export function namesDriverMerge(named: string, expected: string): boolean {
  if (named === expected) return true;
  const a = TIMED.exec(named);
  const b = TIMED.exec(expected);
  return Boolean(a && b && a[1] === b[1]);
}

/** A merge migration already in the work tree: no operations, and exactly these same-app dependencies. */
export function joinsLeaves(source: Buffer | string, app: string, leaves: readonly string[]): boolean {
  const parsed = parseMigration(source);
  if (!parsed.hasMigrationClass || parsed.error || parsed.operations.length || parsed.replaces.length || parsed.runBefore.length) return false;
  const deps = parsed.dependencies.filter((d) => !d.swappable && d.app === app).map((d) => d.name);
  return deps.length === leaves.length && leaves.every((l) => deps.includes(l));
}

/** Untracked migration modules directly in a folder. */
async function untrackedModules(root: string, dir: string): Promise<string[]> {
  const { stdout } = await git(['ls-files', '-o', '--exclude-standard', '-z', '--full-name', '--', `${dir}/`], { cwd: root });
  return stdout
    .toString('utf8')
    .split('\0')
    .filter((f) => {
      const rest = f.slice(dir.length + 1);
      return f.startsWith(`${dir}/`) && !rest.includes('/') && /^[A-Za-z0-9][A-Za-z0-9_]*\.py$/.test(rest);
    });
}

export interface Finished {
  app: string;
  /** The merge migration, repository-relative. */
  path: string;
  /** 'wrote': written now; 'reused': it was already in the work tree. */
  how: 'wrote' | 'reused';
  /** The app's max_migration.txt, when it was brought up to date. */
  lockfile: string | null;
}

export type FinishResult = { ok: true; done: Finished[]; paths: string[] } | { ok: false; message: string };

export interface FinishOptions {
  /** Write the merge migration of every app with several leaves ("onConflict": "generate"). */
  generate: boolean;
  /** Take an untracked merge migration already in the app's folder. */
  reuse: boolean;
}

interface Plan {
  app: string;
  dir: string;
  path: string;
  text: string | null;
  lockfile: string | null;
}

/**
 * Finish the merges of this state (the index, or a commit): for each app with several leaves, the
 * merge migration waiting in the work tree, else the one its max_migration.txt names (the merge
 * driver's choice; in every mode), else with `generate` the one Django would write; and the app's
 * max_migration.txt set to it. Everything is planned before anything is written. Nothing is staged:
 * the caller does that where the commit that concludes the merge takes it.
 */
export async function finishMerges(where: Where, source: { staged?: boolean; ref?: string }, options: FinishOptions): Promise<FinishResult> {
  const state = await loadState({ cwd: where.root, ...source });
  const lockfiles = await readSnapshotLockfiles(state.snapshot, state.analysis);
  const now = clockFrom(where.env);
  const plans: Plan[] = [];
  for (const project of state.analysis.projects) {
    for (const [app, { dir }] of project.apps) {
      const leaves = realLeaves(project.graph, app).map((n) => n.name);
      if (leaves.length < 2) continue;
      const file = lockfilePath(dir);
      const lock = lockfiles.has(file) ? parseLockfile(lockfiles.get(file)!) : null;
      let chosen: { path: string; text: string | null } | null = null;
      if (options.reuse) {
        for (const f of await untrackedModules(where.root, dir)) {
          if (joinsLeaves(await readFile(path.join(where.root, ...f.split('/'))), app, leaves)) chosen = { path: f, text: null };
        }
      }
      const pending = lock?.ok && !project.graph.has(app, lock.name) ? lock.name : null;
      if (!chosen && (pending || options.generate)) {
        const planned = await plan(where, state, app, dir, now, null);
        // Django would refuse this merge: the driver never names one, so only "generate" says why.
        if (!planned.ok) {
          if (options.generate) return planned;
          continue;
        }
        const named = pending && namesDriverMerge(pending, planned.name) ? pending : options.generate ? planned.name : null;
        if (named) {
          const text = named === planned.name ? planned.text : await plan(where, state, app, dir, now, named);
          if (typeof text !== 'string') return text;
          chosen = { path: `${dir}/${named}.py`, text };
        }
      }
      if (!chosen) continue;
      const name = path.posix.basename(chosen.path, '.py');
      const needsLock = lock !== null && (!lock.ok || lock.name !== name);
      plans.push({ app, dir, path: chosen.path, text: chosen.text, lockfile: needsLock ? file : null });
    }
  }
  // Never over a file of the user's: an identical one (an earlier attempt) is taken as it is.
  const done: Finished[] = [];
  for (const p of plans) {
    if (p.text === null) continue;
    const target = await safeTarget(where.root, p.dir, path.posix.basename(p.path, '.py'));
    if (await exists(target)) {
      const leaves = realLeavesOf(state, p.app, p.dir);
      if (!joinsLeaves(await readFile(target), p.app, leaves)) return { ok: false, message: driverMessages.targetExists(p.path) };
      p.text = null;
    }
  }
  for (const p of plans) {
    if (p.text !== null) await writeNewFile(await safeTarget(where.root, p.dir, path.posix.basename(p.path, '.py')), p.text);
    if (p.lockfile) await writeLockfile(where.root, p.lockfile, lockfileText(path.posix.basename(p.path, '.py')));
    done.push({ app: p.app, path: p.path, how: p.text === null ? 'reused' : 'wrote', lockfile: p.lockfile });
  }
  return { ok: true, done, paths: done.flatMap((d) => (d.lockfile ? [d.path, d.lockfile] : [d.path])) };
}

function realLeavesOf(state: State, app: string, dir: string): string[] {
  const project = state.analysis.projects.find((p) => p.apps.get(app)?.dir === dir)!;
  return realLeaves(project.graph, app).map((n) => n.name);
}

/** The merge migration of one app (in one folder): its name and text; with `named`, its text under that name. */
async function plan(where: Where, state: State, app: string, dir: string, now: Date, named: string): Promise<string | { ok: false; message: string }>;
async function plan(where: Where, state: State, app: string, dir: string, now: Date, named: null): Promise<{ ok: true; name: string; text: string } | { ok: false; message: string }>;
async function plan(where: Where, state: State, app: string, dir: string, now: Date, named: string | null) {
  const suffix = named === null ? null : named.slice(named.indexOf('_') + 1);
  const result = await mergeMigrations({ cwd: where.root, state, apps: [app], now, dryRun: true, keepExisting: true, name: suffix });
  if (result.refused.length) return { ok: false, message: result.refused.map((r) => `${r.message}; ${hookMessages.cannotGenerate(r.app)}`).join('\n') };
  const created = result.created.find((c) => path.posix.dirname(c.path) === dir);
  if (!created || (named !== null && created.name !== named)) return { ok: false, message: hookMessages.cannotGenerate(app) };
  return named === null ? { ok: true, name: created.name, text: created.text } : created.text;
}

