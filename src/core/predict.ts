/**
 * What merging two states would give, decided before anyone merges. Pure: the caller lists the
 * files of the merge base and of both sides (path -> blob id), and analyses the trees.
 *
 * The merge is git's three-way merge at the level of whole files, which is all a migrations folder
 * needs: a path both sides left alone, or only one side changed, takes that side's blob; a path
 * both sides changed differently is a conflict (`git merge` stops, and a file with conflict
 * markers is what Django would then try to import). Renames are a deletion and an addition, as
 * they are for Django.
 */
import type { Analysis, AppSummary, Finding, ProjectGraph } from './findings.js';
import { compareStrings, sortStrings } from './order.js';
import { LOCKFILE } from './lockfile.js';
import { branchMessages } from '../messages.js';

export type FileMap = ReadonlyMap<string, string>;

/** A path both sides changed in different ways; '' stands for "not there" on that side. */
export interface FileConflict {
  path: string;
  base: string;
  ours: string;
  theirs: string;
  /**
   * 'content': both sides have the file and their texts must be merged (git's textual merge, which
   * may leave conflict markers); 'delete': one side deleted a file the other changed, and git
   * leaves the changed file in place.
   */
  kind: 'content' | 'delete';
}

export interface MergedFiles {
  /** Every file of the merged tree; for a 'content' conflict, the id is the caller's to fill. */
  files: Map<string, string>;
  conflicts: FileConflict[];
}

/**
 * Git's three-way merge of whole files. `paths` limits the work to paths that may differ (the
 * union of both sides' changes); every other path is taken from `theirs` as it stands.
 */
export function mergeFiles(base: FileMap, ours: FileMap, theirs: FileMap, paths?: Iterable<string>): MergedFiles {
  const { changes, conflicts } = mergeChanges(base, ours, theirs, paths ?? new Set([...base.keys(), ...ours.keys(), ...theirs.keys()]));
  const files = new Map(theirs);
  for (const [p, oid] of changes) {
    if (oid) files.set(p, oid);
    else files.delete(p);
  }
  return { files, conflicts };
}

/**
 * The same merge, as the paths where the result differs from `theirs` ('' = deleted; a 'content'
 * conflict is '' until the caller fills in the merged text), for callers that keep `theirs` and
 * lay the changes over it.
 */
export function mergeChanges(
  base: FileMap,
  ours: FileMap,
  theirs: FileMap,
  paths: Iterable<string>,
): { changes: Map<string, string>; conflicts: FileConflict[] } {
  const changes = new Map<string, string>();
  const conflicts: FileConflict[] = [];
  for (const p of paths) {
    const b = base.get(p) ?? '';
    const o = ours.get(p) ?? '';
    const t = theirs.get(p) ?? '';
    let result: string;
    if (o === t || o === b) result = t;
    else if (t === b) result = o;
    else {
      const kind = o && t ? 'content' : 'delete';
      conflicts.push({ path: p, base: b, ours: o, theirs: t, kind });
      result = kind === 'delete' ? o || t : '';
    }
    if (result !== t) changes.set(p, result);
  }
  conflicts.sort((x, y) => compareStrings(x.path, y.path));
  return { changes, conflicts };
}

/**
 * A file map that is `base` with some paths changed ('' = deleted), without copying `base`: a
 * scan lays each branch over the target's ten thousand files.
 */
export class OverlayMap implements ReadonlyMap<string, string> {
  private readonly changes: Map<string, string>;

  constructor(
    private readonly base: ReadonlyMap<string, string>,
    changes: Iterable<readonly [string, string]> = [],
  ) {
    this.changes = new Map(changes);
  }

  get(p: string): string | undefined {
    const c = this.changes.get(p);
    if (c !== undefined) return c === '' ? undefined : c;
    return this.base.get(p);
  }

  has(p: string): boolean {
    return this.get(p) !== undefined;
  }

  /** Change one path ('' deletes it). */
  set(p: string, oid: string): this {
    this.changes.set(p, oid);
    return this;
  }

  /** The paths changed over the base. */
  changedPaths(): IterableIterator<string> {
    return this.changes.keys();
  }

