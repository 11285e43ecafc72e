/**
 * One branch merged into one target, decided on the apps the merge can change: the engine of
 * `migcheck branches`. The merge itself is a three-way merge of whole files when that is exactly
 * what git would do, and `git merge-tree` otherwise (see `needsGitMerge`); the merged tree is
 * analysed on the apps the change can affect (core/scope.ts), memoised by content.
 */
import type { Analysis } from '../core/findings.js';
import { otherFolderNames, type MigrationsDir } from '../core/layout.js';
import { compareStrings } from '../core/order.js';
import { branchConflicts, mergeChanges, OverlayMap, type BranchConflict, type FileConflict } from '../core/predict.js';
import { dirInfo, migrationRefs, scopeApps, type DirInfo } from '../core/scope.js';
import type { ParsedMigration } from '../core/types.js';
import { digest, type FactCache, type ParseCache } from './cache.js';
import type { Config } from './config.js';
import { lsTreeWithFolders, type BlobReader, type TreeChange } from './git.js';
import { layoutEntries, readLayout } from './layout-files.js';
import { dirsOf, relevantPath } from './listing.js';
import { takeDeletions, TreeAnalyzer, withMarkers } from './predict.js';

/** Relevant changes only: files directly in migrations folders, and manage.py. */
export function relevantChanges(changes: readonly TreeChange[]): TreeChange[] {
  return changes.filter((c) => relevantPath(c.path) && (isRegular(c.newMode) || isRegular(c.oldMode)));
}

function isRegular(mode: string): boolean {
  return mode === '100644' || mode === '100755';
}

/** A change seen as a blob id on each side ('' = absent, or not a regular file). */
export function sideOid(c: TreeChange, side: 'old' | 'new'): string {
  return side === 'old' ? (isRegular(c.oldMode) ? c.oldOid : '') : isRegular(c.newMode) ? c.newOid : '';
}

export const dirOfPath = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));
const isManage = (p: string) => p === 'manage.py' || p.endsWith('/manage.py');

const intersects = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].some((x) => b.has(x));

/**
 * Whether the merge of two sides needs git itself: their whole diffs (every path) show a path both
 * changed differently (a text merge, or a deletion git may read as a rename), a path both deleted
 * (two renames of one file), or a folder one side deletes from while the other adds to it (a
 * folder rename git would follow). Otherwise a merge of whole files is exactly git's.
 */
export function needsGitMerge(ours: readonly TreeChange[], theirs: readonly TreeChange[]): boolean {
  const other = new Map(theirs.map((c) => [c.path, c]));
  for (const c of ours) {
    const u = other.get(c.path);
    if (u && (c.newOid !== u.newOid || c.newMode !== u.newMode || !c.newOid)) return true;
  }
  const deletedIn = (x: readonly TreeChange[]) => new Set(x.filter((c) => !c.newOid).map((c) => dirOfPath(c.path)));
  const addedIn = (x: readonly TreeChange[]) => new Set(x.filter((c) => !c.oldOid).map((c) => dirOfPath(c.path)));
  return intersects(deletedIn(ours), addedIn(theirs)) || intersects(deletedIn(theirs), addedIn(ours));
}

/** One target's tree, prepared once and shared by every branch. */
export interface TargetTree {
  name: string;
  commit: string;
  files: Map<string, string>;
  /** Every migrations folder (after include/exclude), by path. */
  dirs: Map<string, MigrationsDir>;
  /** Paths in each folder that holds relevant files, whether or not it is a migrations package. */
  dirFiles: Map<string, string[]>;
  managePaths: string[];
  infos: Map<string, DirInfo>;
  /** The app folder names of the other migrations folders of a folder's project (label inference). */
  othersOf: (dir: MigrationsDir) => ReadonlySet<string>;
}

/** The target with another branch merged in (for pairs). */
export interface Onto {
  files: ReadonlyMap<string, string>;
  added: Set<string>;
}

