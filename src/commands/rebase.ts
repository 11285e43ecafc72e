/**
 * `migcheck rebase --app A`: the linear alternative to a merge migration. This branch's new
 * migrations of the app get new numbers on top of the other branch's leaf; files are renamed
 * (`git mv`) and every reference is rewritten in place. All or nothing, and nothing at all when a
 * moving migration is applied in the database given, when the branches clash on operations, or
 * when the result would not load (unless --force for the first two).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { analyzeSnapshot, loadState, report as makeReport, type Report, type State } from '../api.js';
import type { Io } from '../cli.js';
import { realLeaves, type Finding } from '../core/findings.js';
import { appliedKey } from '../core/graph.js';
import { lockfilePath } from '../core/lockfile.js';
import { SAFE_LABEL, SAFE_NAME } from '../core/merge.js';
import { compareStrings } from '../core/order.js';
import { parseMigration } from '../core/parse.js';
import { planRebase, unifiedDiff, type Change, type FileEdit, type Rename, type SourceFile } from '../core/rebase.js';
import { UsageError } from '../errors.js';
import type { Config } from '../io/config.js';
import { readApplied } from '../io/db.js';
import { repoPaths } from '../io/git.js';
import { applyRebase, chooseSide } from '../io/rebase.js';
import { rebaseMessages as say } from '../messages.js';
import { colorEnabled, paint } from '../render/color.js';
import { renderJson } from '../render/json.js';
import type { OutputOptions } from './check.js';
import { safeTarget } from './merge.js';

export interface RebaseOptions {
  cwd: string;
  app: string;
  /** The leaf to rebase onto (default: decided from git, see io/rebase.ts). */
  onto?: string | null;
  dryRun?: boolean;
  /** `--applied FILE` / `--database URL`: refuse when a moving migration is applied there. */
  applied?: string;
  database?: string;
  /** Rebase even when a moving migration is applied or the branches clash. */
  force?: boolean;
  env: NodeJS.ProcessEnv;
  config?: Partial<Config>;
}

export interface Refused {
  message: string;
  details: string[];
  hint: string | null;
}

export interface RebaseResult {
  /** The tree after the rebase (with --dry-run or a refusal: as it would be, or as it is). */
  report: Report;
  app: string;
  onto: string | null;
  moving: string[];
  why: string | null;
  chains: string[][];
  /** `git`: renamed with `git mv` (the file was tracked). */
  renames: Array<Rename & { git?: boolean }>;
  edits: Array<{ path: string; newPath: string; changes: Change[] }>;
  diff: string;
  /** Warnings for a forced rebase: clashes still there, database rows to rename. */
  notes: string[];
  /** The app's only leaf after the rebase. */
  leaf: string | null;
  /** Set when there is nothing to rebase (one leaf): what to say. */
  nothing: string | null;
  refused: Refused | null;
  written: boolean;
}

const FATAL = new Set(['missing-dependency', 'circular-dependency', 'parse-error', 'duplicate-label']);
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decode(buf: Buffer): string | null {
  try {
    return UTF8.decode(buf);
  } catch {
    return null;
  }
}

/** The tree with the plan applied, analysed as `check` would. */
function analyseAfter(state: State, renames: readonly Rename[], edits: readonly FileEdit[]): Report {
  const contents = new Map(state.snapshot.contents);
  const parsed = new Map(state.parsed);
  const moved = new Map(renames.map((r) => [r.path, r] as const));
  const dirs = state.snapshot.dirs.map((d) => ({
    ...d,
    modules: d.modules
      .map((m) => (moved.has(m.path) ? { ...m, name: moved.get(m.path)!.to, path: moved.get(m.path)!.newPath } : m))
      .sort((a, b) => compareStrings(a.name, b.name)),
  }));
  for (const r of renames) {
    contents.set(r.newPath, contents.get(r.path)!);
    parsed.set(r.newPath, parsed.get(r.path)!);
    contents.delete(r.path);
    parsed.delete(r.path);
  }
  for (const e of edits) {
    if (!parsed.has(e.newPath)) continue; // max_migration.txt
    contents.set(e.newPath, Buffer.from(e.after, 'utf8'));
    parsed.set(e.newPath, parseMigration(e.after));
  }
  return makeReport(state.snapshot.source, analyzeSnapshot({ ...state.snapshot, dirs, contents }, parsed, state.config));
}

const errorCounts = (findings: readonly Finding[], apps: ReadonlySet<string>) => {
  const counts = new Map<string, number>();
  for (const f of findings) if (f.severity === 'error' && f.app && apps.has(f.app)) counts.set(`${f.code}\0${f.app}`, (counts.get(`${f.code}\0${f.app}`) ?? 0) + 1);
  return counts;
};

