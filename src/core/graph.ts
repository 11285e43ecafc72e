import type { DependencyRef, NodeKey, ParsedMigration } from './types.js';
import type { DjangoVersion } from './merge.js';
import { compareStrings } from './order.js';
import { resolvesNestedSquashesInnerFirst, squashOrder, type SquashProblem } from './squash-order.js';

/** A migration as the graph sees it: where it lives and what the parser read. */
export interface MigrationInput {
  app: string;
  name: string;
  /** Repository-relative path with `/`. */
  path: string;
  parsed: ParsedMigration;
}

export interface GraphOptions {
  /** INSTALLED_APPS order of the migrated apps; apps not listed follow in sorted order. */
  appOrder?: readonly string[];
  /** Django settings the migrations refer to (AUTH_USER_MODEL, ...). */
  settings?: Readonly<Record<string, string>>;
  /**
   * Installed apps that have no migrations in the scanned tree. When null (the default) migcheck
   * cannot see installed packages, so every app outside the tree is external and references to it
   * are trusted.
   */
  installedApps?: readonly string[] | null;
  /** Apps known to exist without migrations (a migrations folder with no __init__.py). */
  unmigratedApps?: ReadonlySet<string>;
  /**
   * Migrations a database recorded as applied, as `appliedKey(app, name)`. When given, each squash
   * is decided as Django's loader decides it with a connection: used when none or all of its
   * replaced migrations are applied, dropped (its replaced nodes kept) when only some are. When
   * absent, every squash is used, as with no database.
   */
  applied?: ReadonlySet<string>;
  /** The project's Django: where its loader's rules differ by version (nested squashes). Default 3.2. */
  djangoVersion?: DjangoVersion | null;
}

/** The key of `(app, name)` in `GraphOptions.applied`. */
export function appliedKey(app: string, name: string): string {
  return id(app, name);
}

/** Why a placeholder node exists: which migration referenced the missing key, and how. */
export interface MissingOrigin {
  from: MigrationInput;
  ref: DependencyRef;
  via: 'dependency' | 'run_before';
}

export class GraphNode {
  readonly parents = new Set<GraphNode>();
  readonly children = new Set<GraphNode>();
  constructor(
    readonly app: string,
    readonly name: string,
    /** The migration file; null for a placeholder created by a reference to a missing key. */
    readonly migration: MigrationInput | null,
    readonly missing: MissingOrigin | null = null,
  ) {}
  get key(): NodeKey {
    return [this.app, this.name];
  }
}

/** A reference Django refuses before it builds anything (ValueError in `check_key`). */
export interface UnknownAppProblem {
  from: MigrationInput;
  ref: DependencyRef;
  message: string;
}

const id = (app: string, name: string) => `${app}\u0000${name}`;

/**
 * Django's MigrationGraph as MigrationLoader.build_graph leaves it, with no database
 * (django/db/migrations/loader.py): every squash whose replaced migrations are all unapplied
 * stands in for them.
 */
export class Graph {
  /** Every node, placeholders included, by `app\0name`; Django's `node_map`. */
  readonly nodes = new Map<string, GraphNode>();
  readonly unknownApps: UnknownAppProblem[] = [];
  /** Every squash on disk (a migration with `replaces`), used or not, by `app\0name`; Django's `loader.replacements`. */
  readonly replacements = new Map<string, MigrationInput>();
  /** Squashes whose result is an error in Django, or depends on its hash order (squash-order.ts). */
  readonly squashProblems: SquashProblem[] = [];
  private readonly byApp = new Map<string, Set<GraphNode>>();
  /** The same nodes by app, then name: lookups are on every hot path and build no key string. */
  private readonly byName = new Map<string, Map<string, GraphNode>>();

  get(app: string, name: string): GraphNode | undefined {
    return this.byName.get(app)?.get(name);
  }

  has(app: string, name: string): boolean {
    return this.byName.get(app)?.has(name) ?? false;
  }

  appNodes(app: string): GraphNode[] {
    return [...(this.byApp.get(app) ?? [])];
  }

  apps(): string[] {
    return [...this.byApp.keys()].filter((a) => this.byApp.get(a)!.size > 0).sort(compareStrings);
  }

  add(node: GraphNode): GraphNode {
    this.nodes.set(id(node.app, node.name), node);
    let set = this.byApp.get(node.app);
    if (!set) {
      this.byApp.set(node.app, (set = new Set()));
      this.byName.set(node.app, new Map());
    }
    set.add(node);
    this.byName.get(node.app)!.set(node.name, node);
    return node;
  }

