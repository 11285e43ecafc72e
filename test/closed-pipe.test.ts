// `migcheck check | head`: when the reader of a pipe goes away, every command ends quietly, with
// the exit code it would have had, and no EPIPE stack trace. A real OS pipe, closed by the reader
// before migcheck writes a byte.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { branch, checkout, CLI, commitAll, makeRepo, removeDir, runCli, writeFiles } from './helpers/repo.js';
import { migrationSource } from './helpers/trees.js';

const dirs: string[] = [];
test.after(() => dirs.forEach(removeDir));

/** main with 0001; branch `feature` and main each add a 0002: a conflict, so every command has something to say. */
function conflicted(): string {
  const dir = makeRepo();
  dirs.push(dir);
  writeFiles(dir, {
    'blog/__init__.py': '',
    'blog/migrations/__init__.py': '',
    'blog/migrations/0001_initial.py': migrationSource({ name: '0001_initial' }),
  });
  commitAll(dir, 'initial');
  branch(dir, 'feature');
  checkout(dir, 'feature');
  writeFiles(dir, { 'blog/migrations/0002_b.py': migrationSource({ name: '0002_b', deps: [['blog', '0001_initial']] }) });
  commitAll(dir, 'b');
  checkout(dir, 'main');
  writeFiles(dir, { 'blog/migrations/0002_a.py': migrationSource({ name: '0002_a', deps: [['blog', '0001_initial']] }) });
  commitAll(dir, 'a');
  writeFiles(dir, { 'blog/migrations/0002_c.py': migrationSource({ name: '0002_c', deps: [['blog', '0001_initial']] }) });
  writeFiles(dir, { 'applied.csv': 'blog,0001_initial\n' });
  return dir;
}

/** Run the bin with its stdout on a pipe whose read end is closed at once. */
function withClosedStdout(args: string[], cwd: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    // The reader leaves before migcheck has started: its first write meets a closed pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

const COMMANDS: string[][] = [
  ['check'],
  ['check', '--format', 'json'],
  ['check', '--format', 'github'],
  ['check', '--format', 'sarif'],
  ['check', '--against', 'feature'],
  ['check', '--ref', 'feature', '--format', 'json'],
  ['branches', '--target', 'main'],
  ['branches', '--target', 'main', '--format', 'json'],
  ['graph'],
  ['graph', '--format', 'mermaid'],
  ['graph', '--format', 'dot'],
  ['graph', '--format', 'json'],
  ['merge', '--dry-run'],
  ['merge', '--dry-run', '--format', 'json'],
  ['lock', '--check', '--format', 'json'],
  ['deploy-check', '--applied', 'applied.csv'],
  ['deploy-check', '--applied', 'applied.csv', '--format', 'json'],
  ['--help'],
  ['check', '--help'],
  ['--version'],
];

test('every command and format ends quietly on a closed pipe, with its usual exit code', async () => {
  const dir = conflicted();
  for (const args of COMMANDS) {
    const usual = runCli(args, { cwd: dir });
    assert.ok(usual.stdout.length > 0, `${args.join(' ')} prints something normally: ${usual.stderr}`);
    const closed = await withClosedStdout(args, dir);
    const what = `migcheck ${args.join(' ')} | (closed)`;
    assert.not.match(closed.stderr, /EPIPE|internal error|Unhandled|at \S+ \(/, `${what} printed:\n${closed.stderr}`);
    assert.is(closed.signal, null, what);
    assert.is(closed.code, usual.code, `${what}: exit code`);
    assert.is(closed.stderr, usual.stderr, `${what}: stderr is what a normal run says there`);
  }
});

test('a large report cut off by `head` mid-way ends quietly too', async () => {
  const dir = conflicted();
  // Enough findings that the report outgrows a pipe's buffer: the reader leaves mid-report.
  const files: Record<string, string> = {};
  for (let i = 0; i < 400; i++) {
    const name = `0003_x${i}`;
    files[`blog/migrations/${name}.py`] = migrationSource({ name, deps: [['blog', '0002_a']] });
  }
  writeFiles(dir, files);
  const result = await new Promise<{ code: number | null; stderr: string; got: number }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'check', '--format', 'json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let got = 0;
    child.stdout.once('data', (b: Buffer) => {
      got = b.length;
      child.stdout.destroy();
    });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, got }));
  });
  assert.ok(result.got > 0);
  assert.is(result.stderr, '');
  assert.is(result.code, 1);
});

test.run();
