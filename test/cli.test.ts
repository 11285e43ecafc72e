// The CLI's contract with scripts: exit codes, clear errors, nothing written on bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commitAll, git, makeRepo, removeDir, runCli, tempDir, writeFiles } from './helpers/repo.js';

const dirs: string[] = [];
test.after(() => dirs.forEach(removeDir));

function repo(): string {
  const dir = makeRepo();
  dirs.push(dir);
  writeFiles(dir, {
    'a/migrations/__init__.py': '',
    'a/migrations/0001_initial.py': 'from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = []\n    operations = []\n',
  });
  commitAll(dir, 'one');
  return dir;
}

test('a clean tree exits 0 and says so', () => {
  const r = runCli(['check'], { cwd: repo() });
  assert.is(r.code, 0);
  assert.match(r.stdout, /1 app, 1 migration \(worktree\): no conflicts/);
});

test('an unknown ref is a usage error (exit 2) naming the ref', () => {
  const r = runCli(['check', '--ref', 'no-such-branch'], { cwd: repo() });
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown revision 'no-such-branch'/);
  // One line, as any usage error: not a stack trace.
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.not.match(r.stderr, /internal error/);
  assert.is(r.stdout, '');
});

test('a ref that looks like an option is refused', () => {
  const r = runCli(['check', '--ref=--output=/tmp/x'], { cwd: repo() });
  assert.is(r.code, 2);
  assert.match(r.stderr, /not a valid ref/);
});

test('--staged outside a git repository is a usage error', () => {
  const dir = tempDir();
  dirs.push(dir);
  for (const args of [['check', '--staged'], ['check', '--staged', '--format', 'json'], ['check', '--staged', '--format=github', '--quiet']]) {
    const r = runCli(args, { cwd: dir });
    assert.is(r.code, 2);
    assert.is(r.stderr, `migcheck: not a git repository: ${dir} (--staged and --ref read from git)\n`, args.join(' '));
  }
});

test('outside git, the work tree is still checked', () => {
  const dir = tempDir();
  dirs.push(dir);
  writeFiles(dir, { 'a/migrations/__init__.py': '', 'a/migrations/0001_initial.py': 'class Migration:\n    pass\n' });
  const r = runCli(['check'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
});

test('--staged with --ref, an unknown command and an unknown flag exit 2 with usage help', () => {
  const dir = repo();
  for (const args of [['check', '--staged', '--ref', 'HEAD'], ['chekc'], ['check', '--nope'], []]) {
    const r = runCli(args, { cwd: dir });
    assert.is(r.code, 2, args.join(' '));
    assert.match(r.stderr, /migcheck/);
  }
});

test('--help teaches each command', () => {
  const r = runCli(['check', '--help'], { cwd: repo() });
  assert.is(r.code, 0);
  assert.match(r.stdout, /--staged/);
  assert.match(r.stdout, /Exit codes: 0 no errors/);
});

test('a bad config key is named, exit 2', () => {
  const dir = repo();
  writeFiles(dir, { 'migcheck.config.json': '{"onConflict": "explode"}' });
  let r = runCli(['check'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /"onConflict" must be "block", "warn" or "generate"/);
  writeFiles(dir, { 'migcheck.config.json': '{"labelz": {}}' });
  r = runCli(['check'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown key "labelz"/);
});

test('a parse error names file and line and fails', () => {
  const dir = repo();
  writeFiles(dir, {
    'a/migrations/0002_broken.py':
      "from django.db import migrations\n\nclass Migration(migrations.Migration):\n<<<<<<< HEAD\n    dependencies = [('a', '0001_initial')]\n=======\n    dependencies = []\n>>>>>>> other\n",
  });
  const r = runCli(['check'], { cwd: dir });
  assert.is(r.code, 1);
  assert.match(r.stdout, /a\/migrations\/0002_broken.py:4/);
  assert.is(git(dir, ['status', '--porcelain']), '?? a/migrations/0002_broken.py\n', 'check writes nothing');
});

test('a database URL given as a stray argument is never echoed with its password', () => {
  const r = runCli(['deploy-check', 'postgres://admin:s3cr3t-pw@db.internal:5432/prod'], { cwd: repo() });
  assert.is(r.code, 2);
  assert.not.match(r.stdout + r.stderr, /s3cr3t-pw/);
  assert.match(r.stderr, /admin:\*\*\*@db.internal/);
});

test('--verbose says on stderr what was read; --quiet prints errors only', () => {
  const dir = repo();
  const v = runCli(['check', '--verbose'], { cwd: dir });
  assert.is(v.code, 0);
  assert.match(v.stderr, /migcheck: worktree: 1 apps, 1 migrations, 0 errors, 0 warnings in \d+ ms/);
  assert.match(v.stderr, /  a  a\/migrations  1 migrations, leaves: 0001_initial/);
  const q = runCli(['check', '--quiet'], { cwd: dir });
  assert.is(q.code, 0);
  assert.is(q.stdout, '');
});

test('--format github and sarif are for check only: other commands refuse them', () => {
  const r = runCli(['merge', '--dry-run', '--format', 'sarif'], { cwd: repo() });
  assert.is(r.code, 2);
  assert.match(r.stderr, /--format sarif is for `migcheck check`/);
});

test.run();
