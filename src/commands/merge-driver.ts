/**
 * `migcheck merge-driver %O %A %B %L %P`: git's merge driver for `max_migration.txt`.
 *
 * Git calls it when both branches changed an app's max_migration.txt, which happens exactly when
 * both added migrations to that app. It looks at the whole merged graph (our commit, theirs, and
 * their merge base, merged file by file as git does), and:
 * - when the app ends with one leaf (one side already had the other's migrations), writes its name;
 * - when it ends with several, writes the merge migration `makemigrations --merge` would write into
 *   the work tree beside the file (a driver may write only %A while git holds the index: the hooks
 *   stage it) and writes the merge migration's name;
 * - otherwise (the files do not read as one name each, the graph is broken, Django would refuse to
 *   merge, no `git merge` is under way: a rebase, a cherry-pick, `git merge-tree`), writes both
 *   sides between conflict markers and exits 1, so git reports a conflict. It never drops a side.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analyzeSnapshot, parseAll, type State } from '../api.js';
import type { Io } from '../cli.js';
import { realLeaves } from '../core/findings.js';
import { LOCKFILE, lockfileText, parseLockfile } from '../core/lockfile.js';
import { SAFE_NAME } from '../core/merge.js';
import { parseMigration } from '../core/parse.js';
import { mergeFiles } from '../core/predict.js';
import { loadConfig } from '../io/config.js';
import { lsTree, mergeBase, repoPaths } from '../io/git.js';
import { commitFiles } from '../io/listing.js';
import { fromEntries } from '../io/tree.js';
import { driverMessages } from '../messages.js';
import { clockFrom, mergeMigrations } from './merge.js';
import { exists } from '../io/exists.js';

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

export type DriverOutcome =
  | { resolved: true; name: string; wrote: string | null; reused: boolean }
  | { resolved: false; reason: string };

/** The commit being merged in: `git merge` exports GITHEAD_<sha>=<name> for it; a rebase or cherry-pick does not. */
function theirsCommit(env: NodeJS.ProcessEnv): { sha: string; name: string } | null {
  const heads = Object.keys(env).filter((k) => /^GITHEAD_[0-9a-f]{40,64}$/.test(k));
  if (heads.length !== 1) return null;
  return { sha: heads[0].slice('GITHEAD_'.length), name: env[heads[0]] || 'theirs' };
}


/** Decide what the merged max_migration.txt says, writing the merge migration when one is needed. */
export async function resolveLockfile(args: DriverArgs, io: Io): Promise<DriverOutcome> {
  const [base, ours, theirs] = await Promise.all([readFile(args.base), readFile(args.ours), readFile(args.theirs)]);
  const sides = [parseLockfile(ours), parseLockfile(theirs)];
  const baseContent = base.length ? parseLockfile(base) : null;
  for (const s of [...sides, ...(baseContent ? [baseContent] : [])]) {
    if (!s.ok || !SAFE_NAME.test(s.name)) return { resolved: false, reason: driverMessages.oddFile(args.path) };
  }
  if (path.posix.basename(args.path) !== LOCKFILE) return { resolved: false, reason: driverMessages.notALockfile(args.path) };

  const other = theirsCommit(io.env);
  const info = await repoPaths(io.cwd);
  if (!info || info.bare || !info.root) return { resolved: false, reason: driverMessages.noWorkTree() };
  // Only a real `git merge` holds the index while it merges; `git merge-tree` and friends do not,
  // and must not find new files in the work tree afterwards.
  if (!other || !(await exists(path.join(info.gitDir, 'index.lock')))) return { resolved: false, reason: driverMessages.notAMerge() };
  const root = info.root;

  const mergeBaseCommit = await mergeBase('HEAD', other.sha, root);
  const [baseFiles, oursFiles, theirsFiles] = await Promise.all([
    mergeBaseCommit ? commitFiles(mergeBaseCommit, root) : Promise.resolve(new Map<string, string>()),
    commitFiles('HEAD', root),
    commitFiles(other.sha, root),
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
  if (leaves.length === 1) return { resolved: true, name: leaves[0].name, wrote: null, reused: false };

  const now = clockFrom(io.env);
  const plan = await mergeMigrations({ cwd: root, state, apps: [label], now, dryRun: true });
  const created = plan.created.find((c) => path.posix.dirname(c.path) === dir);
  if (plan.refused.length || !created) {
    return { resolved: false, reason: plan.refused.map((r) => r.message).join('; ') || driverMessages.noApp(dir) };
  }
  const target = path.join(root, ...created.path.split('/'));
  if (await exists(target)) {
    // Left from an earlier attempt at this merge (`git merge --abort` keeps untracked files): use it
    // when it joins the same leaves.
    const existing = parseMigration(await readFile(target));
    const deps = existing.dependencies.filter((d) => d.app === label && !d.swappable).map((d) => d.name);
    const same = deps.length === leaves.length && leaves.every((l) => deps.includes(l.name)) && existing.operations.length === 0;
    if (!same) return { resolved: false, reason: driverMessages.targetExists(created.path) };
    return { resolved: true, name: created.name, wrote: created.path, reused: true };
  }
  await mergeMigrations({ cwd: root, state, apps: [label], now });
  return { resolved: true, name: created.name, wrote: created.path, reused: false };
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
    if (outcome.wrote) io.stderr.write(`migcheck: ${driverMessages.resolvedWithMerge(args.path, outcome.name, outcome.wrote, outcome.reused)}\n`);
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
