import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_EXCLUDE, pathMatcher } from '../core/glob.js';
import { findMigrationDirs, type MigrationsDir } from '../core/layout.js';
import { isLayoutFile, type Layout } from '../core/project-layout.js';
import { UsageError } from '../errors.js';
import type { Config } from './config.js';
import { blobId, git, lsFiles, lsTree, readBlobs, type TreeEntry } from './git.js';
import { layoutEntries, readLayout } from './layout-files.js';
import { relevantPath } from './listing.js';

/** Which state of the repository to read. */
export type SourceSpec = { kind: 'worktree' } | { kind: 'index' } | { kind: 'ref'; ref: string };

export interface Snapshot {
  /** 'worktree', 'index', or the ref as the user gave it. */
  source: string;
  root: string;
  dirs: MigrationsDir[];
  /** File contents by repository-relative path, for every module that has source. */
  contents: Map<string, Buffer>;
  /** Blob ids by path (git sources only), for the parse cache. */
  oids: Map<string, string>;
  /** `manage.py` files, and the layout (`MIGRATION_MODULES`, apps.py labels) read: for `no-migrations`. */
  managePaths?: string[];
  layout?: Layout;
}

const isManage = (p: string) => p === 'manage.py' || p.endsWith('/manage.py');

export interface ScanFilter {
  include: readonly string[];
  exclude: readonly string[];
  /** The config's `MIGRATION_MODULES` (it wins over the settings modules'). */
  migrationModules?: Config['migrationModules'];
}

function filterDirs(dirs: MigrationsDir[], filter: ScanFilter): MigrationsDir[] {
  const excluded = pathMatcher([...DEFAULT_EXCLUDE, ...filter.exclude]);
  const included = filter.include.length ? pathMatcher(filter.include) : () => true;
  return dirs.filter((d) => included(d.dir) && !excluded(d.dir));
}

function sourceModules(dirs: MigrationsDir[]): string[] {
  return dirs.flatMap((d) => d.modules.filter((m) => !m.compiled).map((m) => m.path));
}

/** Refuse anything git could read as an option: refs come from users and config. */
export function assertRef(ref: string): void {
  if (!ref || ref.startsWith('-') || /[\0\n]/.test(ref)) throw new UsageError(`not a valid ref: ${JSON.stringify(ref)}`);
}

export async function resolveCommit(ref: string, root: string): Promise<string> {
  assertRef(ref);
  const { stdout, code } = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root, okCodes: [1, 128] });
  const oid = stdout.toString('utf8').trim();
  if (code !== 0 || !oid) throw new UsageError(`unknown revision '${ref}': no commit by that name (try \`git branch -a\`)`);
  return oid;
}

/** A snapshot of any list of blobs: a commit's tree, the index, or a merge of two trees (the merge driver). */
export async function fromEntries(source: string, root: string, entries: TreeEntry[], filter: ScanFilter): Promise<Snapshot> {
  // Symlinks (120000) are not followed, gitlinks (submodules) are not blobs.
  const regular = entries.filter((e) => e.mode === '100644' || e.mode === '100755');
  const files = regular.filter((e) => relevantPath(e.path));
  const layout = await readLayout(layoutEntries(regular.map((e) => [e.path, e.oid] as const)), (oids) => readBlobs(oids, root), filter);
  const dirs = filterDirs(findMigrationDirs(files.map((e) => e.path), layout), filter);
  const managePaths = files.map((e) => e.path).filter(isManage);
  const oids = new Map(files.map((e) => [e.path, e.oid] as const));
  const wanted = sourceModules(dirs);
  const blobs = await readBlobs(wanted.map((p) => oids.get(p)!), root);
  const contents = new Map<string, Buffer>();
  for (const p of wanted) {
    const blob = blobs.get(oids.get(p)!);
    if (blob) contents.set(p, blob);
  }
  return { source, root, dirs, contents, oids, managePaths, layout };
}

export async function readSnapshot(spec: SourceSpec, root: string, filter: ScanFilter): Promise<Snapshot> {
  if (spec.kind === 'ref') {
    const commit = await resolveCommit(spec.ref, root);
    return fromEntries(spec.ref, root, await lsTree(commit, root), filter);
  }
  if (spec.kind === 'index') {
    const entries = await lsFiles(root);
    // Mid-merge an unmerged path has stages 1–3 and no stage 0: read our side (2), else theirs.
    const byPath = new Map<string, TreeEntry & { stage: number }>();
    for (const e of entries) {
      const prev = byPath.get(e.path);
      const rank = (s: number) => (s === 0 ? 0 : s === 2 ? 1 : s === 3 ? 2 : 3);
      if (!prev || rank(e.stage) < rank(prev.stage)) byPath.set(e.path, e);
    }
    return fromEntries('index', root, [...byPath.values()], filter);
  }
  const paths = await walkWorkTree(root);
  const layout = await worktreeLayout(root, paths, filter);
  const dirs = filterDirs(findMigrationDirs(paths, layout), filter);
  const contents = new Map<string, Buffer>();
  await Promise.all(
    sourceModules(dirs).map(async (p) => {
      try {
        contents.set(p, await readFile(path.join(root, p)));
      } catch {
        // Vanished between listing and reading: as if it was never there.
      }
    }),
  );
  return { source: 'worktree', root, dirs, contents, oids: new Map(), managePaths: paths.filter(isManage), layout };
}

/** The layout of a work tree outside git, from the layout files among `paths`. */
async function worktreeLayout(root: string, paths: readonly string[], filter: ScanFilter): Promise<Layout> {
  const contents = new Map<string, Buffer>();
  const files = new Map<string, string>();
  for (const p of paths.filter(isLayoutFile)) {
    try {
      const content = await readFile(path.join(root, p));
      const oid = blobId(content);
      contents.set(oid, content);
      files.set(p, oid);
    } catch {
      // Vanished: as if it was never there.
    }
  }
  return readLayout(files, async (oids) => new Map(oids.flatMap((o) => (contents.has(o) ? [[o, contents.get(o)!] as const] : []))), filter);
}

/** Folder names never entered in the work tree: installed packages and tool caches. */
const SKIP_DIRS = new Set(['node_modules', 'site-packages', 'dist-packages', '__pycache__']);

/**
 * The relevant files of the work tree: direct children of `migrations` folders and `manage.py`.
 * A plain readdir walk rather than a glob library: glob matchers (fast-glob/picomatch) cannot
 * match names that contain a newline, and git allows them. Symlinked folders are not followed
 * (a symlinked migrations folder may point outside the repository); hidden folders are skipped.
 */
export async function walkWorkTree(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(rel ? path.join(root, rel) : root, { withFileTypes: true });
    } catch {
      return; // unreadable or vanished: as if it was not there
    }
    const inMigrations = path.basename(rel).includes('migrations');
    const subdirs: string[] = [];
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name[0] !== '.' && !SKIP_DIRS.has(e.name)) subdirs.push(child);
      } else if ((e.isFile() || e.isSymbolicLink()) && (inMigrations || e.name === 'manage.py' || isLayoutFile(child))) {
        found.push(child);
      }
    }
    await Promise.all(subdirs.map(visit));
  };
  await visit('');
  return found;
}
