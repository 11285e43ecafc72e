/**
 * What a merge migration would not fix, for an app with several leaves: operations of sibling
 * branches that clash (`operation-clash`), and new migrations that cannot be unapplied
 * (`irreversible`). Pure.
 *
 * "Sibling branches" are read from the graph: for each pair of leaves, the migrations of the app
 * that lead to one leaf and not to the other (everything after their fork). Ancestry is the whole
 * graph's, cross-app dependencies included: a migration that the other line reaches through
 * another app runs before it on every branch, so the two cannot clash. Irreversible steps are
 * reported only for those migrations, the new work on each side of a conflict: an old project's
 * history is full of RunPython without reverse_code that nobody will ever unapply.
 */
import { deployMessages, opsMessages } from '../messages.js';
import type { Finding } from './findings.js';
import { reachable, type Graph, type GraphNode } from './graph.js';
import { clashSeverity, findClashes, type Clash, type SideMigration } from './clash-rules.js';
import { irreversibleSteps } from './ops.js';
import { compareStrings } from './order.js';

/** An `operation-clash` finding: both operations, with their files and lines. */
export interface ClashFinding extends Finding {
  code: 'operation-clash';
  operations: Array<{ migration: string; file: string; line: number; operation: string }>;
  /** Why they clash (ops.ts ClashReason) and, for things both sides create, whether the definitions match. */
  reason: string;
  same: boolean | null;
}

/**
 * The leaf's app's migrations that run before it, itself included, real migrations only: its
 * ancestors through any app.
 */
function lineage(leaf: GraphNode): Set<GraphNode> {
  return new Set([...reachable(leaf, 'parents')].filter((n) => n.app === leaf.app && n.migration));
}

/** The migrations of `mine` that are not in `theirs`, in plan order. */
function side(graph: Graph, leaf: GraphNode, mine: Set<GraphNode>, theirs: Set<GraphNode>): SideMigration[] {
  return graph
    .forwardsPlan(leaf)
    .filter((n) => mine.has(n) && !theirs.has(n))
    .map((n) => ({ name: n.name, path: n.migration!.path, operations: n.migration!.parsed.operations }));
}

function clashFinding(app: string, parent: string | null, c: Clash): ClashFinding {
  // Report in name order, so a clash reads the same whichever leaf came first.
  const [a, b] = compareStrings(c.left.migration, c.right.migration) <= 0 ? [c.left, c.right] : [c.right, c.left];
  const show = (s: typeof a) => ({
    migration: s.migration,
    path: s.path,
    line: s.op.op.line,
    label: s.op.via ? `${s.op.label} (in ${s.op.via})` : s.op.label,
  });
  const severity = clashSeverity(c.reason);
  const facts = { reason: c.reason, same: c.same, target: c.target, severity, left: show(a), right: show(b) };
  return {
    code: 'operation-clash',
    severity,
    app,
    migrations: [a.migration, b.migration],
    parent,
    message: opsMessages.clash(app, facts),
    hint: opsMessages.clashHint(app, facts),
    file: a.path,
    line: a.op.op.line,
    operations: [a, b].map((s) => ({ migration: s.migration, file: s.path, line: s.op.op.line, operation: show(s).label })),
    reason: c.reason,
    same: c.same,
  };
}

/**
 * `operation-clash` findings between every pair of leaves of `app` (errors where `migrate` fails,
 * warnings where only the result depends on the order), and `irreversible` warnings for the
 * migrations after the fork. `parent` is the leaves' common parent (for the findings). `loads`:
 * whether Django can load the project's graph at all; when it cannot, that is the finding, and no
 * clash is computed on it.
 */
export function conflictFindings(graph: Graph, app: string, leaves: readonly GraphNode[], parent: string | null, loads = true): Finding[] {
  const out: Finding[] = [];
  const lineages = leaves.map(lineage);
  const seen = new Set<string>();
  const fresh = new Set<GraphNode>();
  for (let i = 0; loads && i < leaves.length; i++) {
    for (let j = i + 1; j < leaves.length; j++) {
      const left = side(graph, leaves[i], lineages[i], lineages[j]);
      const right = side(graph, leaves[j], lineages[j], lineages[i]);
      for (const c of findClashes(app, left, right)) {
        const f = clashFinding(app, parent, c);
        const key = f.operations.map((o) => `${o.file}:${o.line}:${o.operation}`).join('|');
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(f);
      }
    }
  }
  const common = lineages.reduce((acc, s) => new Set([...acc].filter((n) => s.has(n))));
  for (const l of lineages) for (const n of l) if (!common.has(n)) fresh.add(n);
  out.push(...irreversibleFindings(app, [...fresh].map((n) => ({ name: n.name, path: n.migration!.path, operations: n.migration!.parsed.operations }))));
  return out;
}

/** `irreversible` warnings for these migrations (new work: the caller decides which are new). */
export function irreversibleFindings(app: string, migrations: readonly SideMigration[]): Finding[] {
  const out: Finding[] = [];
  for (const m of [...migrations].sort((a, b) => compareStrings(a.name, b.name))) {
    for (const step of irreversibleSteps(m.operations)) {
      out.push({
        code: 'irreversible',
        severity: 'warning',
        app,
        migrations: [m.name],
        parent: null,
        message: opsMessages.irreversible(app, m.name, m.path, step.line, step.kind, step.missing, step.via),
        hint: deployMessages.irreversibleHint(step.kind, step.missing),
        file: m.path,
        line: step.line,
      });
    }
  }
  return out;
}

/**
 * `irreversible` warnings for the migrations at `paths` (new on a branch: not yet on the target of
 * a predicted merge), skipping any the findings already report.
 */
export function irreversibleAt(
  projects: ReadonlyArray<{ graph: Graph }>,
  paths: ReadonlySet<string>,
  already: readonly Finding[] = [],
): Finding[] {
  const reported = new Set(already.filter((f) => f.code === 'irreversible').map((f) => `${f.file}:${f.line}`));
  const out: Finding[] = [];
  for (const { graph } of projects) {
    for (const node of graph.nodes.values()) {
      const m = node.migration;
      if (!m || !paths.has(m.path)) continue;
      out.push(...irreversibleFindings(m.app, [{ name: m.name, path: m.path, operations: m.parsed.operations }]).filter((f) => !reported.has(`${f.file}:${f.line}`)));
    }
  }
  return out;
}