  remove(node: GraphNode): void {
    this.nodes.delete(id(node.app, node.name));
    this.byApp.get(node.app)?.delete(node);
    this.byName.get(node.app)?.delete(node.name);
  }

  /** Nodes with no parent in their own app, sorted; placeholders count, as in Django. */
  rootNodes(app: string): GraphNode[] {
    return this.appNodes(app)
      .filter((n) => ![...n.parents].some((p) => p.app === n.app))
      .sort(compareNodes);
  }

  /** Nodes with no child in their own app, sorted; placeholders count, as in Django. */
  leafNodes(app: string): GraphNode[] {
    return this.appNodes(app)
      .filter((n) => ![...n.children].some((c) => c.app === n.app))
      .sort(compareNodes);
  }

  /** Placeholders left after squashes were applied: Django's NodeNotFoundError cases. */
  missingNodes(): GraphNode[] {
    return [...this.nodes.values()].filter((n) => n.migration === null).sort(compareNodes);
  }

  /**
   * Django's `forwards_plan`: an iterative depth-first walk over parents, each node's parents
   * pushed in sorted order (so the last in sorted order is visited first), a node emitted after
   * its parents.
   */
  forwardsPlan(target: GraphNode): GraphNode[] {
    return iterativeDfs(target, (n) => n.parents);
  }

  /** Django's `backwards_plan`: the same walk over children, a node emitted after its children. */
  backwardsPlan(target: GraphNode): GraphNode[] {
    return iterativeDfs(target, (n) => n.children);
  }
}

/**
 * Django's `iterative_dfs`: neighbours pushed in sorted order (so the last in sorted order is
 * visited first), a node emitted after all its neighbours.
 */
function iterativeDfs(target: GraphNode, next: (n: GraphNode) => Set<GraphNode>): GraphNode[] {
  const visited = new Set<GraphNode>();
  // Django never walks a cyclic graph (it raises first); we do, for findings, so a node being
  // expanded is not expanded again. On an acyclic graph this changes nothing.
  const expanded = new Set<GraphNode>();
  const plan: GraphNode[] = [];
  const stack: Array<[GraphNode, boolean]> = [[target, false]];
  while (stack.length) {
    const [node, processed] = stack.pop()!;
    if (visited.has(node)) continue;
    if (processed) {
      visited.add(node);
      plan.push(node);
      continue;
    }
    if (expanded.has(node)) continue;
    expanded.add(node);
    stack.push([node, true]);
    for (const n of [...next(node)].sort(compareNodes)) if (!visited.has(n)) stack.push([n, false]);
  }
  return plan;
}

/** A node and every node reached from it through `edge` (its parents or its children), in any app. */
export function reachable(node: GraphNode, edge: 'parents' | 'children'): Set<GraphNode> {
  const seen = new Set<GraphNode>();
  const stack = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...n[edge]);
  }
  return seen;
}

/** `(app, name)` order without building the tuples: sorting is on every hot path. */
export function compareNodes(a: GraphNode, b: GraphNode): number {
  return compareStrings(a.app, b.app) || compareStrings(a.name, b.name);
}

function link(parent: GraphNode, child: GraphNode): void {
  child.parents.add(parent);
  parent.children.add(child);
}

/** Resolve `swappable_dependency(settings.X)` as Django does: `(app label of X, '__first__')`. */
export function resolveRef(ref: DependencyRef, settings: Readonly<Record<string, string>>): DependencyRef {
  if (!ref.swappable) return ref;
  const value = settings[ref.swappable] ?? (ref.swappable === 'AUTH_USER_MODEL' ? 'auth.User' : '');
  return { ...ref, app: value.split('.')[0] ?? '', name: '__first__' };
}

/**
 * Build the graph in Django's order; the order matters because `__first__`/`__latest__` of another
 * app resolve against the graph as built so far.
 */