/** The folders at `paths` exist in `dirs` exactly where they exist in the target. */
function sameFolders(t: TargetTree, paths: Iterable<string>, dirs: readonly MigrationsDir[]): boolean {
  const here = new Set(dirs.map((d) => d.dir));
  for (const d of paths) if (here.has(d) !== t.dirs.has(d)) return false;
  return true;
}

export class Scanner {
  private readonly analyzer: TreeAnalyzer;
  private readonly analyses = new Map<string, Analysis>();

  constructor(
    private readonly options: { root: string; config: Config },
    cache: ParseCache,
    reader: BlobReader,
    private readonly facts: FactCache<{ app: string; refs: string[] }>,
  ) {
    this.analyzer = new TreeAnalyzer(options.root, options.config, cache, reader);
  }

  content(oid: string): Promise<Buffer> {
    return this.analyzer.content(oid);
  }

  async target(name: string, commit: string): Promise<TargetTree> {
    const { blobs, folders } = await lsTreeWithFolders(commit, this.options.root);
    const files = new Map<string, string>();
    for (const e of blobs) if (isRegular(e.mode) && relevantPath(e.path)) files.set(e.path, e.oid);
    // Every tree of the scan is read with the target's layout (its settings and apps.py files).
    const layoutFiles = layoutEntries(blobs.filter((e) => isRegular(e.mode)).map((e) => [e.path, e.oid] as const));
    this.analyzer.layout = await readLayout(layoutFiles, (oids) => this.analyzer.reader.read(oids), this.options.config);
    const dirList = this.analyzer.dirs(files);
    const dirFiles = new Map<string, string[]>();
    const managePaths: string[] = [];
    for (const p of files.keys()) {
      if (isManage(p)) managePaths.push(p);
      else {
        const d = dirOfPath(p);
        if (!dirFiles.has(d)) dirFiles.set(d, []);
        dirFiles.get(d)!.push(p);
      }
    }
    // What each folder holds (its label, the apps it refers to) is remembered by the folder's tree
    // id: an unchanged folder is not parsed again, on this target or the next scan.
    const { labels, settings } = this.options.config;
    const context = digest([JSON.stringify(labels), JSON.stringify(settings), JSON.stringify(this.options.config.migrationModules ?? {})]);
    // The path is part of the key: the label defaults to the folder name.
    // So are the names of the project's other app folders: a reference to the app next door is
    // not a vote for this folder's label (`inferLabel`).
    const othersOf = otherFolderNames(dirList);
    const keyOf = (d: MigrationsDir) =>
      `${d.dir}\0${folders.get(d.dir)}\0${d.project}\0${context}\0${d.label ?? ''}\0${[...othersOf(d)].sort(compareStrings).join('/')}`;
    const infos = new Map<string, DirInfo>();
    const unknown: MigrationsDir[] = [];
    for (const d of dirList) {
      const known = folders.has(d.dir) ? this.facts.get(keyOf(d)) : undefined;
      if (known) infos.set(d.dir, { dir: d, app: known.app, refs: new Set(known.refs) });
      else unknown.push(d);
    }
    if (unknown.length) {
      const parsed = await this.analyzer.parse(unknown, files);
      for (const d of unknown) {
        const info = this.info(d, parsed, othersOf);
        infos.set(d.dir, info);
        if (folders.has(d.dir)) this.facts.set(keyOf(d), { app: info.app, refs: [...info.refs] });
      }
    }
    return { name, commit, files, dirs: new Map(dirList.map((d) => [d.dir, d])), dirFiles, managePaths, infos, othersOf };
  }

  private info(dir: MigrationsDir, parsed: ReadonlyMap<string, ParsedMigration>, othersOf: TargetTree['othersOf']): DirInfo {
    return dirInfo(dir, parsed, this.options.config.labels, this.options.config.settings, othersOf(dir));
  }

