/**
 * One state of the repository as paths and blob ids, without reading a file that the parse cache
 * already knows. `readSnapshot` (tree.ts) reads every module; this is the fast path `check` and
 * the merge predictions take:
 *
 * - a commit: `git ls-tree -r`;
 * - the index: `git ls-files -s` (honours GIT_INDEX_FILE);
 * - the work tree: the index's ids for files `git diff-files` says are unchanged, and an
 *   in-process hash for the rest (modified, untracked, gitignored single files). Measured on
 *   10,000 migrations: about 40 ms, against 120–190 ms to load fast-glob and walk the tree, and
 *   far less than reading and hashing every file. Ignored folders (build copies, virtualenvs) are
 *   not scanned: Django does not import them either.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_EXCLUDE, pathMatcher } from '../core/glob.js';
import { findMigrationDirs, type MigrationsDir } from '../core/layout.js';
import { EMPTY_LAYOUT, isLayoutFile, type Layout } from '../core/project-layout.js';
import { compareStrings } from '../core/order.js';
import type { ParsedMigration } from '../core/types.js';
import type { ParseCache } from './cache.js';
import { blobId, changedInWorktree, git, lsTree, readBlobs, type BlobReader, type TreeEntry } from './git.js';
import { readRepositoryIndex } from './index-file.js';
import type { Config } from './config.js';
import { LAYOUT_PATHSPEC, layoutEntries, readLayout } from './layout-files.js';
import type { ScanFilter, SourceSpec } from './tree.js';

export interface Listing {
  /** 'worktree', 'index', or the ref as the user gave it. */
  source: string;
  root: string;
  /** Every relevant file (direct children of `migrations` folders, `manage.py`) -> blob id. */
  files: Map<string, string>;
  /**
   * A digest of everything the state's relevant files depend on (git's raw listing, and the ids of
   * work-tree files read): equal fingerprints, equal files.
   */
  fingerprint: string;
  dirs: MigrationsDir[];
  /** `manage.py`, `apps.py` and settings files -> blob id: what the project layout is read from. */
  layoutFiles: Map<string, string>;
  /**
   * `MIGRATION_MODULES` and `apps.py` labels, once `loadLayout` has read them; `dirs` follows it
   * (before, `dirs` are the plain `migrations` folders).
   */
  layout: Layout;
  /** Contents already read while listing (work-tree files that differ from the index), by path. */
  contents: Map<string, Buffer>;
  /** Work-tree contents of the layout files, by path. */
  layoutContents: Map<string, Buffer>;
  /**
   * The commit this state builds on: the ref's commit, else HEAD (null before the first commit, or
   * when not asked for).
   */
  commit: string | null;
}

/**
 * Only `manage.py` files and direct children of a folder whose name holds `migrations` matter:
 * `migrations` itself, and the folders `MIGRATION_MODULES` usually moves migrations to
 * (`db_migrations`); which of them hold migrations is decided with the project layout.
 */
export function relevantPath(p: string): boolean {
  if (p === 'manage.py' || p.endsWith('/manage.py')) return true;
  const slash = p.lastIndexOf('/');
  if (slash < 0) return false;
  return p.slice(p.lastIndexOf('/', slash - 1) + 1, slash).includes('migrations');
}

/** Regular files only: symlinks (120000) in git are not followed, gitlinks are not blobs. */
const regular = (mode: string) => mode === '100644' || mode === '100755';

/** Migrations folders of a set of paths, with the default and configured exclusions applied. */
export function dirsOf(paths: Iterable<string>, filter: ScanFilter, layout: Layout = EMPTY_LAYOUT): MigrationsDir[] {
  const excluded = pathMatcher([...DEFAULT_EXCLUDE, ...filter.exclude]);
  const included = filter.include.length ? pathMatcher(filter.include) : () => true;
  return findMigrationDirs(paths, layout).filter((d) => included(d.dir) && !excluded(d.dir));
}

/** Source modules of the folders (compiled-only modules have no source to parse). */
export function sourcePaths(dirs: readonly MigrationsDir[]): string[] {
  return dirs.flatMap((d) => d.modules.filter((m) => !m.compiled).map((m) => m.path));
}

const PATHSPEC = [':(glob)**/*migrations*/*', ':(glob)**/manage.py'];

type IndexEntry = TreeEntry & { stage: number };

/** `git ls-files -s` of the relevant paths only, raw: git filters, and a big repository stays cheap. */
async function lsRelevantRaw(root: string): Promise<Buffer> {
  return (await git(['ls-files', '-s', '-z', '--full-name', '--', ...PATHSPEC], { cwd: root })).stdout;
}

