// Seeded random conflicts: Django's `makemigrations --merge --noinput` and migcheck's merge
// (in-process, and for a handful of trees the real CLI) on copies of the same tree must write the
// same bytes, or refuse with the same words. Then Django loads migcheck's result: no conflict in
// the merged apps, and `migrate --plan` runs on SQLite. Django 3.2 sees every tree; 4.2 and 5.2
// the first MIGCHECK_VERSION_COUNT (default 200), one in ten of them with black on PATH
// (migcheck `--black`). See docs/django-versions.md.
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mergeMigrations, type MergeResult } from '../src/commands/merge.js';
import { djangoRelease, DJANGO_SERIES, requireBlack, type DjangoSeries } from './helpers/django.js';
import { djangoMerge, type MergeAnswer, type MergeTree } from './helpers/django_merge.js';
import { inPool, listFiles, newFiles, removeDir, runCli, tempDir, writeFiles } from './helpers/repo.js';
import { mulberry32, oracleTree, randomTreeSpec, writeTree, type MigrationSpec, type TreeSpec } from './helpers/trees.js';

/** Conflicting trees for Django 3.2; MIGCHECK_MERGE_COUNT overrides (default 200). */
const WANTED = Number(process.env.MIGCHECK_MERGE_COUNT ?? 200);
/** How many of them Django 4.2 and 5.2 see; MIGCHECK_VERSION_COUNT overrides (default 200). */
const VERSION_COUNT = Math.min(WANTED, Number(process.env.MIGCHECK_VERSION_COUNT ?? 200));
/** One tree in BLACK_EVERY goes to 4.2 and 5.2 with black on PATH (black costs a process per file). */
const BLACK_EVERY = 10;
const CLI_TREES = 6;
/** The mix thresholds below are for 200 trees. */
const SCALE = WANTED / 200;
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
  /** settings.USE_TZ; null: not set, so Django's default (False before 5.0, True since). */
  useTz: boolean | null;
}

interface Case {
  seed: number;
  spec: TreeSpec;
  options: Options;
}

/** One case merged by one Django release (and black or not), and by migcheck targeting it. */
interface Run {
  c: Case;
  series: DjangoSeries;
  black: boolean;
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
  // Drawn last, so the draws above (and the 3.2 mix) stay as they were.
  if (rng() < 0.25) options.useTz = null;
  return { spec, options };
}




function djangoRequest(r: Run): MergeTree {
  return {
    ...oracleTree(r.django, r.c.spec),
    mode: 'merge',
    appLabels: r.c.options.apps,
    name: r.c.options.name,
    includeHeader: r.c.options.header,
    now: NOW,
    timeZone: r.c.options.zone,
    useTz: r.c.options.useTz,
  };
}

/** migcheck config settings for a case: USE_TZ only when the case sets it, TIME_ZONE when in settings. */
function settingsOf(c: Case): Record<string, string> {
  const { useTz, zone, zoneInSettings } = c.options;
  return { ...(c.spec.settings ?? {}), ...(useTz === null ? {} : { USE_TZ: useTz ? 'True' : 'False' }), ...(zoneInSettings ? { TIME_ZONE: zone } : {}) };
}

async function runOurs(r: Run): Promise<void> {
  const before = listFiles(r.ours);
  try {
    r.result = await mergeMigrations({
      cwd: r.ours,
      apps: r.c.options.apps,
      name: r.c.options.name,
      header: r.c.options.header,
      djangoVersion: djangoRelease(r.series),
      black: r.black ? { major: requireBlack() } : null,
      now: new Date(NOW),
      timeZone: r.c.options.zoneInSettings ? 'Etc/GMT+12' : r.c.options.zone,
      config: { settings: settingsOf(r.c) },
    });
  } catch (e) {
    r.error = (e as Error).message;
  }
  r.created = newFiles(before, listFiles(r.ours));
}

function newRun(c: Case, series: DjangoSeries, black: boolean): Run {
  const root = join(base, String(c.seed), `${series}${black ? '-black' : ''}`);
  return { c, series, black, django: join(root, 'django'), ours: join(root, 'ours'), result: null, error: null, created: {} };
}

