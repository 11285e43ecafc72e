import { compareStrings } from './order.js';
import { EMPTY_LAYOUT, type Layout } from './project-layout.js';
import type { ParsedMigration } from './types.js';

/** One module Django's loader would import from a migrations package. */
export interface ModuleFile {
  name: string;
  path: string;
  /** Compiled-only module (a `.pyc` with no `.py` beside it): its dependencies cannot be read. */
  compiled: boolean;
}

/** A folder named `migrations`, as found in the tree. */
export interface MigrationsDir {
  /** Repository-relative path with `/`, e.g. `billing/migrations`. */
  dir: string;
  /** Folder of the nearest `manage.py` above it ('' for the repository root). */
  project: string;
  hasInit: boolean;
  modules: ModuleFile[];
  /**
   * The app label when the project's own files say it: `MIGRATION_MODULES` for a moved folder,
   * else `AppConfig.label` in the app's `apps.py`. Otherwise it is inferred (`inferLabel`).
   */
  label?: string;
  /** The app's `apps.py` config extends another app's (a fork installed instead of it). */
  fork?: boolean;
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/**
 * The module name `pkgutil.iter_modules` gives a file, or null when Django's loader would not
 * import it: Python's `inspect.getmodulename` strips a known suffix, names with a dot are skipped,
 * and Django skips names starting with `_` or `~` (which also drops `__init__`).
 */
export function moduleName(file: string): { name: string; compiled: boolean } | null {
  let name: string;
  let compiled = false;
  if (file.endsWith('.py')) name = file.slice(0, -3);
  else if (file.endsWith('.pyc')) {
    name = file.slice(0, -4);
    compiled = true;
  } else return null;
  if (!name || name.includes('.') || name[0] === '_' || name[0] === '~') return null;
  return { name, compiled };
}

/**
 * Group file paths into migrations folders. `paths` may hold anything; only direct children of a
 * folder named `migrations` (or one `MIGRATION_MODULES` names, in `layout`) and `manage.py` files
 * matter. Sub-folders are not modules. A `migrations` folder of an app whose migrations Django
 * takes from elsewhere (moved or disabled by `MIGRATION_MODULES`) is left out, as Django never
 * imports it.
 */
export function findMigrationDirs(paths: Iterable<string>, layout: Layout = EMPTY_LAYOUT): MigrationsDir[] {
  const projects = new Set<string>();
  const dirs = new Map<string, { hasInit: boolean; files: Map<string, string> }>();
  for (const p of paths) {
    const base = basename(p);
    const dir = dirname(p);
    if (base === 'manage.py') projects.add(dir);
    if (basename(dir) !== 'migrations' && !layout.moved.has(dir)) continue;
    let entry = dirs.get(dir);
    if (!entry) dirs.set(dir, (entry = { hasInit: false, files: new Map() }));
    // iter_modules also accepts a compiled `__init__.pyc`, but a package needs a real __init__.
    if (base === '__init__.py' || base === '__init__.pyc') entry.hasInit = true;
    entry.files.set(base, p);
  }
  const result: MigrationsDir[] = [];
  for (const [dir, { hasInit, files }] of dirs) {
    const modules = new Map<string, ModuleFile>();
    for (const [base, p] of [...files].sort((a, b) => compareStrings(a[0], b[0]))) {
      const mod = moduleName(base);
      if (!mod) continue;
      // Source wins over a compiled file of the same name (iter_modules yields each name once,
      // and the import system prefers the source).
      if (mod.compiled && modules.has(mod.name)) continue;
      modules.set(mod.name, { name: mod.name, path: p, compiled: mod.compiled });
    }
    const project = nearestProject(dir, projects);
    const appDir = dirname(dir);
    const label = layout.moved.get(dir) ?? layout.appLabels.get(appDir);
    if (!layout.moved.has(dir) && layout.notDefault.has(`${project}\0${label ?? basename(appDir)}`)) continue;
    result.push({
      dir,
      project,
      hasInit,
      modules: [...modules.values()].sort((a, b) => compareStrings(a.name, b.name)),
      ...(label ? { label } : {}),
      ...(layout.forks?.has(appDir) ? { fork: true } : {}),
    });
  }
  return result.sort((a, b) => compareStrings(a.dir, b.dir));
}

function nearestProject(dir: string, projects: Set<string>): string {
  for (let d = dirname(dir); ; d = dirname(d)) {
    if (projects.has(d)) return d;
    if (d === '') return '';
  }
}

/**
 * For each migrations folder, the names of the app folders holding the other migrations folders of
 * its Django project: what `inferLabel` takes as `otherFolders`. A name two folders share counts
 * for both.
 */
export function otherFolderNames(dirs: readonly MigrationsDir[]): (dir: MigrationsDir) => ReadonlySet<string> {
  const counts = new Map<string, Map<string, number>>();
  for (const d of dirs) {
    let inProject = counts.get(d.project);
    if (!inProject) counts.set(d.project, (inProject = new Map()));
    const name = basename(dirname(d.dir));
    inProject.set(name, (inProject.get(name) ?? 0) + 1);
  }
  // Asked for once per folder and again by each cache key built from it: worked out once.
  const memo = new Map<MigrationsDir, Set<string>>();
  return (dir) => {
    let others = memo.get(dir);
    if (!others) {
      const inProject = counts.get(dir.project) ?? new Map<string, number>();
      others = new Set(inProject.keys());
      const own = basename(dirname(dir.dir));
      if ((inProject.get(own) ?? 0) <= 1) others.delete(own);
      memo.set(dir, others);
    }
    return others;
  };
}

/**
 * The app label of a migrations folder. Order of truth: the config's label map (by folder or by
 * app folder); the label the project's files give (`dir.label`: `MIGRATION_MODULES`, `apps.py`);
 * the label the folder's own migrations use for same-app dependencies (wagtail keeps
 * `wagtailcore` in `wagtail/migrations`); the parent folder's name.
 */
export function inferLabel(
  dir: MigrationsDir,
  /** Parses by path; null for a module that could not be read (it has no vote). */
  parsed: ReadonlyMap<string, ParsedMigration | null>,
  labelMap: Readonly<Record<string, string>> = {},
  /**
   * Folder names of the project's other migrations folders: a reference to `('reviews', '0001_initial')`
   * from `shop/migrations` is to the `reviews` app next door, not a sign that this folder is `reviews`.
   */
  otherFolders: ReadonlySet<string> = new Set(),
): string {
  const appDir = dirname(dir.dir);
  const mapped = labelMap[dir.dir] ?? labelMap[appDir];
  if (mapped) return mapped;
  if (dir.label) return dir.label;
  const folderName = basename(appDir);
  const own = new Set(dir.modules.map((m) => m.name));
  const votes = new Map<string, number>();
  for (const m of dir.modules) {
    for (const dep of parsed.get(m.path)?.dependencies ?? []) {
      if (dep.swappable || !own.has(dep.name) || compareStrings(dep.name, m.name) >= 0 || otherFolders.has(dep.app)) continue;
      // One vote for the folder's own name settles it (the usual case: 0002 depends on 0001).
      if (dep.app === folderName) return folderName;
      votes.set(dep.app, (votes.get(dep.app) ?? 0) + 1);
    }
  }
  if (votes.size === 0) return folderName;
  return [...votes].sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))[0][0];
}
