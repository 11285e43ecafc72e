// The merge driver leaves nothing behind: every way a merge of two branches that each add
// migrations (two apps, each with max_migration.txt) can end, with migcheck installed and without
// its hooks. After each: nothing of migcheck's in `git status`, the commit that concludes the merge
// holds the merge migrations and the lock files, and Django 3.2 loads the tree.
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { migcheckHooksRun } from '../src/io/hooks.js';
import { djangoVerdicts } from './helpers/django.js';
import { removeDir, tempDir, writeFiles } from './helpers/repo.js';
import { addMigration, branchWith, djangoRepo, gitOk, gitRun, migcheck, oracleApps, parents, read, status, treePaths } from './hooks-support.js';

const dirs: string[] = [];
test.after(() => dirs.forEach(removeDir));

const APPS = ['data', 'shop'];
/** data's leaves join by name; shop's names are long, so Django names its merge by the time (MIGCHECK_NOW). */
const DATA_MERGE = '0003_merge_0002_x1_0002_x2';
const SHOP_MERGE = '0003_merge_20261123_1347';
const MERGES = [`data/migrations/${DATA_MERGE}.py`, `shop/migrations/${SHOP_MERGE}.py`];
const LOCKS = { 'data/migrations/max_migration.txt': `${DATA_MERGE}\n`, 'shop/migrations/max_migration.txt': `${SHOP_MERGE}\n` };

/** A migration and the app's max_migration.txt pointing at it, as django-linear-migrations' makemigrations leaves them. */
function addLocked(dir: string, app: string, name: string, parent: string): void {
  addMigration(dir, app, name, [parent]);
  writeFiles(dir, { [`${app}/migrations/max_migration.txt`]: `${name}\n` });
}

/**
 * main: apps data and shop at 0001 with lock files. Branch a adds data 0002_x1 and a shop
 * migration; b adds data 0002_x2 and another shop migration; with `readme`, both also change
 * README.md (a conflict git leaves to the user). b2 is b plus a second commit (data 0003_x3 on
 * 0002_x2), for the rebase.
 */
function template(options: { hooks: boolean; readme: boolean }): string {
  const dir = djangoRepo({ apps: [], lockfiles: true });
  dirs.push(dir);
  const files: Record<string, string> = {};
  for (const app of APPS) {
    files[`${app}/__init__.py`] = '';
    files[`${app}/migrations/__init__.py`] = '';
    files[`${app}/migrations/max_migration.txt`] = '0001_initial\n';
  }
  writeFiles(dir, files);
  for (const app of APPS) addMigration(dir, app, '0001_initial', []);
  gitOk(dir, ['add', '-A']);
  gitOk(dir, ['commit', '-q', '--no-verify', '-m', 'two apps']);
  const r = migcheck(dir, ['install']);
  if (r.code !== 0) throw new Error(r.out);
  if (!options.hooks) rmSync(join(dir, '.git', 'hooks'), { recursive: true, force: true });
  gitOk(dir, ['add', '.gitattributes']);
  gitOk(dir, ['commit', '-q', '--no-verify', '-m', 'migcheck install']);
  for (const [side, n] of [['a', 1], ['b', 2]] as const) {
    branchWith(dir, side, 'main', () => {
      addLocked(dir, 'data', `0002_x${n}`, '0001_initial');
      addLocked(dir, 'shop', `0002_add_field_created_at_to_the_model_${side}`, '0001_initial');
      if (options.readme) writeFiles(dir, { 'README.md': `A project, as ${side} sees it\n` });
    });
  }
  branchWith(dir, 'b2', 'b', () => addLocked(dir, 'data', '0003_x3', '0002_x2'));
  gitOk(dir, ['checkout', '-q', 'a']);
  return dir;
}

const templates = new Map<string, string>();
/** A fresh copy of a template repository (building one costs a dozen commits). */
function repo(options: { hooks: boolean; readme: boolean }): string {
  const key = JSON.stringify(options);
  if (!templates.has(key)) templates.set(key, template(options));
  const dir = join(tempDir('migcheck-driver-'), 'repo');
  dirs.push(join(dir, '..'));
  cpSync(templates.get(key)!, dir, { recursive: true });
  return dir;
}

function unmerged(dir: string): string[] {
  return gitOk(dir, ['diff', '--name-only', '--diff-filter=U']).split('\n').filter(Boolean);
}

