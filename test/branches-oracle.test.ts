// Seeded random branch pairs: a random tree on main, random changes on main and on a feature
// branch (new migrations on shared parents, merges, cross-app dependencies, deletions, renames,
// squashes, new apps, the same file added twice). `check --ref feature --against main` (the real
// bin) predicts the merge; then `git merge` really merges, and Django 3.2 judges the tree it left
// (conflict markers included). The predicted verdict must be Django's. `branches` (the scoped
// scan, in process) must report the same branch conflicts as `check --against` (whole trees).
// Django 4.2 and 5.2 judge the same merged trees too (docs/django-versions.md).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { branches } from '../src/api.js';
import { describeBoth, disagreement, djangoOutcome, type ReportLike } from './helpers/compare.js';
import { djangoRelease, djangoVerdicts, DJANGO_SERIES, requireDjango, type OracleTree, type Verdict } from './helpers/django.js';
import { gitAsync, inPool, removeDir, runCliAsync, tempDir, writeFiles } from './helpers/repo.js';
import { appDir, mulberry32, randomTreeSpec, treeFiles, type AppSpec, type MigrationSpec, type TreeSpec } from './helpers/trees.js';

/** Seeds 1..N; MIGCHECK_BRANCH_PAIRS overrides N (default 120). */
const COUNT = Number(process.env.MIGCHECK_BRANCH_PAIRS ?? 120);

const WORDS = ['auto', 'price', 'status', 'note', 'slug', 'owner'];
const pad4 = (n: number) => String(n).padStart(4, '0');
const leading = (name: string) => Number(/^\d+/.exec(name)?.[0] ?? 0);

function sameAppParents(app: AppSpec, m: MigrationSpec): string[] {
  return (m.deps ?? []).filter((d): d is readonly [string, string] => Array.isArray(d) && d[0] === app.label).map((d) => d[1]);
}

function leavesOf(app: AppSpec): string[] {
  const parents = new Set(app.migrations.flatMap((m) => sameAppParents(app, m)));
  // A same-app run_before makes this migration a parent of the other.
  for (const m of app.migrations) if ((m.runBefore ?? []).some(([a]) => a === app.label)) parents.add(m.name);
  return app.migrations.map((m) => m.name).filter((n) => !parents.has(n));
}

/**
 * One side's random changes. `side` only shows in some names, so both sides often pick the same
 * parent and sometimes the very same file name.
 */
