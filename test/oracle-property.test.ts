// Hundreds of seeded random trees, judged by Django 3.2 (one python process for all of them) and
// by migcheck's `check()` from src/api.ts (one node process for all of them); a handful also
// through the real bin. They must all agree. The first MIGCHECK_VERSION_COUNT trees (default 200)
// are judged by Django 4.2 and 5.2 too (docs/django-versions.md).
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  describeBoth,
  disagreement,
  djangoOutcome,
  expectedExitCode,
  type Outcome,
  type ReportLike,
} from './helpers/compare.js';
import { checkMany, type CheckOutcome } from './helpers/check-many.js';
import { djangoRelease, djangoVerdicts, DJANGO_SERIES, requireDjango, type DjangoSeries, type Verdict } from './helpers/django.js';
import { commitAll, gitAsync, inPool, parseJsonReport, removeDir, runCli, tempDir } from './helpers/repo.js';
import { oracleTree, randomTreeSpec, writeTree, type TreeSpec } from './helpers/trees.js';

/** Seeds 1..N; MIGCHECK_PROPERTY_COUNT overrides N (default 500). */
const COUNT = Number(process.env.MIGCHECK_PROPERTY_COUNT ?? 500);
/** How many of them Django 4.2 and 5.2 judge too; MIGCHECK_VERSION_COUNT overrides (default 200). */
const VERSION_COUNT = Math.min(COUNT, Number(process.env.MIGCHECK_VERSION_COUNT ?? 200));
const SEEDS = Array.from({ length: COUNT }, (_, i) => i + 1);

interface Case {
  seed: number;
  root: string;
  spec: TreeSpec;
  verdict: Verdict;
}

let prepared: Promise<{ base: string; cases: Case[] }> | undefined;
/** Set MIGCHECK_KEEP_TREES=1 to keep the trees of a failing run (any seed can be re-made anyway). */
const KEEP_ON_FAILURE = process.env.MIGCHECK_KEEP_TREES === '1';
let keepTrees = false;

/** Write every tree (each its own committed repository) under one temp dir; ask Django once. */
function prepare(): Promise<{ base: string; cases: Case[] }> {
  prepared ??= (async () => {
    requireDjango();
    assert.ok(Number.isInteger(COUNT) && COUNT > 0, `MIGCHECK_PROPERTY_COUNT must be a positive integer, not ${COUNT}`);
    const base = tempDir('migcheck-property-');
    const trees = SEEDS.map((seed) => {
      const root = join(base, `seed-${seed}`);
      const spec = randomTreeSpec(seed);
      writeTree(root, spec);
      return { seed, root, spec };
    });
    // Each tree is its own repository (so nothing outside it counts); `git init` only, since
    // check() reads the work tree. The few that the real bin sees get a commit too.
    await inPool(trees, 4, (t) => gitAsync(t.root, ['init', '-q', '-b', 'main']).then(() => undefined));
    const verdicts = await djangoVerdicts(trees.map((t) => oracleTree(t.root, t.spec)));
    return { base, cases: trees.map((t, i) => ({ ...t, verdict: verdicts[i] })) };
  })();
  return prepared;
}

const generator = suite('random trees');

generator('the generator is deterministic', () => {
  assert.equal(randomTreeSpec(42), randomTreeSpec(42));
  assert.not.equal(randomTreeSpec(42), randomTreeSpec(43));
});

