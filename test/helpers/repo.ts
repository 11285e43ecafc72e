// Real temporary git repositories, and the real migcheck bin run as a separate process.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The migcheck checkout these tests belong to. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built bin: tests run after `npm run build`. */
export const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');

const IDENTITY = ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false'];

/** Environment for every git we spawn: no system config, no pager, no prompts. */
function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C' };
}

/** Run git with an argument array in `cwd`; throws with git's stderr when it fails. Returns stdout. */
export function git(cwd: string, args: string[]): string {
  const r = spawnSync('git', [...IDENTITY, ...args], { cwd, encoding: 'utf8', env: gitEnv() });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`git ${args.join(' ')} failed (${r.status}) in ${cwd}:\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

/** `git` without blocking, for building many repositories at once. Returns stdout. */
export function gitAsync(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...IDENTITY, ...args], { cwd, env: gitEnv(), encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} failed in ${cwd}:\n${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}

/** `git init` + add + commit of everything already written in `dir`, without blocking. */
export async function commitTreeAsync(dir: string, message: string): Promise<void> {
  await gitAsync(dir, ['init', '-q', '-b', 'main']);
  await gitAsync(dir, ['add', '-A']);
  await gitAsync(dir, ['commit', '-q', '--no-verify', '-m', message]);
}

/** Run `fn` over `items` with at most `limit` at a time. */
export async function inPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A fresh empty directory under the OS temp dir. */
export function tempDir(prefix = 'migcheck-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** `git init -q -b main` in `dir` (created when missing). */
export function initRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  return dir;
}

/** A new temporary repository on branch `main`. Remove it with `removeDir`. */
export function makeRepo(prefix = 'migcheck-repo-'): string {
  return initRepo(tempDir(prefix));
}

/** Write files given by `/`-separated paths relative to `dir`, creating folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, ...rel.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

/** Remove files given by `/`-separated paths relative to `dir`. */
export function removeFiles(dir: string, paths: string[]): void {
  for (const rel of paths) rmSync(join(dir, ...rel.split('/')), { force: true });
}

/** Stage everything in the temporary repository and commit it (allowing an empty commit). */
export function commitAll(dir: string, message: string): void {
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '--allow-empty', '--no-verify', '-m', message]);
}

export function branch(dir: string, name: string, from?: string): void {
  git(dir, from ? ['branch', name, from] : ['branch', name]);
}

export function checkout(dir: string, ref: string): void {
  git(dir, ['checkout', '-q', ref]);
}

export interface MergeResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** `git merge --no-ff --no-edit <ref>`; a conflicted merge is reported, not thrown. */
export function merge(dir: string, ref: string, extra: string[] = []): MergeResult {
  const r = spawnSync('git', [...IDENTITY, 'merge', '--no-ff', '--no-edit', ...extra, ref], {
    cwd: dir,
    encoding: 'utf8',
    env: gitEnv(),
  });
  if (r.error) throw r.error;
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

export function headOf(dir: string, ref = 'HEAD'): string {
  return git(dir, ['rev-parse', ref]).trim();
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `node dist/cli.js ...args` as a real process with colours off. */
export function runCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` first`);
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd, encoding: 'utf8', env });
  if (r.error) throw r.error;
  return { code: r.status ?? (r.signal ? 128 : 2), stdout: r.stdout, stderr: r.stderr };
}

/** `runCli` without blocking: for runs that must overlap (two hooks at once, many trees). */
export function runCliAsync(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 2), stdout, stderr }));
  });
}

/** Parse the JSON report `check --format json` printed, with the process output in the error. */
export function parseJsonReport<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `expected a JSON report on stdout (exit ${result.code})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

/** Every file under `root` (`/` paths relative to it) with its text. */
export function listFiles(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(relative(root, full).split(sep).join('/'), readFileSync(full, 'utf8'));
    }
  };
  walk(root);
  return out;
}

/** The files of `after` that `before` did not have, or had with other text, in path order. */
export function newFiles(before: Map<string, string>, after: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [p, text] of [...after].sort()) if (before.get(p) !== text) out[p] = text;
  return out;
}