/** `<mode> <oid> <stage>\t<path>\0` records; read by offset (this runs over every migration). */
function parseIndex(raw: Buffer): IndexEntry[] {
  const entries: IndexEntry[] = [];
  const text = raw.toString('utf8');
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf('\0', at);
    if (end < 0) end = text.length;
    const tab = text.indexOf('\t', at);
    if (tab > at && tab < end) {
      const s1 = text.indexOf(' ', at);
      const s2 = text.indexOf(' ', s1 + 1);
      entries.push({ mode: text.slice(at, s1), oid: text.slice(s1 + 1, s2), stage: Number(text.slice(s2 + 1, tab)), path: text.slice(tab + 1, end) });
    }
    at = end + 1;
  }
  return entries;
}

async function headCommit(root: string): Promise<string | null> {
  const { stdout, code } = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: root, okCodes: [1, 128] });
  const oid = stdout.toString('utf8').trim();
  return code === 0 && oid ? oid : null;
}

function split0(buf: Buffer): string[] {
  return buf.toString('utf8').split('\0').filter(Boolean);
}

/** The index, as `git commit` would commit it: mid-merge, our side (stage 2) of an unmerged path. */
function indexFiles(entries: IndexEntry[]): Map<string, IndexEntry> {
  const rank = (s: number) => (s === 0 ? 0 : s === 2 ? 1 : s === 3 ? 2 : 3);
  const byPath = new Map<string, IndexEntry>();
  for (const e of entries) {
    if (!relevantPath(e.path)) continue;
    const prev = byPath.get(e.path);
    if (!prev || rank(e.stage) < rank(prev.stage)) byPath.set(e.path, e);
  }
  return byPath;
}

function sha1(parts: Array<string | Buffer>): string {
  const hash = createHash('sha1');
  for (const p of parts) hash.update(p).update('\0');
  return hash.digest('hex');
}

interface Listed {
  /** Raw inputs that determine the state, for the fingerprint. */
  fingerprint: string;
  files: () => Map<string, string>;
  contents: Map<string, Buffer>;
}

/** The layout files of the index (`git ls-files`): path -> blob id. */
async function indexLayoutFiles(root: string): Promise<Map<string, string>> {
  return layoutOfIndex((await git(['ls-files', '-s', '-z', '--full-name', '--', ...LAYOUT_PATHSPEC], { cwd: root })).stdout);
}

/** The layout files among raw `ls-files -s -z` entries: path -> blob id. */
function layoutOfIndex(raw: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of parseIndex(raw)) if (regular(e.mode) && (e.stage === 0 || e.stage === 2) && isLayoutFile(e.path)) out.set(e.path, e.oid);
  return layoutEntries(out);
}

/** The work tree's versions of the layout files (tracked or not), read and hashed. */
function worktreeLayoutFiles(root: string, tracked: ReadonlyMap<string, string>, contents: Map<string, Buffer>): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of tracked.keys()) {
    try {
      const content = readFileSync(path.join(root, p));
      out.set(p, blobId(content));
      contents.set(p, content);
    } catch {
      // Deleted in the work tree: not there for Django either.
    }
  }
  return out;
}

function listIndex(raw: Buffer): Listed {
  return {
    fingerprint: sha1(['index', raw]),
    files: () => {
      const files = new Map<string, string>();
      for (const [p, e] of indexFiles(parseIndex(raw))) if (regular(e.mode) && relevantPath(p)) files.set(p, e.oid);
      return files;
    },
    contents: new Map(),
  };
}

async function listWorktree(root: string): Promise<Listed> {
  const [raw, changed, untracked, ignored] = await Promise.all([
    lsRelevantRaw(root),
    changedInWorktree(root),
    git(['ls-files', '-o', '--exclude-standard', '-z', '--', ...PATHSPEC], { cwd: root }).then((r) => split0(r.stdout)),
    // Ignored single files inside migrations folders still load in Django; ignored folders are
    // listed as `dir/` and skipped.
    git(['ls-files', '-o', '-i', '--exclude-standard', '--directory', '-z', '--', ...PATHSPEC], { cwd: root }).then((r) =>
      split0(r.stdout).filter((p) => !p.endsWith('/')),
    ),
  ]);
  // What differs from the index is read and hashed: modified and unmerged files (diff-files lists
  // both), untracked and ignored ones, and tracked symlinks (Django imports what they point at).
  const toRead = new Set([...changed, ...untracked, ...ignored].filter(relevantPath));
  const symlinks = raw.includes('120000 ') ? parseIndex(raw).filter((e) => e.mode === '120000' && relevantPath(e.path)) : [];
  for (const e of symlinks) toRead.add(e.path);
  const paths = [...toRead].sort(compareStrings);
  // Read one by one, synchronously: usually a handful of files, but every one of them when the
  // index's stat data is stale (a copied or touched checkout), and there a promise per file cost
  // ten times the reading (10,000 files: about 900 ms against 120 ms).
  const read = paths.map((p) => {
    try {
      const content = readFileSync(path.join(root, p));
      return { p, content, oid: blobId(content) };
    } catch {
      // Deleted in the work tree, or a folder: not there for Django either.
      return null;
    }
  });
  const contents = new Map<string, Buffer>();
  const readOids: string[] = [];
  for (const r of read) {
    if (!r) continue;
    contents.set(r.p, r.content);
    readOids.push(`${r.p}\t${r.oid}`);
  }
  return {
    fingerprint: sha1(['worktree', raw, ...paths, '--', ...readOids]),
    files: () => {
      const files = new Map<string, string>();
      for (const [p, e] of indexFiles(parseIndex(raw))) {
        if (regular(e.mode) && e.stage === 0 && !toRead.has(p)) files.set(p, e.oid);
      }
      for (const r of read) if (r) files.set(r.p, r.oid);
      return files;
    },
    contents,
  };
}

