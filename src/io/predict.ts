/**
 * Predicting a merge with git's plumbing: git's own merge without a work tree (`git merge-tree`),
 * the files of each side and of the merge base, then the core's verdict on the merged tree.
 * Nothing is checked out and no ref moves; git stores the merged tree (and, for a work tree or an
 * index, a commit of that state) as objects nothing refers to.
 */
import { irreversibleAt } from '../core/clashes.js';
import { introducedDuplicates } from '../core/duplicates.js';
import { analyze, sortFindings, type Analysis, type AppSummary, type Finding } from '../core/findings.js';
import type { MigrationsDir } from '../core/layout.js';
import { EMPTY_LAYOUT, type Layout } from '../core/project-layout.js';
import { addedPaths, branchConflicts, type BranchConflict, type FileConflict, type FileMap } from '../core/predict.js';
import type { ParsedMigration } from '../core/types.js';
import { MissingObjectError } from '../errors.js';
import { branchMessages, mergeTextMessages } from '../messages.js';
import type { ParseCache } from './cache.js';
import { analyzeOptions, type Config } from './config.js';
import { blobId, commitOfState, mergeBase, mergeFileText, mergeTrees, type BlobReader, type MergeTreeResult } from './git.js';
import { blobSource, commitFiles, dirsOf, parseBlobs, sourcePaths, withOperations } from './listing.js';
import { resolveCommit } from './tree.js';

/**
 * How the two commits relate: 'same' commit; 'ahead' (the target is already in ours: merging is
 * a no-op); 'merged' (ours is already in the target: only uncommitted work can add anything);
 * 'diverged'; 'unrelated' (no common history).
 */
export type Relation = 'same' | 'ahead' | 'merged' | 'diverged' | 'unrelated';

export interface Prediction {
  target: string;
  commit: string;
  base: string | null;
  relation: Relation;
  /** The merged tree as `check` would report it after the merge. */
  apps: AppSummary[];
  findings: Finding[];
  /** Files both sides changed: git stops on them. */
  fileConflicts: FileConflict[];
  /** What the merge breaks that neither side breaks alone. */
  conflicts: BranchConflict[];
}

export function relationOf(ours: string | null, theirs: string, base: string | null): Relation {
  if (ours === theirs) return 'same';
  if (base === null) return 'unrelated';
  if (base === theirs) return 'ahead';
  if (base === ours) return 'merged';
  return 'diverged';
}

/** Parses and analyses file maps, reading each blob at most once per run. */
export class TreeAnalyzer {
  /** Contents git does not have as blobs (work-tree files, merged texts), by blob id. */
  readonly known = new Map<string, Buffer>();
  private readonly parsed = new Map<string, ParsedMigration>();
  /** `MIGRATION_MODULES` and `apps.py` labels the trees are read with (the checked state's, or the target's). */
  layout: Layout = EMPTY_LAYOUT;

  constructor(
    readonly root: string,
    readonly config: Config,
    readonly cache: ParseCache,
    readonly reader: BlobReader,
  ) {}

  dirs(files: FileMap): MigrationsDir[] {
    return dirsOf(files.keys(), this.config, this.layout);
  }

  /** Parses of the source modules of `dirs`, by path. */
  async parse(dirs: readonly MigrationsDir[], files: FileMap): Promise<Map<string, ParsedMigration>> {
    const paths = sourcePaths(dirs);
    const wanted = paths.map((p) => files.get(p)!).filter((oid) => !this.parsed.has(oid));
    if (wanted.length) {
      for (const [oid, result] of await parseBlobs(wanted, this.cache, this.reader, this.known)) this.parsed.set(oid, result);
    }
    const byPath = new Map<string, ParsedMigration>();
    for (const p of paths) {
      const oid = files.get(p)!;
      const result = this.parsed.get(oid);
      // git answered without it: not a file with no migration in it, but one nobody can read here.
      if (!result) throw new MissingObjectError(oid, branchMessages.missingObject(oid, p));
      byPath.set(p, result);
    }
    return byPath;
  }

