// git's index file read directly must say exactly what `git ls-files -s` says of it, or nothing
// (null: the caller asks git). Every index here is written by the real git.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readIndexEntries, readRepositoryIndex } from '../src/io/index-file.js';
import { relevantPath } from '../src/io/listing.js';
import { git, makeRepo, removeDir, runCli, tempDir, writeFiles } from './helpers/repo.js';

const repos: string[] = [];
test.after(() => repos.forEach(removeDir));

const PATHSPEC = [':(glob)**/migrations/*', ':(glob)**/manage.py'];
/** What listing.ts asks git for. */
const lsFiles = (dir: string) => {
  const r = spawnSync('git', ['ls-files', '-s', '-z', '--full-name', '--', ...PATHSPEC], { cwd: dir });
  return r.stdout.toString('utf8');
};
const direct = (dir: string) => readRepositoryIndex(join(dir, '.git'), join(dir, '.git'), relevantPath)?.toString('utf8') ?? null;

function repo(): string {
  const dir = makeRepo();
  repos.push(dir);
  return dir;
}

/** Index entries without files: any path, mode and stage (`git update-index --index-info`). */
function entries(dir: string, lines: string[]): void {
  const r = spawnSync('git', ['update-index', '--index-info'], { cwd: dir, input: lines.map((l) => `${l}\n`).join('') });
  assert.is(r.status, 0, r.stderr.toString());
}

function blob(dir: string, text: string): string {
  return spawnSync('git', ['hash-object', '-w', '--stdin'], { cwd: dir, input: text }).stdout.toString().trim();
}

function fullTree(dir: string): void {
  writeFiles(dir, {
    'manage.py': '',
    'shop/manage.py': '',
    'migrations/0001_root.py': 'x',
    'shop/migrations/__init__.py': '',
    'shop/migrations/0001_initial.py': 'a',
    'shop/migrations/.hidden.py': 'h',
    'shop/migrations/sub/0001_nested.py': 'n',
    'shop/migrations/migrations/0001_twice.py': 't',
    'shop/models.py': 'm',
    'é t/migrations/0001_naïve name.py': 'u',
  });
  git(dir, ['add', '-A']);
  const b = blob(dir, 'b');
  const long = `${'d'.repeat(200)}/`.repeat(21) + 'migrations/0001_long.py'; // past the 12-bit name length
  entries(dir, [
    `100755 ${b}\tbilling/migrations/0002_exec.py`,
    `120000 ${b}\tbilling/migrations/0003_link.py`,
    `160000 ${b}\tbilling/migrations/vendored`,
    `100644 ${b}\t${long}`,
  ]);
}

test('versions 2, 3 and 4: the same bytes as git ls-files -s, paths of every kind', () => {
  const dir = repo();
  fullTree(dir);
  const truth = lsFiles(dir);
  assert.ok(truth.includes('0001_long.py') && truth.includes('naïve') && truth.includes('160000'), truth.slice(0, 400));
  for (const version of ['2', '3', '4']) {
    git(dir, ['update-index', '--index-version', version]);
    // git writes version 2 for a "3" that needs no extended flags (the next test has some).
    const written = readFileSync(join(dir, '.git', 'index')).readUInt32BE(4);
    assert.ok(written === Number(version) || (version === '3' && written === 2), `version ${written}`);
    assert.is(direct(dir), truth, `index version ${version}`);
  }
});

test('unmerged stages, intent-to-add and skip-worktree entries (extended flags)', () => {
  const dir = repo();
  fullTree(dir);
  const [a, b, c] = ['base', 'ours', 'theirs'].map((t) => blob(dir, t));
  entries(dir, [
    `0 ${'0'.repeat(40)}\tshop/migrations/0002_both.py`,
    `100644 ${a} 1\tshop/migrations/0002_both.py`,
    `100644 ${b} 2\tshop/migrations/0002_both.py`,
    `100644 ${c} 3\tshop/migrations/0002_both.py`,
  ]);
  writeFiles(dir, { 'shop/migrations/0003_later.py': 'later' });
  git(dir, ['add', '-N', 'shop/migrations/0003_later.py']);
  git(dir, ['update-index', '--skip-worktree', 'shop/migrations/0001_initial.py']);
  assert.is(readFileSync(join(dir, '.git', 'index')).readUInt32BE(4), 3);
  const truth = lsFiles(dir);
  assert.match(truth, / 2\tshop\/migrations\/0002_both\.py/);
  assert.is(direct(dir), truth);
  git(dir, ['update-index', '--index-version', '4']);
  assert.is(direct(dir), truth);
});

