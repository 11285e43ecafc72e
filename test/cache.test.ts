// The parse cache and the result cache under <git-common-dir>/migcheck: used when valid, ignored
// and rebuilt when corrupt or stale, safe when two runs write at once, shared by worktrees.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { commitAll, git, makeRepo, parseJsonReport, removeDir, removeFiles, runCli, runCliAsync, tempDir, writeFiles, type CliResult } from './helpers/repo.js';
import { migrationSource } from './helpers/trees.js';

const test = suite('cache');
const repos: string[] = [];
test.after(() => repos.forEach(removeDir));

interface Report {
  findings: Array<{ code: string; app: string; migrations: string[] }>;
  apps: Array<{ label: string; leaves: string[]; migrations: number }>;
}

/** billing: a chain of `n` migrations, then two leaves on its last one (a conflict). */
function repo(n = 30): string {
  const dir = makeRepo();
  repos.push(dir);
  const files: Record<string, string> = { 'billing/migrations/__init__.py': '' };
  let prev: string | null = null;
  for (let i = 1; i <= n; i++) {
    const name = `${String(i).padStart(4, '0')}_step`;
    files[`billing/migrations/${name}.py`] = migrationSource({ name, deps: prev ? [['billing', prev]] : [] });
    prev = name;
  }
  const next = String(n + 1).padStart(4, '0');
  for (const leaf of ['a', 'b']) {
    const name = `${next}_${leaf}`;
    files[`billing/migrations/${name}.py`] = migrationSource({ name, deps: [['billing', prev!]] });
  }
  writeFiles(dir, files);
  commitAll(dir, 'state');
  return dir;
}

const cacheFile = (dir: string, name = 'parse') => join(dir, '.git', 'migcheck', name === 'parse' ? 'parse-v2.jsonl' : `${name}-v2.json`);

/** The parse cache snapshot: a header line, then `<blob id>\t<json>` per entry. */
function readParse(dir: string): { header: { format: number; version: string }; entries: Map<string, Record<string, unknown>> } {
  const [head, ...lines] = readFileSync(cacheFile(dir), 'utf8').trim().split('\n');
  const entries = new Map<string, Record<string, unknown>>();
  for (const line of lines) entries.set(line.slice(0, 40), JSON.parse(line.slice(41)));
  return { header: JSON.parse(head), entries };
}

function writeParse(dir: string, data: ReturnType<typeof readParse>): void {
  const lines = [JSON.stringify(data.header), ...[...data.entries].map(([oid, e]) => `${oid}\t${JSON.stringify(e)}`)];
  writeFileSync(cacheFile(dir), lines.join('\n') + '\n');
}
const check = (dir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) => runCli(['check', '--format', 'json', ...args], { cwd: dir, env });
const verdict = (r: CliResult) => {
  const report = parseJsonReport<Report>(r);
  return { code: r.code, apps: report.apps, findings: report.findings.map((f) => [f.code, f.app, f.migrations]) };
};
const blob = (dir: string, path: string) => git(dir, ['rev-parse', `HEAD:${path}`]).trim();

/** Rewrite what the parse cache says about one blob, keeping the file's version. */
function poisonParse(dir: string, oid: string, change: (entry: Record<string, unknown>) => void): void {
  const data = readParse(dir);
  assert.ok(data.entries.get(oid), `the cache should hold blob ${oid}`);
  change(data.entries.get(oid)!);
  writeParse(dir, data);
}

test('a cold run writes the caches, a warm run reads them (a lie in the cache shows through)', () => {
  const dir = repo();
  const cold = verdict(check(dir, ['--staged']));
  assert.is(cold.code, 1);
  assert.ok(existsSync(cacheFile(dir)));
  assert.ok(existsSync(cacheFile(dir, 'results')));
  assert.is(readParse(dir).entries.size, 32);
  // Teach the parse cache that 0031_b depends on 0031_a: the conflict disappears, which proves
  // the cached parse is used (and not the file). The result cache is keyed by the same state, so
  // it has to go too.
  const oid = blob(dir, 'billing/migrations/0031_b.py');
  poisonParse(dir, oid, (e) => (e.dependencies as unknown[]).push({ app: 'billing', name: '0031_a', line: 9 }));
  writeFileSync(cacheFile(dir, 'results'), 'not json');
  assert.is(check(dir, ['--staged']).code, 0);
  // With MIGCHECK_CACHE=0 nothing is read: the truth again.
  assert.equal(verdict(check(dir, ['--staged'], { MIGCHECK_CACHE: '0' })), cold);
});