/**
 * List one state of the repository: paths, blob ids, migrations folders. `withCommit` also finds
 * the commit the state builds on (merge predictions need it; a plain check does not). Paths, ids
 * and folders are worked out on first use: a cached report needs only the fingerprint.
 */
export async function listState(
  spec: SourceSpec,
  root: string,
  filter: ScanFilter,
  withCommit = true,
  /** Where the index is (the git directory, and the common one for the config): read directly. */
  repo?: { gitDir: string; commonDir: string },
): Promise<Listing> {
  let listed: Listed;
  let commit: string | null;
  let layoutFiles: Map<string, string>;
  const layoutContents = new Map<string, Buffer>();
  if (spec.kind === 'ref') {
    const { resolveCommit } = await import('./tree.js');
    commit = await resolveCommit(spec.ref, root);
    const entries = (await lsTree(commit, root)).filter((e) => regular(e.mode));
    const files = new Map(entries.filter((e) => relevantPath(e.path)).map((e) => [e.path, e.oid] as const));
    layoutFiles = layoutEntries(entries.map((e) => [e.path, e.oid] as const));
    listed = { fingerprint: sha1(['ref', ...[...files].map(([p, oid]) => `${p}\t${oid}`)]), files: () => files, contents: new Map() };
  } else if (spec.kind === 'index') {
    // The index file itself, when it can be read with certainty; else git's listing of it (the
    // same bytes either way).
    // Read directly, the one pass takes the layout files too: a cached pre-commit check then starts
    // no git process at all.
    const direct = repo ? readRepositoryIndex(repo.gitDir, repo.commonDir, (p) => relevantPath(p) || isLayoutFile(p)) : null;
    const [raw, head, fromGit] = await Promise.all([
      direct ?? lsRelevantRaw(root),
      withCommit ? headCommit(root) : null,
      direct ? null : indexLayoutFiles(root),
    ]);
    listed = listIndex(raw);
    commit = head;
    layoutFiles = fromGit ?? layoutOfIndex(raw);
  } else {
    let tracked: Map<string, string>;
    let untracked: string[];
    [listed, commit, tracked, untracked] = await Promise.all([
      listWorktree(root),
      withCommit ? headCommit(root) : null,
      indexLayoutFiles(root),
      // A new app's apps.py, not yet added, counts in the work tree as its migrations do.
      git(['ls-files', '-o', '--exclude-standard', '-z', '--', ...LAYOUT_PATHSPEC], { cwd: root }).then((r) => split0(r.stdout)),
    ]);
    for (const p of untracked) if (!tracked.has(p)) tracked.set(p, '');
    layoutFiles = worktreeLayoutFiles(root, layoutEntries(tracked), layoutContents);
  }
  // The layout files decide which folders hold migrations: they are part of the state.
  const fingerprint = sha1([listed.fingerprint, ...[...layoutFiles].map(([p, oid]) => `${p}\t${oid}`)]);
  const source = spec.kind === 'ref' ? spec.ref : spec.kind;
  let files: Map<string, string> | null = null;
  let dirs: MigrationsDir[] | null = null;
  let layout = EMPTY_LAYOUT;
  const allFiles = () => (files ??= listed.files());
  return {
    source,
    root,
    fingerprint,
    get files() {
      return allFiles();
    },
    get dirs() {
      return (dirs ??= dirsOf(allFiles().keys(), filter, layout));
    },
    layoutFiles,
    get layout() {
      return layout;
    },
    set layout(value: Layout) {
      layout = value;
      dirs = null;
    },
    contents: listed.contents,
    layoutContents,
    commit,
  };
}