const base = tempDir('migcheck-merge-random-');
const cases: Case[] = [];
/** Per Django release and black or not: `3.2`, `4.2`, `4.2-black`, ... */
const runs = new Map<string, Run[]>();
const answers = new Map<Run, MergeAnswer>();
const verified = new Map<Run, MergeAnswer>();
const key = (series: DjangoSeries, black: boolean) => `${series}${black ? '-black' : ''}`;
const GROUPS: Array<{ series: DjangoSeries; black: boolean }> = DJANGO_SERIES.flatMap((series) =>
  series === '3.2' ? [{ series, black: false }] : [{ series, black: false }, { series, black: true }],
);

const test = suite(`merge: random conflicts against makemigrations --merge (${WANTED} on Django 3.2, ${VERSION_COUNT} on each other release)`);

test.before(async () => {
  const first: Run[] = [];
  for (let seed = 1; cases.length < WANTED && seed < WANTED * 25; seed++) {
    const { spec, options } = conflictSpec(seed);
    const c: Case = { seed, spec, options };
    const r = newRun(c, '3.2', false);
    writeTree(r.ours, spec);
    await runOurs(r);
    // Keep the trees where migcheck saw something to merge (or refused to).
    if (!r.error && r.result && r.result.created.length === 0 && r.result.refused.length === 0) {
      removeDir(join(base, String(seed)));
      continue;
    }
    writeTree(r.django, spec);
    cases.push(c);
    first.push(r);
  }
  runs.set(key('3.2', false), first);
  for (const { series, black } of GROUPS) {
    if (series === '3.2') continue;
    const list: Run[] = [];
    cases.slice(0, VERSION_COUNT).forEach((c, i) => {
      if (black !== (i % BLACK_EVERY === 0)) return;
      const r = newRun(c, series, black);
      writeTree(r.ours, c.spec);
      writeTree(r.django, c.spec);
      list.push(r);
    });
    for (const r of list) await runOurs(r);
    runs.set(key(series, black), list);
  }
  // One python process per release and PATH, two at a time (this machine has two cores).
  await inPool(GROUPS, 2, async ({ series, black }) => {
    const list = runs.get(key(series, black))!;
    const got = await djangoMerge(list.map(djangoRequest), { django: series, black });
    list.forEach((r, i) => answers.set(r, got[i]));
    const toVerify = list.filter((r) => Object.keys(r.created).length > 0);
    const v = await djangoMerge(toVerify.map((r) => ({ ...oracleTree(r.ours, r.c.spec), mode: 'verify' as const })), { django: series });
    toVerify.forEach((r, i) => verified.set(r, v[i]));
  });
});

test.after(() => removeDir(base));