test('operations of cached parses are read when a finding needs them (clashing leaves)', () => {
  const dir = repo();
  // Both leaves add the same column: an operation clash, which needs the leaves' operations.
  const add = "        migrations.AddField(model_name='invoice', name='total', field=models.IntegerField(default=0)),\n";
  writeFiles(dir, {
    'billing/migrations/0031_a.py': migrationSource({ name: '0031_a', deps: [['billing', '0030_step']], ops: add }),
    'billing/migrations/0031_b.py': migrationSource({ name: '0031_b', deps: [['billing', '0030_step']], ops: add }),
  });
  commitAll(dir, 'clash');
  const truth = verdict(check(dir, [], { MIGCHECK_CACHE: '0' }));
  assert.ok(truth.findings.some((f) => f[0] === 'operation-clash'), JSON.stringify(truth.findings));
  assert.equal(verdict(check(dir)), truth, 'cold');
  // The parse cache keeps no operations for migrations whose operations nothing asked for...
  const entries = readParse(dir).entries;
  assert.is(entries.get(blob(dir, 'billing/migrations/0030_step.py'))!.operations, undefined);
  // ...and keeps those of the clashing leaves, which the check read.
  assert.equal((entries.get(blob(dir, 'billing/migrations/0031_a.py'))!.operations as Array<{ kind: string }>).map((o) => o.kind), ['AddField']);
  // Analysed again from a parse cache that has no operations at all: the blobs are read for them.
  for (const [oid, entry] of entries) {
    delete entry.operations;
    entries.set(oid, entry);
  }
  writeParse(dir, { ...readParse(dir), entries });
  writeFileSync(cacheFile(dir, 'results'), '');
  assert.equal(verdict(check(dir)), truth, 'from the parse cache');
});

test('predictions on a parse cache without operations read the blobs they need: same answers as cold', () => {
  const dir = repo();
  const add = "        migrations.AddField(model_name='invoice', name='total', field=models.IntegerField(default=0)),\n";
  // main: one leaf on 0030; feature: another, adding the same column (a clash once merged). Both
  // start from 0030 alone (a file one side deletes and the other changes would stop git instead).
  removeFiles(dir, ['billing/migrations/0031_a.py', 'billing/migrations/0031_b.py']);
  commitAll(dir, 'base');
  writeFiles(dir, { 'billing/migrations/0031_a.py': migrationSource({ name: '0031_a', deps: [['billing', '0030_step']], ops: add }) });
  commitAll(dir, 'main');
  git(dir, ['checkout', '-q', '-b', 'feature', 'HEAD~1']);
  writeFiles(dir, { 'billing/migrations/0031_b.py': migrationSource({ name: '0031_b', deps: [['billing', '0030_step']], ops: add }) });
  commitAll(dir, 'feature');
  const answers = (env: NodeJS.ProcessEnv = {}) => {
    type Predicted = { findings: Array<Report['findings'][number] & { cause?: string }> };
    const against = parseJsonReport<Predicted>(check(dir, ['--against', 'main'], env));
    const scan = parseJsonReport<Predicted>(
      runCli(['branches', '--target', 'main', '--format', 'json'], { cwd: dir, env: { NO_COLOR: '1', ...env } }),
    );
    return { against: against.findings.map((f) => [f.code, f.cause, f.migrations]), scan: scan.findings.map((f) => [f.code, f.cause, f.migrations]) };
  };
  const truth = answers({ MIGCHECK_CACHE: '0' });
  assert.ok(truth.against.some((f) => f[1] === 'operation-clash'), JSON.stringify(truth));
  assert.ok(truth.scan.some((f) => f[1] === 'operation-clash'), JSON.stringify(truth));
  assert.equal(answers(), truth, 'cold');
  // Forget every operation the cache kept: the warm runs must read the blobs again.
  const data = readParse(dir);
  for (const entry of data.entries.values()) delete entry.operations;
  writeParse(dir, data);
  for (const f of readdirSync(join(dir, '.git', 'migcheck'))) if (!f.startsWith('parse')) writeFileSync(join(dir, '.git', 'migcheck', f), '');
  assert.equal(answers(), truth, 'warm, no operations cached');
});

