/**
 * The programmatic API: what the CLI commands call, returning the JSON objects of DESIGN §6.
 * Nothing here prints or exits.
 */
import { analyze, sortFindings, type Analysis, type AppSummary, type Finding } from './core/findings.js';
import { parseMigration, provideSource } from './core/parse.js';
import type { ParsedMigration } from './core/types.js';
import type { MigrationsDir } from './core/layout.js';
import { EMPTY_LAYOUT, noMigrationsFindings, type Layout } from './core/project-layout.js';
import { UsageError } from './errors.js';
import { analyzeOptions, loadConfig, type Config } from './io/config.js';
import { BlobReader, blobId, readBlobs, repoPaths } from './io/git.js';
import { readSnapshot, type Snapshot, type SourceSpec } from './io/tree.js';
import { cacheDir, ParseCache, ResultCache } from './io/cache.js';
import { blobSource, contentsByOid, listState, loadLayout, parseListing, sourcePaths, withOperations, type Listing } from './io/listing.js';
import { reportKey, type CachedReport, type PreparedState } from './io/report-cache.js';
// Predictions and the branch scan load only when asked for: a pre-commit hook never needs them.
import type { Prediction } from './io/predict.js';
import type { BranchStatus, ConflictGroup, ScanFinding, SkippedPair } from './io/branches.js';
import { lockfilePaths, readListedLockfiles, readSnapshotLockfiles, withLockfiles } from './io/lockfile.js';
import { withPinnedDjangoVersion } from './io/django-version.js';

export type { Finding, AppSummary } from './core/findings.js';
export type { Config } from './io/config.js';

export interface CheckOptions {
  cwd?: string;
  /** Read the index (what `git commit` would commit) instead of the work tree. */
  staged?: boolean;
  /** Read a commit (branch, tag, sha) instead of the work tree. */
  ref?: string;
  /** Overrides for the repository's config. */
  config?: Partial<Config>;
  /** Also predict merging each of these refs into the state (`check --against`). */
  against?: readonly string[];
  /**
   * `check --all`: report every group of migrations that share a number, also those a merge
   * migration already joins (by default only new, unjoined ones are reported).
   */
  allDuplicates?: boolean;
  /**
   * Use the parse cache and the result cache under the git directory (default true; the
   * environment variable MIGCHECK_CACHE=0 turns them off too).
   */
  cache?: boolean;
  /**
   * The repository's location, config and this state's listing, already worked out by the
   * report-cache probe: a cold `check` then lists the state once, not twice.
   */
  prepared?: PreparedState | null;
}

/** One `--against` target in the JSON report: the merged tree's verdict, as `check` would give it. */
export interface PredictionReport {
  target: string;
  commit: string;
  base: string | null;
  relation: Prediction['relation'];
  apps: AppSummary[];
  findings: Finding[];
  summary: { errors: number; warnings: number };
}

export interface Report {
  version: 1;
  source: string;
  apps: AppSummary[];
  findings: Finding[];
  summary: { errors: number; warnings: number };
  /** `check --against`: the predicted merge with each target. */
  against?: PredictionReport[];
}

export interface State {
  root: string;
  config: Config;
  snapshot: Snapshot;
  parsed: Map<string, ParsedMigration>;
  analysis: Analysis;
}

export function sourceSpec(options: Pick<CheckOptions, 'staged' | 'ref'>): SourceSpec {
  if (options.staged && options.ref) throw new UsageError('--staged and --ref cannot be used together');
  if (options.ref !== undefined) return { kind: 'ref', ref: options.ref };
  return options.staged ? { kind: 'index' } : { kind: 'worktree' };
}

/** Where the repository is, and its config with the caller's overrides on top. */
export async function locate(
  cwd: string,
  spec: SourceSpec,
  overrides: Partial<Config> = {},
): Promise<{ root: string; config: Config; commonDir: string | null; gitDir: string | null }> {
  const info = await repoPaths(cwd);
  if (!info && spec.kind !== 'worktree') throw new UsageError(`not a git repository: ${cwd} (--staged and --ref read from git)`);
  if (info?.bare && spec.kind !== 'ref') throw new UsageError('this is a bare repository: it has no work tree or index; use --ref <branch>');
  const root = info ? (info.root ?? info.gitDir) : cwd;
  const config = { ...(await loadConfig(info?.root ?? (info ? null : cwd))), ...overrides };
  return { root, config, commonDir: info?.commonDir ?? null, gitDir: info?.gitDir ?? null };
}

/** Where the index file is, for `listState` to read it directly. */
function repoOf(gitDir: string | null, commonDir: string | null): { gitDir: string; commonDir: string } | undefined {
  return gitDir && commonDir ? { gitDir, commonDir } : undefined;
}

export function parseAll(contents: ReadonlyMap<string, Buffer>): Map<string, ParsedMigration> {
  const parsed = new Map<string, ParsedMigration>();
  for (const [p, buf] of contents) parsed.set(p, parseMigration(buf));
  return parsed;
}

/**
 * `parseAll` through the parse cache: blobs the cache knows are not parsed again. Work-tree files
 * have no blob id yet; hashing them in process costs far less than parsing them.
 */
