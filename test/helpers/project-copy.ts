// This checkout as a user gets it from git: the tracked files and the new ones not ignored (no
// node_modules, no dist), with uncommitted edits, committed in a repository of its own.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { git, PROJECT_ROOT } from './repo.js';

/** Copy the project into `dest` (an empty folder) and commit it; returns the commit. */
export function projectCopy(dest: string): string {
  const files = git(PROJECT_ROOT, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']).split('\0').filter(Boolean);
  for (const file of new Set(files)) {
    const from = join(PROJECT_ROOT, file);
    if (!existsSync(from) || !statSync(from).isFile()) continue;
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    copyFileSync(from, join(dest, file));
  }
  git(dest, ['init', '-q', '-b', 'main']);
  git(dest, ['add', '-A']);
  git(dest, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--no-verify', '-m', 'migcheck']);
  return git(dest, ['rev-parse', 'HEAD']).trim();
}
