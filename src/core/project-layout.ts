/**
 * Where each Django project keeps its apps' migrations, and what the apps are called, from the
 * files Django itself reads for that: `manage.py` names the settings module, whose
 * `MIGRATION_MODULES` moves (`{"dojo": "dojo.db_migrations"}`) or disables (`None`) an app's
 * migrations, and each app's `apps.py` gives its label. Pure: the caller hands in the texts.
 */
import { layoutMessages } from '../messages.js';
import { appConfigLabel, appConfigsOf, isForkedApp, settingsModuleOf, settingsSteps, type MigrationModules } from './django-settings.js';
import type { Finding } from './findings.js';

export interface Layout {
  /** Folders Django imports migrations from under `MIGRATION_MODULES` -> the app label. */
  moved: ReadonlyMap<string, string>;
  /** `project\0label` of apps whose `<app>/migrations` Django does not read (moved or disabled). */
  notDefault: ReadonlySet<string>;
  /** App folder -> label, from its `apps.py`. */
  appLabels: ReadonlyMap<string, string>;
  /** Per project folder: the settings files read (empty when none was found). */
  settingsRead: ReadonlyMap<string, string[]>;
  /** App folders whose `apps.py` config extends another app's (`isForkedApp`). */
  forks: ReadonlySet<string>;
}

export const EMPTY_LAYOUT: Layout = { moved: new Map(), notDefault: new Set(), appLabels: new Map(), settingsRead: new Map(), forks: new Set() };

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

const join = (dir: string, rel: string) => (dir ? `${dir}/${rel}` : rel);

/** Which files the layout reads: `manage.py`, `apps.py` and settings modules. */
export function isLayoutFile(p: string): boolean {
  if (!p.endsWith('.py')) return false;
  const base = p.slice(p.lastIndexOf('/') + 1);
  if (base === 'manage.py' || base === 'apps.py') return true;
  const parent = dirname(p).slice(dirname(p).lastIndexOf('/') + 1);
  // A migration named `0020_system_settings` is no settings module.
  if (parent.includes('migrations')) return false;
  // Settings modules: `settings.py`, `settings_local.py`, `settings.dist.py`, and anything in a
  // `settings` package (`settings/base.py`). Others are not followed (say so in the docs).
  return base.includes('settings') || parent.includes('settings');
}

/** Normalise `a/./b/../c`; null when it climbs out of the repository. */
function normalise(p: string): string | null {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!out.length) return null;
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

/**
 * Evaluate a project's settings module for `MIGRATION_MODULES`, following `from X import *` and
 * split-settings `include(...)` into files of the repository. `text(path)` is null for a file that
 * is not there.
 */
function migrationModulesOf(project: string, settingsModule: string, text: (p: string) => string | null, read: string[]): MigrationModules | null {
  // A dotted module as Python finds it from the project folder (manage.py's, on sys.path), else
  // from the repository root.
  const moduleFile = (dotted: string): string | null => {
    const rel = dotted.split('.').join('/');
    for (const base of [project, '']) {
      for (const f of [`${join(base, rel)}.py`, `${join(base, rel)}/__init__.py`]) if (text(f) !== null) return f;
    }
    return null;
  };
  let result: MigrationModules | null = null;
  let known = true;
  const seen = new Set<string>();
  const run = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    read.push(file);
    // The package a relative import starts from: the folder of the module (or of the package's
    // `__init__.py`); split-settings includes are relative to it too.
    const pkgDir = dirname(file);
    for (const step of settingsSteps(text(file) ?? '')) {
      if (step.kind === 'import') {
        const dots = /^\.*/.exec(step.module)![0].length;
        let target: string | null;
        if (dots === 0) target = moduleFile(step.module);
        else {
          let dir: string | null = pkgDir;
          for (let k = 1; k < dots && dir !== null; k++) dir = dir === '' ? null : dirname(dir);
          const rest = step.module.slice(dots).split('.').filter(Boolean).join('/');
          target = null;
          if (dir !== null) {
            for (const f of rest ? [`${join(dir, rest)}.py`, `${join(dir, rest)}/__init__.py`] : [join(dir, '__init__.py')]) {
              if (text(f) !== null) {
                target = f;
                break;
              }
            }
          }
        }
        if (target) run(target);
      } else if (step.kind === 'include') {
        for (const f of step.files) {
          const p = normalise(join(pkgDir, f));
          if (p !== null && text(p) !== null) run(p);
        }
      } else if (step.value === null) {
        known = false;
      } else if (step.kind === 'set') {
        result = { ...step.value };
        known = true;
      } else if (known) {
        result = { ...(result ?? {}), ...step.value };
      }
    }
  };
  const start = moduleFile(settingsModule);
  if (start) run(start);
  return known ? result : null;
}