export function buildGraph(migrations: readonly MigrationInput[], options: GraphOptions = {}): Graph {
  const settings = options.settings ?? {};
  const graph = new Graph();
  const migratedApps = new Set(migrations.map((m) => m.app));
  const installed = options.installedApps ? new Set(options.installedApps) : null;
  const unmigrated = options.unmigratedApps ?? new Set<string>();
  const rank = new Map((options.appOrder ?? []).map((app, i) => [app, i] as const));
  const ordered = [...migrations].sort((a, b) => {
    const ra = rank.get(a.app) ?? Infinity;
    const rb = rank.get(b.app) ?? Infinity;
    if (ra !== rb) return ra < rb ? -1 : 1;
    return compareStrings(a.app, b.app) || compareStrings(a.name, b.name);
  });

  // (1) A node per migration file.
  for (const m of ordered) {
    graph.add(new GraphNode(m.app, m.name, m));
    if (m.parsed.replaces.length > 0) graph.replacements.set(id(m.app, m.name), m);
  }

  const nodeFor = (app: string, name: string, origin: MissingOrigin): GraphNode =>
    graph.get(app, name) ?? graph.add(new GraphNode(app, name, null, origin));

  // (2) Same-app dependencies. Django skips a same-app `__first__` (ticket #22325), which can make
  // a second root; a same-app `__latest__` is not skipped and ends as a missing node.
  for (const m of ordered) {
    const self = graph.get(m.app, m.name)!;
    for (const raw of m.parsed.dependencies) {
      const ref = resolveRef(raw, settings);
      if (ref.app !== m.app || ref.name === '__first__') continue;
      link(nodeFor(ref.app, ref.name, { from: m, ref, via: 'dependency' }), self);
    }
  }

  // `check_key`: what another app's reference means, given what is known about that app.
  const checkKey = (m: MigrationInput, ref: DependencyRef): GraphNode | null | 'concrete' => {
    const special = ref.name === '__first__' || ref.name === '__latest__';
    if (!special || graph.has(ref.app, ref.name)) {
      if (migratedApps.has(ref.app) || graph.has(ref.app, ref.name)) return 'concrete';
      // An app outside the scanned tree: trusted unless we know it is installed without
      // migrations, or config says which apps are installed.
      return installed || unmigrated.has(ref.app) ? 'concrete' : null;
    }
    if (ref.app === m.app) return null;
    if (migratedApps.has(ref.app)) {
      const nodes = ref.name === '__first__' ? graph.rootNodes(ref.app) : graph.leafNodes(ref.app);
      return nodes[0] ?? null;
    }
    if (!installed || installed.has(ref.app) || unmigrated.has(ref.app)) return null;
    graph.unknownApps.push({ from: m, ref, message: `Dependency on unknown app: ${ref.app}` });
    return null;
  };

  // (3) Cross-app dependencies and run_before, migration by migration in INSTALLED_APPS order.
  for (const m of ordered) {
    const self = graph.get(m.app, m.name)!;
    for (const raw of m.parsed.dependencies) {
      const ref = resolveRef(raw, settings);
      if (ref.app === m.app) continue;
      const target = checkKey(m, ref);
      if (target === null) continue;
      const parent = target === 'concrete' ? nodeFor(ref.app, ref.name, { from: m, ref, via: 'dependency' }) : target;
      link(parent, self);
    }
    for (const raw of m.parsed.runBefore) {
      const ref = resolveRef(raw, settings);
      const target = checkKey(m, ref);
      if (target === null) continue;
      const child = target === 'concrete' ? nodeFor(ref.app, ref.name, { from: m, ref, via: 'run_before' }) : target;
      link(self, child);
    }
  }

  // (4) Squashes: with no database nothing is applied, so every squash replaces its migrations
  // (Django's remove_replaced_nodes), and edges to or from them move to the squash. The order
  // matters when squashes replace squashes or share a migration (squash-order.ts).
  const squashes = squashOrder(
    ordered.filter((m) => m.parsed.replaces.length > 0),
    options.djangoVersion,
  );
  graph.squashProblems.push(...squashes.problems);
  const innerFirst = resolvesNestedSquashesInnerFirst(options.djangoVersion);
  for (const m of squashes.order) {
    const replacement = graph.get(m.app, m.name);
    // An earlier squash replaced this one: Django raises NodeNotFoundError "Unable to find
    // replacement node", reported from squashProblems.
    if (!replacement || replacement.migration !== m) continue;
    const applied = options.applied;
    if (applied) {
      // 6.0 asks about the migrations that nested squashes stand for; before, about `replaces`.
      const targets = innerFirst ? resolvedReplaces(m, graph.replacements) : m.parsed.replaces;
      const statuses = targets.map((r) => applied.has(id(r.app, r.name)));
      if (statuses.some(Boolean) && !statuses.every(Boolean)) {
        removeReplacementNode(graph, replacement, m.parsed.replaces);
        continue;
      }
    }
    const replaced = new Set(m.parsed.replaces.map((r) => id(r.app, r.name)));
    for (const r of m.parsed.replaces) {
      const node = graph.get(r.app, r.name);
      if (!node) continue;
      graph.remove(node);
      for (const child of node.children) {
        child.parents.delete(node);
        if (!replaced.has(id(child.app, child.name))) link(replacement, child);
      }
      for (const parent of node.parents) {
        parent.children.delete(node);
        if (!replaced.has(id(parent.app, parent.name))) link(parent, replacement);
      }
    }
  }
  return graph;
}

