// `npm run corpus`: the real-repository survey, run over small clones made here (a healthy project
// and one with a branch that will conflict), through the real script and the real bin.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { branch, checkout, commitAll, git, makeRepo, PROJECT_ROOT, removeDir, tempDir, writeFiles } from './helpers/repo.js';
import { migrationSource } from './helpers/trees.js';

const SCRIPT = join(PROJECT_ROOT, 'scripts', 'corpus.mjs');

function corpus(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { code: r.status ?? 2, stdout: r.stdout, stderr: r.stderr };
}

/** An upstream with `shop` 0001..0002 on main, and a branch adding 0003 on each side when asked. */
function upstream(conflict: boolean): string {
  const dir = makeRepo('migcheck-corpus-up-');
  writeFiles(dir, {
    'manage.py': '',
    'shop/__init__.py': '',
    'shop/migrations/__init__.py': '',
    'shop/migrations/0001_initial.py': migrationSource({ name: '0001_initial' }),
    'shop/migrations/0002_b.py': migrationSource({ name: '0002_b', deps: [['shop', '0001_initial']] }),
  });
  commitAll(dir, 'base');
  if (conflict) {
    branch(dir, 'feature/x');
    writeFiles(dir, { 'shop/migrations/0003_on_main.py': migrationSource({ name: '0003_on_main', deps: [['shop', '0002_b']] }) });
    commitAll(dir, 'main adds 0003');
    checkout(dir, 'feature/x');
    writeFiles(dir, { 'shop/migrations/0003_on_x.py': migrationSource({ name: '0003_on_x', deps: [['shop', '0002_b']] }) });
    commitAll(dir, 'x adds 0003');
    checkout(dir, 'main');
  }
  return dir;
}

const test = suite('corpus script');

test('one row per clone: migrations, tip findings, branch findings; JSON beside it', () => {
  const healthy = upstream(false);
  const busy = upstream(true);
  const clones = tempDir('migcheck-corpus-');
  try {
    git(clones, ['clone', '-q', healthy, 'healthy']);
    git(clones, ['clone', '-q', busy, 'busy']);
    const out = join(clones, 'out.json');
    const r = corpus(['--details', '--json', out, join(clones, 'healthy'), join(clones, 'busy')]);
    assert.is(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| '));
    assert.is(rows.length, 3, r.stdout);
    assert.match(rows[1], /^\| healthy +\| 1 +\| 2 +\| 0: - /, r.stdout);
    // busy: main has 3 migrations; origin/feature/x against origin/main gives one branch-conflict.
    assert.match(rows[2], /^\| busy +\| 1 +\| 3 +\| 0: - /);
    assert.match(rows[2], /\| 1: branch-conflict 1 /);
    assert.match(r.stdout, /\[origin\/feature\/x -> origin\/main\] branch-conflict error shop: /);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(json.map((row: { project: string; migrations: number }) => [row.project, row.migrations]), [['healthy', 2], ['busy', 3]]);
  } finally {
    for (const d of [healthy, busy, clones]) removeDir(d);
  }
});

test('a folder that is not a repository is a failed row and exit 1; bad flags exit 2', () => {
  const dir = tempDir('migcheck-corpus-nogit-');
  try {
    const r = corpus(['--no-branches', dir]);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAILED check: /);
    const bad = corpus(['--bogus', dir]);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /unknown option --bogus/);
  } finally {
    removeDir(dir);
  }
});

test.run();
