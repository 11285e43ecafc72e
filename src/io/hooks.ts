/**
 * Installing and removing migcheck's hook lines and merge driver: where the hook scripts live
 * (Husky's `.husky/` or git's hooks directory), which command they call, and the file and config
 * edits. Every change is planned first, so `--dry-run` prints exactly what a real run does.
 */
import { chmod, lstat, mkdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addAttributesLine,
  addHookLine,
  ATTRIBUTES_LINE,
  DEFAULT_BIN,
  driverCommand,
  hookLine,
  HOOKS,
  isOurLine,
  removeAttributesLine,
  runsMigcheck,
  removeHookLines,
  type HookName,
} from '../core/hookfile.js';
import { UsageError } from '../errors.js';
import { installMessages } from '../messages.js';
import { git, gitText, repoPaths, setConfig, unsetConfig } from './git.js';
import { exists } from './exists.js';

export type Change =
  | { kind: 'file'; action: 'create' | 'add' | 'update' | 'remove' | 'delete'; file: string; hook: HookName | null; line: string | null; text: string | null; mode: number }
  | { kind: 'config'; action: 'set' | 'unset'; key: string; value: string | null };

export interface Plan {
  root: string;
  husky: boolean;
  /** Where the hook scripts go, relative to the root when inside it. */
  hooksDir: string;
  /** The bin the lines call, relative to the root. */
  bin: string;
  changes: Change[];
  /** Hooks that already run migcheck through a line of the user's own. */
  userLines: string[];
  notes: string[];
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}


const display = (root: string, file: string) => {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
};

async function repoRoot(cwd: string): Promise<{ root: string; gitDir: string }> {
  const info = await repoPaths(cwd);
  if (!info) throw new UsageError(installMessages.notARepo(cwd));
  if (info.bare || !info.root) throw new UsageError(installMessages.bare());
  return { root: info.root, gitDir: info.gitDir };
}

/**
 * The migcheck bin as the hooks should call it, relative to the top of the work tree: the
 * `node_modules/.bin/migcheck` nearest above this very install when it lives inside the repository
 * (a monorepo keeps it in a sub-folder), else `node_modules/.bin/migcheck` at the root when there
 * is one; else null (a global install: the lines fall back to `migcheck` on PATH).
 */
