/**
 * What `manage.py migrate` would do to a database that has applied some migrations: Django's
 * consistency check, its plan, and the reverse plan of a rollback. Pure: the graph must have been
 * built with the same applied set (`GraphOptions.applied`), so squashes are decided as Django's
 * loader decides them with a connection.
 */
import { appliedKey, compareNodes, type Graph, type GraphNode } from './graph.js';
import { compareKeys } from './order.js';
import type { NodeKey, OperationRef } from './types.js';

/** The applied set as a lookup, with `app\0name` keys (GraphOptions.applied takes the same). */
export function appliedSet(applied: readonly NodeKey[]): Set<string> {
  return new Set(applied.map(([app, name]) => appliedKey(app, name)));
}

/**
 * Django's `loader.applied_migrations` after build_graph: the recorded rows, plus each squash whose
 * replaced migrations are all applied, minus each squash whose are not.
 */
export function effectiveApplied(graph: Graph, recorded: ReadonlySet<string>): Set<string> {
  const applied = new Set(recorded);
  for (const [key, squash] of graph.replacements) {
    if (squash.parsed.replaces.every((r) => recorded.has(appliedKey(r.app, r.name)))) applied.add(key);
    else applied.delete(key);
  }
  return applied;
}

/**
 * For file input: showmigrations marks a squash `[X]` only when all of its replaced migrations
 * are applied, and a database records the replaced ones, so count them as applied.
 */
export function expandSquashes(graph: Graph, applied: readonly NodeKey[]): NodeKey[] {
  const out = new Map(applied.map((k) => [appliedKey(k[0], k[1]), k] as const));
  for (const [key, squash] of graph.replacements) {
    if (!out.has(key)) continue;
    for (const r of squash.parsed.replaces) out.set(appliedKey(r.app, r.name), [r.app, r.name]);
  }
  return [...out.values()].sort(compareKeys);
}

export interface HistoryProblem {
  /** The applied migration. */
  node: GraphNode;
  /** Its dependency that is not applied. */
  parent: GraphNode;
}

/**
 * Django's `check_consistent_history`, every violation instead of the first: an applied migration
 * whose direct parent is not applied. Unknown applied migrations are skipped, and so is a squash
 * parent whose replaced migrations are all applied.
 */
export function historyProblems(graph: Graph, recorded: ReadonlySet<string>): HistoryProblem[] {
  const problems: HistoryProblem[] = [];
  const nodes = [...graph.nodes.values()].filter((n) => n.migration && recorded.has(appliedKey(n.app, n.name)));
  for (const node of nodes.sort(compareNodes)) {
    for (const parent of [...node.parents].sort(compareNodes)) {
      // A placeholder is a missing dependency: Django stops at NodeNotFoundError before this check.
      if (!parent.migration || recorded.has(appliedKey(parent.app, parent.name))) continue;
      const squash = graph.replacements.get(appliedKey(parent.app, parent.name));
      if (squash && squash.parsed.replaces.every((r) => recorded.has(appliedKey(r.app, r.name)))) continue;
      problems.push({ node, parent });
    }
  }
  return problems;
}

/** Real leaves of every app, sorted by `(app, name)`: Django's `graph.leaf_nodes()`. */
export function allLeaves(graph: Graph): GraphNode[] {
  return graph
    .apps()
    .flatMap((app) => graph.leafNodes(app).filter((n) => n.migration))
    .sort(compareNodes);
}

/**
 * A bare `migrate`: for each leaf in sorted order, `forwards_plan(leaf)` minus what is applied or
 * already planned (`MigrationExecutor.migration_plan`).
 */
export function migratePlan(graph: Graph, applied: ReadonlySet<string>): GraphNode[] {
  const done = new Set(applied);
  const plan: GraphNode[] = [];
  for (const leaf of allLeaves(graph)) {
    // An applied leaf would be rolled back through its same-app children: a leaf has none.
    if (done.has(appliedKey(leaf.app, leaf.name))) continue;
    for (const node of graph.forwardsPlan(leaf)) {
      const key = appliedKey(node.app, node.name);
      if (done.has(key) || !node.migration) continue;
      plan.push(node);
      done.add(key);
    }
  }
  return plan;
}

export class TargetError extends Error {}

