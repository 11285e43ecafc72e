// The graph builder never throws, and agrees with Django 3.2's loader on trees made to break it:
// random dependencies, replaces and run_before among a handful of migrations (loops,
// self-references, squashes of squashes, replacement loops, __first__/__latest__). Django judges
// each tree twice, under two PYTHONHASHSEED values, in one python process per seed; migcheck's
// check() judges them all in one node process. MIGCHECK_GRAPH_FUZZ_COUNT sets the count
// (default 250; `npm run test:long` runs 3000).
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { analyze } from '../src/core/findings.js';
import { findMigrationDirs } from '../src/core/layout.js';
import { parseMigration } from '../src/core/parse.js';
import { parseDjangoVersion } from '../src/core/merge.js';
import { checkMany } from './helpers/check-many.js';
import { djangoVerdicts, requireDjango, type Verdict } from './helpers/django.js';
import { djangoClass, graphDisagreement, randomGraphSpec } from './helpers/graph-fuzz.js';
import { removeDir, tempDir } from './helpers/repo.js';
import { oracleTree, treeFiles, writeTree, type TreeSpec } from './helpers/trees.js';

const COUNT = Number(process.env.MIGCHECK_GRAPH_FUZZ_COUNT ?? 250);
const SEEDS = Array.from({ length: COUNT }, (_, i) => i + 1);
/** Two hash seeds under which Django orders an app's modules differently. */
const HASH_SEEDS = ['0', '1'] as const;

interface Case {
  seed: number;
  root: string;
  spec: TreeSpec;
  verdicts: [Verdict, Verdict];
}

let prepared: Promise<{ base: string; cases: Case[] }> | undefined;
function prepare(): Promise<{ base: string; cases: Case[] }> {
  prepared ??= (async () => {
    requireDjango();
    assert.ok(Number.isInteger(COUNT) && COUNT > 0, `MIGCHECK_GRAPH_FUZZ_COUNT must be a positive integer, not ${COUNT}`);
    const base = tempDir('migcheck-graph-fuzz-');
    const trees = SEEDS.map((seed) => {
      const root = join(base, `seed-${seed}`);
      const spec = randomGraphSpec(seed);
      writeTree(root, spec);
      return { seed, root, spec };
    });
    // Plain folders, not repositories: check() walks a work tree outside git the same way, and
    // hundreds of `git init` cost more than the check.
    const oracle = trees.map((t) => oracleTree(t.root, t.spec));
    const [first, second] = await Promise.all(HASH_SEEDS.map((s) => djangoVerdicts(oracle, { hashSeed: s })));
    return { base, cases: trees.map((t, i) => ({ ...t, verdicts: [first[i], second[i]] as [Verdict, Verdict] })) };
  })();
  return prepared;
}

const test = suite('graph fuzz');

test('the generator is deterministic and reaches every verdict', async () => {
  assert.equal(randomGraphSpec(7), randomGraphSpec(7));
  const { cases } = await prepare();
  const counts: Record<string, number> = {};
  for (const c of cases) for (const v of c.verdicts) counts[djangoClass(v)] = (counts[djangoClass(v)] ?? 0) + 1;
  if (COUNT >= 200) {
    for (const k of ['ok', 'NodeNotFoundError', 'CircularDependencyError', 'replacement-gone']) {
      assert.ok((counts[k] ?? 0) > 0, `no "${k}" among ${COUNT} trees: ${JSON.stringify(counts)}`);
    }
    const changing = cases.filter((c) => djangoClass(c.verdicts[0]) !== djangoClass(c.verdicts[1])).length;
    assert.ok(changing > 0, 'no tree whose verdict changes with the hash seed');
  }
});

test(`check() never throws and agrees with Django 3.2 on ${COUNT} trees`, async () => {
  const { cases } = await prepare();
  const outcomes = await checkMany(cases.map((c) => c.root));
  const failures: string[] = [];
  cases.forEach((c, i) => {
    const { report, error } = outcomes[i];
    const why = report ? graphDisagreement(report, c.verdicts) : `check() failed: ${error}`;
    if (why) failures.push(`seed ${c.seed}: ${why}\n  migcheck: ${report ? report.findings.map((f) => `${f.code} ${f.app} ${f.migrations.join(',')}`).join('; ') : '-'}`);
  });
  assert.ok(failures.length === 0, `${failures.length} of ${cases.length} trees disagree (re-create one with writeTree(dir, randomGraphSpec(seed))):\n\n${failures.slice(0, 8).join('\n\n')}`);
});

test('under Django 6.0 rules too, the graph builder never throws, and nested squashes are no longer ambiguous', () => {
  const v6 = parseDjangoVersion('6.0')!;
  for (const seed of SEEDS) {
    const spec = randomGraphSpec(seed);
    const files = treeFiles(spec);
    const dirs = findMigrationDirs(Object.keys(files));
    const parsed = new Map(Object.entries(files).map(([p, text]) => [p, parseMigration(text)] as const));
    let codes: string[] = [];
    try {
      codes = analyze(dirs, parsed, { djangoVersion: v6 }).findings.map((f) => f.code);
    } catch (e) {
      assert.unreachable(`seed ${seed}: the graph builder threw under 6.0 rules: ${(e as Error).stack}`);
    }
    assert.not.ok(codes.includes('nested-squashes'), `seed ${seed}: nested-squashes under 6.0`);
  }
});

test.after(async () => {
  if (!prepared) return;
  const { base } = await prepared.catch(() => ({ base: '' }));
  if (base) removeDir(base);
});

test.run();
