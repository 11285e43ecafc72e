import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { GitError } from '../errors.js';

/**
 * Every git call goes through here, with argument arrays (never a shell string) and `-z` output.
 * Hot paths (listing trees, reading blobs) spawn git directly: it costs a few milliseconds where
 * loading simple-git costs tens, and a pre-commit hook has a budget of one `node -e 0`. Writing
 * git config (`install`, `uninstall`) is off every hook's path and goes through simple-git, whose
 * guard against configuring a merge driver we lift for exactly that call.
 */
export interface GitOptions {
  cwd: string;
  input?: string | Buffer;
  /** Exit codes that are not failures (e.g. `merge-base --is-ancestor` uses 1 for "no"). */
  okCodes?: readonly number[];
  /** Variables set on top of the environment (e.g. GIT_INDEX_FILE for a temporary index). */
  env?: NodeJS.ProcessEnv;
}

export function gitEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // A hook gets GIT_INDEX_FILE relative to the directory git started it in (the top level); make
  // it absolute so it means the same file from any cwd. `git commit -a` points it at a temporary
  // index that holds what is about to be committed.
  if (env.GIT_INDEX_FILE && !path.isAbsolute(env.GIT_INDEX_FILE)) {
    env.GIT_INDEX_FILE = path.resolve(env.GIT_INDEX_FILE);
  }
  return env;
}

export function git(args: readonly string[], options: GitOptions): Promise<{ stdout: Buffer; code: number }> {
  return new Promise((resolve, reject) => {
    const env = options.env ? { ...gitEnv(), ...options.env } : gitEnv();
    const child = spawn('git', args, { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new GitError(args, e.message, null)));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out);
      if (code === 0 || (code !== null && options.okCodes?.includes(code))) resolve({ stdout, code: code ?? 0 });
      else reject(new GitError(args, Buffer.concat(err).toString('utf8'), code));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

export async function gitText(args: readonly string[], cwd: string): Promise<string> {
  return (await git(args, { cwd })).stdout.toString('utf8').replace(/\n$/, '');
}

export interface RepoInfo {
  /** Top level of the work tree; null for a bare repository. */
  root: string | null;
  gitDir: string;
  bare: boolean;
}

/** Null outside a git repository. */
export async function repoInfo(cwd: string): Promise<RepoInfo | null> {
  let out: string;
  try {
    out = await gitText(['rev-parse', '--is-bare-repository', '--absolute-git-dir'], cwd);
  } catch (e) {
    if (e instanceof GitError) return null;
    throw e;
  }
  const [bare, gitDir] = out.split('\n');
  if (bare === 'true') return { bare: true, gitDir, root: null };
  // Inside the .git folder itself there is no top level either.
  const root = await gitText(['rev-parse', '--show-toplevel'], cwd).catch(() => '');
  return { bare: false, gitDir, root: root || null };
}

export interface TreeEntry {
  mode: string;
  oid: string;
  path: string;
}

/** `git ls-tree -r -z --full-tree <ref>`: every blob of a commit, paths from the top. */
export async function lsTree(ref: string, cwd: string): Promise<TreeEntry[]> {
  const { stdout } = await git(['ls-tree', '-r', '-z', '--full-tree', ref, '--'], { cwd });
  const entries: TreeEntry[] = [];
  for (const record of stdout.toString('utf8').split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode, type, oid] = record.slice(0, tab).split(' ');
    if (type === 'blob') entries.push({ mode, oid, path: record.slice(tab + 1) });
  }
  return entries;
}

export interface IndexEntry extends TreeEntry {
  stage: number;
}

/** `git ls-files -s -z`: the staged state (honours GIT_INDEX_FILE). */
export async function lsFiles(cwd: string): Promise<IndexEntry[]> {
  const { stdout } = await git(['ls-files', '-s', '-z', '--full-name'], { cwd });
  const entries: IndexEntry[] = [];
  for (const record of stdout.toString('utf8').split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode, oid, stage] = record.slice(0, tab).split(' ');
    entries.push({ mode, oid, stage: Number(stage), path: record.slice(tab + 1) });
  }
  return entries;
}