  async analyze(files: FileMap, dirs: readonly MigrationsDir[] = this.dirs(files), labels?: Readonly<Record<string, string>>): Promise<Analysis> {
    const parsed = await this.parse(dirs, files);
    const options = { ...analyzeOptions(this.config), ...(labels ? { labels } : {}) };
    return this.withOperations(() => analyze(dirs, parsed, options));
  }

  /** Run a pure computation over parses of this analyser (`withOperations`). */
  withOperations<T>(compute: () => T): Promise<T> {
    return withOperations(this.cache, blobSource(this.reader, this.known), compute);
  }

  /** The blob of `oid`, from git or from `known`. */
  async content(oid: string): Promise<Buffer> {
    const known = this.known.get(oid);
    if (known) return known;
    const blob = (await this.reader.read([oid])).get(oid);
    if (!blob) throw new MissingObjectError(oid, branchMessages.missingObject(oid));
    return blob;
  }

  /**
   * Fill in the merged text of every file both sides changed, as `git merge` leaves it in the work
   * tree (conflict markers included), so the merged tree can be parsed like any other. Returns the
   * conflicts that remain (texts that merged cleanly are not).
   */
  async resolveContent(
    files: { set(path: string, oid: string): unknown },
    conflicts: readonly FileConflict[],
    labels: readonly [string, string, string],
  ): Promise<FileConflict[]> {
    const left: FileConflict[] = [];
    for (const c of conflicts) {
      if (c.kind !== 'content') {
        left.push(c);
        continue;
      }
      const [base, ours, theirs] = await Promise.all([c.base ? this.content(c.base) : null, this.content(c.ours), this.content(c.theirs)]);
      const { content, conflicted } = await mergeFileText(base, ours, theirs, labels, this.root);
      const oid = blobId(content);
      this.known.set(oid, content);
      files.set(c.path, oid);
      // Changes that do not overlap merge cleanly, as in git.
      if (conflicted) left.push(c);
    }
    return left;
  }
}

export interface OursState {
  /** 'worktree', 'index', or the ref. */
  ref: string;
  /** The commit the state builds on (HEAD for the work tree and the index). */
  commit: string | null;
  /** The state is exactly `commit` (a ref), not a work tree or an index over it. */
  isCommit?: boolean;
  files: FileMap;
  /** Work-tree contents by path, for files git has no blob for yet. */
  contents?: ReadonlyMap<string, Buffer>;
  analysis: Pick<Analysis, 'apps' | 'findings'>;
}

/** A commit that holds the state: itself, HEAD when the migrations match it, else a new one. */
async function commitFor(ours: OursState, root: string): Promise<string> {
  if (ours.isCommit && ours.commit) return ours.commit;
  const head = ours.commit ? await commitFiles(ours.commit, root) : new Map<string, string>();
  const changes = new Map<string, string>();
  for (const [p, oid] of ours.files) if (head.get(p) !== oid) changes.set(p, oid);
  for (const p of head.keys()) if (!ours.files.has(p)) changes.set(p, '');
  if (changes.size === 0 && ours.commit) return ours.commit;
  return commitOfState(ours.commit, changes, ours.contents ?? new Map(), root);
}

/** A line git writes around conflicting text (seven or more, more for nested merges). */
const MARKER = /^(?:<{7,}|>{7,})(?: |$)/m;

/**
 * Files git left in conflict that are in the merged tree: 'content' when the file holds conflict
 * markers (git wrote a merged text), 'delete' when git kept one side's file as it was.
 */
export async function conflictsOf(result: MergeTreeResult, merged: FileMap, content: (oid: string) => Promise<Buffer>): Promise<FileConflict[]> {
  const byPath = new Map<string, string[]>();
  for (const e of result.conflicts) {
    if (!merged.has(e.path)) continue;
    if (!byPath.has(e.path)) byPath.set(e.path, ['', '', '']);
    byPath.get(e.path)![e.stage - 1] = e.oid;
  }
  const out: FileConflict[] = [];
  for (const [p, [base, ours, theirs]] of byPath) {
    const text = (await content(merged.get(p)!)).toString('utf8');
    out.push({ path: p, base, ours, theirs, kind: MARKER.test(text) ? 'content' : 'delete' });
  }
  return out;
}