/** Nothing untracked, ignored node_modules aside. */
function untracked(dir: string): string[] {
  return gitOk(dir, ['ls-files', '-o', '--exclude-standard']).split('\n').filter(Boolean);
}

/** Trees Django must load, checked in one python process at the end. */
const concluded: Array<{ dir: string; why: string }> = [];

/** The merge is over: clean status, the commit holds the merge migrations and the lock files, lock --check agrees. */
function assertConcluded(dir: string, why: string, ref = 'HEAD'): void {
  assert.is(status(dir), '', `${why}: git status is clean`);
  assert.is(gitRun(dir, ['rev-parse', '-q', '--verify', 'MERGE_HEAD']).code, 1, `${why}: no merge in progress`);
  const tree = treePaths(dir, ref);
  for (const file of MERGES) assert.ok(tree.includes(file), `${why}: ${file} is committed`);
  for (const [file, text] of Object.entries(LOCKS)) assert.is(gitOk(dir, ['show', `${ref}:${file}`]), text, `${why}: ${file}`);
  const lock = migcheck(dir, ['lock', '--check']);
  assert.is(lock.code, 0, `${why}: ${lock.out}`);
  concluded.push({ dir, why });
}

/** Back where it was: nothing staged, nothing untracked, no merge migration anywhere. */
function assertUndone(dir: string, why: string): void {
  assert.is(status(dir), '', `${why}: git status is clean`);
  for (const file of MERGES) assert.not.ok(existsSync(join(dir, ...file.split('/'))), `${why}: ${file} is gone`);
}

test('clean merge: the driver sets the lock files, pre-merge-commit writes and stages the merge migrations and stops; `git commit` concludes', () => {
  const dir = repo({ hooks: true, readme: false });
  const merge = gitRun(dir, ['merge', '--no-edit', 'b']);
  assert.is(merge.code, 1, merge.out);
  assert.match(merge.stderr, new RegExp(`data/migrations/max_migration.txt: both sides added migrations; set it to ${DATA_MERGE}`));
  assert.match(merge.stderr, new RegExp(`set it to ${SHOP_MERGE}`));
  assert.match(merge.stderr, /wrote data\/migrations\/0003_merge_0002_x1_0002_x2\.py and shop\/migrations\/0003_merge_20261123_1347\.py and staged them; run `git commit` to finish the merge/);
  assert.equal(untracked(dir), []);
  const commit = gitRun(dir, ['commit', '--no-edit']);
  assert.is(commit.code, 0, commit.out);
  assert.is(parents(dir).length, 2);
  assertConcluded(dir, 'clean merge');
});

test('other conflicts, then `git commit`: nothing untracked meanwhile; pre-commit adds the merge migrations to the merge commit', () => {
  const dir = repo({ hooks: true, readme: true });
  const merge = gitRun(dir, ['merge', '--no-edit', 'b']);
  assert.is(merge.code, 1, merge.out);
  assert.equal(unmerged(dir), ['README.md']);
  assert.equal(untracked(dir), [], 'the driver wrote only the lock files');
  writeFiles(dir, { 'README.md': 'A project\n' });
  gitOk(dir, ['add', 'README.md']);
  const commit = gitRun(dir, ['commit', '--no-edit']);
  assert.is(commit.code, 0, commit.out);
  assert.match(commit.stderr, /added data\/migrations\/0003_merge_0002_x1_0002_x2\.py to this commit/);
  assert.is(parents(dir).length, 2);
  assertConcluded(dir, 'conflict then commit');
});

test('other conflicts, then `git merge --continue`', () => {
  const dir = repo({ hooks: true, readme: true });
  assert.is(gitRun(dir, ['merge', '--no-edit', 'b']).code, 1);
  writeFiles(dir, { 'README.md': 'A project\n' });
  gitOk(dir, ['add', 'README.md']);
  const done = gitRun(dir, ['merge', '--continue'], { env: { GIT_EDITOR: 'true' } });
  assert.is(done.code, 0, done.out);
  assert.is(parents(dir).length, 2);
  assertConcluded(dir, 'merge --continue');
});