/** Read many blobs through one `git cat-file --batch` process. */
export async function readBlobs(oids: readonly string[], cwd: string): Promise<Map<string, Buffer>> {
  const unique = [...new Set(oids)];
  const blobs = new Map<string, Buffer>();
  if (unique.length === 0) return blobs;
  const { stdout } = await git(['cat-file', '--batch'], { cwd, input: unique.join('\n') + '\n' });
  let at = 0;
  while (at < stdout.length) {
    const eol = stdout.indexOf(0x0a, at);
    if (eol < 0) break;
    const header = stdout.toString('utf8', at, eol).split(' ');
    at = eol + 1;
    if (header[1] === 'missing' || header.length < 3) continue;
    const size = Number(header[2]);
    blobs.set(header[0], stdout.subarray(at, at + size));
    at += size + 1;
  }
  return blobs;
}

// ---------------------------------------------------------------------------------------------
// Plumbing for predicting merges (`check --against`, `branches`) and for the parse cache.

export interface RepoPaths extends RepoInfo {
  /** The directory shared by every worktree (`git rev-parse --git-common-dir`), absolute. */
  commonDir: string;
}

/**
 * `repoInfo` plus the common git directory. Null outside a repository. Run from the top of an
 * ordinary work tree (what a hook, CI and most people do), the answer is read off the file system
 * as git's own discovery would find it; anywhere else, one `git rev-parse` says.
 */
export async function repoPaths(cwd: string): Promise<RepoPaths | null> {
  const here = repoAtTop(cwd);
  if (here) return here;
  // `--show-toplevel` fails in a bare repository and inside .git (exit 128), after printing the rest.
  const { stdout, code } = await git(['rev-parse', '--is-bare-repository', '--absolute-git-dir', '--git-common-dir', '--show-toplevel'], {
    cwd,
    okCodes: [128],
  }).catch((e: unknown) => {
    if (e instanceof GitError) return { stdout: Buffer.alloc(0), code: 128 };
    throw e;
  });
  const [bare, gitDir, common, top] = stdout.toString('utf8').split('\n');
  if (!gitDir || common === undefined) return null;
  const commonDir = path.resolve(cwd, common);
  if (bare === 'true') return { bare: true, gitDir, commonDir, root: null };
  return { bare: false, gitDir, commonDir, root: (code === 0 && top) || null };
}

/**
 * The repository whose work tree `cwd` is the top of, found as git finds it: `cwd/.git` is a
 * directory that looks like a git directory (HEAD, objects/, refs/). Null whenever git could see
 * something else: any GIT_* variable that moves the repository, a `.git` file (linked worktrees,
 * submodules), or anything missing.
 */
function repoAtTop(cwd: string): RepoPaths | null {
  const env = process.env;
  if (env.GIT_DIR || env.GIT_WORK_TREE || env.GIT_COMMON_DIR || env.GIT_OBJECT_DIRECTORY || env.GIT_CEILING_DIRECTORIES) return null;
  try {
    const root = realpathSync.native(cwd);
    const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
    if (!isDir(path.join(root, '.git'))) return null;
    const gitDir = realpathSync.native(path.join(root, '.git'));
    if (!statSync(path.join(gitDir, 'HEAD'), { throwIfNoEntry: false })?.isFile()) return null;
    if (!isDir(path.join(gitDir, 'objects')) || !isDir(path.join(gitDir, 'refs'))) return null;
    // A `commondir` file makes this a linked worktree's git directory; leave that to git.
    if (statSync(path.join(gitDir, 'commondir'), { throwIfNoEntry: false })) return null;
    return { bare: false, gitDir, commonDir: gitDir, root };
  } catch {
    return null;
  }
}