export async function rebaseMigrations(options: RebaseOptions): Promise<RebaseResult> {
  const { app } = options;
  if (!SAFE_LABEL.test(app)) throw new UsageError(say.badLabel(app));
  const onto = options.onto ?? null;
  if (onto !== null && !SAFE_NAME.test(onto)) throw new UsageError(say.badOnto(onto));

  const state = await loadState({ cwd: options.cwd, config: options.config });
  const projects = state.analysis.projects.filter((p) => p.apps.has(app));
  if (projects.length === 0) throw new UsageError(say.unknownApp(app));
  if (projects.length > 1) throw new UsageError(say.severalProjects(app, projects.map((p) => p.project)));
  const project = projects[0];
  const { graph } = project;
  const appDir = project.apps.get(app)!.dir;
  const projectDirs = state.snapshot.dirs.filter((d) => d.project === project.project);
  const inProject = (file: string | null) => file !== null && projectDirs.some((d) => file.startsWith(`${d.dir}/`) || file === d.dir);
  const leaves = realLeaves(graph, app);
  const base: RebaseResult = {
    report: makeReport(state.snapshot.source, state.analysis),
    app,
    onto: null,
    moving: [],
    why: null,
    chains: [],
    renames: [],
    edits: [],
    diff: '',
    notes: [],
    leaf: null,
    nothing: null,
    refused: null,
    written: false,
  };
  if (leaves.length < 2) return { ...base, nothing: say.nothing(app, leaves[0]?.name ?? null) };
  const refuse = (message: string, details: string[] = [], hint: string | null = null, extra: Partial<RebaseResult> = {}): RebaseResult => ({
    ...base,
    ...extra,
    refused: { message, details, hint },
  });

  const fatal = state.analysis.findings.find((f) => f.severity === 'error' && FATAL.has(f.code) && inProject(f.file));
  if (fatal) return refuse(say.graphBroken(app, fatal.message));

  // Outside git (or in a bare repository) only --onto can say which side moves; files are renamed plainly.
  const repo = await repoPaths(state.root);
  const gitRoot = repo?.root ?? null;
  const side = await chooseSide(gitRoot, state.config, app, leaves.map((l) => ({ name: l.name, path: l.migration!.path })), onto);
  const ontoNode = leaves.find((l) => l.name === side.onto)!;
  const movingNodes = side.moving.map((n) => leaves.find((l) => l.name === n)!);
  const chosen = { onto: side.onto, moving: side.moving, why: side.why };

  // The files of the project, as text.
  const files: SourceFile[] = [];
  for (const d of projectDirs) {
    for (const m of d.modules) {
      const buf = state.snapshot.contents.get(m.path);
      if (m.compiled || !buf) continue;
      files.push({ path: m.path, text: decode(buf), parse: () => parseMigration(buf) });
    }
  }
  const lockPath = lockfilePath(appDir);
  const lockBuf = await readFile(path.join(state.root, ...lockPath.split('/'))).catch(() => null);
  const lockText = lockBuf ? decode(lockBuf) : null;
  const plan = planRebase({ graph, app, onto: ontoNode, moving: movingNodes, files, lockfile: lockText !== null ? { path: lockPath, text: lockText } : null });
  if (!plan.ok) return refuse(say.cannot(app, plan.message), [], null, chosen);
  const movedNames = plan.chains.flat();
  const renamed = new Map(plan.renames.map((r) => [r.from, r.to] as const));
  const planned = {
    ...chosen,
    chains: plan.chains,
    renames: plan.renames,
    edits: plan.edits.map((e) => ({ path: e.path, newPath: e.newPath, changes: e.changes })),
    diff: [
      ...plan.renames.filter((r) => !plan.edits.some((e) => e.path === r.path)).map((r) => unifiedDiff({ path: r.path, newPath: r.newPath, before: '', after: '' })),
      ...plan.edits.map((e) => unifiedDiff(e)),
    ].join(''),
  };

  const notes: string[] = [];
  if (options.applied !== undefined || options.database !== undefined) {
    const source = await readApplied({ applied: options.applied, database: options.database, env: options.env, cwd: options.cwd });
    const applied = new Set(source.applied.map(([a, n]) => appliedKey(a, n)));
    const hit = movedNames.filter((n) => applied.has(appliedKey(app, n)));
    if (hit.length) {
      // Unapply down to the fork: the same-app parent of the first moving migration.
      const first = graph.get(app, plan.chains[0][0])!;
      const fork = [...first.parents].find((p) => p.app === app && !movedNames.includes(p.name))?.name ?? 'zero';
      if (!options.force) return refuse(say.applied(app, hit, source.label), [], say.appliedHint(app, fork), planned);
      notes.push(say.renameRows(app, hit.map((n) => [n, renamed.get(n) ?? n] as const)));
    }
  }
  // Only clashes that make `migrate` fail stop a rebase; order-dependent ones (warnings) do not.
  const clashes = state.analysis.findings.filter((f) => f.code === 'operation-clash' && f.severity === 'error' && f.app === app && inProject(f.file));
  if (clashes.length) {
    if (!options.force) return refuse(say.clash(app, clashes.length), clashes.map((f) => f.message), say.clashHint(app), planned);
    notes.push(say.clashForced(app));
  }

  // The result must load, with one leaf in the app and no new error anywhere in the project.
  const after = analyseAfter(state, plan.renames, plan.edits);
  const apps = new Set(project.apps.keys());
  const before = errorCounts(state.analysis.findings, apps);
  const counts = errorCounts(after.findings, apps);
  const grown = after.findings.filter(
    (f) => f.severity === 'error' && f.app !== null && inProject(f.file) && (f.app === app || counts.get(`${f.code}\0${f.app}`)! > (before.get(`${f.code}\0${f.app}`) ?? 0)),
  );
  const leavesAfter = after.apps.find((a) => a.label === app && a.path === appDir)?.leaves ?? [];
  if (grown.length || leavesAfter.length !== 1 || leavesAfter[0] !== plan.leaf) {
    const why = grown[0]?.message ?? `app '${app}' would have the leaves ${leavesAfter.join(', ')}`;
    return refuse(say.wouldBreak(app, why), grown.slice(1).map((f) => f.message), null, planned);
  }

  for (const r of plan.renames) {
    try {
      await safeTarget(state.root, path.posix.dirname(r.newPath), r.to);
    } catch {
      throw new UsageError(say.unsafePath(r.newPath));
    }
  }
  const result: RebaseResult = { ...base, ...planned, report: after, notes, leaf: plan.leaf };
  if (options.dryRun) return result;
  const tracked = await applyRebase({ root: state.root, inGit: gitRoot !== null, renames: plan.renames, edits: plan.edits });
  return { ...result, renames: plan.renames.map((r) => ({ ...r, git: tracked.has(r.path) })), written: true };
}

