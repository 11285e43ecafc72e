// Django's `makemigrations --merge` (and a loader + `migrate --plan` check) for many trees in one
// python process: see django_merge.py.
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { askDjango, type DjangoError, type OracleApp, type OracleRun } from './django.js';

export const MERGE_ORACLE = fileURLToPath(new URL('./django_merge.py', import.meta.url));

export interface MergeTree {
  root: string;
  apps: OracleApp[];
  settings?: Record<string, string>;
  contrib?: boolean;
  mode: 'merge' | 'verify';
  appLabels?: string[];
  name?: string | null;
  includeHeader?: boolean;
  /** ISO instant, e.g. 2026-11-23T13:47:00Z. */
  now?: string;
  timeZone?: string;
  /** settings.USE_TZ; null leaves Django's default (False before 5.0, True since). Default false. */
  useTz?: boolean | null;
}

export interface MergeAnswer {
  error: DjangoError | null;
  /** Files that appeared (or changed) in the tree, by `/` path relative to its root. */
  created: Record<string, string>;
  stdout: string;
  conflicts?: Record<string, string[]>;
  plan?: string;
}

export function djangoMerge(trees: MergeTree[], run: OracleRun = {}): Promise<MergeAnswer[]> {
  return askDjango<MergeAnswer>(
    MERGE_ORACLE,
    trees.map((t) => ({
      root: t.root,
      apps: t.apps,
      settings: t.settings ?? {},
      contrib: t.contrib ?? true,
      mode: t.mode,
      app_labels: t.appLabels ?? [],
      name: t.name ?? null,
      include_header: t.includeHeader ?? true,
      now: t.now ?? '2026-11-23T13:47:00Z',
      time_zone: t.timeZone ?? 'UTC',
      use_tz: t.useTz === undefined ? false : t.useTz,
    })),
    run,
  );
}

/** A copy of a tree, so Django and migcheck each write into their own. */
export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}