  get size(): number {
    let n = 0;
    for (const _ of this.keys()) n++;
    return n;
  }

  *entries(): MapIterator<[string, string]> {
    for (const [p, oid] of this.base) if (!this.changes.has(p)) yield [p, oid];
    for (const [p, oid] of this.changes) if (oid !== '') yield [p, oid];
  }

  *keys(): MapIterator<string> {
    for (const [p] of this.entries()) yield p;
  }

  *values(): MapIterator<string> {
    for (const [, oid] of this.entries()) yield oid;
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  forEach(fn: (value: string, key: string, map: ReadonlyMap<string, string>) => void): void {
    for (const [p, oid] of this.entries()) fn(oid, p, this);
  }
}

/** Paths that one side has and the merge base has not: what that side added. */
export function addedPaths(base: FileMap, side: FileMap): Set<string> {
  const added = new Set<string>();
  for (const p of side.keys()) if (!base.has(p)) added.add(p);
  return added;
}

/** One side of a predicted merge, as the findings describe it. */
export interface SideReport {
  /** What the user calls it: 'worktree', 'index', a branch name. */
  ref: string;
  analysis: Pick<Analysis, 'apps' | 'findings'>;
  /** Paths this side added since the merge base. */
  added: ReadonlySet<string>;
}

export interface SideMigrations {
  ref: string;
  /** Migrations this side added to the app since the merge base, sorted. */
  migrations: string[];
  files: string[];
}

/** A `branch-conflict` finding: merging `target` would break what neither side breaks alone. */
export interface BranchConflict extends Finding {
  code: 'branch-conflict';
  severity: 'error';
  target: string;
  /** The finding the merged tree would have: 'multiple-leaves', 'missing-dependency', 'content-conflict'... */
  cause: string;
  /** Each side's new migrations in the app, ours first. */
  sides: SideMigrations[];
  /**
   * Migrations (`app.name`) whose own findings follow from this one and are folded into it: they
   * depend on a file git stops on, that cannot be read, or that is gone.
   */
  dependents?: string[];
  /** The app's max_migration.txt, when both sides change it (git stops on it too; the merge driver resolves it). */
  lockfile?: string;
}

const appKey = (a: Pick<AppSummary, 'label' | 'path'>) => `${a.path}\0${a.label}`;

/** Findings are the same problem when they name the same thing; lines and wording may move. */
function findingKey(f: Finding): string {
  if (f.code === 'multiple-leaves') return `${f.code}|${f.app}|${f.migrations.join(',')}`;
  return `${f.code}|${f.app}|${f.migrations.join(',')}|${f.parent}|${f.file}|${f.code === 'parse-error' ? f.message : ''}`;
}

function sideMigrations(ref: string, dir: string, added: ReadonlySet<string>): SideMigrations {
  const prefix = `${dir}/`;
  const files = sortStrings(
    [...added].filter((p) => p.startsWith(prefix) && p.indexOf('/', prefix.length) < 0 && /\.pyc?$/.test(p) && !p.endsWith('/__init__.py')),
  );
  const migrations = files.map((p) => p.slice(prefix.length).replace(/\.pyc?$/, ''));
  return { ref, migrations, files };
}

export interface PredictInput {
  /** The ref merged in, as the user named it. */
  target: string;
  ours: SideReport;
  theirs: SideReport;
  /** The merged tree's verdict; with its graphs, root causes count the migrations that depend on them. */
  merged: Pick<Analysis, 'apps' | 'findings'> & { projects?: readonly ProjectGraph[] };
  conflicts: readonly FileConflict[];
}

const dirOfFile = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));
const moduleName = (p: string) => p.slice(p.lastIndexOf('/') + 1).replace(/\.pyc?$/, '');
const isLockfile = (p: string) => p === LOCKFILE || p.endsWith(`/${LOCKFILE}`);

/**
 * One thing that breaks the merge, and what follows from it: the finding to show, the migrations
 * (`app.name`) it takes down with it, and the apps whose graph it keeps from loading.
 */
