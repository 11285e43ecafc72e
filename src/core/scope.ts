/**
 * Which apps a change can affect, so that scanning many branches analyses a few apps per branch
 * instead of the whole project each time. Both trees being compared are cut to the same set of
 * apps, so their findings compare like for like; see `scopeApps` for why the set is enough.
 */
import { resolveRef } from './graph.js';
import { inferLabel, type MigrationsDir } from './layout.js';
import type { ParsedMigration } from './types.js';

export interface DirInfo {
  dir: MigrationsDir;
  /** `project\0label`: labels are unique only within a Django project. */
  app: string;
  /** Apps (`project\0label`) this folder's migrations refer to, its own app excluded. */
  refs: Set<string>;
}

export const appId = (project: string, label: string) => `${project}\0${label}`;

/** Apps (`project\0label`) a migration refers to, its own app excluded. */
export function migrationRefs(
  parsed: ParsedMigration,
  project: string,
  label: string,
  settings: Readonly<Record<string, string>> = {},
): Set<string> {
  const refs = new Set<string>();
  for (const raw of [...parsed.dependencies, ...parsed.runBefore, ...parsed.replaces]) {
    const ref = resolveRef(raw, settings);
    if (ref.app && ref.app !== label) refs.add(appId(project, ref.app));
  }
  return refs;
}

/** The app a folder holds and the apps its migrations refer to. */
export function dirInfo(
  dir: MigrationsDir,
  parsed: ReadonlyMap<string, ParsedMigration>,
  labels: Readonly<Record<string, string>> = {},
  settings: Readonly<Record<string, string>> = {},
  /** The app folder names of the project's other migrations folders (`otherFolderNames`). */
  otherFolders: ReadonlySet<string> = new Set(),
): DirInfo {
  const label = inferLabel(dir, parsed, labels, otherFolders);
  const refs = new Set<string>();
  for (const m of dir.modules) {
    const p = parsed.get(m.path);
    if (p) for (const r of migrationRefs(p, dir.project, label, settings)) refs.add(r);
  }
  return { dir, app: appId(dir.project, label), refs };
}

export interface ScopeInput {
  /** Apps whose folders differ between the two trees. */
  changed: Iterable<string>;
  /** Apps the changed migrations (files that differ) refer to. */
  referenced: Iterable<string>;
  /** Changed apps that lost a migration name the other tree has. */
  shrunk: Iterable<string>;
}

/**
 * The apps to analyse when the `changed` apps differ between two trees:
 * - the changed apps themselves: an app's leaves, numbers and unreadable files depend only on
 *   its own folder;
 * - the apps the changed migrations refer to: a dependency of a changed migration on a node that
 *   is not there involves exactly these (the unchanged migrations of a changed app refer to the
 *   same things in both trees);
 * - when a changed app lost migrations, the apps that refer to it: their references may now point
 *   at nothing;
 * - every app on a cycle of references with a changed app (its strongly connected component in
 *   the app graph): a cycle of migrations through a changed app can only pass through those.
 * Everything else is the same in both trees and cannot make a finding that involves a changed app
 * differ. `__first__`/`__latest__` of an app outside the set only add edges, and edges only matter
 * for cycles, which the last rule covers.
 */
export function scopeApps(input: ScopeInput, infos: readonly DirInfo[]): Set<string> {
  const out = new Map<string, Set<string>>();
  const into = new Map<string, Set<string>>();
  const edge = (map: Map<string, Set<string>>, from: string, to: string) => {
    let set = map.get(from);
    if (!set) map.set(from, (set = new Set()));
    set.add(to);
  };
  for (const info of infos) {
    for (const r of info.refs) {
      edge(out, info.app, r);
      edge(into, r, info.app);
    }
  }
  const reach = (from: string, map: Map<string, Set<string>>): Set<string> => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const app = stack.pop()!;
      for (const next of map.get(app) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return seen;
  };
  const scope = new Set<string>([...input.changed, ...input.referenced]);
  for (const app of input.shrunk) for (const r of into.get(app) ?? []) scope.add(r);
  for (const app of input.changed) {
    const forward = reach(app, out);
    if (!forward.has(app)) continue;
    for (const r of reach(app, into)) if (forward.has(r)) scope.add(r);
  }
  return scope;
}
