// `npm run bench`: migcheck against Django 3.2 and git on a synthetic repository, checked against
// the targets of DESIGN §9. Every figure is the median of several runs of a real process.
//
//   node bench/bench.mjs [--apps 50] [--migrations 200] [--branches 50] [--runs 5] [--keep]
//
// About three minutes on a 2-core machine with the defaults. Django runs --runs times with
// __pycache__ (in turns with migcheck's check, cold then warm) and at most three times without;
// everything else runs --runs times.
//
// Exit code 0 when every target passes, 1 otherwise.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appLabel, generateRepo, migrationText, mulberry32 } from './generate.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '..', 'dist', 'cli.js');
const PEAK = join(HERE, 'peak.mjs');
const PYTHON = '/usr/bin/python3';

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const APPS = flag('apps', 50);
const MIGRATIONS = flag('migrations', 200);
const BRANCHES = flag('branches', 50);
const RUNS = flag('runs', 5);
const KEEP = process.argv.includes('--keep');

const work = mkdtempSync(join(tmpdir(), 'migcheck-bench-'));
const repo = join(work, 'repo');
const pycache = join(work, 'pycache');
// A quiet environment: no colours, no CI switches, the cache on.
const ENV = { ...process.env, NO_COLOR: '1', PYTHONPYCACHEPREFIX: pycache };
delete ENV.MIGCHECK_CACHE;
delete ENV.CI;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(0)} ms`;
const mb = (kb) => (kb ? `${(kb / 1024).toFixed(0)} MB` : '-');

/** Run a command, return wall time in ms (and its stdout). Fails loudly on an unexpected exit. */
function run(cmd, args, { ok = [0, 1], env = ENV, input } = {}) {
  const start = performance.now();
  const r = spawnSync(cmd, args, { cwd: repo, env, input, encoding: 'utf8', maxBuffer: 1 << 28 });
  const elapsed = performance.now() - start;
  if (r.error) throw r.error;
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return { elapsed, stdout: r.stdout, stderr: r.stderr };
}

/** Median wall time of `times` runs, with `before` run (untimed) ahead of each. */
function timeIt(times, cmd, args, before = () => {}, options = {}) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    before();
    samples.push(run(cmd, args, options).elapsed);
  }
  return median(samples);
}

/** Peak resident memory (KB) of one node run, through a preload that reports maxRSS at exit. */
function peakNode(args, before = () => {}) {
  before();
  const out = join(work, 'peak.txt');
  rmSync(out, { force: true });
  run(process.execPath, ['--import', PEAK, ...args], { env: { ...ENV, MIGCHECK_BENCH_PEAK: out } });
  try {
    return Number(readFileSync(out, 'utf8'));
  } catch {
    return 0;
  }
}

const cacheDir = () => join(repo, '.git', 'migcheck');
const clearCache = () => rmSync(cacheDir(), { recursive: true, force: true });
const clearResults = () => {
  for (const f of readdirSync(cacheDir())) if (f.startsWith('results-')) rmSync(join(cacheDir(), f), { force: true });
};

console.log(`migcheck bench: ${APPS} apps x ${MIGRATIONS} migrations, ${BRANCHES} branches, median of ${RUNS} runs`);
let t = performance.now();
const made = generateRepo({ dir: repo, apps: APPS, migrations: MIGRATIONS, branches: BRANCHES });
console.log(`generated ${repo} in ${ms(performance.now() - t)}\n`);
const labels = made.apps.map((a) => a.label);
const branchRefs = made.branches.map((b) => b.name);

// This machine is shared and noisy: a figure and the one it is compared with are measured in
// turns (A, B, A, B, ...), so that both medians come from the same minutes.
const nodeSamples = [];
const nodeOnce = () => nodeSamples.push(run(process.execPath, ['-e', '0']).elapsed);

// --- Django 3.2: MigrationLoader + detect_conflicts, in process, on the same work tree; in turns
// with migcheck's cold check and warm check (the cold run leaves the cache warm), which it is
// compared with.
const djangoArgs = [join(HERE, 'django_loader.py'), repo, ...labels];
const check = ['check', '--format', 'json'];
run(PYTHON, djangoArgs); // compiles every migration once (__pycache__), as a developer's machine has
const verdict = JSON.parse(run(process.execPath, [CLI, ...check]).stdout);
const djangoRuns = [];
const coldSamples = [];
const warmSamples = [];
for (let i = 0; i < RUNS; i++) {
  const r = run(PYTHON, djangoArgs);
  djangoRuns.push({ total: r.elapsed, ...JSON.parse(r.stdout.trim().split('\n').pop()) });
  clearCache();
  coldSamples.push(run(process.execPath, [CLI, ...check]).elapsed);
  warmSamples.push(run(process.execPath, [CLI, ...check]).elapsed);
}
const django = median(djangoRuns.map((r) => r.total));
const cold = median(coldSamples);
const warm = median(warmSamples);
// And with nothing compiled yet (no __pycache__): Django's cold start, for migcheck's cold one.
const djangoCold = timeIt(Math.min(RUNS, 3), PYTHON, djangoArgs, () => rmSync(pycache, { recursive: true, force: true }));
const djangoLoader = median(djangoRuns.map((r) => r.loader_ms));
const djangoPeak = median(djangoRuns.map((r) => r.peak_kb));

// --- migcheck check on the work tree: cold and warm (above), and with a warm parse cache but the
// report recomputed (what the first check after any change costs).
const reanalysed = timeIt(RUNS, process.execPath, [CLI, ...check], clearResults);
const coldPeak = peakNode([CLI, ...check], clearCache);
const warmPeak = peakNode([CLI, ...check]);

// Same verdict as Django: the apps with several leaves.
const ours = Object.fromEntries(
  verdict.findings.filter((f) => f.code === 'multiple-leaves').map((f) => [f.app, [...f.migrations].sort()]),
);
const sameVerdict = JSON.stringify(ours) === JSON.stringify(djangoRuns[0].conflicts) && verdict.apps.reduce((n, a) => n + a.migrations, 0) === djangoRuns[0].nodes;

// --- pre-commit: `check --staged` as the hook runs it, on a commit that does not touch migrations
// (the cached report), and on one that stages a new migration (parse one file, analyse again).
run(process.execPath, [CLI, 'check', '--staged']);
const staged = timeIt(RUNS, process.execPath, [CLI, 'check', '--staged'], nodeOnce);
const rng = mulberry32(7);
let extra = 0;
const stageNew = () => {
  // A new migration on app000's leaf each time: a state the result cache has not seen.
  extra++;
  const leaf = made.apps[0].migrations[made.apps[0].migrations.length - 1];
  const name = `9${String(extra).padStart(3, '0')}_staged`;
  const file = join(repo, appLabel(0), 'migrations', `${name}.py`);
  writeFileSync(file, migrationText(appLabel(0), 9000 + extra, [[appLabel(0), leaf]], rng));
  run('git', ['add', file], { ok: [0] });
};
const stagedNew = timeIt(RUNS, process.execPath, [CLI, 'check', '--staged'], stageNew);
run('git', ['reset', '-q'], { ok: [0] });
run('git', ['clean', '-qfd', '--', `${appLabel(0)}/migrations`], { ok: [0] });

// --- pre-commit on a typical repository (DESIGN §9 says "a typical repo"): 20 apps x 30.
const typical = join(work, 'typical');
generateRepo({ dir: typical, apps: 20, migrations: 30, branches: 5, seed: 11 });
const inTypical = { ...ENV };
const runTypical = (args) => spawnSync(process.execPath, [CLI, ...args], { cwd: typical, env: inTypical });
runTypical(['check', '--staged']);
const typicalSamples = [];
const typicalNewSamples = [];
for (let i = 0; i < RUNS; i++) {
  nodeOnce();
  let start = performance.now();
  runTypical(['check', '--staged']);
  typicalSamples.push(performance.now() - start);
  const file = join(typical, 'app001', 'migrations', `9${String(i).padStart(3, '0')}_staged.py`);
  writeFileSync(file, migrationText('app001', 9000 + i, [['app001', '0030_auto_0030']], rng));
  spawnSync('git', ['add', file], { cwd: typical });
  start = performance.now();
  runTypical(['check', '--staged']);
  typicalNewSamples.push(performance.now() - start);
}
const typicalStaged = median(typicalSamples);
// node -e 0, run in turns with the pre-commit figures it is compared with.
const nodeFloor = median(nodeSamples);
const typicalStagedNew = median(typicalNewSamples);

// --- branches: every branch against main, warm parse cache; and the git floor: `git ls-tree -r`
// of the same branches, one process each, as any tool that reads every branch must.
run(process.execPath, [CLI, 'branches', '--format', 'json']);
const branchesTime = timeIt(RUNS, process.execPath, [CLI, 'branches', '--format', 'json']);
const branchesPeak = peakNode([CLI, 'branches', '--format', 'json']);
const scan = JSON.parse(run(process.execPath, [CLI, 'branches', '--format', 'json']).stdout);
const floorSamples = [];
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  for (const ref of ['main', ...branchRefs]) run('git', ['ls-tree', '-r', ref], { ok: [0] });
  floorSamples.push(performance.now() - start);
}
const gitFloor = median(floorSamples);
const branchesCold = timeIt(1, process.execPath, [CLI, 'branches', '--format', 'json'], clearCache);

// --- Report.
const rows = [
  ['node -e 0', nodeFloor, null, ''],
  ['Django 3.2 loader + detect_conflicts (python, end to end)', django, djangoPeak, `loader alone ${ms(djangoLoader)}`],
  ['Django 3.2, nothing compiled yet (no __pycache__)', djangoCold, null, ''],
  ['migcheck check, cold cache', cold, coldPeak, `${(django / cold).toFixed(1)}x faster than Django (${(djangoCold / cold).toFixed(1)}x cold against cold)`],
  ['migcheck check, warm cache', warm, warmPeak, `${(django / warm).toFixed(1)}x faster than Django`],
  ['migcheck check, parse cache warm, report recomputed', reanalysed, null, `${(django / reanalysed).toFixed(1)}x faster than Django`],
  ['migcheck check --staged (pre-commit, no migration staged)', staged, null, `${(staged / nodeFloor).toFixed(2)}x node -e 0`],
  ['migcheck check --staged (pre-commit, a new migration staged)', stagedNew, null, `${(stagedNew / nodeFloor).toFixed(2)}x node -e 0`],
  ['typical repo (20 x 30): check --staged, no migration staged', typicalStaged, null, `${(typicalStaged / nodeFloor).toFixed(2)}x node -e 0`],
  ['typical repo (20 x 30): check --staged, a new migration staged', typicalStagedNew, null, `${(typicalStagedNew / nodeFloor).toFixed(2)}x node -e 0`],
  [`git ls-tree -r of ${branchRefs.length + 1} refs (git floor)`, gitFloor, null, ''],
  [`migcheck branches (${branchRefs.length} branches, warm)`, branchesTime, branchesPeak, `${(branchesTime / gitFloor).toFixed(2)}x the git floor`],
  [`migcheck branches (cold cache, 1 run)`, branchesCold, null, `${(branchesCold / gitFloor).toFixed(2)}x the git floor`],
];
const width = Math.max(...rows.map((r) => r[0].length));
for (const [label, time, peak, note] of rows) {
  console.log(`${label.padEnd(width)}  ${ms(time).padStart(8)}  ${mb(peak).padStart(7)}  ${note}`);
}
const conflicting = scan.branches.filter((b) => b.conflicts > 0).length;
console.log(`\nbranches found ${conflicting} of ${scan.branches.length} branches conflicting with main, ${scan.groups.length} app/parent groups`);
console.log(`same verdict as Django on the work tree: ${sameVerdict ? 'yes' : 'NO'} (${JSON.stringify(ours)})\n`);

const targets = [
  ['warm check >= 20x faster than Django', django / warm >= 20, `${(django / warm).toFixed(1)}x`],
  ['cold check >= 5x faster than Django', django / cold >= 5, `${(django / cold).toFixed(1)}x`],
  ['pre-commit < 2x node -e 0 (typical repo)', typicalStaged / nodeFloor < 2, `${(typicalStaged / nodeFloor).toFixed(2)}x`],
  ['pre-commit < 2x node -e 0 (this repo)', staged / nodeFloor < 2, `${(staged / nodeFloor).toFixed(2)}x`],
  ['branches within 2x the git floor', branchesTime / gitFloor <= 2, `${(branchesTime / gitFloor).toFixed(2)}x`],
  ['same verdict as Django', sameVerdict, sameVerdict ? 'yes' : 'no'],
];
for (const [name, pass, value] of targets) console.log(`${pass ? 'PASS' : 'FAIL'}  ${name.padEnd(44)} ${value}`);

if (KEEP) console.log(`\nkept ${work}`);
else rmSync(work, { recursive: true, force: true });
process.exitCode = targets.every(([, pass]) => pass) ? 0 : 1;