/**
 * The layout of every project in the tree. `projects` are the folders of its `manage.py` files
 * ('' for the repository root); `layoutFiles` the texts of the files `isLayoutFile` picks; the
 * config's `migrationModules` apply to every project and win over its settings.
 */
export function projectLayout(
  projects: Iterable<string>,
  layoutFiles: ReadonlyMap<string, string>,
  configModules: Readonly<MigrationModules> = {},
): Layout {
  const text = (p: string) => layoutFiles.get(p) ?? null;
  const moved = new Map<string, string>();
  const notDefault = new Set<string>();
  const settingsRead = new Map<string, string[]>();
  for (const project of new Set([...projects, ''])) {
    const manage = text(join(project, 'manage.py'));
    const module = manage === null ? null : settingsModuleOf(manage);
    const read: string[] = [];
    const fromSettings = module ? migrationModulesOf(project, module, text, read) : null;
    if (manage !== null) settingsRead.set(project, read);
    // `None` in the settings is not followed: test settings disable migrations for speed
    // (django-cms), which says nothing about the migrations the project ships. Only the config's
    // `null` turns an app's migrations off.
    const settingsMoves = Object.fromEntries(Object.entries(fromSettings ?? {}).filter(([, target]) => target !== null));
    for (const [label, target] of Object.entries({ ...settingsMoves, ...configModules })) {
      notDefault.add(`${project}\0${label}`);
      if (target === null) continue;
      const rel = target.split('.').join('/');
      moved.set(join(project, rel), label);
      // A module found from the repository root instead (sys.path may hold it).
      if (project) moved.set(rel, label);
    }
  }
  const appLabels = new Map<string, string>();
  const forks = new Set<string>();
  for (const [p, source] of layoutFiles) {
    if (!p.endsWith('/apps.py') && p !== 'apps.py') continue;
    const appDir = dirname(p);
    const classes = appConfigsOf(source);
    const label = appConfigLabel(classes, appDir.split('/').join('.'));
    if (label) appLabels.set(appDir, label);
    if (isForkedApp(classes, appDir.split('/').join('.'))) forks.add(appDir);
  }
  return { moved, notDefault, appLabels, settingsRead, forks };
}

/**
 * The `no-migrations` warning for each Django project (a `manage.py`) when no migrations were found
 * anywhere in the tree: never "no conflicts" about nothing. A project whose apps live outside its
 * folder (oscar's `sandbox/manage.py` runs the apps in `src/`) is not warned about while any
 * migrations folder is found.
 */
export function noMigrationsFindings(managePaths: Iterable<string>, foundAny: boolean, layout: Layout): Finding[] {
  const out: Finding[] = [];
  if (foundAny) return out;
  for (const manage of managePaths) {
    const project = dirname(manage);
    out.push({
      code: 'no-migrations',
      severity: 'warning',
      app: null,
      migrations: [],
      parent: null,
      message: layoutMessages.noMigrations(manage, layout.settingsRead.get(project) ?? []),
      hint: layoutMessages.noMigrationsHint(),
      file: manage,
      line: null,
    });
  }
  return out;
}