test('commands that read whole trees (merge) give cached parses their files for the operations', () => {
  const dir = repo();
  const column = (field: string) => `        migrations.AddField(model_name='invoice', name='total', field=${field}),\n`;
  writeFiles(dir, {
    'billing/migrations/0031_a.py': migrationSource({ name: '0031_a', deps: [['billing', '0030_step']], ops: column('models.IntegerField(default=0)') }),
    'billing/migrations/0031_b.py': migrationSource({ name: '0031_b', deps: [['billing', '0030_step']], ops: column('models.TextField()') }),
  });
  commitAll(dir, 'clash');
  const merge = (env: NodeJS.ProcessEnv = {}) => {
    const r = runCli(['merge', '--format', 'json', '--dry-run'], { cwd: dir, env: { MIGCHECK_NOW: '2026-11-23T04:47:00Z', TZ: 'UTC', ...env } });
    return parseJsonReport<{ refused: Array<{ app: string; details: string[] }> }>(r).refused;
  };
  const truth = merge({ MIGCHECK_CACHE: '0' });
  assert.equal(truth.map((x) => x.app), ['billing']);
  check(dir);
  const data = readParse(dir);
  for (const entry of data.entries.values()) delete entry.operations;
  writeParse(dir, data);
  assert.equal(merge(), truth);
});

test('the result cache answers an unchanged state; any change to a migration misses it', () => {
  const dir = repo();
  const first = verdict(check(dir));
  const results = JSON.parse(readFileSync(cacheFile(dir, 'results'), 'utf8'));
  assert.is(results.results.length, 1);
  // Forge the cached report: an unchanged state gets the forged answer, so it was read.
  results.results[0].value.findings = [];
  results.results[0].value.summary = { errors: 0, warnings: 0 };
  writeFileSync(cacheFile(dir, 'results'), JSON.stringify(results));
  assert.is(check(dir).code, 0);
  // Touch a migration in the work tree: a new state, analysed for real.
  writeFiles(dir, { 'billing/migrations/0031_a.py': migrationSource({ name: '0031_a', deps: [['billing', '0030_step']], ops: '' }) });
  assert.equal(verdict(check(dir)), first);
});

test('a corrupt cache is ignored and rebuilt', () => {
  const dir = repo();
  const expected = verdict(check(dir, ['--ref', 'HEAD']));
  for (const garbage of ['', '{', 'null', '[]', '{"format":1,"version":"x"}', '\u0000\u0001binary']) {
    writeFileSync(cacheFile(dir), garbage);
    writeFileSync(cacheFile(dir, 'results'), garbage);
    assert.equal(verdict(check(dir, ['--ref', 'HEAD'])), expected, JSON.stringify(garbage));
    assert.is(readParse(dir).entries.size, 32, 'rebuilt');
  }
  // Entries of the right version but the wrong shape are not trusted either.
  const data = readParse(dir);
  for (const oid of data.entries.keys()) data.entries.set(oid, { hasMigrationClass: true });
  writeParse(dir, data);
  writeFileSync(cacheFile(dir, 'results'), '');
  assert.equal(verdict(check(dir, ['--ref', 'HEAD'])), expected);
});

test('a cache written by another parser version is ignored', () => {
  const dir = repo();
  const expected = verdict(check(dir, ['--ref', 'HEAD']));
  const oid = blob(dir, 'billing/migrations/0031_b.py');
  poisonParse(dir, oid, (e) => (e.dependencies as unknown[]).push({ app: 'billing', name: '0031_a', line: 9 }));
  const data = readParse(dir);
  data.header.version = 'an-older-parser';
  writeParse(dir, data);
  const results = JSON.parse(readFileSync(cacheFile(dir, 'results'), 'utf8'));
  results.version = 'an-older-parser';
  writeFileSync(cacheFile(dir, 'results'), JSON.stringify(results));
  assert.equal(verdict(check(dir, ['--ref', 'HEAD'])), expected);
  // And the file now carries the running version again, without the lie.
  const after = readParse(dir);
  assert.is.not(after.header.version, 'an-older-parser');
  assert.equal((after.entries.get(oid)!.dependencies as unknown[]).length, 1);
});

