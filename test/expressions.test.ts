// Expression forms inside operation calls that hold commas or colons of their own: lambdas (with
// defaults, even lambda defaults), conditional and generator expressions, walrus, f-strings,
// comprehensions, starred arguments. The parser must split the call's arguments where Python does;
// Django 3.2 (Python itself importing the module) is the oracle for which RunPython/RunSQL steps
// have a reverse, and the real CLI must warn `irreversible` exactly for those without.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { irreversibleOperations } from '../src/core/plan.js';
import { parseMigration, provideSource } from '../src/core/parse.js';
import { PYTHON, requireDjango } from './helpers/django.js';
import { branch, checkout, commitAll, makeRepo, parseJsonReport, removeDir, runCli, tempDir, writeFiles } from './helpers/repo.js';
import { migrationSource } from './helpers/trees.js';

const dirs: string[] = [];
test.after(() => dirs.forEach(removeDir));

/** One operation each; `f`, `g`, `X`, `d`, `y` are module-level names the file defines. */
const OPERATIONS = [
  'migrations.RunPython(lambda apps, schema_editor: None)',
  'migrations.RunPython(forwards, lambda apps, schema_editor: None)',
  'migrations.RunPython(lambda apps, schema_editor: None, lambda apps, schema_editor: None)',
  'migrations.RunPython(lambda apps, se=1: None)',
  'migrations.RunPython(lambda apps, se=lambda a, b: 1: None)',
  'migrations.RunPython(lambda *a, **k: None)',
  'migrations.RunPython(lambda apps, schema_editor: [x for x in y if x], elidable=True)',
  'migrations.RunPython(lambda a, b: {1: 2}, lambda a, b: d[1:2])',
  'migrations.RunPython(f if X else g)',
  'migrations.RunPython(f, g if X else None)',
  'migrations.RunPython(f, (h := g))',
  'migrations.RunPython(code=f, reverse_code=migrations.RunPython.noop)',
  'migrations.RunPython(*[f, g])',
  "migrations.RunPython(**{'code': f, 'reverse_code': g})",
  "migrations.RunSQL(f'select {X}, {X}')",
  "migrations.RunSQL(f'select {X}, {X}', '')",
  "migrations.RunSQL(['select 1' for _ in y], [s for s in ('a, b',)])",
  "migrations.RunSQL((s for s in ('a', 'b')), reverse_sql=[s for s in {'a': 1, **{}}])",
  "migrations.RunSQL({s for s in ('a',)}, {k: v for k, v in d.items()})",
];

function moduleSource(): string {
  return [
    'from django.db import migrations',
    '',
    'def forwards(apps, schema_editor):',
    '    pass',
    '',
    'f = g = forwards',
    'X = True',
    'y = [1]',
    'd = {1: 2}',
    '',
    '',
    'class Migration(migrations.Migration):',
    '',
    '    dependencies = []',
    '',
    '    operations = [',
    ...OPERATIONS.map((op) => `        ${op},`),
    '    ]',
    '',
  ].join('\n');
}

/** Python's answer: for each operation, whether Django can unapply it (`reversible`). */
function pythonReversible(file: string): boolean[] {
  requireDjango();
  const script = [
    'import importlib.util, json, sys',
    'spec = importlib.util.spec_from_file_location("m", sys.argv[1])',
    'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
    'print(json.dumps([op.reversible for op in m.Migration.operations]))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as boolean[];
}

test('each operation is read as Python reads it: the same reverse arguments as Django sees', () => {
  const dir = tempDir();
  dirs.push(dir);
  const src = moduleSource();
  writeFiles(dir, { 'm.py': src });
  const theirs = pythonReversible(join(dir, 'm.py'));
  const parsed = parseMigration(src);
  assert.is(parsed.error, null);
  provideSource(parsed, src);
  assert.is(parsed.operations.length, OPERATIONS.length);
  const flagged = new Set(irreversibleOperations(parsed.operations).map((s) => s.line));
  const ours = parsed.operations.map((op) => !flagged.has(op.line));
  const diffs = OPERATIONS.map((op, i) => (ours[i] === theirs[i] ? null : `${op}: Django reversible=${theirs[i]}, migcheck ${ours[i]}`)).filter(Boolean);
  // Starred arguments hide what they hold: migcheck does not guess, so it never warns on them
  // (`*[f, g]` and `**{...}` give a reverse here, so both agree).
  assert.equal(diffs, []);
  // Some of each kind, so the comparison means something.
  assert.ok(theirs.filter((r) => !r).length >= 5 && theirs.filter(Boolean).length >= 5, JSON.stringify(theirs));
});

test('a lambda as the only RunPython argument: the new step is warned irreversible (seed 001\'s story)', () => {
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
  writeFiles(dir, {
    'blog/migrations/0002_seed.py': migrationSource({
      name: '0002_seed',
      deps: [['blog', '0001_initial']],
      ops: '        migrations.RunPython(lambda apps, schema_editor: None),\n',
    }),
  });
  commitAll(dir, 'seed');
  checkout(dir, 'main');
  writeFiles(dir, { 'blog/migrations/0002_other.py': migrationSource({ name: '0002_other', deps: [['blog', '0001_initial']] }) });
  commitAll(dir, 'other');
  checkout(dir, 'feature');
  // The branch's new steps are warned in the prediction of merging it with main.
  const r = runCli(['check', '--against', 'main', '--format', 'json'], { cwd: dir });
  const report = parseJsonReport<{ against: Array<{ findings: Array<{ code: string; migrations: string[] }> }> }>(r);
  const irreversible = report.against[0].findings.filter((f) => f.code === 'irreversible').map((f) => f.migrations[0]);
  assert.equal(irreversible, ['0002_seed'], r.stdout);
});

test.run();
