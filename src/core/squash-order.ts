import type { MigrationInput } from './graph.js';
import type { DjangoVersion } from './merge.js';

/**
 * In which order Django's loader applies squashes (`replaces`), and where that order is not Django's
 * to promise. Django walks `loader.replacements`, a dict in load order: apps in INSTALLED_APPS order,
 * and within an app the order of a `set` of module names, which changes from run to run with
 * PYTHONHASHSEED. So when two squashes of one app touch the same nodes, the graph depends on the
 * hash seed.
 */

/**
 * Django 6.0, "squashed migrations can themselves be squashed": `MigrationLoader.replace_migration`
 * first resolves every squash that a squash replaces (inner squashes first, recursively), and a
 * loop of replacements, a squash replacing itself included, is a CommandError ("Cyclical squash
 * replacement found"). Before 6.0 the loader applies squashes one by one in load order: when an
 * outer squash comes first it removes the inner one, and the inner one's turn then fails with
 * NodeNotFoundError "Unable to find replacement node". The one place migcheck's rules differ by
 * Django version for squashes.
 */
export function resolvesNestedSquashesInnerFirst(version: DjangoVersion | null | undefined): boolean {
  return version != null && version.major >= 6;
}

/** Why Django's answer for these squashes is an error, or not Django's to promise. */
export type SquashProblem =
  /** Two squashes of one app replace a common migration (neither inside the other): hash order decides. */
  | { kind: 'overlap'; squashes: [MigrationInput, MigrationInput]; shared: string }
  /** Before 6.0: `outer` replaces the squash `inner`; Django loads or fails by load order. */
  | { kind: 'nested'; squashes: [outer: MigrationInput, inner: MigrationInput] }
  /** Squashes that replace each other in a loop (6.0: a squash replacing itself too): always an error. */
  | { kind: 'cycle'; squashes: MigrationInput[] };

export interface SquashOrder {
  /** The squashes in the order the graph builder applies them. */
  order: MigrationInput[];
  problems: SquashProblem[];
}

const key = (app: string, name: string) => `${app}\u0000${name}`;

/**
 * The order to apply `squashes` (given in load order, as `buildGraph` sorts migrations) under the
 * rule of `version`, and the problems Django would meet on the way.
 */
export function squashOrder(squashes: readonly MigrationInput[], version: DjangoVersion | null | undefined): SquashOrder {
  const byKey = new Map(squashes.map((m) => [key(m.app, m.name), m] as const));
  // Squashes each squash replaces directly.
  const inner = new Map<MigrationInput, MigrationInput[]>();
  for (const m of squashes) {
    inner.set(m, m.parsed.replaces.map((r) => byKey.get(key(r.app, r.name))).filter((s): s is MigrationInput => s !== undefined));
  }
  const nestedFirst = resolvesNestedSquashesInnerFirst(version);
  // Before 6.0 a squash replacing itself removes its own node and Django goes on (its edges
  // dangle, as migcheck's graph mirrors): a loop only with another squash. 6.0 calls it a cycle.
  const cycles = replacementCycles(squashes, inner).filter((c) => c.length > 1 || nestedFirst);
  const inCycle = new Set(cycles.flat());
  const problems: SquashProblem[] = cycles.map((c) => ({ kind: 'cycle', squashes: c }));

  // Everything a squash stands in for, through nested squashes.
  const covered = new Map<MigrationInput, Set<MigrationInput>>();
  const coverOf = (m: MigrationInput): Set<MigrationInput> => {
    let set = covered.get(m);
    if (set) return set;
    covered.set(m, (set = new Set()));
    for (const s of inner.get(m)!) {
      set.add(s);
      for (const t of coverOf(s)) set.add(t);
    }
    return set;
  };

  if (!nestedFirst) {
    for (const m of squashes) {
      if (inCycle.has(m)) continue;
      for (const s of inner.get(m)!) if (s !== m && !inCycle.has(s)) problems.push({ kind: 'nested', squashes: [m, s] });
    }
  }

  // Two squashes of one app replacing a common migration, neither inside the other.
  const replacers = new Map<string, MigrationInput[]>();
  for (const m of squashes) {
    for (const r of new Set(m.parsed.replaces.map((r) => key(r.app, r.name)))) {
      if (!replacers.has(r)) replacers.set(r, []);
      replacers.get(r)!.push(m);
    }
  }
  const reported = new Set<string>();
  for (const [shared, list] of replacers) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i], list[j]];
        if (a.app !== b.app || inCycle.has(a) || inCycle.has(b)) continue;
        if (coverOf(a).has(b) || coverOf(b).has(a)) continue;
        const pair = key(a.name, b.name);
        if (reported.has(pair)) continue;
        reported.add(pair);
        problems.push({ kind: 'overlap', squashes: [a, b], shared: shared.split('\u0000')[1] });
      }
    }
  }

  if (!nestedFirst) return { order: [...squashes], problems };
  // 6.0: depth first from each squash in load order, inner squashes before the squash. A loop
  // raises CommandError (reported above); its squashes are still applied in load order, as
  // before 6.0, so the rest of the graph reads as it would without the loop.
  const order: MigrationInput[] = [];
  const seen = new Set<MigrationInput>();
  const visit = (m: MigrationInput): void => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const s of inner.get(m)!) visit(s);
    order.push(m);
  };
  for (const m of squashes) visit(m);
  return { order, problems };
}

/** Loops among squashes replacing squashes (a squash replacing itself is a loop of one). */
function replacementCycles(squashes: readonly MigrationInput[], inner: Map<MigrationInput, MigrationInput[]>): MigrationInput[][] {
  // Tarjan's strongly connected components; the graphs are tiny (squashes only).
  const index = new Map<MigrationInput, number>();
  const low = new Map<MigrationInput, number>();
  const stack: MigrationInput[] = [];
  const onStack = new Set<MigrationInput>();
  const out: MigrationInput[][] = [];
  let counter = 0;
  const strong = (m: MigrationInput): void => {
    index.set(m, counter);
    low.set(m, counter++);
    stack.push(m);
    onStack.add(m);
    for (const s of inner.get(m)!) {
      if (!index.has(s)) {
        strong(s);
        low.set(m, Math.min(low.get(m)!, low.get(s)!));
      } else if (onStack.has(s)) low.set(m, Math.min(low.get(m)!, index.get(s)!));
    }
    if (low.get(m) !== index.get(m)) return;
    const component: MigrationInput[] = [];
    let s: MigrationInput;
    do {
      s = stack.pop()!;
      onStack.delete(s);
      component.push(s);
    } while (s !== m);
    if (component.length > 1 || inner.get(m)!.includes(m)) out.push(component.reverse());
  };
  for (const m of squashes) if (!index.has(m)) strong(m);
  return out;
}