/** Read the listing's project layout (`MIGRATION_MODULES`, `apps.py` labels) into it. */
export async function loadLayout(listing: Listing, config: Partial<Pick<Config, 'migrationModules'>>): Promise<Listing> {
  const known = new Map<string, Buffer>();
  for (const [p, content] of listing.layoutContents) known.set(listing.layoutFiles.get(p)!, content);
  listing.layout = await readLayout(listing.layoutFiles, async (oids) => {
    const out = new Map<string, Buffer>();
    const fromGit = oids.filter((oid) => !known.has(oid));
    for (const oid of oids) if (known.has(oid)) out.set(oid, known.get(oid)!);
    if (fromGit.length) for (const [oid, blob] of await readBlobs(fromGit, listing.root)) out.set(oid, blob);
    return out;
  }, config);
  return listing;
}

/** The relevant files of a commit, path -> blob id. */
export async function commitFiles(commit: string, root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const e of await lsTree(commit, root)) if (regular(e.mode) && relevantPath(e.path)) files.set(e.path, e.oid);
  return files;
}

/**
 * Parse blobs by id: from the cache when it knows them, else read (through `reader`, or from
 * `known` contents) and parse, and remember.
 */
export async function parseBlobs(
  oids: Iterable<string>,
  cache: ParseCache,
  reader: Pick<BlobReader, 'readEach'> | null,
  known: ReadonlyMap<string, Buffer> = new Map(),
): Promise<Map<string, ParsedMigration>> {
  const parsed = new Map<string, ParsedMigration>();
  const missing: string[] = [];
  for (const oid of new Set(oids)) {
    const hit = cache.get(oid);
    if (hit) parsed.set(oid, hit);
    else missing.push(oid);
  }
  if (missing.length === 0) return parsed;
  // Loaded here, not at the top: a cached report never needs the parser.
  const { parseMigration } = await import('../core/parse.js');
  const parse = (oid: string, content: Buffer) => {
    const result = parseMigration(content, { deferOperations: true });
    parsed.set(oid, result);
    cache.set(oid, result);
  };
  const unread: string[] = [];
  for (const oid of missing) {
    const content = known.get(oid);
    if (content) parse(oid, content);
    else unread.push(oid);
  }
  // Parsed as they arrive from git.
  if (reader && unread.length) await reader.readEach(unread, parse);
  return parsed;
}

/**
 * Run a pure computation over parses, some of which may come from the parse cache without their
 * operations (it keeps the rest of each parse, and the blob id): when the computation asks for
 * any of those, their blobs are read and it runs again, with the same inputs and now everything
 * it needs. A computation that asks for none runs once.
 */
export async function withOperations<T>(
  cache: ParseCache,
  read: (oids: string[]) => Promise<ReadonlyMap<string, Buffer>>,
  compute: () => T,
): Promise<T> {
  const { recordMissingOperations } = await import('../core/parse.js');
  const first = recordMissingOperations(compute);
  if (first.missing.length === 0) return first.value;
  await cache.provideSources(first.missing, read);
  const second = recordMissingOperations(compute);
  if (second.missing.length > 0) throw new Error(`the blobs of ${second.missing.length} cached parses could not be read again`);
  return second.value;
}

/** Blobs by id: from `known` contents first, then from git. */
export function blobSource(reader: Pick<BlobReader, 'read'>, known: ReadonlyMap<string, Buffer>): (oids: string[]) => Promise<Map<string, Buffer>> {
  return async (oids) => {
    const out = new Map<string, Buffer>();
    const fromGit: string[] = [];
    for (const oid of oids) {
      const content = known.get(oid);
      if (content) out.set(oid, content);
      else fromGit.push(oid);
    }
    if (fromGit.length) for (const [oid, blob] of await reader.read(fromGit)) out.set(oid, blob);
    return out;
  };
}

/** The contents a listing read itself (work-tree files that differ from the index), by blob id. */
export function contentsByOid(listing: Pick<Listing, 'contents' | 'files'>): Map<string, Buffer> {
  const known = new Map<string, Buffer>();
  for (const [p, content] of listing.contents) known.set(listing.files.get(p)!, content);
  return known;
}

/** Parse every source module of a listing; the result is keyed by path, as `analyze` takes it. */
export async function parseListing(
  listing: Listing,
  cache: ParseCache,
  reader: Pick<BlobReader, 'readEach'>,
): Promise<Map<string, ParsedMigration>> {
  const paths = sourcePaths(listing.dirs);
  const byOid = await parseBlobs(
    paths.map((p) => listing.files.get(p)!),
    cache,
    reader,
    contentsByOid(listing),
  );
  const parsed = new Map<string, ParsedMigration>();
  for (const p of paths) {
    const result = byOid.get(listing.files.get(p)!);
    if (result) parsed.set(p, result);
  }
  return parsed;
}