export interface RebaseArgs extends OutputOptions {
  app: string;
  onto?: string;
  dryRun?: boolean;
  applied?: string;
  database?: string;
  force?: boolean;
}

export async function rebaseCommand(args: RebaseArgs, io: Io): Promise<number> {
  const result = await rebaseMigrations({
    cwd: io.cwd,
    app: args.app,
    onto: args.onto ?? null,
    dryRun: args.dryRun,
    applied: args.applied,
    database: args.database,
    force: args.force,
    env: io.env,
  });
  const code = result.refused ? 1 : 0;
  if (args.format === 'json') {
    const { report, ...rest } = result;
    io.stdout.write(renderJson({ ...report, rebase: rest }));
    return code;
  }
  const out: string[] = [];
  const line = (l: string) => out.push(l.endsWith('\n') ? l : `${l}\n`);
  if (result.nothing) {
    if (!args.quiet) io.stdout.write(`${result.nothing}\n`);
    return code;
  }
  if (result.onto && !args.quiet) line(say.sides(result.app, result.chains.length ? result.chains.flat() : result.moving, result.onto, result.why ?? ''));
  if (result.refused) {
    io.stdout.write(out.join(''));
    const details = result.refused.details.map((d) => `  - ${d}\n`).join('');
    io.stderr.write(`migcheck: ${result.refused.message}\n${details}${result.refused.hint ? `  ${result.refused.hint}\n` : ''}migcheck: ${say.wroteNothing()}\n`);
    return code;
  }
  if (args.dryRun) {
    for (const r of result.renames) line(say.wouldRename(r.path, r.newPath));
    line(say.dryRun());
    out.push(result.diff);
  } else if (!args.quiet) {
    for (const r of result.renames) line(say.renamed(r.path, r.newPath, r.git === true));
    for (const e of result.edits) line(say.updated(e.newPath, e.changes));
    if (result.leaf) line(say.done(result.app, result.leaf));
  }
  io.stdout.write(out.join(''));
  const p = paint(colorEnabled(io.stderr.isTTY, io.env));
  for (const n of result.notes) io.stderr.write(`migcheck: ${p.yellow(n)}\n`);
  return code;
}
