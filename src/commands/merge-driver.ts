/**
 * `migcheck merge-driver %O %A %B %L %P`: git's merge driver for `max_migration.txt`.
 *
 * Git calls it when both sides changed an app's max_migration.txt, which happens exactly when both
 * added migrations to that app: in a `git merge`, and in each commit a rebase replays. It looks at
 * the whole merged graph (our commit, theirs, and their base, merged file by file as git does) and:
 * - when the app ends with one leaf (one side already had the other's migrations), writes its name;
 * - when it ends with several, writes the name of the merge migration `makemigrations --merge`
 *   would write, and nothing else: the hooks write that migration and stage it where the commit
 *   that concludes the merge takes it (DESIGN §8), so `git merge --abort`, `git reset --merge` and
 *   `git rebase --abort` leave nothing behind. When those hooks are not installed, it leaves a
 *   conflict and says what to run instead;
 * - otherwise (the files do not read as one name each, the graph is broken, Django would refuse to
 *   merge, neither a `git merge` nor a rebase is under way: a cherry-pick, `git merge-tree`), writes
 *   both sides between conflict markers and exits 1, so git reports a conflict. It never drops a side.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analyzeSnapshot, parseAll, type State } from '../api.js';
import type { Io } from '../cli.js';
import { realLeaves } from '../core/findings.js';
import type { HookName } from '../core/hookfile.js';
import { LOCKFILE, lockfileText, parseLockfile } from '../core/lockfile.js';
import { SAFE_NAME } from '../core/merge.js';
import { mergeFiles } from '../core/predict.js';
import { loadConfig } from '../io/config.js';
import { exists } from '../io/exists.js';
import { git, lsTree, mergeBase, repoPaths } from '../io/git.js';
import { migcheckHooksRun } from '../io/hooks.js';
import { commitFiles } from '../io/listing.js';
import { fromEntries } from '../io/tree.js';
import { driverMessages } from '../messages.js';
import { joinsLeaves } from './hook-fixes.js';
import { clockFrom, mergeMigrations } from './merge.js';

export interface DriverArgs {
  /** %O: the merge base's version (a temporary file; empty when both sides added the file). */
  base: string;
  /** %A: ours; the result goes here. */
  ours: string;
  /** %B: theirs. */
  theirs: string;
  /** %L: conflict marker size. */
  markerSize?: number;
  /** %P: the path in the repository. */
  path: string;
}

/** What git is doing while it runs the driver: a merge (base: the merge base) or a rebase replaying one commit (base: its parent). */
export interface Operation {
  kind: 'merge' | 'rebase';
  theirs: string;
  /** How the conflict markers name their side. */
  label: string;
}

export type DriverOutcome =
  | { resolved: true; name: string; pending: string | null; reused: boolean; kind: Operation['kind'] }
  | { resolved: false; reason: string };

/** The commit being merged in: `git merge` exports GITHEAD_<sha>=<name> for it; a rebase or cherry-pick does not. */
function theirsCommit(env: NodeJS.ProcessEnv): { sha: string; name: string } | null {
  const heads = Object.keys(env).filter((k) => /^GITHEAD_[0-9a-f]{40,64}$/.test(k));
  if (heads.length !== 1) return null;
  return { sha: heads[0].slice('GITHEAD_'.length), name: env[heads[0]] || 'theirs' };
}

/** A commit the (merge-backend) rebase replays: the last line of rebase-merge/done while git holds the index. */
const REPLAY = /^(?:pick|p|reword|r|edit|e|fixup|f|squash|s)\s+(?:-[cC]\s+)?([0-9a-f]{40,64})\b/;

/**
 * A real `git merge` or rebase holds the index while it merges; `git merge-tree` and friends do
 * not, and neither does a driver run by hand.
 */
export async function operation(gitDir: string, env: NodeJS.ProcessEnv): Promise<Operation | null> {
  if (!(await exists(path.join(gitDir, 'index.lock')))) return null;
  const merging = theirsCommit(env);
  if (merging) return { kind: 'merge', theirs: merging.sha, label: merging.name };
  let done: string;
  try {
    done = await readFile(path.join(gitDir, 'rebase-merge', 'done'), 'utf8');
  } catch {
    return null;
  }
  const last = done.trimEnd().split('\n').pop() ?? '';
  const m = REPLAY.exec(last);
  return m ? { kind: 'rebase', theirs: m[1], label: m[1].slice(0, 7) } : null;
}

/** The hooks that finish what the driver leaves: the commit that concludes a merge, the end of a rebase. */
const FINISHERS: Record<Operation['kind'], HookName[]> = { merge: ['pre-merge-commit', 'pre-commit'], rebase: ['post-rewrite'] };