test('what it does not read for certain it leaves to git: split index, SHA-256, a damaged file', () => {
  const dir = repo();
  fullTree(dir);
  git(dir, ['update-index', '--split-index']);
  assert.is(direct(dir), null, 'split index');
  git(dir, ['update-index', '--no-split-index']);
  assert.is(direct(dir), lsFiles(dir));
  // A big index: git reads it faster.
  assert.is(readRepositoryIndex(join(dir, '.git'), join(dir, '.git'), relevantPath, 100), null, 'past the size limit');

  const index = join(dir, '.git', 'index');
  const good = readFileSync(index);
  for (const cut of [good.length - 1, good.length - 21, 100, 12, 3]) {
    assert.is(readIndexEntries(join(dir, 'cut'), relevantPath)?.length ?? 0, 0); // no such file: empty
    writeFileSync(join(dir, 'cut'), good.subarray(0, cut));
    assert.is(readIndexEntries(join(dir, 'cut'), relevantPath), null, `cut at ${cut}`);
  }
  const flipped = Buffer.from(good);
  flipped[12 + 62] ^= 0xff; // inside the first path: its NUL terminator no longer lines up
  writeFileSync(join(dir, 'flipped'), flipped);
  const read = readIndexEntries(join(dir, 'flipped'), () => true);
  assert.ok(read === null || !read.toString('utf8').includes(lsFiles(dir).split('\0')[0]), 'a damaged entry is not passed off as the real one');

  const sha256 = tempDir();
  repos.push(sha256);
  const init = spawnSync('git', ['init', '-q', '--object-format=sha256', sha256]);
  assert.is(init.status, 0, init.stderr.toString());
  writeFiles(sha256, { 'shop/migrations/0001_initial.py': 'a' });
  git(sha256, ['add', '-A']);
  assert.is(readRepositoryIndex(join(sha256, '.git'), join(sha256, '.git'), relevantPath), null);
});

test('a new repository has an empty index; GIT_INDEX_FILE names another one', () => {
  const dir = repo();
  assert.is(direct(dir), '');
  fullTree(dir);
  const other = join(dir, '.git', 'other-index');
  const env = { ...process.env, GIT_INDEX_FILE: other };
  spawnSync('git', ['read-tree', '--empty'], { cwd: dir, env });
  spawnSync('git', ['update-index', '--add', 'shop/migrations/0001_initial.py'], { cwd: dir, env });
  const saved = process.env.GIT_INDEX_FILE;
  process.env.GIT_INDEX_FILE = other;
  try {
    assert.match(direct(dir)!, /^100644 [0-9a-f]{40} 0\tshop\/migrations\/0001_initial\.py\0$/);
  } finally {
    if (saved === undefined) delete process.env.GIT_INDEX_FILE;
    else process.env.GIT_INDEX_FILE = saved;
  }
});

test('check --staged reads the same state either way: the index file, or git when it cannot', () => {
  const dir = repo();
  fullTree(dir);
  git(dir, ['commit', '-qm', 'tree']);
  writeFiles(dir, { 'shop/migrations/0002_a.py': 'x', 'shop/migrations/0002_b.py': 'y' });
  git(dir, ['add', '-A']);
  const staged = () => runCli(['check', '--staged', '--format', 'json'], { cwd: dir, env: { MIGCHECK_CACHE: '0' } }).stdout;
  const first = staged();
  git(dir, ['update-index', '--split-index']);
  assert.is(staged(), first);
});

test.run();