/**
 * `migrate <app> <name>` resolves the name as a prefix of the app's migrations on disk
 * (`get_migration_by_prefix`); 'zero' means every migration of the app.
 */
export function resolveTarget(graph: Graph, app: string, prefix: string): GraphNode | 'zero' {
  if (prefix === 'zero') {
    if (!graph.apps().includes(app)) throw new TargetError(`App '${app}' does not have migrations.`);
    return 'zero';
  }
  const onDisk = new Map<string, GraphNode | null>();
  for (const n of graph.appNodes(app)) if (n.migration) onDisk.set(n.name, n);
  for (const squash of graph.replacements.values()) {
    // Replaced migrations whose files exist were taken out of the graph by their squash.
    for (const r of squash.parsed.replaces) if (r.app === app && !onDisk.has(r.name) && squash.app === app) onDisk.set(r.name, null);
  }
  if (onDisk.size === 0) throw new TargetError(`App '${app}' does not have migrations.`);
  const matches = [...onDisk.keys()].filter((n) => n.startsWith(prefix));
  if (matches.length > 1) {
    throw new TargetError(`More than one migration matches '${prefix}' in app '${app}'. Please be more specific.`);
  }
  const node = matches.length === 1 ? onDisk.get(matches[0]) : undefined;
  if (node === undefined) throw new TargetError(`Cannot find a migration matching '${prefix}' from app '${app}'.`);
  if (node === null) throw new TargetError(`${app}.${matches[0]} is replaced by a squashed migration in this code; roll back to the squash or to a migration before it.`);
  return node;
}

export interface RollbackPlan {
  /** Steps in the order Django unapplies them. Empty when nothing is applied past the target. */
  steps: GraphNode[];
  /** The target is not applied: `migrate <app> <name>` would go forwards, not back. */
  forwards: GraphNode[] | null;
}

/**
 * `migrate <app> <name>` against an applied set (`MigrationExecutor.migration_plan` for one target):
 * an applied target is rolled back through its same-app children only (so other apps' migrations
 * that do not depend on them stay); `zero` rolls back from each root of the app.
 */
export function rollbackPlan(graph: Graph, app: string, target: GraphNode | 'zero', applied: ReadonlySet<string>): RollbackPlan {
  const left = new Set(applied);
  const steps: GraphNode[] = [];
  const take = (from: GraphNode) => {
    for (const node of graph.backwardsPlan(from)) {
      const key = appliedKey(node.app, node.name);
      if (!left.has(key) || !node.migration) continue;
      steps.push(node);
      left.delete(key);
    }
  };
  if (target === 'zero') {
    for (const root of graph.rootNodes(app).filter((n) => n.migration)) take(root);
    return { steps, forwards: null };
  }
  if (!applied.has(appliedKey(target.app, target.name))) {
    const forwards = graph.forwardsPlan(target).filter((n) => n.migration && !applied.has(appliedKey(n.app, n.name)));
    return { steps, forwards };
  }
  const next = [...target.children].filter((c) => c.app === target.app).sort(compareNodes);
  for (const child of next) take(child);
  return { steps, forwards: null };
}

/** An operation that Django cannot unapply, with the line to fix. */
export interface Irreversible {
  kind: string;
  line: number;
  /** What is missing: `reverse_code` or `reverse_sql`. */
  missing: string;
}

function absent(op: OperationRef, arg: string): boolean {
  // `RunPython(*args)` or `**kwargs` may hold it: what cannot be read is not reported.
  if (op.source['*'] !== undefined || op.source['**'] !== undefined) return false;
  const source = op.source[arg];
  return source === undefined || source.trim() === 'None';
}

/**
 * Operations that raise IrreversibleError when unapplied: RunPython without `reverse_code` and
 * RunSQL without `reverse_sql` (`RunPython.noop` and `''` reverse fine).
 */
export function irreversibleOperations(operations: readonly OperationRef[]): Irreversible[] {
  const out: Irreversible[] = [];
  for (const op of operations) {
    if (op.kind === 'RunPython' && absent(op, 'reverse_code')) out.push({ kind: op.kind, line: op.line, missing: 'reverse_code' });
    if (op.kind === 'RunSQL' && absent(op, 'reverse_sql')) out.push({ kind: op.kind, line: op.line, missing: 'reverse_sql' });
  }
  return out;
}