/** Django 6.0's `_resolve_replaced_migration_keys`: `replaces`, with each squash in it replaced by what it replaces. */
function resolvedReplaces(m: MigrationInput, squashes: ReadonlyMap<string, MigrationInput>, seen = new Set<MigrationInput>()): DependencyRef[] {
  seen.add(m);
  const out: DependencyRef[] = [];
  for (const r of m.parsed.replaces) {
    const inner = squashes.get(id(r.app, r.name));
    if (inner && !seen.has(inner)) out.push(...resolvedReplaces(inner, squashes, seen));
    else out.push(r);
  }
  return out;
}

/**
 * Django's `remove_replacement_node` (#25945): a partially applied squash cannot be used, so it
 * leaves the graph; its children hang from the latest of the replaced nodes instead (those that are
 * not parents of other replaced nodes), and its parents just lose it.
 */
function removeReplacementNode(graph: Graph, replacement: GraphNode, replaced: readonly DependencyRef[]): void {
  graph.remove(replacement);
  const nodes = new Set<GraphNode>();
  const parentsOfReplaced = new Set<GraphNode>();
  for (const r of replaced) {
    const node = graph.get(r.app, r.name);
    if (!node) continue;
    nodes.add(node);
    for (const p of node.parents) parentsOfReplaced.add(p);
  }
  for (const p of parentsOfReplaced) nodes.delete(p);
  for (const child of replacement.children) {
    child.parents.delete(replacement);
    for (const node of nodes) link(node, child);
  }
  for (const parent of replacement.parents) parent.children.delete(replacement);
}

/**
 * Every cycle, as Django's CircularDependencyError would name one: strongly connected components
 * with more than one node (or a self edge), each given as one closed walk in sorted order.
 */
export function findCycles(graph: Graph): GraphNode[][] {
  const index = new Map<GraphNode, number>();
  const low = new Map<GraphNode, number>();
  const onStack = new Set<GraphNode>();
  const stack: GraphNode[] = [];
  const cycles: GraphNode[][] = [];
  let counter = 0;
  // Strongly connected components do not depend on the order of the walk, and the cycles are
  // sorted at the end: no sorting on the way (this runs on every check, over every node).
  for (const start of graph.nodes.values()) {
    if (index.has(start)) continue;
    // Iterative Tarjan: frames of [node, children iterator].
    const frames: Array<[GraphNode, GraphNode[], number]> = [];
    const enter = (n: GraphNode) => {
      index.set(n, counter);
      low.set(n, counter++);
      stack.push(n);
      onStack.add(n);
      frames.push([n, [...n.children], 0]);
    };
    enter(start);
    while (frames.length) {
      const frame = frames[frames.length - 1];
      const [node, children] = frame;
      if (frame[2] < children.length) {
        const child = children[frame[2]++];
        // Django's ensure_not_cyclic walks only nodes in the graph: an edge left dangling to a
        // node a squash removed (a squash replacing itself) is not followed.
        if (graph.get(child.app, child.name) !== child) continue;
        if (!index.has(child)) enter(child);
        else if (onStack.has(child)) low.set(node, Math.min(low.get(node)!, index.get(child)!));
        continue;
      }
      frames.pop();
      if (frames.length) {
        const parent = frames[frames.length - 1][0];
        low.set(parent, Math.min(low.get(parent)!, low.get(node)!));
      }
      if (low.get(node) === index.get(node)) {
        const component: GraphNode[] = [];
        let n: GraphNode;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== node);
        if (component.length > 1 || node.children.has(node)) cycles.push(cycleWalk(component));
      }
    }
  }
  return cycles.sort((a, b) => compareNodes(a[0], b[0]));
}

/** A closed walk through a strongly connected component, starting at its smallest node. */
function cycleWalk(component: GraphNode[]): GraphNode[] {
  const members = new Set(component);
  const start = [...component].sort(compareNodes)[0];
  // Breadth-first search for the shortest path back to start, inside the component.
  const prev = new Map<GraphNode, GraphNode>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    for (const c of [...n.children].sort(compareNodes)) {
      if (!members.has(c)) continue;
      if (c === start) {
        const walk = [n];
        while (walk[0] !== start) walk.unshift(prev.get(walk[0])!);
        return walk;
      }
      if (!prev.has(c)) {
        prev.set(c, n);
        queue.push(c);
      }
    }
  }
  return [start];
}
