// A seeded fuzzer for the graph builder: a handful of migrations in one to three apps, with random
// `dependencies`, `replaces` and `run_before` among them: loops, self-references, squashes of
// squashes, replacement loops, missing names, `__first__`/`__latest__`. Unlike trees.ts's
// generator, nothing here is meant to load: the point is every verdict Django can give.
import type { Verdict } from './django.js';
import type { ReportLike } from './compare.js';
import { mulberry32, type Key, type MigrationSpec, type TreeSpec } from './trees.js';

const LABELS = ['alpha', 'beta', 'gamma'];

export function randomGraphSpec(seed: number): TreeSpec {
  const rng = mulberry32(seed);
  const int = (n: number): number => Math.floor(rng() * n);
  const chance = (p: number): boolean => rng() < p;
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];

  const labels = LABELS.slice(0, 1 + int(3));
  const names = new Map<string, string[]>();
  for (const label of labels) {
    const n = 1 + int(4);
    names.set(label, Array.from({ length: n }, (_, i) => `000${i + 1}_${String.fromCharCode(97 + int(3))}${i}`));
  }
  const all: Key[] = labels.flatMap((l) => names.get(l)!.map((n) => [l, n] as const));
  const missing = (): Key => [pick(labels), `0099_missing${int(3)}`];
  const special = (): Key => [pick(labels), chance(0.5) ? '__first__' : '__latest__'];
  const someKey = (self: Key): Key => {
    const r = rng();
    if (r < 0.06) return self;
    if (r < 0.12) return missing();
    if (r < 0.22) return special();
    return pick(all);
  };

  return {
    contrib: false,
    apps: labels.map((label) => ({
      label,
      migrations: names.get(label)!.map((name, i): MigrationSpec => {
        const self: Key = [label, name];
        const deps: Key[] = [];
        if (i > 0 && chance(0.7)) deps.push([label, names.get(label)![i - 1]]);
        for (let k = int(3); k > 0; k--) if (chance(0.35)) deps.push(someKey(self));
        const replaces: Key[] = [];
        if (chance(0.35)) {
          for (let k = 1 + int(3); k > 0; k--) {
            // Mostly the same app's, as squashmigrations writes; sometimes a squash, itself or a missing name.
            const r = rng();
            replaces.push(r < 0.6 ? [label, pick(names.get(label)!)] : r < 0.9 ? pick(all) : missing());
          }
        }
        const runBefore: Key[] = chance(0.12) ? [someKey(self)] : [];
        return { name, deps: dedupe(deps), replaces: dedupe(replaces), runBefore, initial: false, ops: '' };
      }),
    })),
  };
}

function dedupe(keys: Key[]): Key[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = `${k[0]}.${k[1]}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Django's verdict as a class: what happened, not its (hash-ordered) wording. */
export function djangoClass(v: Verdict): string {
  if (!v.error) return 'ok';
  if (v.error.type === 'NodeNotFoundError' && v.error.message.startsWith('Unable to find replacement node')) return 'replacement-gone';
  return v.error.type;
}

/** Squash findings that say Django's answer depends on hash order. */
export const HASH_ORDER_CODES = new Set(['overlapping-squashes', 'nested-squashes']);

/** migcheck's report read as the class Django would give, in Django's order of checks. */
export function ourClass(report: ReportLike): string {
  const codes = new Set(report.findings.map((f) => f.code));
  if (codes.has('parse-error')) return 'parse-error';
  if (codes.has('replacement-loop')) return 'replacement-gone';
  if (codes.has('missing-dependency')) return 'NodeNotFoundError';
  if (codes.has('circular-dependency')) return 'CircularDependencyError';
  return 'ok';
}

const sortedConflicts = (c: Record<string, string[]>): string =>
  JSON.stringify(Object.keys(c).sort().map((k) => [k, [...c[k]].sort()]));

function ourConflicts(report: ReportLike): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of report.findings) if (f.code === 'multiple-leaves' && f.app) out[f.app] = f.migrations;
  return out;
}

/**
 * null when migcheck's report fits Django's verdicts under two hash seeds, else why not.
 * - migcheck says the answer depends on hash order: any of Django's answers fits.
 * - Otherwise Django must give the same answer under both seeds, and it must be migcheck's: the
 *   same class of error, or the same conflicts when the tree loads.
 */
export function graphDisagreement(report: ReportLike, verdicts: readonly [Verdict, Verdict]): string | null {
  const [a, b] = verdicts;
  if (report.findings.some((f) => HASH_ORDER_CODES.has(f.code))) return null;
  const theirs = djangoClass(a);
  if (djangoClass(b) !== theirs || sortedConflicts(a.conflicts) !== sortedConflicts(b.conflicts)) {
    return `Django's answer changes with the hash seed (${theirs} ${sortedConflicts(a.conflicts)} vs ${djangoClass(b)} ${sortedConflicts(b.conflicts)}), and migcheck did not say so`;
  }
  const ours = ourClass(report);
  if (ours !== theirs) return `Django says ${theirs}${a.error ? ` (${a.error.message})` : ''}, migcheck says ${ours}`;
  if (theirs !== 'ok') return null;
  const x = sortedConflicts(ourConflicts(report));
  const y = sortedConflicts(a.conflicts);
  return x === y ? null : `conflicts differ: Django ${y}, migcheck ${x}`;
}