export async function localBin(root: string): Promise<string | null> {
  const realRoot = await realpath(root);
  let pkg: string;
  try {
    pkg = await realpath(fileURLToPath(new URL('../../', import.meta.url)));
  } catch {
    pkg = '';
  }
  const inside = (p: string) => {
    const rel = path.relative(realRoot, p);
    return !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  for (let dir = path.dirname(pkg); pkg && inside(dir); dir = path.dirname(dir)) {
    if (path.basename(dir) === 'node_modules') {
      const candidate = path.join(dir, '.bin', 'migcheck');
      if (await exists(candidate)) return path.relative(realRoot, candidate).split(path.sep).join('/');
    }
    if (dir === realRoot) break;
  }
  return (await exists(path.join(root, ...DEFAULT_BIN.split('/')))) ? DEFAULT_BIN : null;
}

async function gitConfig(key: string, root: string): Promise<string | null> {
  const { stdout, code } = await git(['config', '--get', key], { cwd: root, okCodes: [1] });
  return code === 0 ? stdout.toString('utf8').replace(/\n$/, '') : null;
}

/** Hook scripts: `.husky/` (Husky v9 runs `.husky/<hook>` through `core.hooksPath=.husky/_`) or git's hooks directory. */
async function hooksLocation(root: string, husky: boolean | undefined): Promise<{ husky: boolean; dir: string }> {
  const useHusky = husky ?? (await exists(path.join(root, '.husky')));
  if (useHusky) return { husky: true, dir: path.join(root, '.husky') };
  // Honours core.hooksPath (a shared `.githooks` folder) and linked worktrees.
  const rel = await gitText(['rev-parse', '--git-path', 'hooks'], root);
  return { husky: false, dir: path.resolve(root, rel) };
}

export interface InstallOptions {
  cwd: string;
  /** Write to `.husky/` even when it does not exist yet. */
  husky?: boolean;
}

export async function planInstall(options: InstallOptions): Promise<Plan> {
  const { root } = await repoRoot(options.cwd);
  const where = await hooksLocation(root, options.husky ? true : undefined);
  const local = await localBin(root);
  const bin = local ?? DEFAULT_BIN;
  const changes: Change[] = [];
  const userLines: string[] = [];
  const notes: string[] = [];

  for (const hook of HOOKS) {
    const file = path.join(where.dir, hook);
    const line = hookLine(hook, bin);
    const text = await readText(file);
    const edit = addHookLine(text, line, hook);
    const shown = display(root, file);
    if (edit.action === 'unchanged') {
      if (edit.reason === 'user-line') userLines.push(shown);
      continue;
    }
    changes.push({ kind: 'file', action: edit.action, file: shown, hook, line, text: edit.text, mode: 0o755 });
  }

  const driver = driverCommand(local ?? 'migcheck');
  if ((await gitConfig('merge.migcheck.name', root)) !== installMessages.driverName()) {
    changes.push({ kind: 'config', action: 'set', key: 'merge.migcheck.name', value: installMessages.driverName() });
  }
  if ((await gitConfig('merge.migcheck.driver', root)) !== driver) {
    changes.push({ kind: 'config', action: 'set', key: 'merge.migcheck.driver', value: driver });
  }
  const attributes = path.join(root, '.gitattributes');
  const before = await readText(attributes);
  const after = addAttributesLine(before);
  if (after !== null) {
    changes.push({ kind: 'file', action: before === null ? 'create' : 'add', file: '.gitattributes', hook: null, line: ATTRIBUTES_LINE, text: after, mode: 0o644 });
  }

  if (where.husky) {
    const hooksPath = await gitConfig('core.hooksPath', root);
    if (hooksPath !== '.husky/_' && hooksPath !== '.husky') notes.push(installMessages.huskyNotActive(hooksPath));
    else if (hooksPath === '.husky/_') {
      const missing: string[] = [];
      for (const hook of HOOKS) if (!(await exists(path.join(root, '.husky', '_', hook)))) missing.push(hook);
      if (missing.length) notes.push(installMessages.huskyMissingDispatch(missing));
    }
  }
  if (!local) notes.push(installMessages.globalBin());
  return { root, husky: where.husky, hooksDir: display(root, where.dir), bin, changes, userLines, notes };
}

export async function planUninstall(options: { cwd: string }): Promise<Plan> {
  const { root } = await repoRoot(options.cwd);
  const changes: Change[] = [];
  // Both places: a repository may have moved to or from Husky since the install.
  const dirs = [path.join(root, '.husky'), (await hooksLocation(root, false)).dir];
  for (const dir of [...new Set(dirs)]) {
    for (const hook of HOOKS) {
      const file = path.join(dir, hook);
      const text = await readText(file);
      if (text === null) continue;
      const edit = removeHookLines(text);
      if (edit.removed === 0) continue;
      changes.push({ kind: 'file', action: edit.text === null ? 'delete' : 'remove', file: display(root, file), hook, line: null, text: edit.text, mode: 0o755 });
    }
  }
  for (const key of ['merge.migcheck.driver', 'merge.migcheck.name']) {
    if ((await gitConfig(key, root)) !== null) changes.push({ kind: 'config', action: 'unset', key, value: null });
  }
  const attributes = await readText(path.join(root, '.gitattributes'));
  if (attributes !== null) {
    const edit = removeAttributesLine(attributes);
    if (edit.removed) {
      changes.push({ kind: 'file', action: edit.text === null ? 'delete' : 'remove', file: '.gitattributes', hook: null, line: ATTRIBUTES_LINE, text: edit.text, mode: 0o644 });
    }
  }
  const where = await hooksLocation(root, undefined);
  return { root, husky: where.husky, hooksDir: display(root, where.dir), bin: DEFAULT_BIN, changes, userLines: [], notes: [] };
}

/** Carry out a plan. Files keep their permissions; new hook scripts are made executable. */
export async function applyPlan(plan: Plan): Promise<void> {
  for (const change of plan.changes) {
    if (change.kind === 'config') {
      if (change.action === 'set') await setConfig(change.key, change.value!, plan.root);
      else await unsetConfig(change.key, plan.root);
      continue;
    }
    const file = path.resolve(plan.root, change.file);
    if (change.action === 'delete') {
      await rm(file, { force: true });
      continue;
    }
    if (change.action === 'create') {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, change.text!, { mode: change.mode, flag: 'wx' });
      // The umask may have taken the execute bits away.
      await chmod(file, change.mode);
      continue;
    }
    const before = await lstat(file);
    await writeFile(file, change.text!);
    // A hook git cannot execute is silently skipped: make sure ours runs.
    if (change.hook && (before.mode & 0o111) === 0) await chmod(file, (before.mode & 0o777) | 0o111);
  }
  if (plan.changes.some((c) => c.kind === 'config' && c.action === 'unset')) {
    // git leaves an empty [merge "migcheck"] header behind; drop it when nothing else is in it.
    const { code } = await git(['config', '--get-regexp', '^merge\\.migcheck\\.'], { cwd: plan.root, okCodes: [1] });
    if (code === 1) await git(['config', '--remove-section', 'merge.migcheck'], { cwd: plan.root, okCodes: [128] });
  }
}

/** Whether git runs this file as a hook: it exists and is executable. */
async function runnable(file: string): Promise<boolean> {
  try {
    return ((await stat(file)).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Whether git will run `migcheck hook <name>` for every one of these hooks in this clone: our line
 * (or the user's own line calling it) in the hook script git runs, in `.husky/<hook>` behind Husky
 * v9's dispatcher, or the pre-commit framework's script with migcheck in `.pre-commit-config.yaml`.
 * MIGCHECK=0 and HUSKY=0 turn the hooks off. The merge driver asks before it leaves work to them.
 */
export async function migcheckHooksRun(root: string, hooks: readonly HookName[], env: NodeJS.ProcessEnv): Promise<boolean> {
  if (env.MIGCHECK === '0' || env.HUSKY === '0') return false;
  const dir = path.resolve(root, await gitText(['rev-parse', '--git-path', 'hooks'], root));
  const husky = path.basename(dir) === '_' && path.basename(path.dirname(dir)) === '.husky';
  for (const hook of hooks) {
    const file = path.join(dir, hook);
    if (!(await runnable(file))) return false;
    const text = (await readText(file)) ?? '';
    const calls = (t: string) => t.split('\n').some((l) => isOurLine(l) || runsMigcheck(l, hook));
    if (calls(text)) continue;
    if (husky && calls((await readText(path.join(path.dirname(dir), hook))) ?? '')) continue;
    if (/File generated by pre-commit/.test(text) && /\bmigcheck\b/.test((await readText(path.join(root, '.pre-commit-config.yaml'))) ?? '')) continue;
    return false;
  }
  return true;
}