test('`git merge --abort` leaves nothing; the same merge again works as the first did', () => {
  for (const readme of [false, true]) {
    const dir = repo({ hooks: true, readme });
    const first = gitRun(dir, ['merge', '--no-edit', 'b']);
    assert.is(first.code, 1, first.out);
    gitOk(dir, ['merge', '--abort']);
    assertUndone(dir, `abort (readme: ${readme})`);
    const again = gitRun(dir, ['merge', '--no-edit', 'b']);
    assert.is(again.code, 1, again.out);
    assert.not.match(again.stderr, /left a conflict/);
    if (readme) {
      writeFiles(dir, { 'README.md': 'A project\n' });
      gitOk(dir, ['add', 'README.md']);
    }
    const commit = gitRun(dir, ['commit', '--no-edit']);
    assert.is(commit.code, 0, commit.out);
    assertConcluded(dir, `merge again after abort (readme: ${readme})`);
  }
});

test('`git reset --merge` leaves nothing, whether git stopped on a conflict or pre-merge-commit stopped', () => {
  for (const readme of [false, true]) {
    const dir = repo({ hooks: true, readme });
    assert.is(gitRun(dir, ['merge', '--no-edit', 'b']).code, 1);
    gitOk(dir, ['reset', '--merge']);
    assertUndone(dir, `reset --merge (readme: ${readme})`);
  }
});

test('a merge migration already in the work tree (`migcheck merge`, then an abort) is used, never refused', () => {
  const dir = repo({ hooks: true, readme: true });
  assert.is(gitRun(dir, ['merge', '--no-edit', 'b']).code, 1);
  const merged = migcheck(dir, ['merge']);
  assert.is(merged.code, 0, merged.out);
  gitOk(dir, ['merge', '--abort']);
  assert.equal(untracked(dir).sort(), MERGES, 'the files the user wrote stay, as git leaves untracked files');
  const again = gitRun(dir, ['merge', '--no-edit', 'b']);
  assert.is(again.code, 1, again.out);
  assert.match(again.stderr, /is already in the work tree/);
  assert.equal(unmerged(dir), ['README.md']);
  writeFiles(dir, { 'README.md': 'A project\n' });
  gitOk(dir, ['add', 'README.md']);
  const commit = gitRun(dir, ['commit', '--no-edit']);
  assert.is(commit.code, 0, commit.out);
  assert.match(commit.stderr, /staged data\/migrations\/0003_merge_0002_x1_0002_x2\.py, the merge migration of app 'data' waiting in the work tree/);
  assertConcluded(dir, 'retry with the files already there');
});

test('rebase: the driver runs per replayed commit; `git rebase --abort` leaves nothing', () => {
  const dir = repo({ hooks: true, readme: true });
  gitOk(dir, ['checkout', '-q', 'b2']);
  const before = gitOk(dir, ['rev-parse', 'HEAD']);
  const rebase = gitRun(dir, ['rebase', 'a']);
  assert.is(rebase.code, 1, rebase.out);
  assert.equal(unmerged(dir), ['README.md'], 'only the README stops it');
  assert.equal(untracked(dir), []);
  gitOk(dir, ['rebase', '--abort']);
  assert.is(gitOk(dir, ['rev-parse', 'HEAD']), before);
  assertUndone(dir, 'rebase --abort');
});

test('rebase completed: post-rewrite writes the merge migrations and commits them on top', () => {
  const dir = repo({ hooks: true, readme: true });
  gitOk(dir, ['checkout', '-q', 'b2']);
  const rebase = gitRun(dir, ['rebase', 'a']);
  assert.is(rebase.code, 1, rebase.out);
  // Replaying b's first commit: both sides moved both lock files.
  assert.match(rebase.stderr, /post-rewrite hook writes data\/migrations\/0003_merge_0002_x1_0002_x2\.py and commits it when the rebase ends/);
  writeFiles(dir, { 'README.md': 'A project\n' });
  gitOk(dir, ['add', 'README.md']);
  const done = gitRun(dir, ['rebase', '--continue'], { env: { GIT_EDITOR: 'true' } });
  assert.is(done.code, 0, done.out);
  // Replaying the second commit (data 0003_x3 on 0002_x2) moved data's lock file again: now the
  // leaves are 0002_x1 and 0003_x3.
  assert.match(done.stderr, /committed them on top of the rebased branch/);
  assert.is(status(dir), '');
  assert.match(gitOk(dir, ['log', '-1', '--format=%s']), /^Merge migrations/);
  const tree = treePaths(dir);
  assert.ok(tree.includes('data/migrations/0004_merge_0002_x1_0003_x3.py'), tree.join('\n'));
  assert.ok(tree.includes(`shop/migrations/${SHOP_MERGE}.py`));
  assert.is(gitOk(dir, ['show', 'HEAD:data/migrations/max_migration.txt']), '0004_merge_0002_x1_0003_x3\n');
  assert.is(migcheck(dir, ['lock', '--check']).code, 0);
  concluded.push({ dir, why: 'rebase completed' });
});