/** `git merge-base a b`: the best common ancestor, or null for unrelated histories. */
export async function mergeBase(a: string, b: string, cwd: string): Promise<string | null> {
  const { stdout, code } = await git(['merge-base', a, b], { cwd, okCodes: [1] });
  const oid = stdout.toString('utf8').trim();
  return code === 0 && oid ? oid : null;
}

export interface RefInfo {
  /** Full name: refs/heads/feature, refs/remotes/origin/main. */
  name: string;
  /** Short name as git prints it: feature, origin/main. */
  short: string;
  oid: string;
  /** Full name of the ref a symbolic ref points at (refs/remotes/origin/HEAD), else ''. */
  symref: string;
  /** Full name of the upstream branch, else ''. */
  upstream: string;
  /** This is the checked-out branch. */
  head: boolean;
}

/** `git for-each-ref` over the given prefixes (refs/heads, refs/remotes). */
export async function listRefs(prefixes: readonly string[], cwd: string): Promise<RefInfo[]> {
  // Ref names cannot hold control characters, so a tab separates fields safely.
  const format = '%(refname)%09%(refname:short)%09%(objectname)%09%(symref)%09%(upstream)%09%(HEAD)';
  const { stdout } = await git(['for-each-ref', `--format=${format}`, ...prefixes], { cwd });
  const refs: RefInfo[] = [];
  for (const line of stdout.toString('utf8').split('\n')) {
    if (!line) continue;
    const [name, short, oid, symref, upstream, head] = line.split('\t');
    refs.push({ name, short, oid, symref, upstream, head: head === '*' });
  }
  return refs;
}

export interface TreeChange {
  path: string;
  /** '' when the path did not exist on that side. */
  oldOid: string;
  newOid: string;
  oldMode: string;
  newMode: string;
}

const NULL_OID = /^0+$/;

/** git's empty tree: what an unrelated history is diffed against. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** The tree of each commit (or tree), in one `git rev-parse`. */
export async function treesOf(revs: readonly string[], cwd: string): Promise<Map<string, string>> {
  const unique = [...new Set(revs)];
  const trees = new Map<string, string>();
  if (unique.length === 0) return trees;
  const out = await gitText(['rev-parse', ...unique.map((r) => `${r}^{tree}`)], cwd);
  out.split('\n').forEach((oid, i) => trees.set(unique[i], oid));
  return trees;
}

/**
 * Many `git diff-tree -r` in one process: for each `[from, to]` pair of commits (or trees), the
 * files that differ. Tree diffs skip identical subtrees by id, so the cost grows with the changes,
 * not with the size of the repository. No rename detection: a rename is a deletion and an
 * addition, which is what a migrations folder sees.
 */
export async function diffTrees(pairs: ReadonlyArray<readonly [from: string, to: string]>, cwd: string): Promise<TreeChange[][]> {
  if (pairs.length === 0) return [];
  const trees = await treesOf(pairs.flat().filter((r) => r !== EMPTY_TREE), cwd);
  trees.set(EMPTY_TREE, EMPTY_TREE);
  // Tree pairs on stdin: `<from> <to>` diffs from -> to, and with --always each line prints a
  // header (`<from> <to>\n`) even when the diff is empty, so the output holds one header per line.
  const input = pairs.map(([from, to]) => `${trees.get(from)} ${trees.get(to)}\n`).join('');
  const { stdout } = await git(['diff-tree', '--stdin', '-r', '-z', '--no-renames', '--always'], { cwd, input });
  const text = stdout.toString('utf8');
  const result: TreeChange[][] = [];
  let current: TreeChange[] | null = null;
  let at = 0;
  while (at < text.length) {
    if (text[at] === ':') {
      const metaEnd = text.indexOf('\0', at);
      const pathEnd = text.indexOf('\0', metaEnd + 1);
      const [oldMode, newMode, oldOid, newOid] = text.slice(at + 1, metaEnd).split(' ');
      const file = text.slice(metaEnd + 1, pathEnd < 0 ? text.length : pathEnd);
      current?.push({
        path: file,
        oldMode,
        newMode,
        oldOid: NULL_OID.test(oldOid) ? '' : oldOid,
        newOid: NULL_OID.test(newOid) ? '' : newOid,
      });
      at = pathEnd < 0 ? text.length : pathEnd + 1;
      continue;
    }
    // A header line: `<from> <to>`.
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    if (end > at) result.push((current = []));
    at = end + 1;
  }
  if (result.length !== pairs.length) {
    throw new GitError(['diff-tree', '--stdin'], `expected ${pairs.length} diffs, read ${result.length}`, 0);
  }
  return result;
}

