// A config file with conflict markers, in the middle of a merge or rebase, does not take migcheck
// down: it reads another version of it and says which in one line. A config that is really wrong
// still fails with exit 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conflictSides, hasConflictMarkers } from '../src/io/config-fallback.js';
import { commitAll, git, makeRepo, removeDir, runCli, writeFiles } from './helpers/repo.js';

const dirs: string[] = [];
test.after(() => dirs.forEach(removeDir));

const M = (deps: string[]) =>
  `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n\n    dependencies = [${deps.map((d) => `('vendor', '${d}')`).join(', ')}]\n\n    operations = []\n`;

/**
 * A repository whose app `vendor` has two leaves, hidden by the config's `exclude`: with the
 * config read, `check` passes; without it, it fails (exit 1). Branches `ours` and `theirs` each
 * change the config file `file` with `edit`, so merging them conflicts there.
 */
function conflictedConfig(file: 'package.json' | 'migcheck.config.json', sides: Record<'ours' | 'theirs', string>, base?: string): string {
  const dir = makeRepo();
  dirs.push(dir);
  writeFiles(dir, {
    'vendor/migrations/__init__.py': '',
    'vendor/migrations/0001_initial.py': M([]),
    'vendor/migrations/0002_a.py': M(['0001_initial']),
    'vendor/migrations/0002_b.py': M(['0001_initial']),
    [file]: base ?? sides.ours,
  });
  commitAll(dir, 'base');
  for (const side of ['theirs', 'ours'] as const) {
    git(dir, ['checkout', '-q', '-B', side, 'main']);
    writeFiles(dir, { [file]: sides[side] });
    commitAll(dir, side);
  }
  return dir;
}

const pkg = (version: string, migcheck: unknown) => JSON.stringify({ name: 'site', version, migcheck }, null, 2) + '\n';
const HIDE = { exclude: ['vendor'] };

function mergeStops(dir: string, args: string[] = ['merge', '--no-edit', 'theirs']): void {
  let failed = false;
  try {
    git(dir, args);
  } catch {
    failed = true;
  }
  assert.ok(failed, 'git stops on the config conflict');
}

test('conflict markers are found and split into the two sides (diff3 base dropped)', () => {
  const text = '{\n<<<<<<< HEAD\n  "v": 1\n||||||| base\n  "v": 0\n=======\n  "v": 2\n>>>>>>> theirs\n}\n';
  assert.ok(hasConflictMarkers(text));
  assert.equal(conflictSides(text), ['{\n  "v": 1\n}\n', '{\n  "v": 2\n}\n']);
  assert.not.ok(hasConflictMarkers('{"a": "<<<<<<< not at a line start"}'));
  assert.is(conflictSides('<<<<<<< HEAD\nx\n'), null);
});

test('package.json conflicted elsewhere: both sides agree on "migcheck", it is used', () => {
  const dir = conflictedConfig('package.json', { ours: pkg('1.1.0', HIDE), theirs: pkg('1.2.0', HIDE) }, pkg('1.0.0', HIDE));
  mergeStops(dir);
  const r = runCli(['check'], { cwd: dir });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(r.stderr, 'migcheck: package.json has conflict markers; both sides agree on its "migcheck" key: using it\n');
});

test('package.json with the markers in "migcheck": our side\'s version (stage 2), said once', () => {
  const dir = conflictedConfig('package.json', { ours: pkg('1.0.0', HIDE), theirs: pkg('1.0.0', { exclude: ['vendor', 'legacy'] }) }, pkg('1.0.0', {}));
  mergeStops(dir);
  const r = runCli(['check'], { cwd: dir });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(r.stderr, 'migcheck: package.json has conflict markers; using its version from our side of the merge (index stage 2) until the conflict is resolved\n');
  // Hooks read it too (the config's onConflict, then the check): one line all the same.
  const hook = runCli(['hook', 'post-merge'], { cwd: dir });
  assert.is(hook.code, 0);
  assert.is(hook.stderr.split('\n').filter((l) => l.includes('conflict markers')).length, 1, hook.stderr);
});

test('mid-rebase, migcheck.config.json conflicted: check and rebase --help work; the version from HEAD\'s side is used', () => {
  const dir = conflictedConfig('migcheck.config.json', { ours: JSON.stringify(HIDE), theirs: JSON.stringify({ ...HIDE, targets: ['main'] }) }, '{}');
  git(dir, ['checkout', '-q', 'theirs']);
  mergeStops(dir, ['rebase', 'ours']);
  const r = runCli(['check'], { cwd: dir });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /^migcheck: migcheck.config.json has conflict markers; using its version from our side of the merge \(index stage 2\)/);
  assert.is(runCli(['rebase', '--help'], { cwd: dir }).code, 0);
});

test('conflicted and no version reads: migcheck goes on without it, and says so', () => {
  const dir = conflictedConfig('migcheck.config.json', { ours: '{ "exclude": [ours', theirs: '{ "exclude": [theirs' }, '{ broken');
  mergeStops(dir);
  const r = runCli(['check'], { cwd: dir });
  assert.is(r.code, 1, 'the defaults: vendor is read, and has two leaves');
  assert.match(r.stderr, /migcheck.config.json has conflict markers and no version of it reads as JSON; going on without it/);
});

test('really wrong stays exit 2: markers outside a merge, or mid-merge in a file that is not conflicted and has no readable version', () => {
  const dir = conflictedConfig('package.json', { ours: pkg('1.1.0', HIDE), theirs: pkg('1.2.0', HIDE) }, pkg('1.0.0', HIDE));
  mergeStops(dir);
  // Committed with the markers in it: no merge any more, the file is simply broken.
  commitAll(dir, 'oops');
  const outside = runCli(['check'], { cwd: dir });
  assert.is(outside.code, 2);
  assert.match(outside.stderr, /package.json: invalid JSON/);

  const fresh = conflictedConfig('package.json', { ours: pkg('1.1.0', HIDE), theirs: pkg('1.2.0', HIDE) }, pkg('1.0.0', HIDE));
  writeFiles(fresh, { 'README.md': 'ours\n' });
  commitAll(fresh, 'readme ours');
  git(fresh, ['checkout', '-q', 'theirs']);
  writeFiles(fresh, { 'README.md': 'theirs\n' });
  commitAll(fresh, 'readme theirs');
  git(fresh, ['checkout', '-q', 'ours']);
  mergeStops(fresh);
  // A new config written mid-merge with markers of its own: not conflicted in git, never committed.
  writeFiles(fresh, { 'migcheck.config.json': '<<<<<<< mine\n{}\n=======\n{"x": 1}\n>>>>>>> yours\n' });
  const wrong = runCli(['check'], { cwd: fresh });
  assert.is(wrong.code, 2);
  assert.match(wrong.stderr, /migcheck.config.json: invalid JSON/);
});

test.run();
