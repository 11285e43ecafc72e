// Seeded random conflicts: Django 3.2's `makemigrations --merge --noinput` and migcheck's merge
// (in-process, and for a handful of trees the real CLI) on copies of the same tree must write the
// same bytes, or refuse with the same words. Then Django loads migcheck's result: no conflict in
// the merged apps, and `migrate --plan` runs on SQLite.
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mergeMigrations, type MergeResult } from '../src/commands/merge.js';
import { djangoMerge, type MergeAnswer, type MergeTree } from './helpers/django_merge.js';
import { listFiles, newFiles, removeDir, runCli, tempDir, writeFiles } from './helpers/repo.js';
import { mulberry32, oracleTree, randomTreeSpec, writeTree, type MigrationSpec, type TreeSpec } from './helpers/trees.js';

const WANTED = 200;
const CLI_TREES = 6;
const NOW = '2026-11-23T04:47:00Z';
const ZONES = ['UTC', 'Asia/Tokyo', 'America/Chicago', 'Europe/Paris', 'Australia/Adelaide', 'Asia/Kolkata'];
const WORDS = ['invoice', 'customer', 'reference', 'alter', 'options', 'and', 'more', 'price', 'slug', 'remove', 'field', 'x'];

interface Options {
  name: string | null;
  header: boolean;
  apps: string[];
  zone: string;
  /** Give the zone as settings.TIME_ZONE (else as the process zone). */
  zoneInSettings: boolean;
  useTz: boolean;
}

interface Case {
  seed: number;
  spec: TreeSpec;
  options: Options;
  django: string;
  ours: string;
  result: MergeResult | null;
  error: string | null;
  created: Record<string, string>;
}

const pad4 = (n: number) => String(n).padStart(4, '0');
const lead = (name: string) => Number(/^\d+/.exec(name)?.[0] ?? 0);