/** One `readEach` call: its callback, and how many of its blobs are still to come. */
interface BlobBatch {
  use: (oid: string, blob: Buffer) => void;
  left: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * One long-lived `git cat-file --batch`: every blob a run needs goes through it, however many
 * batches the run asks for. Replies are read as a stream, without a promise or a copy per blob:
 * each blob is handed on (to the parser) as soon as its last byte arrives.
 */
export class BlobReader {
  private child: import('node:child_process').ChildProcessWithoutNullStreams | null = null;
  /** Requested ids in order (git answers in order), from `head` on; and the batch of each. */
  private oids: string[] = [];
  private batches: BlobBatch[] = [];
  private head = 0;
  /** An incomplete header line carried over from the previous chunk. */
  private partialHeader: Buffer | null = null;
  /** The blob being read: its size, and the pieces (with its trailing newline) so far. */
  private body: { size: number; parts: Buffer[]; got: number } | null = null;

  constructor(private readonly cwd: string) {}

  /** Start git now rather than on the first read (it then opens the packs while the caller works). */
  start(): void {
    if (this.child) return;
    const child = spawn('git', ['cat-file', '--batch'], { cwd: this.cwd, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const err: Buffer[] = [];
    // Events of a process this reader has already given up on are ignored: a later read runs in a
    // new one.
    const current = () => this.child === child;
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdout.on('data', (b: Buffer) => {
      if (!current()) return;
      try {
        this.consume(b);
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
      }
    });
    child.on('error', (e) => current() && this.fail(new GitError(['cat-file', '--batch'], e.message, null)));
    child.on('close', (code) => {
      if (!current()) return;
      if (this.head < this.oids.length) this.fail(new GitError(['cat-file', '--batch'], Buffer.concat(err).toString('utf8'), code));
      this.child = null;
    });
    child.stdin.on('error', () => {});
    this.child = child;
  }

  /**
   * Fail every read still waiting, and let the process go: git dies on an object it cannot get
   * (a partial clone whose promisor remote is out of reach), and the reads after it start anew.
   */
  private fail(e: Error) {
    const batches = new Set(this.batches.slice(this.head));
    this.oids = [];
    this.batches = [];
    this.head = 0;
    this.partialHeader = null;
    this.body = null;
    const child = this.child;
    this.child = null;
    child?.stdin.end();
    for (const b of batches) b.reject(e);
  }

  /** Hand the blob (or null: git does not have it) to the batch that asked for it. */
  private deliver(blob: Buffer | null) {
    const oid = this.oids[this.head];
    const batch = this.batches[this.head];
    this.head++;
    if (this.head === this.oids.length) {
      this.oids = [];
      this.batches = [];
      this.head = 0;
    }
    if (blob) batch.use(oid, blob);
    if (--batch.left === 0) batch.resolve();
  }

  /** Read replies out of one chunk of git's output: `<oid> blob <size>\n<bytes>\n`, or `<oid> missing\n`. */
  private consume(chunk: Buffer) {
    let at = 0;
    while (at < chunk.length) {
      if (this.body) {
        const body = this.body;
        const take = Math.min(body.size + 1 - body.got, chunk.length - at);
        body.parts.push(chunk.subarray(at, at + take));
        body.got += take;
        at += take;
        if (body.got <= body.size) return;
        this.body = null;
        const whole = body.parts.length === 1 ? body.parts[0] : Buffer.concat(body.parts, body.got);
        this.deliver(whole.subarray(0, body.size));
        continue;
      }
      const eol = chunk.indexOf(0x0a, at);
      if (eol < 0) {
        const rest = chunk.subarray(at);
        this.partialHeader = this.partialHeader ? Buffer.concat([this.partialHeader, rest]) : rest;
        return;
      }
      let header = chunk.toString('latin1', at, eol);
      if (this.partialHeader) {
        header = this.partialHeader.toString('latin1') + header;
        this.partialHeader = null;
      }
      at = eol + 1;
      if (this.head >= this.oids.length) throw new GitError(['cat-file', '--batch'], `unexpected output: ${header}`, null);
      const fields = header.split(' ');
      if (fields.length < 3 || fields[1] === 'missing') {
        this.deliver(null);
        continue;
      }
      const size = Number(fields[2]);
      // The blob and its newline, straight from the chunk when it holds them whole (no copy:
      // stream chunks are never reused).
      if (chunk.length - at > size) {
        const blob = chunk.subarray(at, at + size);
        at += size + 1;
        this.deliver(blob);
      } else {
        this.body = { size, parts: [], got: 0 };
      }
    }
  }

  /** Blobs by id; ids git does not have are left out. */
  async read(oids: Iterable<string>): Promise<Map<string, Buffer>> {
    const blobs = new Map<string, Buffer>();
    await this.readEach(oids, (oid, blob) => blobs.set(oid, blob));
    return blobs;
  }

  /**
   * Hand each blob to `use` as soon as it arrives, while git is still sending the rest: parsing
   * on one core overlaps git reading the pack on the other.
   */
  async readEach(oids: Iterable<string>, use: (oid: string, blob: Buffer) => void): Promise<void> {
    const unique = [...new Set(oids)];
    if (unique.length === 0) return;
    if (!this.child) this.start();
    await new Promise<void>((resolve, reject) => {
      const batch: BlobBatch = { use, left: unique.length, resolve, reject };
      for (const oid of unique) {
        this.oids.push(oid);
        this.batches.push(batch);
      }
      this.child!.stdin.write(unique.join('\n') + '\n');
    });
  }

  close(): void {
    this.child?.stdin.end();
    this.child = null;
  }
}

/** The id git gives a blob with this content (`git hash-object`), computed in process. */
export function blobId(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * `git diff-files --name-only -z`: tracked paths whose work-tree file may differ from the index
 * (git compares stat data, and content when the stat data cannot be trusted).
 */
export async function changedInWorktree(cwd: string): Promise<Set<string>> {
  const { stdout } = await git(['diff-files', '--name-only', '-z'], { cwd });
  return new Set(stdout.toString('utf8').split('\0').filter(Boolean));
}

/**
 * `git merge-file -p`: the text `git merge` leaves in a file both sides changed, with conflict
 * markers when the changes overlap. `base` null is an add/add conflict (an empty common ancestor).
 */
export async function mergeFileText(
  base: Buffer | null,
  ours: Buffer,
  theirs: Buffer,
  labels: readonly [ours: string, base: string, theirs: string],
  cwd: string,
): Promise<{ content: Buffer; conflicted: boolean }> {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(path.join(tmpdir(), 'migcheck-merge-'));
  try {
    const files = ['ours', 'base', 'theirs'].map((n) => path.join(dir, n));
    await Promise.all([writeFile(files[0], ours), writeFile(files[1], base ?? ''), writeFile(files[2], theirs)]);
    // Exit code: the number of conflicts (capped at 127); negative on error.
    const { stdout, code } = await git(
      ['merge-file', '-p', '-L', labels[0], '-L', labels[1], '-L', labels[2], ...files],
      { cwd, okCodes: Array.from({ length: 127 }, (_, i) => i + 1) },
    );
    return { content: stdout, conflicted: code !== 0 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The merge base of `target` with each of `tips`, from one `git rev-list --boundary` instead of a
 * `git merge-base` per branch: the commits of the tips that the target lacks, and the boundary
 * commits (in the target's history) they grow from. A tip that reaches exactly one boundary commit
 * forks there; a tip the target already contains is its own merge base; a tip that reaches none
 * shares no history. Several boundaries (a branch that merged the target in) go to `git merge-base`.
 */
export async function mergeBases(target: string, tips: readonly string[], cwd: string): Promise<Map<string, string | null>> {
  const bases = new Map<string, string | null>();
  const unique = [...new Set(tips)].filter((t) => t !== target);
  if (tips.includes(target)) bases.set(target, target);
  if (unique.length === 0) return bases;
  const input = [...unique, `^${target}`].join('\n') + '\n';
  const out = (await git(['rev-list', '--boundary', '--parents', '--stdin'], { cwd, input })).stdout.toString('utf8');
  const parents = new Map<string, string[]>();
  const boundary = new Set<string>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    if (line[0] === '-') boundary.add(line.slice(1).split(' ')[0]);
    else {
      const [commit, ...rest] = line.split(' ');
      parents.set(commit, rest);
    }
  }
  const hard: string[] = [];
  for (const tip of unique) {
    if (!parents.has(tip)) {
      bases.set(tip, tip);
      continue;
    }
    const reached = new Set<string>();
    const seen = new Set<string>([tip]);
    const stack = [tip];
    while (stack.length) {
      for (const p of parents.get(stack.pop()!) ?? []) {
        if (boundary.has(p)) reached.add(p);
        else if (!seen.has(p) && parents.has(p)) {
          seen.add(p);
          stack.push(p);
        }
      }
    }
    if (reached.size === 1) bases.set(tip, [...reached][0]);
    else if (reached.size === 0) bases.set(tip, null);
    else hard.push(tip);
  }
  for (const tip of hard) bases.set(tip, await mergeBase(target, tip, cwd));
  return bases;
}

export interface MergeTreeEntry {
  mode: string;
  oid: string;
  /** 1 base, 2 ours, 3 theirs. */
  stage: number;
  path: string;
}

export interface MergeTreeResult {
  /** The merged tree, files with conflict markers included (what `git merge` leaves behind). */
  tree: string;
  clean: boolean;
  /** The index entries git would leave unmerged: the files in conflict. */
  conflicts: MergeTreeEntry[];
}

/**
 * `git merge-tree --write-tree` for many `[ours, theirs]` pairs in one process (`--stdin`): git's
 * own merge (the ort strategy, rename detection included), with no work tree. It writes the merged
 * trees and blobs into the object database, where nothing refers to them.
 */
export async function mergeTrees(pairs: ReadonlyArray<readonly [ours: string, theirs: string]>, cwd: string): Promise<MergeTreeResult[]> {
  if (pairs.length === 0) return [];
  const input = pairs.map(([o, t]) => `${o} ${t}\n`).join('');
  const { stdout } = await git(['merge-tree', '--write-tree', '--stdin', '-z', '--no-messages', '--allow-unrelated-histories'], { cwd, input });
  const tokens = stdout.toString('utf8').split('\0');
  const results: MergeTreeResult[] = [];
  let at = 0;
  while (results.length < pairs.length && at < tokens.length) {
    const clean = tokens[at++] === '1';
    const tree = tokens[at++];
    const conflicts: MergeTreeEntry[] = [];
    for (; at < tokens.length && tokens[at] !== ''; at++) {
      const record = tokens[at];
      const tab = record.indexOf('\t');
      const [mode, oid, stage] = record.slice(0, tab).split(' ');
      conflicts.push({ mode, oid, stage: Number(stage), path: record.slice(tab + 1) });
    }
    at++; // the empty token that ends this merge
    results.push({ tree, clean, conflicts });
  }
  if (results.length !== pairs.length) {
    throw new GitError(['merge-tree', '--stdin'], `expected ${pairs.length} merges, read ${results.length}`, 0);
  }
  return results;
}

/**
 * A commit object holding `files` (path -> blob id) over `parent`'s tree, for merging a state that
 * is not a commit (the work tree, the index) with git's own merge. The contents of blobs git does
 * not have yet are written from `contents`. Built in a temporary index: the real index, the work
 * tree and every ref are left alone; the commit is unreachable and git's gc removes it.
 */
export async function commitOfState(
  parent: string | null,
  changes: ReadonlyMap<string, string>,
  contents: ReadonlyMap<string, Buffer>,
  cwd: string,
): Promise<string> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(path.join(tmpdir(), 'migcheck-index-'));
  const env = { GIT_INDEX_FILE: path.join(dir, 'index') };
  try {
    await git(parent ? ['read-tree', parent] : ['read-tree', '--empty'], { cwd, env });
    // Blobs read from the work tree: store them, exactly as read (no clean filters).
    for (const [p, content] of contents) {
      if (changes.get(p)) await git(['hash-object', '-w', '--no-filters', '--stdin'], { cwd, input: content });
    }
    const info = [...changes].map(([p, oid]) => (oid ? `100644 ${oid}\t${p}\0` : `0 ${'0'.repeat(40)}\t${p}\0`)).join('');
    await git(['update-index', '-z', '--index-info'], { cwd, env, input: info });
    const { stdout } = await git(['write-tree'], { cwd, env });
    const args = ['commit-tree', stdout.toString('utf8').trim(), '-m', 'migcheck: the state being checked'];
    if (parent) args.push('-p', parent);
    return (await git(args, { cwd, env: { GIT_AUTHOR_NAME: 'migcheck', GIT_AUTHOR_EMAIL: 'migcheck@localhost', GIT_COMMITTER_NAME: 'migcheck', GIT_COMMITTER_EMAIL: 'migcheck@localhost' } })).stdout
      .toString('utf8')
      .trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `git ls-tree -r -t -z --full-tree <ref>`: every blob, and the id of every folder (a folder's
 * id changes exactly when something inside it does).
 */
export async function lsTreeWithFolders(ref: string, cwd: string): Promise<{ blobs: TreeEntry[]; folders: Map<string, string> }> {
  const { stdout } = await git(['ls-tree', '-r', '-t', '-z', '--full-tree', ref, '--'], { cwd });
  const blobs: TreeEntry[] = [];
  const folders = new Map<string, string>();
  for (const record of stdout.toString('utf8').split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode, type, oid] = record.slice(0, tab).split(' ');
    const p = record.slice(tab + 1);
    if (type === 'blob') blobs.push({ mode, oid, path: p });
    else if (type === 'tree') folders.set(p, oid);
  }
  return { blobs, folders };
}

// ---------------------------------------------------------------------------------------------
// Configuration writes, through simple-git (off the hot path, loaded on first use).

async function configGit(cwd: string) {
  const { simpleGit } = await import('simple-git');
  // simple-git refuses to configure `merge.*.driver` (a command git will run) unless told: the
  // driver migcheck installs is its own, written by `install` from a fixed template.
  return simpleGit({ baseDir: cwd, unsafe: { allowUnsafeMergeDriver: true } });
}

/** `git config <key> <value>` in the repository's local config. */
export async function setConfig(key: string, value: string, cwd: string): Promise<void> {
  try {
    await (await configGit(cwd)).addConfig(key, value, false, 'local');
  } catch (e) {
    throw new GitError(['config', key, value], (e as Error).message, null);
  }
}

/** `git config --unset-all <key>`; a key that is not set is not an error. */
export async function unsetConfig(key: string, cwd: string): Promise<void> {
  const g = await configGit(cwd);
  const current = await g.getConfig(key, 'local');
  if (current.value === null) return;
  try {
    await g.raw(['config', '--local', '--unset-all', key]);
  } catch (e) {
    throw new GitError(['config', '--unset-all', key], (e as Error).message, null);
  }
}
