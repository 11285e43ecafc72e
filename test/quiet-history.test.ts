// Quiet on healthy history, loud on new work: `duplicate-number` only for numbers no merge
// migration joins yet (`check --all` lists every one), and `operation-clash` only between
// migrations on parallel lines, as an error when `migrate` fails and a warning when only the order
// decides the result. Real repositories, the real bin, and Django 3.2's `migrate` on SQLite as the
// oracle for which clashes fail.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PYTHON, requireDjango } from './helpers/django.js';
import { branch, checkout, commitAll, git, makeRepo, parseJsonReport, removeDir, runCli, type CliResult } from './helpers/repo.js';
import { writeTree, type AppSpec, type MigrationSpec } from './helpers/trees.js';

interface JsonFinding {
  code: string;
  severity: string;
  app: string;
  migrations: string[];
  message: string;
  hint: string;
  cause?: string;
  reason?: string;
}
interface JsonReport {
  findings: JsonFinding[];
  against?: Array<{ target: string; findings: JsonFinding[] }>;
}

const dirs: string[] = [];
const show = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
const NOW = { MIGCHECK_NOW: '2026-11-23T04:47:00Z', TZ: 'UTC' };

const SETTINGS = `SECRET_KEY = 'x'
INSTALLED_APPS = ['blog', 'shop']
DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': 'db.sqlite3'}}
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'
USE_TZ = False
`;
const MANAGE = `import os, sys
sys.dont_write_bytecode = True
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj_settings')
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
`;

/** A Django project (manage.py, settings on SQLite) with apps blog and shop, committed in a new repository. */
function project(blog: MigrationSpec[], shop: MigrationSpec[] = [{ name: '0001_initial', ops: '' }]): string {
  const dir = makeRepo('migcheck-quiet-');
  dirs.push(dir);
  const apps: AppSpec[] = [
    { label: 'blog', migrations: blog },
    { label: 'shop', migrations: shop },
  ];
  writeTree(dir, { apps, files: { 'manage.py': MANAGE, 'proj_settings.py': SETTINGS, '.gitignore': 'db.sqlite3\n' } });
  commitAll(dir, 'project');
  return dir;
}

