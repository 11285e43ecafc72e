// The package as a user gets it: `npm pack`, install the tarball into a new project, and run
// `npx migcheck check`, `git migcheck check` and the programmatic API there.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commitAll, git, PROJECT_ROOT, removeDir, tempDir, writeFiles } from './helpers/repo.js';

const dirs: string[] = [];
test.after(() => dirs.forEach(removeDir));

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false', ...env } });
  if (r.error) throw r.error;
  return { code: r.status ?? 2, stdout: r.stdout, stderr: r.stderr };
}

const M = (deps: string) => `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [${deps}]\n    operations = []\n`;

test('npm pack ships dist, hooks and the README, and the tarball works in a new project', () => {
  const out = tempDir('migcheck-pack-');
  dirs.push(out);
  const packed = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], PROJECT_ROOT);
  assert.is(packed.code, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info.files.map((f) => f.path);
  for (const f of ['dist/cli.js', 'dist/api.js', 'dist/api.d.ts', 'hooks/pre-commit', 'README.md', 'package.json']) {
    assert.ok(files.includes(f), `${f} is in the package`);
  }
  assert.not.ok(files.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('demo/')), 'sources and tests stay out');

  const project = join(out, 'project');
  writeFiles(project, {
    'package.json': JSON.stringify({ name: 'shop-backend', version: '1.0.0', private: true }),
    'shop/migrations/__init__.py': '',
    'shop/migrations/0001_initial.py': M(''),
    'shop/migrations/0002_a.py': M("('shop', '0001_initial')"),
    'shop/migrations/0002_b.py': M("('shop', '0001_initial')"),
  });
  git(project, ['init', '-q', '-b', 'main']);
  const installed = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(out, info.filename)], project);
  assert.is(installed.code, 0, installed.stderr);
  writeFiles(project, { '.gitignore': 'node_modules\n' });
  commitAll(project, 'conflict');

  const npx = run('npx', ['--no-install', 'migcheck', 'check'], project);
  assert.is(npx.code, 1, npx.stderr);
  assert.match(npx.stdout, /multiple-leaves shop/);

  const bin = join(project, 'node_modules', '.bin');
  assert.ok(readdirSync(bin).includes('git-migcheck'));
  const viaGit = run('git', ['migcheck', 'check', '--format', 'json'], project, { PATH: `${bin}:${process.env.PATH}` });
  assert.is(viaGit.code, 1, viaGit.stderr);
  assert.equal(JSON.parse(viaGit.stdout).apps[0].leaves, ['0002_a', '0002_b']);

  const api = run(process.execPath, ['--input-type=module', '-e', "const m = await import('migcheck'); const r = await m.check({ cwd: process.cwd() }); console.log(JSON.stringify(r.summary));"], project);
  assert.is(api.code, 0, api.stderr);
  assert.equal(JSON.parse(api.stdout), { errors: 1, warnings: 0 });
});

test.run();
