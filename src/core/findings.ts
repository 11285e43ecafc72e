import { messages } from '../messages.js';
import { conflictFindings } from './clashes.js';
import { duplicateNumbers } from './duplicates.js';
import { buildGraph, compareNodes, findCycles, type Graph, type GraphNode, type GraphOptions, type MigrationInput } from './graph.js';
import { inferLabel, otherFolderNames, type MigrationsDir } from './layout.js';
import { compareStrings } from './order.js';
import type { SquashProblem } from './squash-order.js';
import type { ParsedMigration } from './types.js';

export type Severity = 'error' | 'warning';

export interface Finding {
  code: string;
  severity: Severity;
  app: string | null;
  migrations: string[];
  parent: string | null;
  message: string;
  hint: string;
  file: string | null;
  line: number | null;
}

export interface AppSummary {
  label: string;
  path: string;
  migrations: number;
  leaves: string[];
  /** Folder of the Django project (nearest manage.py); omitted for the repository root. */
  project?: string;
}

export interface ProjectGraph {
  project: string;
  graph: Graph;
  /** Migrations that are in the graph, by app. */
  apps: Map<string, { dir: string; migrations: MigrationInput[] }>;
}

export interface Analysis {
  apps: AppSummary[];
  findings: Finding[];
  projects: ProjectGraph[];
}

export interface AnalyzeOptions extends GraphOptions {
  labels?: Readonly<Record<string, string>>;
  /**
   * `check --all`: every group of migrations that share a number, joined by a merge migration or
   * not. By default only the ones no merge migration joins yet (new work) are reported.
   */
  allDuplicates?: boolean;
}

/** Findings that make Django's MigrationLoader fail: the project's graph does not load. */
const GRAPH_BREAKING = new Set(['missing-dependency', 'circular-dependency', 'parse-error', 'duplicate-label']);

/**
 * Django 3.2–4.0's `parse_number`: the leading digits, or null. (4.1+ reads squash names
 * differently; only the merge namer needs that.)
 */
export function leadingNumber(name: string): string | null {
  const m = /^\d+/.exec(name);
  return m ? m[0] : null;
}