/** `manage.py migrate` with Django 3.2. */
function migrate(dir: string): { code: number; output: string } {
  requireDjango();
  const r = spawnSync(PYTHON, ['manage.py', 'migrate', '--no-input'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

const check = (dir: string, extra: string[] = []) => runCli(['check', '--format', 'json', ...extra], { cwd: dir });
const codes = (r: CliResult) => parseJsonReport<JsonReport>(r).findings.map((f) => `${f.code}:${f.severity}`);

const post = "        migrations.CreateModel(\n            name='Post',\n            fields=[\n                ('id', models.AutoField(primary_key=True)),\n                ('title', models.CharField(max_length=100)),\n            ],\n        ),\n";
const alterTitle = (n: number) => `        migrations.AlterField(\n            model_name='post',\n            name='title',\n            field=models.CharField(max_length=${n}),\n        ),\n`;
const addBody = (field: string) => `        migrations.AddField(\n            model_name='post',\n            name='body',\n            field=${field},\n        ),\n`;
const options = (verbose: string) => `        migrations.AlterModelOptions(\n            name='post',\n            options={'verbose_name': '${verbose}'},\n        ),\n`;
const initial: MigrationSpec = { name: '0001_initial', ops: post };
const on = (name: string, ops: string, deps: MigrationSpec['deps'] = [['blog', '0001_initial']]): MigrationSpec => ({ name, deps, ops });
const merged = (name: string, leaves: string[]): MigrationSpec => ({ name, deps: leaves.map((l) => ['blog', l] as const), ops: '' });

const test = suite('quiet on healthy history');
test.after(() => dirs.forEach(removeDir));

test('duplicate-number: numbers joined by a merge migration are quiet; check --all lists them', () => {
  // Two branches both made 0002; Django's merge joined them as 0003; a later 0004_x and 0004_y
  // are joined too, and 0005_z builds on 0005_y in one line.
  const dir = project([
    initial,
    on('0002_a', ''),
    on('0002_b', ''),
    merged('0003_merge_0002_a_0002_b', ['0002_a', '0002_b']),
    on('0004_x', '', [['blog', '0003_merge_0002_a_0002_b']]),
    on('0004_y', '', [['blog', '0003_merge_0002_a_0002_b']]),
    merged('0005_merge', ['0004_x', '0004_y']),
    on('0005_z', '', [['blog', '0005_merge']]),
  ]);
  const r = check(dir);
  assert.is(r.code, 0, show(r));
  assert.equal(codes(r), []);
  const human = runCli(['check'], { cwd: dir });
  assert.match(human.stdout, 'no conflicts');
  assert.not.match(human.stdout, 'duplicate-number');

  const all = check(dir, ['--all']);
  assert.is(all.code, 0, show(all));
  const found = parseJsonReport<JsonReport>(all).findings;
  assert.equal(found.map((f) => [f.code, f.severity, f.migrations]), [
    ['duplicate-number', 'warning', ['0002_a', '0002_b']],
    ['duplicate-number', 'warning', ['0004_x', '0004_y']],
    ['duplicate-number', 'warning', ['0005_merge', '0005_z']],
  ]);
  // --all is not answered from the report cache of a plain check, nor the other way round.
  assert.equal(codes(check(dir)), []);
  assert.match(runCli(['check', '--help'], { cwd: dir }).stdout, '--all');
});

test('duplicate-number: two migrations no merge joins yet are new work, and reported', () => {
  // 0002_a and 0002_b share a number; 0003_c builds on 0002_a only, so nothing joins them.
  const dir = project([initial, on('0002_a', ''), on('0002_b', ''), on('0003_c', '', [['blog', '0002_a']])]);
  const r = check(dir);
  assert.is(r.code, 1, show(r));
  const found = parseJsonReport<JsonReport>(r).findings;
  assert.equal(found.map((f) => [f.code, f.migrations]), [
    ['duplicate-number', ['0002_a', '0002_b']],
    ['multiple-leaves', ['0002_b', '0003_c']],
  ]);
  // Once merged, the number is history.
  writeTree(dir, { apps: [{ label: 'blog', migrations: [merged('0004_merge_0002_b_0003_c', ['0002_b', '0003_c'])] }] });
  assert.equal(codes(check(dir)), []);
});

test('duplicate-number: check --against reports the number a branch duplicates, before it is merged', () => {
  const dir = project([initial]);
  branch(dir, 'feature');
  writeTree(dir, { apps: [{ label: 'blog', migrations: [on('0002_main', ''), on('0003_next', '', [['blog', '0002_main']])] }] });
  commitAll(dir, 'main adds 0002 and 0003');
  checkout(dir, 'feature');
  writeTree(dir, { apps: [{ label: 'blog', migrations: [on('0002_feature', '')] }] });
  commitAll(dir, 'feature adds 0002');
  assert.equal(codes(check(dir)), []);
  const r = check(dir, ['--against', 'main']);
  const predicted = parseJsonReport<JsonReport>(r).against![0].findings;
  assert.equal(predicted.map((f) => [f.code, f.migrations]), [
    ['duplicate-number', ['0002_feature', '0002_main']],
    ['multiple-leaves', ['0002_feature', '0003_next']],
  ]);
  // The branch merges main and joins the leaves: its own tree is healthy and quiet, but against
  // main it still brings a second 0002 (a warning: Django accepts it).
  git(dir, ['merge', '-q', '--no-edit', 'main']);
  writeTree(dir, { apps: [{ label: 'blog', migrations: [merged('0004_merge_0002_feature_0003_next', ['0002_feature', '0003_next'])] }] });
  commitAll(dir, 'merge migration');
  assert.equal(codes(check(dir)), []);
  const joined = check(dir, ['--against', 'main']);
  assert.is(joined.code, 0, show(joined));
  const warned = parseJsonReport<JsonReport>(joined).against![0].findings;
  assert.equal(warned.map((f) => [f.code, f.severity, f.migrations]), [['duplicate-number', 'warning', ['0002_feature', '0002_main']]]);
  assert.match(warned[0].message, "merging main gives 0002_feature (new here) the number of 0002_main (already on main)");
  assert.match(warned[0].hint, 'migcheck rebase --app blog');
});

test('operation-clash warning: two AlterField of one field; migrate runs; merge writes the file and says so', () => {
  const dir = project([initial, on('0002_a', alterTitle(200)), on('0002_b', alterTitle(300))]);
  const r = check(dir);
  assert.is(r.code, 1, show(r));
  const clash = parseJsonReport<JsonReport>(r).findings.find((f) => f.code === 'operation-clash')!;
  assert.is(clash.severity, 'warning', show(r));
  assert.is(clash.reason, 'field-altered-differently');
  assert.match(clash.message, 'the result depends on which branch runs first');
  assert.equal(codes(r), ['multiple-leaves:error', 'operation-clash:warning']);

  const m = runCli(['merge'], { cwd: dir, env: NOW });
  assert.is(m.code, 0, show(m));
  assert.match(m.stdout, 'Created blog/migrations/0003_merge_0002_a_0002_b.py');
  assert.match(m.stderr, 'warning:');
  assert.match(m.stderr, 'both alter field post.title, differently');
  // Django agrees that this merge migrates.
  const out = migrate(dir);
  assert.is(out.code, 0, out.output);
  assert.match(out.output, 'Applying blog.0003_merge_0002_a_0002_b... OK');
});

test('operation-clash warning: two AlterModelOptions with different options', () => {
  const dir = project([initial, on('0002_a', options('article')), on('0002_b', options('entry'))]);
  const found = parseJsonReport<JsonReport>(check(dir)).findings.filter((f) => f.code === 'operation-clash');
  assert.equal(found.map((f) => [f.severity, f.reason]), [['warning', 'options-changed-differently']]);
  // The same options on both sides are no clash at all.
  writeTree(dir, { apps: [{ label: 'blog', migrations: [on('0002_b', options('article'))] }] });
  assert.equal(codes(check(dir)), ['multiple-leaves:error']);
});

const tag = "        migrations.CreateModel(\n            name='Tag',\n            fields=[\n                ('id', models.AutoField(primary_key=True)),\n                ('name', models.CharField(max_length=10)),\n            ],\n        ),\n";

test('operation-clash error: both create one model; merge refuses and writes nothing; migrate fails as Django says', () => {
  const dir = project([initial, on('0002_a', tag), on('0002_b', tag)]);
  const r = check(dir);
  assert.equal(codes(r), ['multiple-leaves:error', 'operation-clash:error']);
  assert.is(parseJsonReport<JsonReport>(r).findings[1].reason, 'model-created-twice');
  const folder = join(dir, 'blog/migrations');
  const before = readdirSync(folder).sort();
  const m = runCli(['merge'], { cwd: dir, env: NOW });
  assert.is(m.code, 1, show(m));
  assert.match(m.stderr, "refusing to merge app 'blog'");
  assert.equal(readdirSync(folder).sort(), before);
  const forced = runCli(['merge', '--force'], { cwd: dir, env: NOW });
  assert.is(forced.code, 0, show(forced));
  const out = migrate(dir);
  assert.is.not(out.code, 0, out.output);
  assert.match(out.output, 'table "blog_tag" already exists');
});

test('operation-clash error: both add one field (PostgreSQL fails on the second ADD COLUMN; Django 3.2 on SQLite rebuilds the table and hides it)', () => {
  const dir = project([initial, on('0002_a', addBody('models.TextField(null=True)')), on('0002_b', addBody('models.TextField(null=True)'))]);
  const found = parseJsonReport<JsonReport>(check(dir)).findings.filter((f) => f.code === 'operation-clash');
  assert.equal(found.map((f) => [f.severity, f.reason]), [['error', 'field-added-twice']]);
  assert.is(runCli(['merge', '--dry-run'], { cwd: dir, env: NOW }).code, 1);
});

test('operation-clash: a migration and one that descends from it through another app never clash', () => {
  // blog.0002_b depends on shop.0001_initial, which depends on blog.0002_a: 0002_a always runs
  // before 0002_b, so its CreateModel and 0002_b's AlterField of that model are one line of work.
  const alterTag = "        migrations.AlterField(\n            model_name='tag',\n            name='name',\n            field=models.CharField(max_length=50),\n        ),\n";
  const dir = project(
    [initial, on('0002_a', tag), on('0002_b', alterTag, [['blog', '0001_initial'], ['shop', '0001_initial']])],
    [{ name: '0001_initial', deps: [['blog', '0002_a']], ops: '' }],
  );
  const r = check(dir);
  assert.equal(codes(r), ['multiple-leaves:error'], show(r));
  const m = runCli(['merge'], { cwd: dir, env: NOW });
  assert.is(m.code, 0, show(m));
  const out = migrate(dir);
  assert.is(out.code, 0, out.output);
});

test('operation-clash: not computed on a graph that does not load; the cause is the finding', () => {
  const dir = project([
    initial,
    on('0002_a', addBody('models.TextField(default="")')),
    on('0002_b', addBody('models.IntegerField(default=0)')),
    on('0003_c', '', [['blog', '0002_a'], ['shop', '0002_missing']]),
  ]);
  const r = check(dir);
  assert.is(r.code, 1, show(r));
  // 0002_a and 0002_b share a number that nothing joins yet: that warning stays.
  assert.equal(codes(r), ['duplicate-number:warning', 'missing-dependency:error', 'multiple-leaves:error']);
  // Django stops at the missing node too.
  const out = migrate(dir);
  assert.match(out.output, 'NodeNotFoundError');
  const m = runCli(['merge'], { cwd: dir, env: NOW });
  assert.is(m.code, 1, show(m));
  assert.not.match(m.stderr, 'clash');
  assert.not.ok(existsSync(join(dir, 'blog/migrations/0004_merge_0002_b_0003_c.py')));
});

test.run();