/** A random tree from the shared generator, with branches added on purpose so most trees conflict. */
function conflictSpec(seed: number): { spec: TreeSpec; options: Options } {
  const spec = randomTreeSpec(seed);
  const rng = mulberry32(seed ^ 0x5eed1e55);
  const int = (n: number) => Math.floor(rng() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const apps = spec.apps.filter((a) => a.migrations.length > 0);
  const touched = new Set<string>();
  for (let k = 1 + int(2); k > 0 && apps.length; k--) {
    const app = pick(apps);
    touched.add(app.label);
    const taken = new Set(app.migrations.map((m) => m.name));
    for (let n = 1 + int(2); n > 0; n--) {
      const parent = pick(app.migrations);
      const r = rng();
      let name: string;
      if (r < 0.12) name = `hotfix_${pick(WORDS)}`; // no number
      else if (r < 0.4) name = `${pad4(lead(parent.name) + 1)}_${Array.from({ length: 4 + int(4) }, () => pick(WORDS)).join('_')}`; // long
      else name = `${pad4(lead(parent.name) + 1 + int(2))}_${pick(WORDS)}`;
      while (taken.has(name)) name += `_${int(10)}`;
      taken.add(name);
      const m: MigrationSpec = { name, deps: rng() < 0.02 ? [[app.label, '__first__']] : [[app.label, parent.name]] };
      // Sometimes another app builds on the new branch, or the branch on another app.
      const other = apps.find((a) => a !== app);
      if (other && rng() < 0.2) m.deps!.push([other.label, pick(other.migrations).name]);
      app.migrations.push(m);
    }
    app.migrations.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  const r = rng();
  const options: Options = {
    name: r < 0.15 ? `branch_${pick(WORDS)}` : null,
    header: rng() >= 0.15,
    apps: rng() < 0.12 ? [...touched].slice(0, 1) : [],
    zone: pick(ZONES),
    zoneInSettings: rng() < 0.5,
    useTz: rng() < 0.5,
  };
  return { spec, options };
}



function djangoRequest(c: Case): MergeTree {
  return {
    ...oracleTree(c.django, c.spec),
    mode: 'merge',
    appLabels: c.options.apps,
    name: c.options.name,
    includeHeader: c.options.header,
    now: NOW,
    timeZone: c.options.zone,
    useTz: c.options.useTz,
  };
}

async function runOurs(c: Case): Promise<void> {
  const before = listFiles(c.ours);
  const settings = { ...(c.spec.settings ?? {}), USE_TZ: c.options.useTz ? 'True' : 'False', ...(c.options.zoneInSettings ? { TIME_ZONE: c.options.zone } : {}) };
  try {
    c.result = await mergeMigrations({
      cwd: c.ours,
      apps: c.options.apps,
      name: c.options.name,
      header: c.options.header,
      now: new Date(NOW),
      timeZone: c.options.zoneInSettings ? 'Etc/GMT+12' : c.options.zone,
      config: { settings },
    });
  } catch (e) {
    c.error = (e as Error).message;
  }
  c.created = newFiles(before, listFiles(c.ours));
}

const base = tempDir('migcheck-merge-random-');
const cases: Case[] = [];
let answers: MergeAnswer[] = [];
let verified = new Map<Case, MergeAnswer>();
const counts = { trees: 0, merged: 0, timestamp: 0, named: 0, noAncestor: 0, djangoLoadError: 0, files: 0 };

const test = suite(`merge: ${WANTED} random conflicts against makemigrations --merge`);

test.before(async () => {
  for (let seed = 1; cases.length < WANTED && seed < 5000; seed++) {
    const { spec, options } = conflictSpec(seed);
    const root = join(base, String(seed));
    const c: Case = { seed, spec, options, django: join(root, 'django'), ours: join(root, 'ours'), result: null, error: null, created: {} };
    writeTree(c.ours, spec);
    await runOurs(c);
    // Keep the trees where migcheck saw something to merge (or refused to).
    if (!c.error && c.result && c.result.created.length === 0 && c.result.refused.length === 0) {
      removeDir(root);
      continue;
    }
    writeTree(c.django, spec);
    cases.push(c);
  }
  answers = await djangoMerge(cases.map(djangoRequest));
  const toVerify = cases.filter((c) => Object.keys(c.created).length > 0);
  const v = await djangoMerge(toVerify.map((c) => ({ ...oracleTree(c.ours, c.spec), mode: 'verify' as const })));
  verified = new Map(toVerify.map((c, i) => [c, v[i]]));
});

test.after(() => removeDir(base));

test(`at least ${WANTED} conflicting trees, written byte for byte as Django writes them`, () => {
  assert.ok(cases.length >= WANTED, `only ${cases.length} conflicting trees`);
  cases.forEach((c, i) => {
    const django = answers[i];
    const where = `seed ${c.seed} options ${JSON.stringify(c.options)}\nours: ${JSON.stringify({ error: c.error, refused: c.result?.refused, created: Object.keys(c.created) })}\ndjango: ${JSON.stringify(django, null, 1)}`;
    counts.trees++;
    if (django.error === null) {
      assert.is(c.error, null, `migcheck failed where Django merged\n${where}`);
      assert.equal(c.result!.refused, [], `migcheck refused where Django merged\n${where}`);
      assert.equal(c.created, django.created, `different files\n${where}`);
      counts.merged++;
      counts.files += Object.keys(c.created).length;
      if (Object.keys(c.created).some((p) => /_merge_\d{8}_\d{4}\.py$/.test(p))) counts.timestamp++;
      if (c.options.name) counts.named++;
    } else if (django.error.type === 'ValueError' && django.error.message.startsWith('Could not find common ancestor of ')) {
      assert.ok(c.result?.refused.some((r) => r.message === django.error!.message), `Django's refusal not matched\n${where}`);
      assert.equal(c.created, {}, `migcheck wrote after a refusal\n${where}`);
      counts.noAncestor++;
    } else {
      // Django could not load the graph at all: migcheck must not write either.
      assert.equal(c.created, {}, `migcheck wrote where Django could not load the graph\n${where}`);
      counts.djangoLoadError++;
    }
  });
  // The mix must exercise every path, or the test proves less than it says.
  assert.ok(counts.merged >= 140, JSON.stringify(counts));
  assert.ok(counts.timestamp >= 20, JSON.stringify(counts));
  assert.ok(counts.named >= 10, JSON.stringify(counts));
  assert.ok(counts.noAncestor >= 3, JSON.stringify(counts));
});

test("Django's loader on migcheck's result: the merged apps have one leaf, migrate --plan runs", () => {
  assert.ok(verified.size >= 140, `only ${verified.size} trees verified`);
  for (const [c, v] of verified) {
    const merged = new Set(c.result!.created.map((m) => m.app));
    const left = Object.keys(v.conflicts ?? {}).filter((app) => merged.has(app));
    assert.equal(left, [], `seed ${c.seed}: still conflicting ${JSON.stringify(v)}`);
    if (Object.keys(v.conflicts ?? {}).length === 0) assert.is(v.error, null, `seed ${c.seed}: ${JSON.stringify(v.error)}`);
    else assert.match(v.error?.message ?? '', /Conflicting migrations detected/);
  }
});

test(`the real CLI on ${CLI_TREES} of the trees writes what the library wrote`, () => {
  const sample = cases.filter((c) => Object.keys(c.created).length > 0).slice(0, CLI_TREES);
  assert.is(sample.length, CLI_TREES);
  for (const c of sample) {
    const dir = join(base, String(c.seed), 'cli');
    writeTree(dir, c.spec);
    const settings = { ...(c.spec.settings ?? {}), USE_TZ: c.options.useTz ? 'True' : 'False', ...(c.options.zoneInSettings ? { TIME_ZONE: c.options.zone } : {}) };
    writeFiles(dir, { 'migcheck.config.json': JSON.stringify({ settings }) });
    const before = listFiles(dir);
    const args = ['merge', ...c.options.apps.flatMap((a) => ['--app', a]), ...(c.options.name ? ['--name', c.options.name] : []), ...(c.options.header ? [] : ['--no-header'])];
    const tz = c.options.zoneInSettings ? 'Etc/GMT+12' : c.options.zone;
    const r = runCli(['--cwd', dir, ...args], { cwd: base, env: { MIGCHECK_NOW: NOW, TZ: tz } });
    assert.is(r.code, 0, `seed ${c.seed}: ${r.stderr}`);
    assert.equal(newFiles(before, listFiles(dir)), c.created, `seed ${c.seed}`);
    assert.equal(r.stdout.split('\n').filter(Boolean).sort(), Object.keys(c.created).map((p) => `Created ${p}`).sort());
  }
});

test.run();