export async function parseAllCached(snapshot: Snapshot, cache: ParseCache): Promise<Map<string, ParsedMigration>> {
  const parsed = new Map<string, ParsedMigration>();
  for (const [p, buf] of snapshot.contents) {
    const oid = snapshot.oids.get(p) ?? blobId(buf);
    let result = cache.get(oid);
    if (!result) {
      result = parseMigration(buf);
      cache.set(oid, result);
    } else {
      // The cache keeps no operations for most parses: these are read from the file, if asked for.
      provideSource(result, buf);
    }
    parsed.set(p, result);
  }
  return parsed;
}

export function analyzeSnapshot(snapshot: Snapshot, parsed: Map<string, ParsedMigration>, config: Config): Analysis {
  return withNoMigrations(analyze(snapshot.dirs, parsed, analyzeOptions(config)), snapshot.managePaths ?? [], snapshot.dirs, snapshot.layout ?? EMPTY_LAYOUT);
}

/** The analysis with a `no-migrations` warning for each Django project in which nothing was found. */
function withNoMigrations(analysis: Analysis, managePaths: Iterable<string>, dirs: readonly MigrationsDir[], layout: Layout): Analysis {
  const extra = noMigrationsFindings(managePaths, dirs.length > 0, layout);
  return extra.length ? { ...analysis, findings: sortFindings([...analysis.findings, ...extra]) } : analysis;
}

/** A listing with the contents of every source module read (from git, or as listed). */
async function snapshotOf(listing: Listing): Promise<Snapshot> {
  const contents = new Map<string, Buffer>();
  const unread: string[] = [];
  for (const p of sourcePaths(listing.dirs)) {
    const known = listing.contents.get(p);
    if (known) contents.set(p, known);
    else unread.push(p);
  }
  const blobs = await readBlobs(unread.map((p) => listing.files.get(p)!), listing.root);
  for (const p of unread) {
    const blob = blobs.get(listing.files.get(p)!);
    if (blob) contents.set(p, blob);
  }
  return {
    source: listing.source,
    root: listing.root,
    dirs: listing.dirs,
    contents,
    oids: listing.files,
    managePaths: [...listing.files.keys()].filter((p) => p === 'manage.py' || p.endsWith('/manage.py')),
    layout: listing.layout,
  };
}

/** Read one state of the repository and analyse it. */
export async function loadState(options: CheckOptions = {}): Promise<State> {
  const spec = sourceSpec(options);
  const { root, config, commonDir, gitDir } = await locate(options.cwd ?? process.cwd(), spec, options.config);
  // In git, the same listing `check` uses (so both see the same files: gitignored folders are
  // skipped alike); outside git, a walk of the folder.
  const snapshot = commonDir
    ? await snapshotOf(await loadLayout(await listState(spec, root, config, false, repoOf(gitDir, commonDir)), config))
    : await readSnapshot(spec, root, config);
  const dir = options.cache === false ? null : cacheDir(commonDir);
  const cache = await ParseCache.open(dir);
  const parsed = dir ? await parseAllCached(snapshot, cache) : parseAll(snapshot.contents);
  await cache.save();
  const analysis = analyzeSnapshot(snapshot, parsed, await withPinnedDjangoVersion(root, config));
  // max_migration.txt files that disagree with the graph (`stale-lockfile`).
  withLockfiles(analysis, await readSnapshotLockfiles(snapshot, analysis));
  return { root, config, snapshot, parsed, analysis };
}

export function report(source: string, analysis: Pick<Analysis, 'apps' | 'findings'>): Report {
  const errors = analysis.findings.filter((f) => f.severity === 'error').length;
  return {
    version: 1,
    source,
    apps: analysis.apps,
    findings: analysis.findings,
    summary: { errors, warnings: analysis.findings.length - errors },
  };
}

/**
 * `migcheck check`: Django's verdict on one state of the repository, and with `against` the
 * predicted verdict after merging each target.
 *
 * In a git repository this lists paths and blob ids only, and reads a file only when the parse
 * cache does not know its blob. The whole report is cached too, keyed by every path, blob id and
 * the config: a pre-commit hook on a commit that does not touch migrations reads one small file.
 */
