// Migration locations and app labels as Django finds them: MIGRATION_MODULES read from the
// settings module manage.py names, AppConfig.label from apps.py, and a warning when a Django
// project shows nothing to check. Django 3.2, set up from the generated project's own settings,
// is the oracle for where the migrations are and what the apps are called.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appConfigLabel, appConfigsOf, settingsModuleOf, settingsSteps } from '../src/core/django-settings.js';
import { projectLayout } from '../src/core/project-layout.js';
import { PYTHON, requireDjango } from './helpers/django.js';
import { branch, checkout, commitAll, git, makeRepo, parseJsonReport, removeDir, removeFiles, runCli, writeFiles } from './helpers/repo.js';

const migration = (deps: Array<[string, string]>) =>
  `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n\n    dependencies = [\n${deps
    .map(([a, n]) => `        ('${a}', '${n}'),\n`)
    .join('')}    ]\n\n    operations = [\n    ]\n`;

interface Report {
  apps: Array<{ label: string; path: string; leaves: string[]; migrations: number }>;
  findings: Array<{ code: string; severity: string; app: string | null; migrations: string[]; file: string | null }>;
}

const repos: string[] = [];
test.after(() => repos.forEach(removeDir));

const MANAGE = `#!/usr/bin/env python\nimport os\nimport sys\n\nif __name__ == "__main__":\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n`;

/**
 * A project whose shop app keeps its migrations in `shop/db_migrations` (settings package:
 * `proj/settings/__init__.py` imports `base`), and whose blog app is labelled `journal` in apps.py.
 * The stale `shop/migrations` folder is one Django never reads.
 */
function layoutRepo(extraSettings = '', files: Record<string, string> = {}): string {
  const dir = makeRepo();
  repos.push(dir);
  writeFiles(dir, {
    'manage.py': MANAGE,
    'proj/__init__.py': '',
    'proj/settings/__init__.py': 'from .base import *  # noqa\n',
    'proj/settings/base.py':
      'SECRET_KEY = "x"\nINSTALLED_APPS = ["shop", "blog"]\nDATABASES = {}\n' +
      'if True:\n    MIGRATION_MODULES = {\n        "shop": "shop.db_migrations",\n    }\n' +
      extraSettings,
    'shop/__init__.py': '',
    'shop/migrations/__init__.py': '',
    'shop/migrations/0001_initial.py': migration([]),
    'shop/migrations/0002_old.py': migration([]),
    'shop/db_migrations/__init__.py': '',
    'shop/db_migrations/0001_initial.py': migration([]),
    'shop/db_migrations/0002_order.py': migration([['shop', '0001_initial']]),
    'blog/__init__.py': '',
    'blog/apps.py': 'from django.apps import AppConfig\n\n\nclass BlogConfig(AppConfig):\n    name = "blog"\n    label = "journal"\n',
    // No same-app reference to vote with: only apps.py knows the label.
    'blog/migrations/__init__.py': '',
    'blog/migrations/0001_initial.py': migration([]),
    ...files,
  });
  commitAll(dir, 'project');
  return dir;
}

const checkJson = (dir: string, args: string[] = []) => {
  const r = runCli(['check', ...args, '--format', 'json'], { cwd: dir });
  return { code: r.code, report: parseJsonReport<Report>(r) };
};