test('a new migration appends one line to the journal; torn lines and other versions are skipped', () => {
  const dir = repo();
  const expected = verdict(check(dir));
  const snapshot = readFileSync(cacheFile(dir), 'utf8');
  writeFiles(dir, { 'billing/migrations/0032_c.py': migrationSource({ name: '0032_c', deps: [['billing', '0031_a'], ['billing', '0031_b']] }) });
  assert.is(check(dir).code, 0);
  // The snapshot was not rewritten; the journal holds the one new parse.
  assert.is(readFileSync(cacheFile(dir), 'utf8'), snapshot);
  const log = `${cacheFile(dir)}.log`;
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.is(lines.length, 1);
  const [version, oid, json] = lines[0].split('\t');
  const parsed = JSON.parse(json);
  const entry = () => JSON.stringify(parsed);
  assert.is(oid, git(dir, ['hash-object', 'billing/migrations/0032_c.py']).trim());
  // A lie in the journal, in the running version, is believed (so the journal is read)...
  parsed.dependencies = [{ app: 'billing', name: '0031_a', line: 9 }];
  writeFileSync(log, `${version}\t${oid}\t${entry()}\n${version}\t${oid.slice(0, 20)}\n{"torn": \nanother-version\t${oid}\t{}\n`);
  writeFileSync(cacheFile(dir, 'results'), '');
  assert.is(check(dir).code, 1);
  // ...and a torn line or another version's line is not: with only those, the truth again.
  writeFileSync(log, `${version}\t${oid}\t{"torn": \nanother-version\t${oid}\t${entry()}\n`);
  writeFileSync(cacheFile(dir, 'results'), '');
  assert.is(check(dir).code, 0);
  removeFiles(dir, ['billing/migrations/0032_c.py']);
  assert.equal(verdict(check(dir)), expected);
});

test('two runs at once (two hooks) both answer right and leave a valid cache', async () => {
  const dir = repo(300);
  git(dir, ['branch', 'other']);
  const expected = verdict(check(dir, ['--ref', 'HEAD'], { MIGCHECK_CACHE: '0' }));
  for (let round = 0; round < 3; round++) {
    removeDir(join(dir, '.git', 'migcheck'));
    const runs = await Promise.all([
      runCliAsync(['check', '--format', 'json', '--staged'], { cwd: dir }),
      runCliAsync(['check', '--format', 'json', '--ref', 'other'], { cwd: dir }),
      runCliAsync(['check', '--format', 'json'], { cwd: dir }),
    ]);
    for (const r of runs) assert.equal(verdict(r), expected, r.stderr);
    assert.is(readParse(dir).entries.size, 302);
    JSON.parse(readFileSync(cacheFile(dir, 'results'), 'utf8'));
    // Nothing but the caches: no temporary files left behind.
    assert.equal(readdirSync(join(dir, '.git', 'migcheck')).filter((f) => !/^(parse-v2\.jsonl(\.log)?|results-v2\.json)$/.test(f)), []);
  }
  assert.equal(verdict(check(dir, ['--staged'])), expected);
});

test('worktrees share one cache under the common git directory', () => {
  const dir = repo();
  const other = join(tempDir('migcheck-wt-'), 'wt');
  repos.push(other);
  git(dir, ['worktree', 'add', '-q', other, 'HEAD']);
  assert.is(check(other).code, 1);
  assert.ok(existsSync(cacheFile(dir)), 'the cache lives in the main repository');
  assert.not.ok(existsSync(join(other, '.git', 'migcheck')));
});

test('plain flags (no yargs) and the yargs path give the same output', () => {
  const dir = repo();
  writeFiles(dir, { 'billing/migrations/0099_x.py': 'class Migration(:\n' });
  for (const args of [[], ['--staged'], ['--ref', 'HEAD'], ['--format=json'], ['-q'], ['--strict', '--format', 'json']]) {
    const plain = runCli(['check', ...args], { cwd: dir });
    // An inline value on a boolean flag is beyond the plain reader: the same command via yargs.
    const viaYargs = runCli(['check', ...(args.includes('-q') ? [...args.filter((a) => a !== '-q'), '--quiet=true'] : [...args, '--quiet=false'])], { cwd: dir });
    assert.is(plain.code, viaYargs.code, args.join(' '));
    assert.is(plain.stdout, viaYargs.stdout, args.join(' '));
    assert.is(plain.stderr, viaYargs.stderr, args.join(' '));
  }
  // A usage error still comes from yargs.
  const bad = runCli(['check', '--staged', '--ref', 'HEAD'], { cwd: dir });
  assert.is(bad.code, 2);
  assert.match(bad.stderr, 'mutually exclusive');
});

test.run();
