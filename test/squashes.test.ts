// Squashes whose result is not Django's to promise, or an error: two squashes replacing a common
// migration, a squash replacing a squash (before Django 6.0), squashes replacing each other.
// Django 3.2 is run under several PYTHONHASHSEED values to show which answers change between runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDjangoVersion } from '../src/core/merge.js';
import { resolvesNestedSquashesInnerFirst } from '../src/core/squash-order.js';
import { djangoVerdicts, type Verdict } from './helpers/django.js';
import { djangoClass } from './helpers/graph-fuzz.js';
import { commitAll, makeRepo, parseJsonReport, removeDir, runCli, writeFiles } from './helpers/repo.js';
import { oracleTree, writeTree, type MigrationSpec, type TreeSpec } from './helpers/trees.js';

const dirs: string[] = [];
test.after(() => dirs.forEach(removeDir));

interface Report {
  apps: Array<{ label: string; leaves: string[] }>;
  findings: Array<{ code: string; severity: string; app: string; migrations: string[]; message: string; file: string; line: number }>;
}

/** Seeds under which Django 3.2 orders these trees' module names differently. */
const HASH_SEEDS = ['0', '1', '2', '3'];

function blog(migrations: MigrationSpec[]): TreeSpec {
  return { contrib: false, apps: [{ label: 'blog', migrations: migrations.map((m) => ({ ops: '', initial: false, ...m })) }] };
}

const trees = new Map<TreeSpec, string>();
let verdicts: Promise<Map<TreeSpec, Verdict[]>> | undefined;

/** A committed repository holding the tree, and Django 3.2's verdicts on it under each hash seed. */
async function withVerdicts(spec: TreeSpec): Promise<{ dir: string; verdicts: Verdict[] }> {
  // Every tree of this file in one python process per seed.
  verdicts ??= (async () => {
    for (const tree of [OVERLAP, LOOP, SELF, NESTED]) {
      const dir = makeRepo('migcheck-squashes-');
      dirs.push(dir);
      writeTree(dir, tree);
      commitAll(dir, 'tree');
      trees.set(tree, dir);
    }
    const specs = [...trees.keys()];
    const bySeed = await Promise.all(HASH_SEEDS.map((seed) => djangoVerdicts(specs.map((t) => oracleTree(trees.get(t)!, t)), { hashSeed: seed })));
    return new Map(specs.map((t, i) => [t, bySeed.map((answers) => answers[i])] as const));
  })();
  return { dir: trees.get(spec) ?? '', verdicts: (await verdicts).get(spec)! };
}

function check(dir: string, config?: object): { code: number; report: Report } {
  if (config) writeFiles(dir, { 'migcheck.config.json': JSON.stringify(config) });
  const r = runCli(['check', '--format', 'json'], { cwd: dir });
  return { code: r.code, report: parseJsonReport<Report>(r) };
}

const answer = (v: Verdict): string => `${djangoClass(v)} ${JSON.stringify(v.conflicts)}`;

// 0001_a <- 0002_b <- 0003_c, and 0004_x on 0002_b. Two squashes share 0002_b: whichever Django
// applies first takes 0004_x as its child.
const OVERLAP = blog([
  { name: '0001_a' },
  { name: '0002_b', deps: [['blog', '0001_a']] },
  { name: '0003_c', deps: [['blog', '0002_b']] },
  { name: '0004_x', deps: [['blog', '0002_b']] },
  { name: '0001_squashed_0002', replaces: [['blog', '0001_a'], ['blog', '0002_b']] },
  { name: '0002_squashed_0003', replaces: [['blog', '0002_b'], ['blog', '0003_c']], deps: [['blog', '0001_a']] },
]);

test('overlapping squashes: Django 3.2 answers differently by PYTHONHASHSEED; check names both squashes', async () => {
  const { dir, verdicts } = await withVerdicts(OVERLAP);
  const answers = new Set(verdicts.map(answer));
  assert.ok(answers.size > 1, `Django gave one answer under every seed: ${[...answers].join(' | ')}`);
  // One of them is a conflict, another loads cleanly.
  assert.ok(verdicts.some((v) => Object.keys(v.conflicts).length > 0) && verdicts.some((v) => !v.error && Object.keys(v.conflicts).length === 0));

  const { code, report } = check(dir);
  assert.is(code, 1);
  const overlap = report.findings.filter((f) => f.code === 'overlapping-squashes');
  assert.equal(overlap.map((f) => [f.severity, f.app, f.migrations, f.file]), [
    ['error', 'blog', ['0001_squashed_0002', '0002_squashed_0003'], 'blog/migrations/0001_squashed_0002.py'],
  ]);
  assert.match(overlap[0].message, 'both replace 0002_b');
  assert.match(overlap[0].message, 'depends on hash order');
  // Under Django 6.0 rules too: the order of two unrelated squashes is still a set's.
  assert.ok(check(dir, { djangoVersion: '6.0' }).report.findings.some((f) => f.code === 'overlapping-squashes'));
});

test('one squash inside another (it replaces it too) is not an overlap: no finding under 6.0', async () => {
  const spec = blog([
    { name: '0001_a' },
    { name: '0002_b', deps: [['blog', '0001_a']] },
    { name: '0001_squashed_0002', replaces: [['blog', '0001_a'], ['blog', '0002_b']] },
    { name: '0001_squashed_0003', replaces: [['blog', '0001_squashed_0002'], ['blog', '0002_b']] },
  ]);
  const dir = makeRepo('migcheck-squashes-');
  dirs.push(dir);
  writeTree(dir, spec);
  const { code, report } = check(dir, { djangoVersion: '6.0' });
  assert.is(code, 0, JSON.stringify(report.findings));
  assert.equal(report.apps.map((a) => a.leaves), [['0001_squashed_0003']]);
});