generator('Django sees every outcome among them (clean, conflicts, missing nodes, cycles)', async () => {
  const { cases } = await prepare();
  const counts: Record<string, number> = {};
  for (const c of cases) {
    const o = djangoOutcome(c.verdict);
    const key = o === 'ok' && Object.keys(c.verdict.conflicts).length ? 'conflicts' : o;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const unexpected = Object.keys(counts).filter((k) => k.startsWith('django:') || k === 'parse-error');
  assert.equal(unexpected, [], `the generator should only make loadable trees: ${JSON.stringify(counts)}\n` +
    cases.filter((c) => c.verdict.error && unexpected.includes(djangoOutcome(c.verdict)))
      .slice(0, 3).map((c) => `seed ${c.seed}: ${c.verdict.error!.type}: ${c.verdict.error!.message}`).join('\n'));
  if (COUNT >= 200) {
    for (const k of ['ok', 'conflicts', 'missing-dependency', 'circular-dependency']) {
      assert.ok((counts[k] ?? 0) > 0, `no "${k}" tree among ${COUNT}: ${JSON.stringify(counts)}`);
    }
  }
});

generator('the oracle judges a tree the same wherever it sits in the batch', async () => {
  const { cases } = await prepare();
  const some = cases.slice(0, 100);
  const reversed = await djangoVerdicts(some.map((c) => oracleTree(c.root, c.spec)).reverse());
  reversed.reverse().forEach((v, i) => {
    assert.equal(v, some[i].verdict, `seed ${some[i].seed}: Django's verdict depends on the trees judged before it`);
  });
});

generator.run();

let checked: Promise<CheckOutcome[]> | undefined;
/** src/api.ts's check() on every tree, in one helper process (see check-many.ts), once for all versions. */
async function ourOutcomes(): Promise<CheckOutcome[]> {
  const { cases } = await prepare();
  checked ??= checkMany(cases.map((c) => c.root));
  return checked;
}

const judgements = new Map<DjangoSeries, Promise<Array<{ c: Case; verdict: Verdict }>>>();
/**
 * The trees `series` judges, with its verdicts: 3.2's from prepare(), each other series asked in
 * one batch. Asking for any series starts them all, so the python processes overlap check().
 */
function verdictsOf(series: DjangoSeries): Promise<Array<{ c: Case; verdict: Verdict }>> {
  for (const s of DJANGO_SERIES) {
    if (judgements.has(s)) continue;
    judgements.set(s, (async () => {
      const { cases } = await prepare();
      if (s === '3.2') return cases.map((c) => ({ c, verdict: c.verdict }));
      const some = cases.slice(0, VERSION_COUNT);
      const verdicts = await djangoVerdicts(some.map((c) => oracleTree(c.root, c.spec)), { django: s });
      return some.map((c, i) => ({ c, verdict: verdicts[i] }));
    })());
    // A failure is reported by the test of its own series.
    judgements.get(s)!.catch(() => undefined);
  }
  return judgements.get(series)!;
}

const agree = suite('migcheck agrees with Django on random trees');

for (const series of DJANGO_SERIES) {
  const n = series === '3.2' ? COUNT : VERSION_COUNT;
  agree(`check({cwd}) on ${n} trees, judged by Django ${djangoRelease(series)}`, async () => {
    const { base } = await prepare();
    const judged = await verdictsOf(series);
    assert.is(judged.length, n);
    const outcomes = await ourOutcomes();
    const failures: string[] = [];
    judged.forEach(({ c, verdict }, i) => {
      const { report, error } = outcomes[i];
      const why = report ? disagreement(report, verdict) : `check() failed: ${error}`;
      if (!why) return;
      const where = KEEP_ON_FAILURE ? ` (${c.root})` : '';
      failures.push(`seed ${c.seed}${where}: ${why}\n${describeBoth(report ?? null, verdict)}`);
    });
    if (failures.length) {
      keepTrees = KEEP_ON_FAILURE;
      const where = KEEP_ON_FAILURE ? `trees kept under ${base}` : 'MIGCHECK_KEEP_TREES=1 keeps the trees';
      assert.unreachable(
        `Django ${djangoRelease(series)}: ${failures.length} of ${judged.length} trees disagree (${where}; ` +
          `re-create one with writeTree(dir, randomTreeSpec(seed))):\n\n${failures.slice(0, 8).join('\n\n')}`,
      );
    }
  });
}

agree('the real bin agrees on a handful, with the exit code DESIGN §5 gives', async () => {
  const { cases } = await prepare();
  // The first trees of each outcome Django gave, so the bin sees every kind.
  const wanted = new Map<Outcome | 'conflicts', Case[]>();
  for (const c of cases) {
    const o = djangoOutcome(c.verdict);
    const key = o === 'ok' && Object.keys(c.verdict.conflicts).length ? 'conflicts' : o;
    const list = wanted.get(key) ?? [];
    if (list.length < 2) wanted.set(key, [...list, c]);
  }
  for (const c of [...wanted.values()].flat()) {
    commitAll(c.root, `seed ${c.seed}`);
    const result = runCli(['check', '--format', 'json'], { cwd: c.root });
    const report = parseJsonReport<ReportLike>(result);
    const why = disagreement(report, c.verdict);
    if (why) keepTrees = KEEP_ON_FAILURE;
    assert.ok(why === null, `seed ${c.seed}: ${why}\n${describeBoth(report, c.verdict)}\nstderr: ${result.stderr}`);
    assert.is(result.code, expectedExitCode(report), `seed ${c.seed}: exit code`);
  }
});

agree.after(async () => {
  if (!prepared || keepTrees) return;
  const { base } = await prepared.catch(() => ({ base: '' }));
  if (base) removeDir(base);
});

agree.run();