function mutate(spec: TreeSpec, seed: number, side: string): TreeSpec {
  const rng = mulberry32(seed);
  const int = (n: number) => Math.floor(rng() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const out = structuredClone(spec);
  const steps = 1 + int(3);
  for (let s = 0; s < steps; s++) {
    // The first app half of the time: both sides crowd onto it.
    const app = rng() < 0.5 ? out.apps[0] : pick(out.apps);
    const leaves = leavesOf(app);
    const names = app.migrations.map((m) => m.name);
    const r = rng();
    if (r < 0.4 || !leaves.length) {
      // A new migration on a leaf (or on any migration: a branch point).
      const parent = rng() < 0.8 && leaves.length ? pick(leaves) : pick(names);
      const shared = rng() < 0.35;
      const name = `${pad4(leading(parent) + 1)}_${shared ? pick(WORDS) : `${pick(WORDS)}_${side}`}`;
      if (names.includes(name)) continue;
      const m: MigrationSpec = { name, deps: [[app.label, parent]] };
      // The same name on both sides, with different text on one of them.
      if (shared && rng() < 0.4) m.ops = '';
      if (rng() < 0.2 && out.apps.length > 1) {
        const other = pick(out.apps.filter((a) => a !== app));
        m.deps!.push([other.label, rng() < 0.2 ? '__latest__' : pick(other.migrations).name]);
      }
      app.migrations.push(m);
    } else if (r < 0.5 && leaves.length >= 2) {
      const [a, b] = [...leaves].sort().slice(0, 2);
      app.migrations.push({ name: `${pad4(Math.max(leading(a), leading(b)) + 1)}_merge_${a}_${b}`.slice(0, 60), deps: [[app.label, a], [app.label, b]] });
    } else if (r < 0.62 && app.migrations.length > 1) {
      // Delete a leaf (never the last migration: an app with none is another story for Django).
      const victim = pick(leaves);
      app.migrations = app.migrations.filter((m) => m.name !== victim);
    } else if (r < 0.72 && app.migrations.length > 1) {
      // Rename a leaf: what depended on the old name now points at nothing.
      const target = pick(leaves);
      const victim = app.migrations.find((m) => m.name === target)!;
      victim.name = `${pad4(leading(victim.name))}_renamed_${side}`;
    } else if (r < 0.84 && app.migrations.length > 1 && !app.migrations.some((m) => m.replaces?.length)) {
      // Squash the whole app, as squashmigrations does; keep or delete the replaced files.
      const last = [...leaves].sort().pop()!;
      const crossDeps = app.migrations.flatMap((m) => (m.deps ?? []).filter((d) => !Array.isArray(d) || d[0] !== app.label));
      const squash: MigrationSpec = {
        name: `0001_squashed_${last}`,
        deps: [...new Map(crossDeps.map((d) => [JSON.stringify(d), d])).values()],
        replaces: app.migrations.map((m) => [app.label, m.name] as const),
      };
      if (names.includes(squash.name)) continue;
      if (rng() < 0.5) app.migrations = [];
      app.migrations.unshift(squash);
    } else {
      const label = `new${side}${int(3)}`;
      if (out.apps.some((a) => a.label === label)) continue;
      out.apps.push({ label, migrations: [{ name: '0001_initial', deps: rng() < 0.5 ? [[app.label, pick(names)]] : [] }] });
    }
  }
  return out;
}

/** Make the work tree hold exactly `files` (relative to `dir`), given what `before` had. */
function applyFiles(dir: string, before: Record<string, string>, files: Record<string, string>): void {
  for (const p of Object.keys(before)) if (!(p in files)) rmSync(join(dir, p), { force: true });
  writeFiles(dir, files);
}

interface Case {
  seed: number;
  dir: string;
  labels: string[];
  report?: { code: number; json: ReportLike & { against: Array<ReportLike & { relation: string }>; findings: Finding[] }; stderr: string };
  merged?: boolean;
}

interface Finding {
  code: string;
  app: string | null;
  migrations: string[];
  cause?: string;
}

async function makeCase(root: string, seed: number): Promise<Case> {
  const dir = join(root, `seed-${seed}`);
  const base = randomTreeSpec(seed);
  const onMain = mutate(base, seed * 7919 + 1, 'm');
  const onFeature = mutate(base, seed * 7919 + 2, 'f');
  const baseFiles = treeFiles(base);
  writeFiles(dir, baseFiles);
  await gitAsync(dir, ['init', '-q', '-b', 'main']);
  await gitAsync(dir, ['add', '-A']);
  await gitAsync(dir, ['commit', '-q', '--no-verify', '-m', 'base']);
  await gitAsync(dir, ['branch', 'feature']);
  applyFiles(dir, baseFiles, treeFiles(onMain));
  await gitAsync(dir, ['add', '-A']);
  await gitAsync(dir, ['commit', '-q', '--allow-empty', '--no-verify', '-m', 'main']);
  await gitAsync(dir, ['checkout', '-q', 'feature']);
  applyFiles(dir, baseFiles, treeFiles(onFeature));
  await gitAsync(dir, ['add', '-A']);
  await gitAsync(dir, ['commit', '-q', '--allow-empty', '--no-verify', '-m', 'feature']);
  const labels = [...new Set([...base.apps, ...onMain.apps, ...onFeature.apps].map((a) => a.label))];
  return { seed, dir, labels };
}

const test = suite('check --against equals Django on the merged tree');
let root = '';
const cases: Case[] = [];
let verdicts: Verdict[] = [];
let trees: OracleTree[] = [];
/** MIGCHECK_KEEP_TREES=1 keeps the repositories (and prints where) to look at a failure. */
test.after(() => {
  if (root && process.env.MIGCHECK_KEEP_TREES === '1') console.log(`kept ${root}`);
  else if (root) removeDir(root);
});

test(`${COUNT} random branch pairs: predicted, then really merged and judged by Django`, async () => {
  requireDjango();
  root = tempDir('migcheck-branch-pairs-');
  const seeds = Array.from({ length: COUNT }, (_, i) => i + 1);
  await inPool(seeds, 3, async (seed) => {
    const c = await makeCase(root, seed);
    const r = await runCliAsync(['check', '--ref', 'feature', '--against', 'main', '--format', 'json'], { cwd: c.dir });
    c.report = { code: r.code, json: JSON.parse(r.stdout || 'null'), stderr: r.stderr };
    // Keep the branch as it was for the scan below, then really merge (feature is checked out),
    // leaving conflict markers if any.
    await gitAsync(c.dir, ['branch', 'before-merge', 'feature']);
    try {
      await gitAsync(c.dir, ['merge', '--no-ff', '--no-edit', 'main']);
      c.merged = true;
    } catch {
      c.merged = false;
    }
    cases.push(c);
  });
  cases.sort((a, b) => a.seed - b.seed);
  trees = cases.map((c) => ({
      root: c.dir,
      apps: c.labels
        .filter((l) => existsSync(join(c.dir, l, 'migrations', '__init__.py')))
        .sort()
        .map((label) => ({ label, module: appDir({ label, migrations: [] }).split('/').join('.') })),
      settings: { AUTH_USER_MODEL: 'auth.User' },
      contrib: true,
    }));
  verdicts = await djangoVerdicts(trees);
  const failures: string[] = [];
  cases.forEach((c, i) => {
    const { code, json, stderr } = c.report!;
    if (!json) {
      failures.push(`seed ${c.seed}: no report (exit ${code}): ${stderr}`);
      return;
    }
    const predicted = json.against[0];
    const why = disagreement({ ...predicted, version: 1 }, verdicts[i]);
    if (why) failures.push(`seed ${c.seed}: ${why}\n${describeBoth(predicted, verdicts[i])}`);
  });
  assert.equal(failures.slice(0, 5), [], `${failures.length} of ${cases.length} disagree`);
});

for (const series of DJANGO_SERIES.filter((s) => s !== '3.2')) {
  test(`the same merged trees judged by Django ${djangoRelease(series)}: the predictions hold`, async () => {
    assert.is(trees.length, COUNT);
    const got = await djangoVerdicts(trees, { django: series });
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const predicted = c.report!.json.against[0];
      const why = disagreement({ ...predicted, version: 1 }, got[i]);
      if (why) failures.push(`seed ${c.seed}: ${why}\n${describeBoth(predicted, got[i])}`);
    });
    assert.equal(failures.slice(0, 5), [], `${failures.length} of ${cases.length} disagree`);
  });
}