interface RootCause {
  finding: Finding;
  cause: string;
  /** Nodes (`app.name`) the cause makes unusable: dependencies on them are its echoes. */
  nodes: Set<string>;
  dependents: Set<string>;
  /** Rebuilds the message once the dependents are known. */
  message: (dependents: number) => string;
}

/**
 * The `branch-conflict` findings of a predicted merge: every error the merged tree has that
 * neither side has alone. Several leaves in an app is the usual one (each side added a migration
 * on the same parent); a file git stops on (both sides changed it, or one deleted what the other
 * changed), a dependency on a migration the other side deleted, an unreadable file, and a cycle
 * are the others.
 *
 * One root cause is reported once: what follows from it (migrations that depend on a file git
 * stops on, reported by the graph as `missing-dependency`; extra leaves and operation clashes on a
 * graph that cannot load) is folded into its message, not repeated as findings of its own. Both
 * sides changing max_migration.txt is by design (django-linear-migrations): it goes with the
 * app's leaves, whose fix resolves it.
 */
export function branchConflicts(input: PredictInput): BranchConflict[] {
  const { target, ours, theirs, merged } = input;
  const before = new Set([...ours.analysis.findings, ...theirs.analysis.findings].map(findingKey));
  const dirOf = new Map<string, string>();
  for (const a of [...theirs.analysis.apps, ...ours.analysis.apps, ...merged.apps]) dirOf.set(a.label, a.path);
  const appAt = (dir: string) =>
    merged.apps.find((a) => a.path === dir) ?? theirs.analysis.apps.find((a) => a.path === dir) ?? ours.analysis.apps.find((a) => a.path === dir);
  const sidesOf = (app: string | null, f?: Finding) => {
    const dir = (app !== null && f && appDirFor(merged.apps, f)) || (app !== null ? dirOf.get(app) : undefined);
    return dir ? [sideMigrations(ours.ref, dir, ours.added), sideMigrations(theirs.ref, dir, theirs.added)] : [];
  };
  const fresh = merged.findings.filter((f) => f.severity === 'error' && !before.has(findingKey(f)));
  const roots: RootCause[] = [];

  // 1. Files git stops on, one finding per app: both sides changed them, or one side deleted what
  //    the other changed. max_migration.txt is set aside (below).
  const stopped = new Map<string, FileConflict[]>();
  const locks = new Map<string, string>();
  for (const c of input.conflicts) {
    const dir = dirOfFile(c.path);
    if (isLockfile(c.path)) {
      locks.set(dir, c.path);
      continue;
    }
    // Other data files beside the migrations (SQL, fixtures) are no module Django imports, and
    // manage.py only tells migcheck where a project is.
    if (!c.path.endsWith('.py') || c.path === 'manage.py' || c.path.endsWith('/manage.py')) continue;
    if (!stopped.has(dir)) stopped.set(dir, []);
    stopped.get(dir)!.push(c);
  }
  const conflictPaths = new Set(input.conflicts.map((c) => c.path));
  for (const [dir, files] of stopped) {
    const app = appAt(dir)?.label ?? null;
    const names = files.map((c) => moduleName(c.path)).filter((n) => n !== '__init__');
    const content = files.filter((c) => c.kind === 'content').map((c) => c.path);
    const deleted = files
      .filter((c) => c.kind === 'delete')
      .map((c) => ({ file: c.path, deleter: c.ours ? theirs.ref : ours.ref, changer: c.ours ? ours.ref : theirs.ref }));
    const first = files[0].path;
    roots.push({
      finding: {
        code: 'content-conflict',
        severity: 'error',
        app,
        migrations: sortStrings(names),
        parent: null,
        message: '',
        hint: content.length ? branchMessages.contentHint(first, target) : branchMessages.deleteHint(deleted[0], target),
        file: first,
        line: 1,
      },
      cause: 'content-conflict',
      nodes: new Set(app === null ? [] : names.map((n) => `${app}.${n}`)),
      // What imports a file with conflict markers cannot load either. A file git keeps whole (one
      // side deleted it) still loads: only echoes count there.
      dependents: new Set(app === null ? [] : content.flatMap((p) => childrenOf(merged.projects, app, moduleName(p), dir))),
      message: (n) => branchMessages.stops(target, app, content, deleted, n, files.some((c) => c.base === '')),
    });
  }

  // 2. Files that cannot be read after the merge (a parse error in a file git stops on is that
  //    conflict itself).
  for (const f of fresh) {
    if (f.code !== 'parse-error' || (f.file && conflictPaths.has(f.file))) continue;
    const root = rootOf(f, target, f.app === null ? [] : f.migrations.map((m) => `${f.app}.${m}`));
    const dir = f.file ? dirOfFile(f.file) : undefined;
    if (f.app !== null) for (const m of f.migrations) for (const d of childrenOf(merged.projects, f.app, m, dir)) root.dependents.add(d);
    roots.push(root);
  }
  const unusable = new Map<string, RootCause>();
  for (const r of roots) for (const n of r.nodes) unusable.set(n, r);

  // 3. Dependencies on migrations that are not there: the ones on an unusable migration are echoes;
  //    the others are one root cause per missing migration.
  const missing = new Map<string, RootCause>();
  for (const f of fresh) {
    if (f.code !== 'missing-dependency') continue;
    const from = f.app !== null ? f.migrations.map((m) => `${f.app}.${m}`) : [];
    const echo = f.parent !== null ? unusable.get(f.parent) : undefined;
    if (echo) {
      for (const m of [...from, ...referrersOf(merged.projects, f)]) echo.dependents.add(m);
      continue;
    }
    const key = f.parent ?? `${f.app}.${f.migrations.join(',')}`;
    const known = missing.get(key);
    if (known) for (const m of from) known.dependents.add(m);
    else {
      const root = rootOf(f, target, []);
      // The graph keeps one placeholder per missing migration, and reports its first referrer:
      // the others are its children.
      for (const d of referrersOf(merged.projects, f)) root.dependents.add(d);
      missing.set(key, root);
      roots.push(root);
    }
  }
  // The first dependent of a missing migration is the finding itself, not one of its echoes; and
  // a root cause's own files are not what depends on it.
  for (const r of roots) {
    for (const m of r.finding.migrations) r.dependents.delete(`${r.finding.app}.${m}`);
    for (const n of r.nodes) r.dependents.delete(n);
  }

  // 4. Anything else that stops Django's loader (a cycle, two folders with one label).
  for (const f of fresh) {
    if (['multiple-leaves', 'operation-clash', 'parse-error', 'missing-dependency'].includes(f.code)) continue;
    roots.push(rootOf(f, target, []));
  }

  // Apps whose graph does not load: their extra leaves and clashes are what the cause left behind
  // (Django stops at the cause before it looks for conflicts).
  const broken = new Set<string | null>();
  for (const r of roots) {
    broken.add(r.finding.app);
    for (const d of r.dependents) broken.add(d.slice(0, d.indexOf('.')));
  }

  const out: BranchConflict[] = [];
  for (const r of roots) {
    const f = r.finding;
    const dependents = sortStrings(r.dependents);
    out.push({
      code: 'branch-conflict',
      severity: 'error',
      app: f.app,
      migrations: f.migrations,
      parent: f.parent,
      message: r.message(dependents.length),
      hint: f.hint,
      file: f.file,
      line: f.line,
      target,
      cause: r.cause,
      sides: r.cause === 'content-conflict' ? [] : sidesOf(f.app, f),
      ...(dependents.length ? { dependents } : {}),
    });
  }
  for (const f of fresh) {
    if (f.code !== 'multiple-leaves' && f.code !== 'operation-clash') continue;
    if (broken.has(f.app)) continue;
    const sides = sidesOf(f.app, f);
    const dir = sides.length ? (appDirFor(merged.apps, f) ?? dirOf.get(f.app!)) : undefined;
    const lockfile = dir !== undefined ? locks.get(dir) : undefined;
    if (lockfile !== undefined && f.code === 'multiple-leaves') locks.delete(dir!);
    const leaves = f.code === 'multiple-leaves';
    out.push({
      code: 'branch-conflict',
      severity: 'error',
      app: f.app,
      migrations: f.migrations,
      parent: f.parent,
      message: leaves ? branchMessages.leaves(target, f.app!, f.migrations, f.parent, sides) : branchMessages.breaks(target, f.message),
      hint: leaves ? (lockfile ? branchMessages.leavesLockHint(f.app!, target, lockfile) : branchMessages.leavesHint(f.app!, target)) : f.hint,
      // A clash points at the operation itself.
      file: leaves ? (sides.find((s) => s.files.length)?.files[0] ?? f.file) : f.file,
      line: leaves ? (sides.some((s) => s.files.length) ? 1 : f.line) : f.line,
      target,
      cause: f.code,
      sides,
      ...(leaves && lockfile ? { lockfile } : {}),
    });
  }

  // max_migration.txt that both sides change, in an app without several leaves: git stops on it
  // unless migcheck's merge driver resolves it. In an app that does not load, the cause comes first.
  for (const [dir, path] of locks) {
    const app = appAt(dir);
    if (app && broken.has(app.label)) continue;
    const leaf = app && app.leaves.length === 1 ? app.leaves[0] : null;
    out.push({
      code: 'branch-conflict',
      severity: 'error',
      app: app?.label ?? null,
      migrations: [],
      parent: null,
      message: branchMessages.lockfile(target, path),
      hint: branchMessages.lockfileHint(path, leaf),
      file: path,
      line: 1,
      target,
      cause: 'content-conflict',
      sides: [],
      lockfile: path,
    });
  }
  return out.sort(
    (a, b) =>
      compareStrings(a.target, b.target) ||
      compareStrings(a.app ?? '', b.app ?? '') ||
      compareStrings(a.cause, b.cause) ||
      compareStrings(a.file ?? '', b.file ?? '') ||
      compareStrings(a.migrations.join(','), b.migrations.join(',')),
  );
}