/**
 * One side deleted a file the other changed: git stops and leaves the changed file in the work
 * tree for the user to decide. The prediction judges the tree with the deletion taken, the usual
 * answer (the target squashed the migrations a branch reformatted), and reports the file git
 * stops on as the root cause; kept, the stray file would make findings of its own (a folder the
 * target moved away comes back with one file in it).
 */
export function takeDeletions(files: { set(path: string, oid: string): unknown } | Map<string, string>, conflicts: readonly FileConflict[]): void {
  for (const c of conflicts) {
    if (c.kind !== 'delete') continue;
    if (files instanceof Map) files.delete(c.path);
    else files.set(c.path, '');
  }
}

/**
 * A file with conflict markers is a SyntaxError for Python whatever else is in it: make sure the
 * merged verdict says so for every such file.
 */
export function withMarkers(analysis: Analysis, conflicts: readonly FileConflict[]): Analysis {
  const unreadable = new Set(analysis.findings.filter((f) => f.code === 'parse-error').map((f) => f.file));
  const extra: Finding[] = [];
  for (const c of conflicts) {
    if (c.kind !== 'content' || unreadable.has(c.path)) continue;
    const dir = c.path.slice(0, c.path.lastIndexOf('/'));
    const app = analysis.apps.find((a) => a.path === dir);
    if (!app) continue;
    extra.push({
      code: 'parse-error',
      severity: 'error',
      app: app.label,
      migrations: [c.path.slice(dir.length + 1).replace(/\.pyc?$/, '')],
      parent: null,
      message: mergeTextMessages.markers(c.path),
      hint: mergeTextMessages.markersHint(),
      file: c.path,
      line: 1,
    });
  }
  return extra.length ? { ...analysis, findings: sortFindings([...analysis.findings, ...extra]) } : analysis;
}

/**
 * Predict merging `target` into the state `ours`, as `git merge <target>` would: git's own merge
 * (`git merge-tree`, renames and all), then the verdict on the tree it gives.
 */
export async function predictMerge(analyzer: TreeAnalyzer, ours: OursState, target: string): Promise<Prediction> {
  const root = analyzer.root;
  const [commit, oursCommit] = await Promise.all([resolveCommit(target, root), commitFor(ours, root)]);
  const [base, [result]] = await Promise.all([mergeBase(oursCommit, commit, root), mergeTrees([[oursCommit, commit]], root)]);
  const [baseFiles, theirsFiles, mergedFiles] = await Promise.all([
    base ? commitFiles(base, root) : Promise.resolve(new Map<string, string>()),
    commitFiles(commit, root),
    commitFiles(result.tree, root),
  ]);
  const fileConflicts = await conflictsOf(result, mergedFiles, (oid) => analyzer.content(oid));
  takeDeletions(mergedFiles, fileConflicts);
  const [theirsAnalysis, mergedRaw] = await Promise.all([analyzer.analyze(theirsFiles), analyzer.analyze(mergedFiles)]);
  const mergedAnalysis = withMarkers(mergedRaw, fileConflicts);
  const conflicts = branchConflicts({
    target,
    ours: { ref: ours.ref, analysis: ours.analysis, added: addedPaths(baseFiles, ours.files) },
    theirs: { ref: target, analysis: theirsAnalysis, added: addedPaths(baseFiles, theirsFiles) },
    merged: mergedAnalysis,
    conflicts: fileConflicts,
  });
  // Migrations this side adds that the target does not have yet: their irreversible steps.
  const fresh = new Set([...addedPaths(baseFiles, ours.files)].filter((p) => !theirsFiles.has(p)));
  const extra = await analyzer.withOperations(() => irreversibleAt(mergedAnalysis.projects, fresh, mergedAnalysis.findings));
  // Numbers this side takes from the target, joined by a merge migration or not: new work.
  extra.push(...introducedDuplicates(mergedAnalysis.projects, fresh, theirsFiles, target, mergedAnalysis.findings));
  return {
    target,
    commit,
    base,
    // The state's own commit (if any) is a child of ours.commit, so the merge base says how
    // ours.commit and the target relate.
    relation: relationOf(ours.commit, commit, base),
    apps: mergedAnalysis.apps,
    findings: extra.length ? sortFindings([...mergedAnalysis.findings, ...extra]) : mergedAnalysis.findings,
    fileConflicts,
    conflicts,
  };
}