export async function check(options: CheckOptions = {}): Promise<Report> {
  const spec = sourceSpec(options);
  const prepared = options.prepared && !options.config ? options.prepared : null;
  const located = prepared ?? (await locate(options.cwd ?? process.cwd(), spec, options.config));
  const { root, commonDir, gitDir } = located;
  // The probe already filled in the pinned Django version.
  const config = prepared ? located.config : await withPinnedDjangoVersion(root, located.config);
  if (!commonDir) {
    // A work tree outside git: read and parse everything.
    const snapshot = await readSnapshot(spec, root, config);
    const analysis = analyze(snapshot.dirs, parseAll(snapshot.contents), { ...analyzeOptions(config), allDuplicates: options.allDuplicates });
    return report(snapshot.source, withLockfiles(analysis, await readSnapshotLockfiles(snapshot, analysis)));
  }
  const dir = options.cache === false ? null : cacheDir(commonDir);
  const against = options.against ?? [];
  // The probe listed without the base commit, which only merge predictions need.
  const listing = prepared && against.length === 0 ? prepared.listing : await listState(spec, root, config, against.length > 0, repoOf(gitDir, commonDir));
  // The cache holds the default report only.
  const results = await ResultCache.open<CachedReport>(against.length || options.allDuplicates ? null : dir, 'results');
  const key = reportKey(config, listing);
  const hit = results.get(key);
  if (hit) return { version: 1, source: listing.source, apps: hit.apps, findings: hit.findings, summary: hit.summary };

  const reader = new BlobReader(root);
  try {
    // git starts and the cache file loads while the folders are worked out.
    reader.start();
    const opening = ParseCache.open(dir);
    await loadLayout(listing, config);
    const dirs = listing.dirs;
    const cache = await opening;
    const parsed = await parseListing(listing, cache, reader);
    const read = blobSource(reader, contentsByOid(listing));
    const managePaths = [...listing.files.keys()].filter((p) => p === 'manage.py' || p.endsWith('/manage.py'));
    const analysis = withNoMigrations(await withOperations(cache, read, () => analyze(dirs, parsed, { ...analyzeOptions(config), allDuplicates: options.allDuplicates })), managePaths, dirs, listing.layout);
    // max_migration.txt files that disagree with the graph (`stale-lockfile`).
    withLockfiles(analysis, await readListedLockfiles(lockfilePaths(analysis), listing.files, listing.contents, reader));
    let result = report(listing.source, analysis);
    if (against.length) {
      const { predictMerge, TreeAnalyzer } = await import('./io/predict.js');
      const analyzer = new TreeAnalyzer(root, config, cache, reader);
      // The merged trees are read with this state's layout (its settings and apps.py files).
      analyzer.layout = listing.layout;
      for (const [oid, content] of contentsByOid(listing)) analyzer.known.set(oid, content);
      const predictions: Prediction[] = [];
      for (const target of against) {
        predictions.push(
          await predictMerge(
            analyzer,
            { ref: listing.source, commit: listing.commit, isCommit: spec.kind === 'ref', files: listing.files, contents: listing.contents, analysis },
            target,
          ),
        );
      }
      result = withPredictions(result, predictions);
    } else {
      const { source: _source, ...rest } = result;
      await results.put(key, rest);
    }
    await cache.save();
    return result;
  } finally {
    reader.close();
  }
}

/** The report with each prediction's `branch-conflict` findings added, and the predictions beside. */
export function withPredictions(base: Report, predictions: readonly Prediction[]): Report {
  const merged = report(base.source, { apps: base.apps, findings: sortFindings([...base.findings, ...predictions.flatMap((p) => p.conflicts)]) });
  merged.against = predictions.map((p) => {
    const r = report(p.target, p);
    return { target: p.target, commit: p.commit, base: p.base, relation: p.relation, apps: r.apps, findings: r.findings, summary: r.summary };
  });
  return merged;
}

export interface BranchesOptions {
  cwd?: string;
  /** Refs to merge into (default: config `targets`, else the repository's main branch). */
  targets?: readonly string[];
  /** Also scan remote-tracking branches. */
  remote?: boolean;
  /** Globs over short branch names. */
  include?: readonly string[];
  exclude?: readonly string[];
  /** Also predict branch against branch. */
  pairs?: boolean;
  config?: Partial<Config>;
  cache?: boolean;
  progress?: (done: number, total: number) => void;
}

/** `branches --format json`: the report of DESIGN §6 with the scan beside it. */
export interface BranchesReport extends Report {
  findings: ScanFinding[];
  targets: Array<{ name: string; commit: string }>;
  branches: BranchStatus[];
  /** Branch-against-target conflicts, grouped by target, app and parent. */
  groups: ConflictGroup[];
  /** With `pairs`: branch-against-branch conflicts, grouped by app and parent; else null. */
  pairs: ConflictGroup[] | null;
  /** With `pairs`: pairs of branches whose merge git could not read (left out when there are none). */
  skippedPairs?: SkippedPair[];
}

/** `migcheck branches`: every branch against the target(s), predicted without merging. */
export async function branches(options: BranchesOptions = {}): Promise<BranchesReport> {
  const cwd = options.cwd ?? process.cwd();
  const { root, config, commonDir } = await locate(cwd, { kind: 'ref', ref: 'HEAD' }, options.config);
  const { scanBranches } = await import('./io/branches.js');
  const scan = await scanBranches({
    root,
    commonDir: commonDir!,
    config,
    targets: options.targets,
    remote: options.remote,
    include: options.include,
    exclude: options.exclude,
    pairs: options.pairs,
    cache: options.cache,
    progress: options.progress,
  });
  const findings = [...scan.findings, ...scan.pairFindings];
  const base = report('branches', { apps: [], findings });
  return {
    version: 1,
    source: 'branches',
    apps: [],
    findings,
    summary: base.summary,
    targets: scan.targets,
    branches: scan.branches,
    groups: scan.groups,
    pairs: scan.pairs,
    ...(scan.skippedPairs.length ? { skippedPairs: scan.skippedPairs } : {}),
  };
}