for (const { series, black } of GROUPS) {
  const release = djangoRelease(series);
  const label = `Django ${release}${black ? ' with black on PATH (migcheck --black)' : ''}`;
  test(`${label}: every conflicting tree written byte for byte as Django writes it, or refused as Django refuses`, () => {
    const list = runs.get(key(series, black))!;
    const counts = { trees: 0, merged: 0, timestamp: 0, named: 0, noAncestor: 0, djangoLoadError: 0, files: 0, tzDefault: 0 };
    const expected = series === '3.2' ? WANTED : black ? Math.ceil(VERSION_COUNT / BLACK_EVERY) : VERSION_COUNT - Math.ceil(VERSION_COUNT / BLACK_EVERY);
    assert.is(list.length, expected, `only ${list.length} conflicting trees`);
    for (const r of list) {
      const django = answers.get(r)!;
      const where = `${label}, seed ${r.c.seed} options ${JSON.stringify(r.c.options)}\nours: ${JSON.stringify({ error: r.error, refused: r.result?.refused, created: r.created })}\ndjango: ${JSON.stringify(django, null, 1)}`;
      counts.trees++;
      if (django.error === null) {
        assert.is(r.error, null, `migcheck failed where Django merged\n${where}`);
        assert.equal(r.result!.refused, [], `migcheck refused where Django merged\n${where}`);
        assert.equal(r.created, django.created, `different files\n${where}`);
        counts.merged++;
        counts.files += Object.keys(r.created).length;
        if (Object.keys(r.created).some((p) => /_merge_\d{8}_\d{4}\.py$/.test(p))) counts.timestamp++;
        if (r.c.options.name) counts.named++;
        if (r.c.options.useTz === null && r.c.options.header) counts.tzDefault++;
      } else if (django.error.type === 'ValueError' && django.error.message.startsWith('Could not find common ancestor of ')) {
        assert.ok(r.result?.refused.some((x) => x.message === django.error!.message), `Django's refusal not matched\n${where}`);
        assert.equal(r.created, {}, `migcheck wrote after a refusal\n${where}`);
        counts.noAncestor++;
      } else {
        // Django could not load the graph at all: migcheck must not write either.
        assert.equal(r.created, {}, `migcheck wrote where Django could not load the graph\n${where}`);
        counts.djangoLoadError++;
      }
    }
    // The mix must exercise every path, or the test proves less than it says.
    const share = list.length / 200;
    assert.ok(counts.merged >= 140 * share, JSON.stringify(counts));
    if (list.length >= 100) {
      assert.ok(counts.timestamp >= 20 * share, JSON.stringify(counts));
      assert.ok(counts.named >= 10 * share, JSON.stringify(counts));
      assert.ok(counts.noAncestor >= 3 * share, JSON.stringify(counts));
      assert.ok(counts.tzDefault >= 10 * share, JSON.stringify(counts));
    }
    if (process.env.MIGCHECK_VERBOSE) console.log(label, counts);
  });

  test(`${label}: Django's loader on migcheck's result: the merged apps have one leaf, migrate --plan runs`, () => {
    const list = runs.get(key(series, black))!.filter((r) => verified.has(r));
    assert.ok(list.length >= 0.7 * runs.get(key(series, black))!.length, `only ${list.length} trees verified`);
    for (const r of list) {
      const v = verified.get(r)!;
      const merged = new Set(r.result!.created.map((m) => m.app));
      const left = Object.keys(v.conflicts ?? {}).filter((app) => merged.has(app));
      assert.equal(left, [], `${label}, seed ${r.c.seed}: still conflicting ${JSON.stringify(v)}`);
      if (Object.keys(v.conflicts ?? {}).length === 0) assert.is(v.error, null, `${label}, seed ${r.c.seed}: ${JSON.stringify(v.error)}`);
      else assert.match(v.error?.message ?? '', /Conflicting migrations detected/);
    }
  });
}

test(`the real CLI on ${CLI_TREES} of the trees per Django release writes what the library wrote`, () => {
  for (const { series, black } of GROUPS) {
    const wanted = series === '3.2' ? CLI_TREES : 2;
    const sample = runs.get(key(series, black))!.filter((r) => Object.keys(r.created).length > 0).slice(0, wanted);
    assert.is(sample.length, wanted);
    for (const r of sample) {
      const c = r.c;
      const dir = join(base, String(c.seed), `${key(series, black)}-cli`);
      writeTree(dir, c.spec);
      writeFiles(dir, { 'migcheck.config.json': JSON.stringify({ settings: settingsOf(c) }) });
      const before = listFiles(dir);
      const args = [
        'merge',
        ...c.options.apps.flatMap((a) => ['--app', a]),
        ...(c.options.name ? ['--name', c.options.name] : []),
        ...(c.options.header ? [] : ['--no-header']),
        ...(series === '3.2' ? [] : ['--django-version', djangoRelease(series)]),
        ...(black ? ['--black', String(requireBlack())] : []),
      ];
      const tz = c.options.zoneInSettings ? 'Etc/GMT+12' : c.options.zone;
      const out = runCli(['--cwd', dir, ...args], { cwd: base, env: { MIGCHECK_NOW: NOW, TZ: tz } });
      assert.is(out.code, 0, `${series} seed ${c.seed}: ${out.stderr}`);
      assert.equal(newFiles(before, listFiles(dir)), r.created, `${series} seed ${c.seed}`);
      assert.equal(out.stdout.split('\n').filter(Boolean).sort(), Object.keys(r.created).map((p) => `Created ${p}`).sort());
    }
  }
});

test.run();