/** Decide what the merged max_migration.txt says. Writes nothing. */
export async function resolveLockfile(args: DriverArgs, io: Io): Promise<DriverOutcome> {
  const [base, ours, theirs] = await Promise.all([readFile(args.base), readFile(args.ours), readFile(args.theirs)]);
  const sides = [parseLockfile(ours), parseLockfile(theirs)];
  const baseContent = base.length ? parseLockfile(base) : null;
  for (const s of [...sides, ...(baseContent ? [baseContent] : [])]) {
    if (!s.ok || !SAFE_NAME.test(s.name)) return { resolved: false, reason: driverMessages.oddFile(args.path) };
  }
  if (path.posix.basename(args.path) !== LOCKFILE) return { resolved: false, reason: driverMessages.notALockfile(args.path) };

  const info = await repoPaths(io.cwd);
  if (!info || info.bare || !info.root) return { resolved: false, reason: driverMessages.noWorkTree() };
  const op = await operation(info.gitDir, io.env);
  if (!op) return { resolved: false, reason: driverMessages.notAMerge() };
  const root = info.root;

  const baseCommit = op.kind === 'merge' ? await mergeBase('HEAD', op.theirs, root) : await parentOf(op.theirs, root);
  const [baseFiles, oursFiles, theirsFiles] = await Promise.all([
    baseCommit ? commitFiles(baseCommit, root) : Promise.resolve(new Map<string, string>()),
    commitFiles('HEAD', root),
    commitFiles(op.theirs, root),
  ]);
  const merged = mergeFiles(baseFiles, oursFiles, theirsFiles);
  // A migration both sides changed is merged as text, maybe with markers: too uncertain to decide on.
  const clash = merged.conflicts.find((c) => c.path.endsWith('.py'));
  if (clash) return { resolved: false, reason: driverMessages.migrationClash(clash.path) };

  const config = await loadConfig(root);
  const entries = [...merged.files].filter(([p]) => !p.endsWith(`/${LOCKFILE}`)).map(([p, oid]) => ({ mode: '100644', oid, path: p }));
  // Where migrations live (MIGRATION_MODULES, apps.py labels): as our side's settings say.
  const { layoutEntries } = await import('../io/layout-files.js');
  for (const [p, oid] of layoutEntries((await lsTree('HEAD', root)).map((e) => [e.path, e.oid] as const))) {
    if (!merged.files.has(p)) entries.push({ mode: '100644', oid, path: p });
  }
  const snapshot = await fromEntries('merge', root, entries, config);
  const parsed = parseAll(snapshot.contents);
  const state: State = { root, config, snapshot, parsed, analysis: analyzeSnapshot(snapshot, parsed, config) };

  const dir = path.posix.dirname(args.path);
  const project = state.analysis.projects.find((p) => [...p.apps.values()].some((a) => a.dir === dir));
  const label = project && [...project.apps].find(([, a]) => a.dir === dir)?.[0];
  if (!project || !label) return { resolved: false, reason: driverMessages.noApp(dir) };
  const leaves = realLeaves(project.graph, label);
  if (leaves.length === 0) return { resolved: false, reason: driverMessages.noApp(dir) };
  if (leaves.length === 1) return { resolved: true, name: leaves[0].name, pending: null, reused: false, kind: op.kind };

  const plan = await mergeMigrations({ cwd: root, state, apps: [label], now: clockFrom(io.env), dryRun: true, keepExisting: true });
  const created = plan.created.find((c) => path.posix.dirname(c.path) === dir);
  if (plan.refused.length || !created) {
    return { resolved: false, reason: plan.refused.map((r) => r.message).join('; ') || driverMessages.noApp(dir) };
  }
  // An earlier attempt at this merge, or `migcheck merge` run by hand, may have left it: the same
  // migration is used; a different file of that name is the user's, and never overwritten.
  const target = path.join(root, ...created.path.split('/'));
  const reused = await exists(target);
  const names = leaves.map((l) => l.name);
  if (reused && !joinsLeaves(await readFile(target), label, names)) return { resolved: false, reason: driverMessages.targetExists(created.path) };
  if (!(await migcheckHooksRun(root, FINISHERS[op.kind], io.env))) {
    return { resolved: false, reason: driverMessages.hooksMissing(label, dir, op.kind) };
  }
  return { resolved: true, name: created.name, pending: created.path, reused, kind: op.kind };
}

/** A commit's first parent; null for a root commit. */
async function parentOf(commit: string, cwd: string): Promise<string | null> {
  const { stdout, code } = await git(['rev-parse', '-q', '--verify', `${commit}^1^{commit}`], { cwd, okCodes: [1, 128] });
  return code === 0 ? stdout.toString('utf8').trim() : null;
}

/** Both sides, whole, between conflict markers of the size git asked for. */
export function conflictText(ours: Buffer, theirs: Buffer, size: number, labels: readonly [string, string]): Buffer {
  const nl = (b: Buffer) => (b.length && b[b.length - 1] !== 0x0a ? Buffer.concat([b, Buffer.from('\n')]) : b);
  return Buffer.concat([
    Buffer.from(`${'<'.repeat(size)} ${labels[0]}\n`),
    nl(ours),
    Buffer.from(`${'='.repeat(size)}\n`),
    nl(theirs),
    Buffer.from(`${'>'.repeat(size)} ${labels[1]}\n`),
  ]);
}

export async function mergeDriverCommand(args: DriverArgs, io: Io): Promise<number> {
  let outcome: DriverOutcome;
  try {
    outcome = await resolveLockfile(args, io);
  } catch (e) {
    // Whatever went wrong, git must still see both sides and a conflict.
    outcome = { resolved: false, reason: driverMessages.failed(e instanceof Error ? e.message : String(e)) };
  }
  if (outcome.resolved) {
    await writeFile(args.ours, lockfileText(outcome.name));
    if (outcome.pending) io.stderr.write(`migcheck: ${driverMessages.resolvedWithMerge(args.path, outcome.name, outcome.pending, outcome.reused, outcome.kind)}\n`);
    else io.stderr.write(`migcheck: ${driverMessages.resolved(args.path, outcome.name)}\n`);
    return 0;
  }
  const [ours, theirs] = await Promise.all([readFile(args.ours), readFile(args.theirs)]);
  const size = args.markerSize && args.markerSize > 0 ? args.markerSize : 7;
  const theirsLabel = theirsCommit(io.env)?.name ?? 'theirs';
  await writeFile(args.ours, conflictText(ours, theirs, size, ['HEAD', theirsLabel]));
  io.stderr.write(`migcheck: ${driverMessages.conflict(args.path, outcome.reason)}\n`);
  return 1;
}