// Django's own tests keep this shape (tests/migrations/test_migrations_squashed_loop): two
// migrations that each replace the other.
const LOOP = blog([
  { name: '1_auto' },
  { name: '2_auto', deps: [['blog', '1_auto']], replaces: [['blog', '2_squashed']] },
  { name: '2_squashed', deps: [['blog', '1_auto']], replaces: [['blog', '2_auto']] },
]);

test('a replacement loop: Django 3.2 fails under every seed; check reports it and does not crash', async () => {
  const { dir, verdicts } = await withVerdicts(LOOP);
  for (const v of verdicts) assert.is(djangoClass(v), 'replacement-gone', answer(v));
  for (const version of [null, '5.2', '6.0']) {
    const { code, report } = check(dir, { djangoVersion: version });
    assert.is(code, 1);
    assert.equal(report.findings.map((f) => [f.code, f.migrations]), [['replacement-loop', ['2_auto', '2_squashed']]], String(version));
    assert.match(report.findings[0].message, 'Cyclical squash replacement found');
  }
});

const SELF = blog([{ name: '0001_a' }, { name: '0002_b', deps: [['blog', '0001_a']] }, { name: '0003_c', deps: [['blog', '0002_b']], replaces: [['blog', '0003_c']] }]);

test('a squash replacing itself: Django 3.2 loads (the node just goes); 6.0 rules call it a loop', async () => {
  const { dir, verdicts } = await withVerdicts(SELF);
  for (const v of verdicts) assert.is(answer(v), 'ok {}');
  assert.equal(check(dir).report.findings, []);
  assert.equal(check(dir, { djangoVersion: '6.0' }).report.findings.map((f) => f.code), ['replacement-loop']);
});

// 0001_squashed_0003 replaces the squash 0001_squashed_0002 and 0003_c.
const NESTED = blog([
  { name: '0001_a' },
  { name: '0002_b', deps: [['blog', '0001_a']] },
  { name: '0003_c', deps: [['blog', '0002_b']] },
  { name: '0001_squashed_0002', replaces: [['blog', '0001_a'], ['blog', '0002_b']] },
  { name: '0001_squashed_0003', replaces: [['blog', '0001_squashed_0002'], ['blog', '0003_c']] },
]);

test('resolvesNestedSquashesInnerFirst: Django 6.0 and later only', () => {
  assert.is(resolvesNestedSquashesInnerFirst(null), false);
  assert.is(resolvesNestedSquashesInnerFirst(parseDjangoVersion('3.2.25')), false);
  assert.is(resolvesNestedSquashesInnerFirst(parseDjangoVersion('5.2.9')), false);
  assert.is(resolvesNestedSquashesInnerFirst(parseDjangoVersion('6.0')), true);
  assert.is(resolvesNestedSquashesInnerFirst(parseDjangoVersion('6.1.2')), true);
});

test('resolvesNestedSquashesInnerFirst: a nested squash loads or fails by hash seed before 6.0 (reported), loads under 6.0', async () => {
  const { dir, verdicts } = await withVerdicts(NESTED);
  const classes = new Set(verdicts.map(djangoClass));
  assert.equal([...classes].sort(), ['ok', 'replacement-gone'], 'Django 3.2 loads on some seeds and fails on others');

  for (const version of [null, '3.2', '4.2', '5.2']) {
    const { code, report } = check(dir, { djangoVersion: version });
    assert.is(code, 1, String(version));
    assert.equal(report.findings.map((f) => [f.code, f.migrations, f.line]), [['nested-squashes', ['0001_squashed_0003', '0001_squashed_0002'], 8]], String(version));
    assert.match(report.findings[0].message, 'Unable to find replacement node');
  }
  // 6.0 applies the inner squash first: one node is left, the outer squash.
  const { code, report } = check(dir, { djangoVersion: '6.0' });
  assert.is(code, 0, JSON.stringify(report.findings));
  assert.equal(report.apps.map((a) => [a.label, a.leaves]), [['blog', ['0001_squashed_0003']]]);
  // What Django 3.2 gives on the runs where it loads is the same graph.
  const loaded = verdicts.find((v) => !v.error)!;
  assert.equal(loaded.nodes, [['blog', '0001_squashed_0003']]);
});

test('resolvesNestedSquashesInnerFirst follows the Django pinned in requirements.txt when the config names none', () => {
  const dir = makeRepo('migcheck-squashes-');
  dirs.push(dir);
  writeTree(dir, NESTED);
  writeFiles(dir, { 'requirements.txt': 'Django==6.0.1\npsycopg2==2.9.9\n' });
  commitAll(dir, 'tree');
  const codes = () => parseJsonReport<Report>(runCli(['check', '--format', 'json'], { cwd: dir })).findings.map((f) => f.code);
  assert.equal(codes(), []);
  // A second run answers from the result cache: a new pin must not get the old answer.
  assert.equal(codes(), []);
  writeFiles(dir, { 'requirements.txt': 'Django==5.2.9\n' });
  assert.equal(codes(), ['nested-squashes']);
  // The config wins over the pin.
  writeFiles(dir, { 'migcheck.config.json': JSON.stringify({ djangoVersion: '6.0' }) });
  assert.equal(codes(), []);
});

test.run();