  /** Memoised analysis of some folders of a file map. */
  private async analyzeDirs(dirs: readonly (MigrationsDir | DirInfo)[], files: ReadonlyMap<string, string>): Promise<Analysis> {
    // Labels already inferred for the scope are passed on, so analyze does not infer them again.
    const labels: Record<string, string> = { ...this.options.config.labels };
    const plain = dirs.map((d) => {
      if ('app' in d) {
        labels[d.dir.dir] = d.app.slice(d.app.indexOf('\0') + 1);
        return d.dir;
      }
      return d;
    });
    const sorted = plain.sort((a, b) => compareStrings(a.dir, b.dir));
    const key = digest(sorted.flatMap((d) => [d.dir, d.project, String(d.hasInit), d.label ?? '', ...d.modules.map((m) => `${m.path}:${files.get(m.path)}`)]));
    let result = this.analyses.get(key);
    if (!result) {
      result = await this.analyzer.analyze(files, sorted, labels);
      this.analyses.set(key, result);
    }
    return result;
  }

  /**
   * The given folders as they are in `files`, a file map that differs from the target's only in
   * `extra` paths.
   */
  private overlayDirs(t: TargetTree, files: ReadonlyMap<string, string>, dirPaths: ReadonlySet<string>, extra: Iterable<string>): MigrationsDir[] {
    const paths: string[] = [...t.managePaths];
    const candidates = new Map<string, Set<string>>();
    for (const d of dirPaths) candidates.set(d, new Set(t.dirFiles.get(d) ?? []));
    for (const p of extra) candidates.get(dirOfPath(p))?.add(p);
    for (const inDir of candidates.values()) for (const p of inDir) if (files.has(p)) paths.push(p);
    return dirsOf(paths, this.options.config, this.analyzer.layout).filter((d) => dirPaths.has(d.dir));
  }