/** parse → graph → findings for every Django project in the tree. Pure. */
export function analyze(
  dirs: readonly MigrationsDir[],
  parsed: ReadonlyMap<string, ParsedMigration | null>,
  options: AnalyzeOptions = {},
): Analysis {
  const findings: Finding[] = [];
  const byProject = new Map<string, Array<{ dir: MigrationsDir; label: string }>>();

  const othersOf = otherFolderNames(dirs);
  for (const dir of dirs) {
    // A `migrations` folder where no module defines a Migration class is not an app's migrations
    // (helper packages use the name too): skip it quietly.
    if (!dir.modules.some((m) => parsed.get(m.path)?.hasMigrationClass)) continue;
    const label = inferLabel(dir, parsed, options.labels, othersOf(dir));
    if (!byProject.has(dir.project)) byProject.set(dir.project, []);
    byProject.get(dir.project)!.push({ dir, label });
  }

  const apps: AppSummary[] = [];
  const projects: ProjectGraph[] = [];
  for (const { project, entries } of scopesOf(byProject)) {
    const projectStart = findings.length;
    const inputs: MigrationInput[] = [];
    const unmigrated = new Set<string>();
    const chosen = new Map<string, MigrationsDir>();
    for (const { dir, label } of entries) {
      if (!dir.hasInit) {
        // Django imports a folder without __init__.py as a namespace package and treats the app
        // as unmigrated: none of these files run.
        unmigrated.add(label);
        findings.push(finding('not-a-package', 'warning', label, [], null, messages.notAPackage(dir.dir), messages.notAPackageHint(dir.dir), `${dir.dir}`, null));
        continue;
      }
      const first = chosen.get(label);
      if (first) {
        findings.push(finding('duplicate-label', 'error', label, [], null, messages.duplicateLabel(label, [first.dir, dir.dir]), messages.duplicateLabelHint(), dir.dir, null));
        continue;
      }
      chosen.set(label, dir);
      for (const mod of dir.modules) {
        const p = parsed.get(mod.path) ?? null;
        if (mod.compiled || p === null) {
          findings.push(finding('parse-error', 'error', label, [mod.name], null, messages.compiledOnly(mod.path), messages.compiledOnlyHint(), mod.path, null));
          continue;
        }
        if (p.error) {
          findings.push(finding('parse-error', 'error', label, [mod.name], null, messages.parseError(mod.path, p.error.line, p.error.message), messages.parseErrorHint(), mod.path, p.error.line));
        }
        if (!p.hasMigrationClass) {
          if (!p.error) {
            findings.push(finding('parse-error', 'error', label, [mod.name], null, messages.noMigrationClass(mod.name, label), messages.noMigrationClassHint(), mod.path, 1));
          }
          continue;
        }
        inputs.push({ app: label, name: mod.name, path: mod.path, parsed: p });
      }
    }
    for (const label of unmigrated) if (chosen.has(label)) unmigrated.delete(label);

    const graph = buildGraph(inputs, { ...options, unmigratedApps: unmigrated });
    const byApp = new Map<string, { dir: string; migrations: MigrationInput[] }>();
    for (const [label, dir] of chosen) byApp.set(label, { dir: dir.dir, migrations: [] });
    for (const node of graph.nodes.values()) if (node.migration) byApp.get(node.app)?.migrations.push(node.migration);
    projects.push({ project, graph, apps: byApp });

    findings.push(...graphFindings(graph));
    // Django's loader stops at the first missing node, cycle or unreadable file: nothing after it
    // runs, so clashes between branches of a graph that does not load are not computed (the cause
    // is the finding).
    const loads = !findings.slice(projectStart).some((f) => f.severity === 'error' && GRAPH_BREAKING.has(f.code));
    for (const [label, { dir, migrations }] of byApp) {
      const leaves = realLeaves(graph, label);
      apps.push({
        label,
        path: dir,
        migrations: migrations.length,
        leaves: leaves.map((n) => n.name),
        ...(project ? { project } : {}),
      });
      const leafNames = new Set(leaves.length > 1 ? leaves.map((n) => n.name) : []);
      if (leaves.length > 1) {
        const conflict = multipleLeaves(graph, label, leaves);
        findings.push(conflict);
        // What a merge migration would not fix: clashing operations, irreversible new steps.
        findings.push(...conflictFindings(graph, label, leaves, conflict.parent, loads));
      }
      // Siblings that are still unmerged leaves are already the multiple-leaves error; the number
      // warning is for the ones that stay after a merge.
      findings.push(...duplicateNumbers(graph, label, migrations, options.allDuplicates ?? false).filter((f) => !f.migrations.every((m) => leafNames.has(m))));
    }
  }
  apps.sort((a, b) => compareStrings(a.label, b.label) || compareStrings(a.path, b.path));
  return { apps, findings: sortFindings(findings), projects };
}

/**
 * The label scopes to build one graph each: a project's apps, and apart from them each forked app
 * (`MigrationsDir.fork`) that shares its label with another folder. Django never installs a fork
 * beside the app it extends (django-oscar's forked apps replace the originals in INSTALLED_APPS),
 * so the two are not a duplicate label: each is checked on its own.
 */
function scopesOf(byProject: ReadonlyMap<string, Array<{ dir: MigrationsDir; label: string }>>) {
  const scopes: Array<{ project: string; entries: Array<{ dir: MigrationsDir; label: string }> }> = [];
  for (const [project, entries] of [...byProject].sort((a, b) => compareStrings(a[0], b[0]))) {
    const shared = (e: { dir: MigrationsDir; label: string }) => entries.some((o) => o !== e && o.label === e.label);
    const forks = entries.filter((e) => e.dir.fork && shared(e));
    scopes.push({ project, entries: entries.filter((e) => !forks.includes(e)) });
    for (const fork of forks) scopes.push({ project, entries: [fork] });
  }
  return scopes;
}

function finding(
  code: string,
  severity: Severity,
  app: string | null,
  migrations: string[],
  parent: string | null,
  message: string,
  hint: string,
  file: string | null,
  line: number | null,
): Finding {
  return { code, severity, app, migrations, parent, message, hint, file, line };
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      compareStrings(a.app ?? '', b.app ?? '') ||
      compareStrings(a.code, b.code) ||
      compareStrings(a.file ?? '', b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      compareStrings(a.migrations.join(','), b.migrations.join(',')),
  );
}

/** Leaves of an app among real migrations (placeholders are reported as missing instead). */
export function realLeaves(graph: Graph, app: string): GraphNode[] {
  return graph
    .appNodes(app)
    .filter((n) => n.migration && ![...n.children].some((c) => c.app === n.app))
    .sort(compareNodes);
}

