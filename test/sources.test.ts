// Reading a commit, the index and the work tree of the same state gives the same verdict, and a
// pre-commit hook sees exactly what is being committed (also under `git commit -a`).
import { chmodSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoPaths } from '../src/io/git.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI, commitAll, git, makeRepo, parseJsonReport, removeDir, runCli, writeFiles } from './helpers/repo.js';

const migration = (deps: Array<[string, string]>, body = '') =>
  `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n\n    dependencies = [\n${deps
    .map(([a, n]) => `        ('${a}', '${n}'),\n`)
    .join('')}    ]\n\n    operations = [\n${body}    ]\n`;

interface Report {
  source: string;
  apps: Array<{ label: string; leaves: string[] }>;
  findings: Array<{ code: string; app: string; migrations: string[] }>;
}

const repos: string[] = [];
test.after(() => repos.forEach(removeDir));

function conflictRepo(): string {
  const dir = makeRepo();
  repos.push(dir);
  writeFiles(dir, {
    'shop/migrations/__init__.py': '',
    'shop/migrations/0001_initial.py': migration([]),
    'shop/migrations/0002_order.py': migration([['shop', '0001_initial']]),
    'shop/migrations/0002_invoice.py': migration([['shop', '0001_initial']]),
    'blog/migrations/__init__.py': '',
    'blog/migrations/0001_initial.py': migration([['shop', '__first__']]),
    'blog/migrations/_helpers.py': 'X = 1\n',
    'manage.py': '',
  });
  commitAll(dir, 'state');
  return dir;
}

const verdict = (r: Report) => ({ apps: r.apps, findings: r.findings });

test('commit, index and work tree of one state give the same report', () => {
  const dir = conflictRepo();
  const tree = parseJsonReport<Report>(runCli(['check', '--format', 'json'], { cwd: dir }));
  const index = parseJsonReport<Report>(runCli(['check', '--staged', '--format', 'json'], { cwd: dir }));
  const commit = parseJsonReport<Report>(runCli(['check', '--ref', 'HEAD', '--format', 'json'], { cwd: dir }));
  assert.is(tree.source, 'worktree');
  assert.is(index.source, 'index');
  assert.is(commit.source, 'HEAD');
  assert.equal(verdict(index), verdict(tree));
  assert.equal(verdict(commit), verdict(tree));
  assert.equal(tree.findings.find((f) => f.code === 'multiple-leaves')?.migrations, ['0002_invoice', '0002_order']);
});

test('from a sub-folder, paths are still relative to the repository root', () => {
  const dir = conflictRepo();
  const r = runCli(['check', '--format', 'json'], { cwd: join(dir, 'shop') });
  assert.is(r.code, 1);
  assert.ok(r.stdout.includes('"path": "shop/migrations"'), r.stdout);
});

test('where the repository is: read off the file system at the top, asked of git elsewhere, the same answer', async () => {
  const dir = conflictRepo();
  git(dir, ['worktree', 'add', '-q', join(dir, 'wt')]);
  const link = `${dir}-link`;
  symlinkSync(dir, link);
  try {
    const truth = (cwd: string) => {
      const [bare, gitDir, common, top] = git(cwd, ['rev-parse', '--is-bare-repository', '--absolute-git-dir', '--git-common-dir', '--show-toplevel']).trim().split('\n');
      return { bare: bare === 'true', gitDir, commonDir: realpathSync(resolve(cwd, common)), root: top };
    };
    for (const cwd of [dir, link, join(dir, 'shop'), join(dir, 'wt'), join(dir, 'wt', 'shop')]) {
      const found = await repoPaths(cwd);
      assert.ok(found, cwd);
      assert.equal({ ...found, commonDir: realpathSync(found!.commonDir) }, truth(cwd), cwd);
    }
    assert.equal(await repoPaths(join(dir, '.git')), { bare: false, gitDir: realpathSync(join(dir, '.git')), commonDir: join(dir, '.git'), root: null });
    assert.is(await repoPaths(tmpdir()), null);
  } finally {
    rmSync(link, { force: true });
  }
});

test('--staged sees the index, not unstaged work', () => {
  const dir = conflictRepo();
  // Resolve the conflict in the work tree only: the index still has two leaves.
  writeFiles(dir, { 'shop/migrations/0003_merge.py': migration([['shop', '0002_invoice'], ['shop', '0002_order']]) });
  assert.is(runCli(['check'], { cwd: dir }).code, 0);
  assert.is(runCli(['check', '--staged'], { cwd: dir }).code, 1);
  git(dir, ['add', 'shop/migrations/0003_merge.py']);
  assert.is(runCli(['check', '--staged'], { cwd: dir }).code, 0);
  assert.is(runCli(['check', '--ref', 'HEAD'], { cwd: dir }).code, 1);
});

function installHook(dir: string): void {
  const hook = join(dir, '.git', 'hooks', 'pre-commit');
  writeFileSync(hook, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" check --staged\n`);
  chmodSync(hook, 0o755);
}

test('a pre-commit hook running check --staged blocks `git commit -a` that creates a conflict', () => {
  const dir = makeRepo();
  repos.push(dir);
  writeFiles(dir, {
    'shop/migrations/__init__.py': '',
    'shop/migrations/0001_initial.py': migration([]),
    'shop/migrations/0002_a.py': migration([['shop', '0001_initial']]),
    'shop/migrations/0003_b.py': migration([['shop', '0002_a']]),
  });
  commitAll(dir, 'linear');
  installHook(dir);
  // Re-point 0003_b at 0001: two leaves. Only `commit -a` stages it (via a temporary index).
  writeFiles(dir, { 'shop/migrations/0003_b.py': migration([['shop', '0001_initial']]) });
  const head = git(dir, ['rev-parse', 'HEAD']);
  const plain = spawnCommit(dir, ['commit', '-q', '--allow-empty', '-m', 'unrelated']);
  assert.is(plain.status, 0, 'the unstaged change is not part of a plain commit: ' + plain.stderr);
  const all = spawnCommit(dir, ['commit', '-q', '-a', '-m', 'conflict']);
  assert.is.not(all.status, 0, 'commit -a must be blocked');
  assert.match(all.stdout + all.stderr, /multiple-leaves/);
  assert.match(all.stdout + all.stderr, /0002_a and 0003_b/);
  assert.is(git(dir, ['rev-parse', 'HEAD~1']), head, 'only the unrelated commit landed');
  assert.match(git(dir, ['status', '--porcelain']), / M shop\/migrations\/0003_b.py/);
});

test('`git commit -a` that resolves a staged conflict is let through', () => {
  const dir = conflictRepo();
  installHook(dir);
  writeFiles(dir, { 'shop/migrations/0002_invoice.py': migration([['shop', '0002_order']]) });
  const all = spawnCommit(dir, ['commit', '-q', '-a', '-m', 'linearise']);
  assert.is(all.status, 0, all.stdout + all.stderr);
});

import { spawnSync } from 'node:child_process';
function spawnCommit(dir: string, args: string[]) {
  return spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
}

test.run();