  /**
   * Predict merging one side (`ours`: its changes since the merge base) into the target, or into
   * the target with another branch already merged (`onto`, for pairs).
   */
  async predict(
    t: TargetTree,
    ours: { ref: string; changes: TreeChange[] },
    theirs: { ref: string; changes: TreeChange[]; onto?: Onto },
    /** The merged tree from `git merge-tree`, when the merge needs git's rename detection. */
    exact?: { files: OverlayMap; conflicts: FileConflict[] },
  ): Promise<BranchConflict[]> {
    if (ours.changes.length === 0) return [];
    const theirsFiles = theirs.onto?.files ?? t.files;
    // Our side's changes, as a three-way merge against the target's tree.
    const base = new Map<string, string>();
    const mine = new Map<string, string>();
    for (const c of ours.changes) {
      const o = sideOid(c, 'old');
      const n = sideOid(c, 'new');
      if (o) base.set(c.path, o);
      if (n) mine.set(c.path, n);
    }
    // The target changed nothing in migrations since the merge base: the merge is our side.
    if (theirs.changes.length === 0 && !theirs.onto) return [];
    let merged = exact;
    if (!merged) {
      const { changes, conflicts } = mergeChanges(base, mine, theirsFiles, ours.changes.map((c) => c.path));
      const files = new OverlayMap(theirsFiles, changes);
      merged = { files, conflicts: await this.analyzer.resolveContent(files, conflicts, [ours.ref, 'merge base', theirs.ref]) };
    }
    takeDeletions(merged.files, merged.conflicts);
    // Where the merge differs from the target: our changes, and whatever git moved (renames).
    const changedPaths = [...new Set([...ours.changes.map((c) => c.path), ...merged.files.changedPaths()])];

    if (changedPaths.some(isManage) || theirs.changes.some((c) => isManage(c.path))) {
      // A new or removed Django project moves folders between projects: analyse everything.
      return this.predictFull(t, ours, theirs, base, mine, merged);
    }
    const ourDirs = new Set(changedPaths.map(dirOfPath));
    const extra = [...changedPaths, ...(theirs.onto ? theirs.changes.map((c) => c.path) : [])];
    const mergedChanged = this.overlayDirs(t, merged.files, ourDirs, extra);
    const theirsDirs = theirs.onto ? this.overlayDirs(t, theirsFiles, ourDirs, extra) : [...ourDirs].map((d) => t.dirs.get(d)).filter((d): d is MigrationsDir => !!d);
    // A migrations folder that appears or disappears changes what the other folders' labels are
    // inferred from (`otherFolderNames`), and the facts remembered for the target's folders no
    // longer hold: analyse everything, as for a new project.
    if (!sameFolders(t, ourDirs, mergedChanged) || !sameFolders(t, ourDirs, theirsDirs)) return this.predictFull(t, ours, theirs, base, mine, merged);
    const mergedParsed = await this.analyzer.parse(mergedChanged, merged.files);
    const mergedInfos = new Map(t.infos);
    for (const d of ourDirs) mergedInfos.delete(d);
    for (const d of mergedChanged) mergedInfos.set(d.dir, this.info(d, mergedParsed, t.othersOf));

    let theirsInfos = t.infos;
    if (theirs.onto) {
      const theirsParsed = await this.analyzer.parse(theirsDirs, theirsFiles);
      theirsInfos = new Map(t.infos);
      for (const d of theirsDirs) theirsInfos.set(d.dir, this.info(d, theirsParsed, t.othersOf));
    }

    const changedApps = new Set<string>();
    const referenced = new Set<string>();
    const shrunk = new Set<string>();
    const changedSet = new Set(changedPaths);
    const theirsByDir = new Map(theirsDirs.map((d) => [d.dir, d]));
    for (const d of ourDirs) {
      const info = mergedInfos.get(d);
      const before = theirsInfos.get(d) ?? t.infos.get(d);
      if (info) changedApps.add(info.app);
      if (before) changedApps.add(before.app);
      if (!info) continue;
      // What the changed migrations refer to.
      const label = info.app.slice(info.app.indexOf('\0') + 1);
      for (const m of info.dir.modules) {
        const parsed = changedSet.has(m.path) ? mergedParsed.get(m.path) : undefined;
        if (parsed) for (const r of migrationRefs(parsed, info.dir.project, label, this.options.config.settings)) referenced.add(r);
      }
      // Migrations the other side has and the merge has not: references to them may break.
      const names = new Set(info.dir.modules.map((m) => m.name));
      if ((theirsByDir.get(d)?.modules ?? []).some((m) => !names.has(m.name)) && before) shrunk.add(before.app);
    }
    for (const d of ourDirs) if (!mergedInfos.has(d) && (theirsInfos.get(d) ?? t.infos.get(d))) shrunk.add((theirsInfos.get(d) ?? t.infos.get(d))!.app);
    // A file left with conflict markers cannot be imported: what refers to it is what it takes down.
    for (const c of merged.conflicts) {
      const info = c.kind === 'content' ? mergedInfos.get(dirOfPath(c.path)) : undefined;
      if (info) shrunk.add(info.app);
    }
    const scope = scopeApps({ changed: changedApps, referenced, shrunk }, [...mergedInfos.values()]);
    const pick = (infos: Map<string, DirInfo>) => [...infos.values()].filter((i) => scope.has(i.app) || ourDirs.has(i.dir.dir));
    const mergedAnalysis = withMarkers(await this.analyzeDirs(pick(mergedInfos), merged.files), merged.conflicts);
    const theirsAnalysis = await this.analyzeDirs(pick(theirsInfos), theirsFiles);
    const ourAdded = new Set([...mine.keys()].filter((p) => !base.has(p)));
    const theirAdded = theirs.onto?.added ?? new Set(theirs.changes.filter((c) => !sideOid(c, 'old') && sideOid(c, 'new')).map((c) => c.path));
    const empty = { apps: [], findings: [] };
    const first = branchConflicts({
      target: theirs.ref,
      ours: { ref: ours.ref, analysis: empty, added: ourAdded },
      theirs: { ref: theirs.ref, analysis: theirsAnalysis, added: theirAdded },
      merged: mergedAnalysis,
      conflicts: merged.conflicts,
    });
    if (first.length === 0) return first;
    // Something new against the target: check it is not a problem our side has on its own.
    const ourFiles = this.ourSide(theirsFiles, theirs.changes, ours.changes, mine);
    const ourTouched = new Set([...ourDirs, ...theirs.changes.map((c) => dirOfPath(c.path))]);
    const ourChanged = this.overlayDirs(t, ourFiles, ourTouched, [...extra, ...theirs.changes.map((c) => c.path)]);
    let ourAnalysis: Analysis;
    if (sameFolders(t, ourTouched, ourChanged)) {
      const ourParsed = await this.analyzer.parse(ourChanged, ourFiles);
      const ourInfos = new Map(t.infos);
      for (const d of ourTouched) ourInfos.delete(d);
      for (const d of ourChanged) ourInfos.set(d.dir, this.info(d, ourParsed, t.othersOf));
      ourAnalysis = await this.analyzeDirs(pick(ourInfos), ourFiles);
    } else {
      // The target added or removed a migrations folder since the merge base: labels on our side
      // are inferred among other folders, so our side is analysed whole.
      ourAnalysis = await this.analyzeDirs(this.analyzer.dirs(ourFiles), ourFiles);
    }
    return branchConflicts({
      target: theirs.ref,
      ours: { ref: ours.ref, analysis: ourAnalysis, added: ourAdded },
      theirs: { ref: theirs.ref, analysis: theirsAnalysis, added: theirAdded },
      merged: mergedAnalysis,
      conflicts: merged.conflicts,
    });
  }

