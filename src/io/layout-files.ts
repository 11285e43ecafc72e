/**
 * The project layout (`MIGRATION_MODULES`, `apps.py` labels) of one state of the repository: its
 * `manage.py`, `apps.py` and settings files are read and handed to the pure `projectLayout`.
 * These files are few and small; a layout is remembered by their blob ids, so a branch scan over
 * hundreds of trees with the same settings reads them once.
 */
import { createHash } from 'node:crypto';
import { isLayoutFile, projectLayout, type Layout } from '../core/project-layout.js';
import { compareStrings } from '../core/order.js';
import type { Config } from './config.js';

/** The files `isLayoutFile` picks, as git pathspecs (it filters further). */
export const LAYOUT_PATHSPEC = [':(glob)**/manage.py', ':(glob)**/apps.py', ':(glob)**/*settings*.py', ':(glob)**/*settings*/*.py'];

const memo = new Map<string, Layout>();

/** The layout files among `paths`, path -> blob id. */
export function layoutEntries(files: Iterable<readonly [string, string]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [p, oid] of files) if (isLayoutFile(p)) out.set(p, oid);
  return out;
}

/**
 * The layout from layout files (path -> blob id), reading blobs through `read`. A file that cannot
 * be read counts as absent.
 */
export async function readLayout(
  files: ReadonlyMap<string, string>,
  read: (oids: string[]) => Promise<ReadonlyMap<string, Buffer>>,
  config: Partial<Pick<Config, 'migrationModules'>>,
): Promise<Layout> {
  const entries = [...files].filter(([p]) => isLayoutFile(p)).sort((a, b) => compareStrings(a[0], b[0]));
  const hash = createHash('sha1');
  for (const [p, oid] of entries) hash.update(p).update('\0').update(oid).update('\0');
  hash.update(JSON.stringify(config.migrationModules ?? {}));
  const key = hash.digest('hex');
  const known = memo.get(key);
  if (known) return known;
  const blobs = entries.length ? await read([...new Set(entries.map(([, oid]) => oid))]) : new Map<string, Buffer>();
  const texts = new Map<string, string>();
  for (const [p, oid] of entries) {
    const blob = blobs.get(oid);
    if (blob) texts.set(p, blob.toString('utf8'));
  }
  const projects = entries.filter(([p]) => p === 'manage.py' || p.endsWith('/manage.py')).map(([p]) => p.slice(0, Math.max(0, p.lastIndexOf('/'))));
  const layout = projectLayout(projects, texts, config.migrationModules ?? {});
  if (memo.size > 64) memo.clear();
  memo.set(key, layout);
  return layout;
}
