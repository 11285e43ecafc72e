/**
 * The shortcut in front of `check`: list the state (paths and blob ids only) and look the whole
 * report up in the result cache. It loads none of the parser, graph or analysis code, so a
 * pre-commit hook on a commit that leaves migrations alone costs little more than starting node.
 * Anything unusual (no cache, no git, an error) returns null and the full `check` runs instead.
 */
import type { Report } from '../api.js';
import { cacheDir, digest, ResultCache } from './cache.js';
import { loadConfig, type Config } from './config.js';
import { withPinnedDjangoVersion } from './django-version.js';
import { repoPaths } from './git.js';
import { listState, type Listing } from './listing.js';
import type { SourceSpec } from './tree.js';

export type CachedReport = Omit<Report, 'source'>;

/** Every input of a report: the config, and the state's relevant paths and blob ids. */
export function reportKey(config: Config, listing: Pick<Listing, 'fingerprint'>): string {
  return digest(['check', JSON.stringify(config), listing.fingerprint]);
}

/** What the shortcut learnt: the cached report, or on a miss the work `check` would redo. */
export interface ReportProbe {
  report: Report | null;
  /** Where the repository is and the state's listing, for `check` to go on from on a miss. */
  prepared: PreparedState | null;
}

export interface PreparedState {
  root: string;
  config: Config;
  commonDir: string;
  gitDir: string;
  listing: Listing;
}

export async function cachedReport(options: {
  cwd: string;
  staged?: boolean;
  ref?: string;
  config?: Partial<Config>;
  env?: NodeJS.ProcessEnv;
}): Promise<ReportProbe> {
  const none: ReportProbe = { report: null, prepared: null };
  if (options.staged && options.ref !== undefined) return none;
  try {
    const info = await repoPaths(options.cwd);
    const dir = cacheDir(info?.commonDir ?? null, options.env);
    if (!info || !dir) return none;
    const spec: SourceSpec = options.ref !== undefined ? { kind: 'ref', ref: options.ref } : options.staged ? { kind: 'index' } : { kind: 'worktree' };
    if (info.bare && spec.kind !== 'ref') return none;
    const root = info.root ?? info.gitDir;
    const config = await withPinnedDjangoVersion(root, { ...(await loadConfig(info.root)), ...options.config });
    const [listing, results] = await Promise.all([listState(spec, root, config, false, { gitDir: info.gitDir, commonDir: info.commonDir }), ResultCache.open<CachedReport>(dir, 'results')]);
    const hit = results.get(reportKey(config, listing));
    const prepared = { root, config, commonDir: info.commonDir, gitDir: info.gitDir, listing };
    if (!hit) return { report: null, prepared };
    return { report: { version: 1, source: listing.source, apps: hit.apps, findings: hit.findings, summary: hit.summary }, prepared };
  } catch {
    return none;
  }
}