/** The migrations (`app.name`) with a direct dependency on `app.name`, in the project where `app` lives in `dir`. */
function childrenOf(projects: readonly ProjectGraph[] | undefined, app: string, name: string, dir?: string): string[] {
  for (const p of projects ?? []) {
    if (dir !== undefined && p.apps.get(app)?.dir !== dir) continue;
    const node = p.graph.get(app, name);
    if (node) return [...node.children].filter((c) => c.migration).map((c) => `${c.app}.${c.name}`);
  }
  return [];
}

/** Every migration that refers to the missing migration a `missing-dependency` finding names. */
function referrersOf(projects: readonly ProjectGraph[] | undefined, f: Finding): string[] {
  const dot = f.parent?.indexOf('.') ?? -1;
  if (!f.parent || dot < 0) return [];
  const [app, name] = [f.parent.slice(0, dot), f.parent.slice(dot + 1)];
  for (const p of projects ?? []) {
    const node = p.graph.get(app, name);
    if (node && !node.migration && node.missing?.from.path === f.file) {
      return [...node.children, ...node.parents].filter((c) => c.migration).map((c) => `${c.app}.${c.name}`);
    }
  }
  return [];
}

/** A finding of the merged tree as a root cause: "after merging main: …", and what follows from it. */
function rootOf(f: Finding, target: string, nodes: string[]): RootCause {
  return {
    finding: f,
    cause: f.code,
    nodes: new Set(nodes),
    dependents: new Set(),
    message: (n) => branchMessages.breaks(target, f.message) + branchMessages.dependents(n),
  };
}

function appDirFor(apps: readonly AppSummary[], f: Finding): string | undefined {
  const candidates = apps.filter((a) => a.label === f.app);
  if (candidates.length <= 1) return candidates[0]?.path;
  return candidates.find((a) => f.file?.startsWith(`${a.path}/`))?.path ?? candidates[0].path;
}

/** Apps whose leaves differ between two analyses: for quick "did anything change" answers. */
export function changedLeaves(a: readonly AppSummary[], b: readonly AppSummary[]): string[] {
  const leaves = new Map(a.map((x) => [appKey(x), x.leaves.join(',')]));
  return b.filter((x) => leaves.get(appKey(x)) !== x.leaves.join(',')).map((x) => x.label);
}