test('driver only (no hooks): a conflict that says exactly what to run; running it concludes the merge; an abort leaves nothing', () => {
  const dir = repo({ hooks: false, readme: false });
  const merge = gitRun(dir, ['merge', '--no-edit', 'b']);
  assert.is(merge.code, 1, merge.out);
  assert.equal(unmerged(dir), ['data/migrations/max_migration.txt', 'shop/migrations/max_migration.txt']);
  assert.equal(untracked(dir), []);
  const run = /Run: `migcheck merge --app data && migcheck lock --app data && git add data\/migrations`, then `git commit`/;
  assert.match(merge.stderr, run);
  gitOk(dir, ['merge', '--abort']);
  assertUndone(dir, 'driver only, abort');

  assert.is(gitRun(dir, ['merge', '--no-edit', 'b']).code, 1);
  for (const app of APPS) {
    for (const args of [['merge', '--app', app], ['lock', '--app', app]]) {
      const r = migcheck(dir, args);
      assert.is(r.code, 0, r.out);
    }
    gitOk(dir, ['add', `${app}/migrations`]);
  }
  gitOk(dir, ['commit', '--no-edit']);
  assertConcluded(dir, 'driver only, the printed commands');
});

test('the driver knows whether the hooks that finish its work run: git\'s hooks folder, Husky, the pre-commit framework, MIGCHECK=0', async () => {
  const dir = repo({ hooks: true, readme: false });
  const merge = ['pre-merge-commit', 'pre-commit'] as const;
  assert.ok(await migcheckHooksRun(dir, merge, {}));
  assert.not.ok(await migcheckHooksRun(dir, merge, { MIGCHECK: '0' }));
  assert.not.ok(await migcheckHooksRun(dir, merge, { HUSKY: '0' }));
  chmodSync(join(dir, '.git', 'hooks', 'pre-commit'), 0o644);
  assert.not.ok(await migcheckHooksRun(dir, merge, {}), 'git skips a hook it cannot execute');

  // The pre-commit framework's script, with and without migcheck in its config.
  writeFileSync(join(dir, '.git', 'hooks', 'pre-commit'), '#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n');
  chmodSync(join(dir, '.git', 'hooks', 'pre-commit'), 0o755);
  assert.not.ok(await migcheckHooksRun(dir, merge, {}));
  writeFiles(dir, { '.pre-commit-config.yaml': 'repos:\n  - repo: local\n    hooks:\n      - id: migcheck\n' });
  assert.ok(await migcheckHooksRun(dir, merge, {}));

  // Husky v9: core.hooksPath=.husky/_ runs .husky/<hook>, where `install --husky` puts the lines.
  const husky = repo({ hooks: false, readme: false });
  mkdirSync(join(husky, '.husky', '_'), { recursive: true });
  for (const hook of ['pre-commit', 'pre-merge-commit', 'post-rewrite']) writeFileSync(join(husky, '.husky', '_', hook), '#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n', { mode: 0o755 });
  gitOk(husky, ['config', 'core.hooksPath', '.husky/_']);
  assert.not.ok(await migcheckHooksRun(husky, ['post-rewrite'], {}));
  assert.is(migcheck(husky, ['install', '--husky']).code, 0);
  assert.ok(await migcheckHooksRun(husky, merge, {}));
  assert.ok(await migcheckHooksRun(husky, ['post-rewrite'], {}));
});

test('Django 3.2 loads every concluded tree: one leaf per app', async () => {
  assert.ok(concluded.length >= 6, `${concluded.length} trees`);
  const verdicts = await djangoVerdicts(concluded.map((c) => ({ root: c.dir, apps: oracleApps(APPS) })));
  verdicts.forEach((v, i) => {
    assert.is(v.error, null, concluded[i].why);
    assert.equal(v.conflicts, {}, concluded[i].why);
    assert.is(v.leaves.filter(([app]) => APPS.includes(app)).length, 2, concluded[i].why);
  });
  assert.ok(read(concluded[0].dir, `data/migrations/${DATA_MERGE}.py`).includes("('data', '0002_x1'),"));
});

test.run();