test('the pairs cover the cases that matter', () => {
  assert.is(cases.length, COUNT);
  const counts: Record<string, number> = {};
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  cases.forEach((c, i) => {
    const conflicts = c.report!.json.findings.filter((f) => f.code === 'branch-conflict');
    for (const cause of new Set(conflicts.map((f) => f.cause!))) bump(cause);
    if (!conflicts.length) bump('clean');
    if (!c.merged) bump('git conflict');
    bump(`django ${djangoOutcome(verdicts[i])}`);
    bump(`relation ${c.report!.json.against[0].relation}`);
  });
  if (process.env.MIGCHECK_VERBOSE) console.log(counts);
  if (COUNT >= 100) {
    for (const [k, min] of Object.entries({ 'multiple-leaves': 15, 'content-conflict': 3, 'missing-dependency': 3, clean: 15, 'git conflict': 3, 'django ok': 20 })) {
      assert.ok((counts[k] ?? 0) >= min, `expected at least ${min} "${k}": ${JSON.stringify(counts)}`);
    }
  }
});

test('exit code 1 exactly when a branch-conflict or another error is predicted', () => {
  for (const c of cases) {
    const { code, json } = c.report!;
    assert.is(code, json.findings.some((f) => (f as { severity?: string }).severity === 'error') ? 1 : 0, `seed ${c.seed}`);
  }
});

test('branches (scoped to the apps a change touches) finds what check --against (whole trees) finds', async () => {
  const key = (f: Finding) => `${f.cause}|${f.app}|${f.migrations.join(',')}`;
  const failures: string[] = [];
  for (const c of cases) {
    const scan = await branches({ cwd: c.dir, targets: ['main'], include: ['before-merge'] });
    const fromScan = scan.findings.map(key).sort();
    const fromCheck = c.report!.json.findings.filter((f) => f.code === 'branch-conflict').map(key).sort();
    if (JSON.stringify(fromScan) !== JSON.stringify(fromCheck)) {
      failures.push(`seed ${c.seed}: branches ${JSON.stringify(fromScan)}, check --against ${JSON.stringify(fromCheck)}`);
    }
  }
  assert.equal(failures.slice(0, 5), [], `${failures.length} of ${cases.length} differ`);
});

test.run();