/** Same-app ancestors of a node (itself excluded), through any path. */
function sameAppAncestors(node: GraphNode): Set<GraphNode> {
  const seen = new Set<GraphNode>();
  const stack = [...node.parents];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...n.parents);
  }
  return new Set([...seen].filter((n) => n.app === node.app));
}

/** The latest migration that every leaf builds on, or null. */
export function commonParent(graph: Graph, leaves: readonly GraphNode[]): GraphNode | null {
  const sets = leaves.map(sameAppAncestors);
  const common = sets.reduce((acc, s) => new Set([...acc].filter((n) => s.has(n))));
  if (common.size === 0) return null;
  // forwards_plan is a topological order: the last common ancestor in it has no common descendant.
  const plan = graph.forwardsPlan(leaves[0]);
  return plan.filter((n) => common.has(n)).pop() ?? null;
}

function multipleLeaves(graph: Graph, app: string, leaves: GraphNode[]): Finding {
  const parent = commonParent(graph, leaves);
  const names = leaves.map((n) => n.name);
  const first = leaves[0].migration!;
  return finding('multiple-leaves', 'error', app, names, parent?.name ?? null, messages.multipleLeaves(app, names, parent?.name ?? null), messages.multipleLeavesHint(app), first.path, first.parsed.classLine || 1);
}

function graphFindings(graph: Graph): Finding[] {
  const out: Finding[] = [];
  for (const node of graph.missingNodes()) {
    const { from, ref, via } = node.missing!;
    const fromName = `${from.app}.${from.name}`;
    const candidates = graph
      .appNodes(node.app)
      .filter((n) => n.migration && leadingNumber(n.name) !== null && leadingNumber(n.name) === leadingNumber(node.name))
      .map((n) => n.name)
      .sort(compareStrings);
    const message = via === 'run_before' ? messages.missingChild(fromName, node.app, node.name) : messages.missingParent(fromName, node.app, node.name);
    out.push(finding('missing-dependency', 'error', from.app, [from.name], `${node.app}.${node.name}`, message, messages.missingHint(node.app, node.name, candidates), from.path, ref.line));
  }
  for (const problem of graph.unknownApps) {
    const { from, ref } = problem;
    out.push(finding('missing-dependency', 'error', from.app, [from.name], `${ref.app}.${ref.name}`, messages.unknownApp(`${from.app}.${from.name}`, ref.app), messages.unknownAppHint(ref.app), from.path, ref.line));
  }
  for (const problem of graph.squashProblems) out.push(squashFinding(problem));
  for (const cycle of findCycles(graph)) {
    const walk = cycle.map((n) => `${n.app}.${n.name}`);
    const first = cycle.find((n) => n.migration)?.migration;
    out.push(finding('circular-dependency', 'error', cycle[0].app, cycle.map((n) => n.name), null, messages.cycle(walk), messages.cycleHint(), first?.path ?? null, first ? first.parsed.classLine || 1 : null));
  }
  return out;
}

/** Squashes Django cannot apply, or applies by hash order (squash-order.ts). */
function squashFinding(problem: SquashProblem): Finding {
  const first = problem.squashes[0];
  const line = (m: MigrationInput, app: string, name: string) => m.parsed.replaces.find((r) => r.app === app && r.name === name)?.line ?? (m.parsed.classLine || 1);
  const names = problem.squashes.map((m) => m.name);
  switch (problem.kind) {
    case 'overlap': {
      const [a, b] = problem.squashes;
      return finding('overlapping-squashes', 'error', a.app, names, null, messages.overlappingSquashes(a.app, a.name, b.name, problem.shared), messages.overlappingSquashesHint(problem.shared), a.path, line(a, a.app, problem.shared));
    }
    case 'nested': {
      const [outer, inner] = problem.squashes;
      return finding('nested-squashes', 'error', outer.app, names, null, messages.nestedSquashes(outer.app, outer.name, inner.name), messages.nestedSquashesHint(outer.name, inner.name), outer.path, line(outer, inner.app, inner.name));
    }
    case 'cycle': {
      const next = problem.squashes[1 % problem.squashes.length];
      return finding('replacement-loop', 'error', first.app, names, null, messages.replacementLoop(problem.squashes.map((m) => `${m.app}.${m.name}`)), messages.replacementLoopHint(), first.path, line(first, next.app, next.name));
    }
  }
}