  /** Our side's tree: theirs with their changes undone and ours applied. */
  private ourSide(
    theirsFiles: ReadonlyMap<string, string>,
    theirChanges: readonly TreeChange[],
    ourChanges: readonly TreeChange[],
    mine: ReadonlyMap<string, string>,
  ): OverlayMap {
    const files = new OverlayMap(theirsFiles);
    for (const c of theirChanges) files.set(c.path, sideOid(c, 'old'));
    for (const c of ourChanges) files.set(c.path, mine.get(c.path) ?? '');
    return files;
  }

  /** The slow, exact path: whole trees. */
  private async predictFull(
    t: TargetTree,
    ours: { ref: string; changes: TreeChange[] },
    theirs: { ref: string; changes: TreeChange[]; onto?: Onto },
    base: Map<string, string>,
    mine: Map<string, string>,
    merged: { files: ReadonlyMap<string, string>; conflicts: FileConflict[] },
  ): Promise<BranchConflict[]> {
    const theirsFiles = theirs.onto?.files ?? t.files;
    const ourFiles = this.ourSide(theirsFiles, theirs.changes, ours.changes, mine);
    const all = (files: ReadonlyMap<string, string>) => this.analyzeDirs(this.analyzer.dirs(files), files);
    const [o, th, mRaw] = await Promise.all([all(ourFiles), all(theirsFiles), all(merged.files)]);
    const m = withMarkers(mRaw, merged.conflicts);
    return branchConflicts({
      target: theirs.ref,
      ours: { ref: ours.ref, analysis: o, added: new Set([...mine.keys()].filter((p) => !base.has(p))) },
      theirs: {
        ref: theirs.ref,
        analysis: th,
        added: theirs.onto?.added ?? new Set(theirs.changes.filter((c) => !sideOid(c, 'old') && sideOid(c, 'new')).map((c) => c.path)),
      },
      merged: m,
      conflicts: merged.conflicts,
    });
  }

  /** The target with one branch's changes merged in (for pairs). */
  mergedWith(t: TargetTree, changes: readonly TreeChange[]): Onto {
    const base = new Map<string, string>();
    const mine = new Map<string, string>();
    for (const c of changes) {
      if (sideOid(c, 'old')) base.set(c.path, sideOid(c, 'old'));
      if (sideOid(c, 'new')) mine.set(c.path, sideOid(c, 'new'));
    }
    const merged = mergeChanges(base, mine, t.files, changes.map((c) => c.path));
    const files = new OverlayMap(t.files, merged.changes);
    // A file both the branch and the target changed: keep the branch's side for the pair check
    // (the conflict with the target is reported on its own).
    for (const c of merged.conflicts) if (c.kind === 'content') files.set(c.path, c.ours);
    return { files, added: new Set([...mine.keys()].filter((p) => !base.has(p))) };
  }
}