/** Django's own loader, set up from the project's settings: app label -> sorted leaves. */
function djangoLeaves(dir: string): Record<string, string[]> {
  requireDjango();
  const script = `
import json, os, sys
sys.path.insert(0, ${JSON.stringify(dir)})
os.environ["DJANGO_SETTINGS_MODULE"] = "proj.settings"
import django
django.setup()
from django.db.migrations.loader import MigrationLoader
loader = MigrationLoader(None, ignore_no_migrations=True)
out = {}
for app, name in loader.graph.leaf_nodes():
    out.setdefault(app, []).append(name)
print(json.dumps({k: sorted(v) for k, v in out.items()}))
`;
  const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const ourLeaves = (report: Report) => Object.fromEntries(report.apps.map((a) => [a.label, [...a.leaves].sort()]));

test('MIGRATION_MODULES from a settings package moves shop to db_migrations; apps.py names blog journal (Django agrees)', () => {
  const dir = layoutRepo();
  const { code, report } = checkJson(dir);
  assert.is(code, 0);
  assert.equal(
    report.apps.map((a) => [a.label, a.path]),
    [
      ['journal', 'blog/migrations'],
      ['shop', 'shop/db_migrations'],
    ],
  );
  assert.equal(report.findings, []);
  assert.equal(ourLeaves(report), djangoLeaves(dir));
});

test('a conflict in the moved folder is found, under the label Django uses, in the work tree, the index and a commit', () => {
  const dir = layoutRepo('', {
    'shop/db_migrations/0002_invoice.py': migration([['shop', '0001_initial']]),
    'blog/migrations/0002_draft.py': migration([]),
  });
  const django = djangoLeaves(dir);
  assert.equal(django, { journal: ['0001_initial', '0002_draft'], shop: ['0002_invoice', '0002_order'] });
  for (const args of [[], ['--staged'], ['--ref', 'HEAD']]) {
    const { code, report } = checkJson(dir, args);
    assert.is(code, 1, args.join(' '));
    assert.equal(ourLeaves(report), django, args.join(' '));
    const leaves = report.findings.filter((f) => f.code === 'multiple-leaves');
    assert.equal(leaves.map((f) => f.app).sort(), ['journal', 'shop'], args.join(' '));
  }
});

test('None in the config map disables an app, not None in the settings; the config map wins over the settings', () => {
  // Test settings disable migrations for speed; the shipped migrations are still checked.
  const settingsOff = layoutRepo('MIGRATION_MODULES["shop"] = None\n');
  assert.equal(checkJson(settingsOff).report.apps.map((a) => a.label), ['journal', 'shop']);
  assert.equal(djangoLeaves(settingsOff), { journal: ['0001_initial'] });
  const off = layoutRepo('', { 'migcheck.config.json': JSON.stringify({ migrationModules: { shop: null } }) });
  const r = checkJson(off);
  assert.equal(r.report.apps.map((a) => a.label), ['journal']);

  const moved = layoutRepo('', { 'migcheck.config.json': JSON.stringify({ migrationModules: { shop: 'shop.migrations' } }) });
  const m = checkJson(moved);
  assert.equal(
    m.report.apps.map((a) => [a.label, a.path, a.leaves.length]),
    [
      ['journal', 'blog/migrations', 1],
      ['shop', 'shop/migrations', 2],
    ],
  );
});

test('a bad migrationModules value is a config error (exit 2) naming the key', () => {
  const dir = layoutRepo('', { 'migcheck.config.json': JSON.stringify({ migrationModules: { shop: 'shop/db migrations' } }) });
  const r = runCli(['check'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /migrationModules/);
});

test('check --against and branches find a conflict between branches in a MIGRATION_MODULES folder', () => {
  const dir = layoutRepo();
  branch(dir, 'feature');
  checkout(dir, 'feature');
  writeFiles(dir, { 'shop/db_migrations/0003_refund.py': migration([['shop', '0002_order']]) });
  commitAll(dir, 'refund');
  checkout(dir, 'main');
  writeFiles(dir, { 'shop/db_migrations/0003_tax.py': migration([['shop', '0002_order']]) });
  commitAll(dir, 'tax');

  const quiet = checkJson(dir);
  assert.is(quiet.code, 0, JSON.stringify(quiet.report.findings));
  const against = checkJson(dir, ['--against', 'feature']);
  assert.is(against.code, 1);
  const c = against.report.findings.filter((f) => f.code === 'branch-conflict');
  assert.is(c.length, 1);
  assert.is(c[0].app, 'shop');

  checkout(dir, 'feature');
  const r = runCli(['branches', '--format', 'json'], { cwd: dir });
  const scan = parseJsonReport<{ findings: Array<{ code: string; app: string | null; file: string | null }> }>(r);
  const found = scan.findings.filter((f) => f.code === 'branch-conflict');
  assert.ok(found.length >= 1, JSON.stringify(scan.findings));
  assert.ok(found.every((f) => f.app === 'shop' && (f.file ?? '').startsWith('shop/db_migrations/')), JSON.stringify(found));
  git(dir, ['status', '--porcelain']);
});

test('a Django project with no migrations found gets a no-migrations warning, not "no conflicts" (exit 0; 1 with --strict)', () => {
  const dir = makeRepo();
  repos.push(dir);
  writeFiles(dir, {
    'manage.py': MANAGE,
    'proj/__init__.py': '',
    'proj/settings.py': 'SECRET_KEY = "x"\n',
    'dojo/db_models/__init__.py': '',
  });
  commitAll(dir, 'project');
  const human = runCli(['check'], { cwd: dir });
  assert.is(human.code, 0);
  assert.match(human.stdout, /no-migrations/);
  assert.match(human.stdout, /proj\/settings\.py/);
  assert.match(human.stdout, /migrationModules/);
  assert.not.match(human.stdout, /no conflicts/);
  assert.is(runCli(['check', '--strict'], { cwd: dir }).code, 1);
  const { report } = checkJson(dir, ['--ref', 'HEAD']);
  assert.equal(report.findings.map((f) => [f.code, f.severity, f.file]), [['no-migrations', 'warning', 'manage.py']]);
  // A repository that is no Django project (no manage.py) stays quiet.
  const plain = makeRepo();
  repos.push(plain);
  writeFiles(plain, { 'README.md': 'hi\n' });
  commitAll(plain, 'readme');
  assert.equal(checkJson(plain).report.findings, []);
  // A second project whose apps live elsewhere in the repository is not warned about.
  writeFiles(dir, { 'sandbox/manage.py': MANAGE, 'shop/migrations/__init__.py': '', 'shop/migrations/0001_initial.py': migration([]) });
  commitAll(dir, 'apps');
  assert.equal(checkJson(dir).report.findings, []);
});

test('settings reader: the shapes it follows', () => {
  assert.is(settingsModuleOf(MANAGE), 'proj.settings');
  assert.is(settingsModuleOf(`import os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'a.b'\n`), 'a.b');
  assert.is(settingsModuleOf(`import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", f"{x}.settings")\n`), null);
  assert.equal(settingsSteps('from .base import *\ninclude("settings.dist.py", optional("local_settings.py"))\nMIGRATION_MODULES = dict(a="x.y", b=None)\nMIGRATION_MODULES.update({"c": "c.m"})\n'), [
    { kind: 'import', module: '.base' },
    { kind: 'include', files: ['settings.dist.py', 'local_settings.py'] },
    { kind: 'set', value: { a: 'x.y', b: null } },
    { kind: 'update', value: { c: 'c.m' } },
  ]);
  assert.equal(settingsSteps('MIGRATION_MODULES = DisableMigrations()\n'), [{ kind: 'set', value: null }]);
  // split-settings include, relative to the including file; the later assignment wins.
  const layout = projectLayout(
    [''],
    new Map([
      ['manage.py', 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings.settings")\n'],
      ['site/settings/settings.py', 'include("settings.dist.py", optional("local_settings.py"))\n'],
      ['site/settings/settings.dist.py', 'if env("X"):\n    MIGRATION_MODULES = {"dojo": "dojo.db_migrations"}\n'],
    ]),
  );
  assert.equal([...layout.moved], [['dojo/db_migrations', 'dojo']]);
  // A value that is not a literal: not known, so nothing is moved.
  const unknown = projectLayout([''], new Map([['manage.py', MANAGE], ['proj/settings.py', 'MIGRATION_MODULES = compute()\n']]));
  assert.equal([...unknown.moved], []);
});

test('apps.py reader: the AppConfig whose name is the app, the default one among several', () => {
  const two = appConfigsOf(
    'from django.apps import AppConfig\n\nclass A(AppConfig):\n    name = "shop"\n    label = "a"\n\n    def ready(self):\n        label = "no"\n\nclass B(AppConfig):\n    name = "shop"\n    label = "b"\n    default = True\n',
  );
  assert.is(appConfigLabel(two, 'shop'), 'b');
  assert.is(appConfigLabel(two, 'other'), null);
  assert.is(appConfigLabel(appConfigsOf('class C(AppConfig):\n    name = "wagtail.contrib.forms"\n'), 'wagtail.contrib.forms'), 'forms');
  assert.is(appConfigLabel(appConfigsOf('class C(AppConfig):\n    name = "blog"\n    label = "journal"\n'), 'src.blog'), 'journal');
  // Two candidates and no default: Django would refuse; migcheck falls back to guessing.
  assert.is(appConfigLabel(appConfigsOf('class A(AppConfig):\n    name = "s"\nclass B(AppConfig):\n    name = "s"\n'), 's'), null);
});


test('a forked app (its AppConfig extends the original and keeps its label) is checked on its own, not a duplicate label', () => {
  const dir = makeRepo('migcheck-fork-');
  repos.push(dir);
  const original = `from django.apps import AppConfig\n\n\nclass CatalogueConfig(AppConfig):\n    label = "catalogue"\n    name = "shop.catalogue"\n`;
  const fork = `from shop.catalogue import apps\n\n\nclass CatalogueConfig(apps.CatalogueConfig):\n    name = "tests.site.catalogue"\n`;
  const files: Record<string, string> = {
    'shop/__init__.py': '',
    'shop/catalogue/__init__.py': '',
    'shop/catalogue/apps.py': original,
    'shop/catalogue/migrations/__init__.py': '',
    'shop/catalogue/migrations/0001_initial.py': migration([]),
    'shop/catalogue/migrations/0002_a.py': migration([['catalogue', '0001_initial']]),
    'tests/__init__.py': '',
    'tests/site/__init__.py': '',
    'tests/site/catalogue/__init__.py': '',
    'tests/site/catalogue/apps.py': fork,
    'tests/site/catalogue/migrations/__init__.py': '',
    'tests/site/catalogue/migrations/0001_initial.py': migration([]),
    'tests/site/catalogue/migrations/0002_fork.py': migration([['catalogue', '0001_initial']]),
  };
  writeFiles(dir, files);
  commitAll(dir, 'original and fork');
  const quiet = runCli(['check', '--format', 'json'], { cwd: dir });
  const report = parseJsonReport<Report>(quiet);
  assert.is(quiet.code, 0, quiet.stdout);
  assert.equal(report.findings, []);
  assert.equal(report.apps.map((a) => [a.label, a.path, a.leaves]), [
    ['catalogue', 'shop/catalogue/migrations', ['0002_a']],
    ['catalogue', 'tests/site/catalogue/migrations', ['0002_fork']],
  ]);

  // A conflict inside the fork is still found: each copy is a graph of its own.
  writeFiles(dir, { 'tests/site/catalogue/migrations/0002_other.py': migration([['catalogue', '0001_initial']]) });
  const conflict = parseJsonReport<Report>(runCli(['check', '--format', 'json'], { cwd: dir }));
  assert.equal(conflict.findings.map((f) => [f.code, f.file, f.migrations]), [
    ['multiple-leaves', 'tests/site/catalogue/migrations/0002_fork.py', ['0002_fork', '0002_other']],
  ]);

  // Two apps that both subclass AppConfig itself and claim one label are Django's duplicate.
  writeFiles(dir, { 'tests/site/catalogue/apps.py': fork.replace('apps.CatalogueConfig', 'AppConfig').replace('from shop.catalogue import apps', 'from django.apps import AppConfig') });
  removeFiles(dir, ['tests/site/catalogue/migrations/0002_other.py']);
  const dup = parseJsonReport<Report>(runCli(['check', '--format', 'json'], { cwd: dir }));
  assert.equal(dup.findings.map((f) => f.code), ['duplicate-label']);
});

test.run();
