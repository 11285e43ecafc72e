/**
 * `duplicate-number`: migrations of one app that share a number. Django does not mind, and
 * `makemigrations --merge` numbers its merge after the highest leaf, so a healthy history is full
 * of them. What is worth a warning is new work: two of them that nothing joins yet, or a number a
 * branch takes that the target already uses. Pure.
 */
import { messages } from '../messages.js';
import { leadingNumber, type Finding } from './findings.js';
import { reachable, type Graph, type MigrationInput } from './graph.js';
import { compareStrings } from './order.js';

function duplicateFinding(app: string, group: readonly MigrationInput[], message: string, hint: string): Finding {
  const first = group[0];
  return { code: 'duplicate-number', severity: 'warning', app, migrations: group.map((m) => m.name), parent: null, message, hint, file: first.path, line: first.parsed.classLine || 1 };
}

/** The app's migrations by number (`0002` and `002` are one number), groups of two or more, sorted by name. */
function numberGroups(migrations: readonly MigrationInput[]): MigrationInput[][] {
  const groups = new Map<number, MigrationInput[]>();
  for (const m of migrations) {
    const n = leadingNumber(m.name);
    if (n === null) continue;
    const key = Number(n);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(m);
  }
  return [...groups.values()].filter((g) => g.length > 1).map((g) => [...g].sort((a, b) => compareStrings(a.name, b.name)));
}

/**
 * Groups of migrations that share a number and that no migration of the app joins yet: two of them
 * with no common descendant in the app (one that descends from the other is joined too). `all`
 * reports every group, joined or not (`check --all`).
 */
export function duplicateNumbers(graph: Graph, app: string, migrations: readonly MigrationInput[], all: boolean): Finding[] {
  const out: Finding[] = [];
  for (const members of numberGroups(migrations)) {
    let group = members;
    if (!all) {
      const below = members.map((m) => {
        const node = graph.get(app, m.name);
        return new Set([...(node ? reachable(node, 'children') : [])].filter((n) => n.app === app));
      });
      const joined = (i: number, j: number) => [...below[i]].some((n) => below[j].has(n));
      const open = new Set<number>();
      for (let i = 0; i < members.length; i++) {
        for (let j = i + 1; j < members.length; j++) if (!joined(i, j)) open.add(i).add(j);
      }
      group = members.filter((_, i) => open.has(i));
      if (group.length < 2) continue;
    }
    const names = group.map((m) => m.name);
    out.push(duplicateFinding(app, group, messages.duplicateNumber(app, leadingNumber(names[0])!, names), messages.duplicateNumberHint()));
  }
  return out;
}

/**
 * For a predicted merge: numbers that migrations new on our side (`fresh` paths) take from
 * migrations the target already has (`theirs`), even where our side already joins them with a
 * merge migration. Groups the merged tree reports anyway (`already`: as a duplicate-number, or all
 * of them as the leaves of a multiple-leaves conflict) are left out.
 */
export function introducedDuplicates(
  projects: ReadonlyArray<{ apps: ReadonlyMap<string, { migrations: MigrationInput[] }> }>,
  fresh: ReadonlySet<string>,
  theirs: { has(path: string): boolean },
  target: string,
  already: readonly Finding[] = [],
): Finding[] {
  const reported = new Set(already.filter((f) => f.code === 'duplicate-number' || f.code === 'multiple-leaves').flatMap((f) => f.migrations.map((m) => `${f.app}\0${m}`)));
  const out: Finding[] = [];
  for (const { apps } of projects) {
    for (const [app, { migrations }] of apps) {
      for (const group of numberGroups(migrations)) {
        const ours = group.filter((m) => fresh.has(m.path));
        const old = group.filter((m) => !fresh.has(m.path) && theirs.has(m.path));
        if (!ours.length || !old.length) continue;
        if ([...ours, ...old].every((m) => reported.has(`${app}\0${m.name}`))) continue;
        const both = [...ours, ...old].sort((a, b) => compareStrings(a.name, b.name));
        out.push(duplicateFinding(app, both, messages.duplicateIntroduced(app, target, ours.map((m) => m.name), old.map((m) => m.name)), messages.duplicateIntroducedHint(app, target)));
      }
    }
  }
  return out;
}
