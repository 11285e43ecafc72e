/**
 * A config file that a merge, rebase, cherry-pick or revert left with conflict markers does not
 * take the tool down at exactly the moment the user reaches for it. In its place: the `"migcheck"`
 * key when both sides of every hunk agree on it (package.json), else the index's stage 2 (our side),
 * stage 3 (the side being merged in), HEAD's version, or, when the file is conflicted and no
 * version reads, nothing. The caller says which in one line. Outside a merge, or when the file is
 * not conflicted and no version reads, the config is really wrong: null, and the caller fails.
 */
import path from 'node:path';
import { configMessages } from '../messages.js';
import { exists } from './exists.js';
import { git, repoPaths } from './git.js';

/** A line of 7 or more `<` and one of `>` (git's conflict-marker-size can make them longer). */
export function hasConflictMarkers(text: string): boolean {
  return /^<{7,}(?: |$)/m.test(text) && /^>{7,}(?: |$)/m.test(text);
}

/**
 * The file as each side wrote it: every hunk replaced by its first part, then by its last (a
 * diff3 base part, after `|||||||`, is dropped). Null when the markers do not pair up.
 */
export function conflictSides(text: string): [string, string] | null {
  const ours: string[] = [];
  const theirs: string[] = [];
  let part: 'both' | 'ours' | 'base' | 'theirs' = 'both';
  for (const line of text.split('\n')) {
    if (/^<{7,}(?: |$)/.test(line)) {
      if (part !== 'both') return null;
      part = 'ours';
    } else if (/^\|{7,}(?: |$)/.test(line) && part === 'ours') part = 'base';
    else if (/^={7,}$/.test(line) && (part === 'ours' || part === 'base')) part = 'theirs';
    else if (/^>{7,}(?: |$)/.test(line)) {
      if (part !== 'theirs') return null;
      part = 'both';
    } else {
      if (part === 'both' || part === 'ours') ours.push(line);
      if (part === 'both' || part === 'theirs') theirs.push(line);
    }
  }
  return part === 'both' ? [ours.join('\n'), theirs.join('\n')] : null;
}

const UNREADABLE = Symbol('unreadable');

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return UNREADABLE;
  }
}

/** A merge, rebase, cherry-pick or revert is under way. */
async function operationInProgress(gitDir: string): Promise<boolean> {
  for (const name of ['MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'rebase-merge', 'rebase-apply']) {
    if (await exists(path.join(gitDir, name))) return true;
  }
  return false;
}

/** The index stages (1 base, 2 ours, 3 theirs) of an unmerged path; empty when it is merged. */
async function unmergedStages(root: string, file: string): Promise<Set<number>> {
  const { stdout } = await git(['ls-files', '-s', '-z', '--', file], { cwd: root });
  const stages = new Set<number>();
  for (const entry of stdout.toString('utf8').split('\0')) {
    const m = /^\d+ [0-9a-f]+ ([1-3])\t/.exec(entry);
    if (m) stages.add(Number(m[1]));
  }
  return stages;
}

export interface Fallback {
  /** What to read in the file's place (undefined: go on as if there were no such file). */
  value: unknown;
  /** One line for stderr: which version was used. */
  notice: string;
}

/** `file` (at the root) does not parse as JSON: a version to use instead, or null when the config is really wrong. */
export async function midMergeFallback(root: string, file: 'migcheck.config.json' | 'package.json', text: string): Promise<Fallback | null> {
  if (!hasConflictMarkers(text)) return null;
  const info = await repoPaths(root);
  if (!info || !info.root) return null;
  const stages = await unmergedStages(root, file);
  if (!stages.size && !(await operationInProgress(info.gitDir))) return null;
  if (file === 'package.json') {
    const sides = conflictSides(text)?.map(parse);
    const key = (v: unknown) => JSON.stringify(v !== null && typeof v === 'object' ? (v as Record<string, unknown>).migcheck : UNREADABLE);
    if (sides && sides[0] !== UNREADABLE && sides[1] !== UNREADABLE && key(sides[0]) === key(sides[1])) {
      return { value: sides[0], notice: configMessages.sidesAgree(file) };
    }
  }
  const versions: Array<[string, 'ours' | 'theirs' | 'head']> = [];
  if (stages.has(2)) versions.push([`:2:${file}`, 'ours']);
  if (stages.has(3)) versions.push([`:3:${file}`, 'theirs']);
  versions.push([`HEAD:${file}`, 'head']);
  for (const [spec, which] of versions) {
    const { stdout, code } = await git(['cat-file', 'blob', spec], { cwd: root, okCodes: [128] });
    if (code !== 0) continue;
    const value = parse(stdout.toString('utf8'));
    if (value !== UNREADABLE) return { value, notice: configMessages.usingVersion(file, which) };
  }
  if (stages.size) return { value: undefined, notice: configMessages.goingOnWithout(file) };
  return null;
}

