// Operation clashes: every pair of the operation kinds migcheck reads, on the same model and field,
// with the verdict a reviewer would give. Each side is a real migration module through the parser.
import { spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { clashBetween, clashSeverity, findClashes, type ClashReason } from '../src/core/clash-rules.js';
import { irreversibleSteps, readOperations } from '../src/core/ops.js';
import { parseMigration } from '../src/core/parse.js';
import { PYTHON, requireDjango } from './helpers/django.js';

const module = (ops: string) =>
  'from django.db import migrations, models\n\n\ndef forwards(apps, schema_editor):\n    pass\n\n\ndef backwards(apps, schema_editor):\n    pass\n\n\n' +
  `class Migration(migrations.Migration):\n\n    dependencies = [\n        ('blog', '0001_initial'),\n    ]\n\n    operations = [\n        ${ops},\n    ]\n`;
/** The line `ops` starts on in `module(ops)`. */
const OP_LINE = 19;
const parsed = (ops: string) => {
  const p = parseMigration(module(ops));
  assert.is(p.error, null, `parse error in ${ops}`);
  return p.operations;
};
const side = (name: string, ops: string) => [{ name, path: `blog/migrations/${name}.py`, operations: parsed(ops) }];
const clashes = (a: string, b: string) => findClashes('blog', side('0002_a', a), side('0002_b', b));

// One operation of each kind, all on model Post (written in varying case) and its field `title`.
const KINDS: Record<string, string> = {
  C: "migrations.CreateModel(name='Post', fields=[('id', models.AutoField(primary_key=True)), ('title', models.CharField(max_length=100))])",
  D: "migrations.DeleteModel(name='Post')",
  RM: "migrations.RenameModel(old_name='Post', new_name='Article')",
  T: "migrations.AlterModelTable(name='post', table='blog_posts')",
  'F+': "migrations.AddField(model_name='post', name='title', field=models.CharField(max_length=100))",
  'F-': "migrations.RemoveField(model_name='Post', name='title')",
  'F~': "migrations.AlterField(model_name='post', name='Title', field=models.CharField(max_length=200))",
  FR: "migrations.RenameField(model_name='post', old_name='title', new_name='headline')",
  'I+': "migrations.AddIndex(model_name='post', index=models.Index(fields=['-title'], name='post_title_idx'))",
  'I-': "migrations.RemoveIndex(model_name='post', name='post_title_idx')",
  'K+': "migrations.AddConstraint(model_name='post', constraint=models.UniqueConstraint(fields=['title'], name='post_title_uniq'))",
  'K-': "migrations.RemoveConstraint(model_name='post', name='post_title_uniq')",
  UT: "migrations.AlterUniqueTogether(name='post', unique_together={('title', 'body')})",
  IT: "migrations.AlterIndexTogether(name='post', index_together={('title', 'body')})",
  SQL: "migrations.RunSQL('UPDATE blog_post SET title = upper(title)', reverse_sql=migrations.RunSQL.noop)",
  PY: 'migrations.RunPython(forwards, backwards)',
  SDS: 'migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[])',
};

const REASONS: Record<string, ClashReason> = {
  ct: 'model-created-twice',
  dt: 'model-deleted-twice',
  rt: 'model-renamed-twice',
  lc: 'model-lifecycle',
  fa: 'field-added-twice',
  fx: 'field-removed-twice',
  fra: 'field-removed-and-altered',
  fr: 'field-renamed',
  fc: 'field-added-and-changed',
  fu: 'field-still-used',
  ix: 'index-twice',
  kx: 'constraint-twice',
};

// The expected verdict of each pair (upper triangle; `.` = no clash). Read a row against a column:
// one branch does the row's operation, its sibling the column's.
const MATRIX = `
      C   D   RM  T   F+  F-  F~  FR  I+  I-  K+  K-  UT  IT  SQL PY  SDS
C     ct  lc  lc  lc  lc  lc  lc  lc  lc  lc  lc  lc  lc  lc  .   .   .
D         dt  lc  lc  lc  lc  lc  lc  lc  lc  lc  lc  lc  lc  .   .   .
RM            rt  lc  lc  lc  lc  lc  lc  lc  lc  lc  lc  lc  .   .   .
T                 .   .   .   .   .   .   .   .   .   .   .   .   .   .
F+                    fa  fc  fc  fr  .   .   .   .   .   .   .   .   .
F-                        fx  fra fr  fu  .   fu  .   fu  fu  .   .   .
F~                            .   fr  .   .   .   .   .   .   .   .   .
FR                                fr  fu  .   fu  .   fu  fu  .   .   .
I+                                    ix  ix  .   .   .   .   .   .   .
I-                                        ix  .   .   .   .   .   .   .
K+                                            kx  kx  .   .   .   .   .
K-                                                kx  .   .   .   .   .
UT                                                    .   .   .   .   .
IT                                                        .   .   .   .
SQL                                                           .   .   .
PY                                                                .   .
SDS                                                                   .
`;

function expectedPairs(): Array<{ a: string; b: string; reason: ClashReason | null }> {
  const lines = MATRIX.trim().split('\n');
  const columns = lines[0].trim().split(/\s+/);
  const out: Array<{ a: string; b: string; reason: ClashReason | null }> = [];
  for (const line of lines.slice(1)) {
    const [row, ...cells] = line.trim().split(/\s+/);
    const start = columns.indexOf(row);
    assert.is(cells.length, columns.length - start, `row ${row} has ${cells.length} cells`);
    cells.forEach((cell, i) => {
      const reason = cell === '.' ? null : REASONS[cell];
      assert.ok(cell === '.' || reason, `unknown cell ${cell}`);
      out.push({ a: row, b: columns[start + i], reason });
    });
  }
  return out;
}

const test = suite('ops: the clash matrix');

test('the matrix covers every pair of the 17 operation kinds, both ways', () => {
  const pairs = expectedPairs();
  assert.is(pairs.length, (17 * 18) / 2);
  assert.equal(new Set(pairs.flatMap((p) => [p.a, p.b])), new Set(Object.keys(KINDS)));
  const wrong: string[] = [];
  for (const { a, b, reason } of pairs) {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      const found = clashes(KINDS[x], KINDS[y]);
      const got = found.length ? found.map((c) => c.reason).join(',') : null;
      if (got !== reason) wrong.push(`${x} x ${y}: expected ${reason ?? 'no clash'}, got ${got ?? 'no clash'}`);
    }
  }
  assert.equal(wrong, []);
});

test('clashBetween is symmetric on single operations too', () => {
  for (const x of Object.values(KINDS)) {
    for (const y of Object.values(KINDS)) {
      const [a] = readOperations(parsed(x));
      const [b] = readOperations(parsed(y));
      assert.equal(clashBetween(a, b)?.reason ?? null, clashBetween(b, a)?.reason ?? null, `${x} / ${y}`);
    }
  }
});

test('same field added twice: says whether the definitions are the same', () => {
  const [same] = clashes(KINDS['F+'], "migrations.AddField(model_name='Post', name='TITLE', field=models.CharField(\n    max_length=100,\n))");
  assert.is(same.reason, 'field-added-twice');
  assert.is(same.same, true, 'whitespace, a trailing comma and name case do not make a difference');
  const [differ] = clashes(KINDS['F+'], "migrations.AddField(model_name='post', name='title', field=models.TextField())");
  assert.is(differ.same, false);
  assert.is(differ.target, 'field post.title');
  assert.is(differ.left.op.op.line, OP_LINE);
  const [created] = clashes(KINDS.C, "migrations.CreateModel(name='post', fields=[('id', models.AutoField(primary_key=True))])");
  assert.equal([created.reason, created.same], ['model-created-twice', false]);
});

test('the same change on both sides is no clash; a different one is', () => {
  assert.equal(clashes(KINDS['F~'], KINDS['F~']), []);
  assert.is(clashes(KINDS['F~'], "migrations.AlterField(model_name='post', name='title', field=models.CharField(max_length=50))")[0].reason, 'field-altered-differently');
  assert.is(clashes(KINDS.T, "migrations.AlterModelTable(name='Post', table='posts')")[0].reason, 'table-changed-differently');
  assert.is(clashes(KINDS.UT, "migrations.AlterUniqueTogether(name='post', unique_together={('title', 'slug')})")[0].reason, 'together-changed-differently');
  assert.equal(clashes(KINDS.UT, KINDS.IT), [], 'unique_together and index_together are different options');
});

test('severity: an error where migrate fails or loses data, a warning where only the order decides', () => {
  const warnings = ['field-altered-differently', 'table-changed-differently', 'together-changed-differently', 'options-changed-differently'];
  for (const reason of [...Object.values(REASONS), 'same-table'] as ClashReason[]) assert.is(clashSeverity(reason), 'error', reason);
  for (const reason of warnings as ClashReason[]) assert.is(clashSeverity(reason), 'warning', reason);
  const opts = (o: string) => `migrations.AlterModelOptions(name='post', options={${o}})`;
  assert.is(clashes(opts("'ordering': ['title']"), opts("'ordering': ['-title']"))[0].reason, 'options-changed-differently');
  assert.equal(clashes(opts("'ordering': ['title']"), opts("'ordering': ['title']")), []);
  assert.equal(clashes(opts("'ordering': ['title']"), "migrations.AlterModelManagers(name='post', managers=[])"), [], 'options and managers are different things');
});

test('different models, fields, indexes and constraints do not clash', () => {
  assert.equal(clashes(KINDS['F+'], "migrations.AddField(model_name='comment', name='title', field=models.TextField())"), []);
  assert.equal(clashes(KINDS['F+'], "migrations.AddField(model_name='post', name='slug', field=models.SlugField())"), []);
  assert.equal(clashes(KINDS['F-'], "migrations.AddIndex(model_name='post', index=models.Index(fields=['body'], name='post_body_idx'))"), []);
  assert.equal(clashes(KINDS['I+'], "migrations.AddIndex(model_name='post', index=models.Index(fields=['title'], name='other_idx'))"), []);
  assert.equal(clashes(KINDS.C, "migrations.CreateModel(name='Comment', fields=[('id', models.AutoField(primary_key=True))])"), []);
});

test('a check constraint that uses a field the other side removes', () => {
  const check = "migrations.AddConstraint(model_name='post', constraint=models.CheckConstraint(check=models.Q(title__startswith='A'), name='post_a'))";
  assert.is(clashes(check, KINDS['F-'])[0].reason, 'field-still-used');
  assert.equal(clashes(check, "migrations.RemoveField(model_name='post', name='body')"), []);
});

test('two models with one db_table; a rename onto a created name', () => {
  const a = "migrations.CreateModel(name='Post', fields=[], options={'db_table': 'shared'})";
  const b = "migrations.CreateModel(name='Article', fields=[], options={'db_table': 'shared'})";
  const [c] = clashes(a, b);
  assert.equal([c.reason, c.target], ['same-table', 'table shared']);
  assert.is(clashes("migrations.CreateModel(name='Legacy', fields=[])", "migrations.AlterModelTable(name='post', table='blog_legacy')")[0].reason, 'same-table');
  assert.is(clashes("migrations.CreateModel(name='Article', fields=[])", KINDS.RM)[0].reason, 'model-created-twice');
});

test('state_operations of SeparateDatabaseAndState and RunSQL are read', () => {
  const sds = `migrations.SeparateDatabaseAndState(state_operations=[${KINDS.C}], database_operations=[])`;
  const [c] = clashes(sds, KINDS.C);
  assert.is(c.reason, 'model-created-twice');
  assert.is(c.left.op.via, 'SeparateDatabaseAndState');
  assert.is(c.left.op.kind, 'CreateModel');
  const sql = `migrations.RunSQL('ALTER TABLE blog_post DROP COLUMN title', state_operations=[${KINDS['F-']}])`;
  assert.is(clashes(sql, KINDS['F~'])[0].reason, 'field-removed-and-altered');
});

test('operations on what the same side created first are represented by the creation', () => {
  const a = [KINDS.C, "migrations.AddField(model_name='post', name='extra', field=models.IntegerField())", "migrations.AlterField(model_name='post', name='extra', field=models.BigIntegerField())"].join(',\n        ');
  const found = clashes(a, KINDS.C);
  assert.equal(found.map((c) => c.reason), ['model-created-twice']);
  // A field added on one side and then altered there: only the addition clashes with the sibling's.
  const b = [KINDS['F+'], "migrations.AlterField(model_name='post', name='title', field=models.TextField())"].join(',\n        ');
  assert.equal(clashes(b, KINDS['F+']).map((c) => c.reason), ['field-added-twice']);
});

test('several migrations per side: each pair of migrations and thing reported once', () => {
  const left = [...side('0002_a', KINDS['F+']), ...side('0003_a', KINDS['F-'])];
  const right = side('0002_b', KINDS['F~']);
  const found = findClashes('blog', left, right).map((c) => `${c.left.migration}/${c.right.migration}: ${c.reason}`);
  assert.equal(found, ['0002_a/0002_b: field-added-and-changed']);
});

const irreversible = suite('ops: irreversible steps');

const REVERSIBILITY: Array<[string, boolean]> = [
  ['migrations.RunPython(forwards)', false],
  ['migrations.RunPython(forwards, None)', false],
  ['migrations.RunPython(code=forwards, reverse_code=None)', false],
  ['migrations.RunPython(forwards, migrations.RunPython.noop)', true],
  ['migrations.RunPython(forwards, reverse_code=backwards)', true],
  ["migrations.RunSQL('SELECT 1')", false],
  ["migrations.RunSQL('SELECT 1', None)", false],
  ["migrations.RunSQL('SELECT 1', reverse_sql='')", true],
  ["migrations.RunSQL('SELECT 1', migrations.RunSQL.noop)", true],
  ["migrations.RunSQL(sql='SELECT 1', reverse_sql=['SELECT 2'])", true],
];

irreversible('RunPython/RunSQL reversibility agrees with Django\'s `reversible`', () => {
  requireDjango();
  const script = [
    'import json, sys',
    'import django',
    'from django.conf import settings',
    'settings.configure()',
    'django.setup()',
    'from django.db import migrations, models',
    'def forwards(apps, schema_editor): pass',
    'def backwards(apps, schema_editor): pass',
    'print(json.dumps([eval(e).reversible for e in json.load(sys.stdin)]))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(REVERSIBILITY.map(([e]) => e)), encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const django = JSON.parse(r.stdout) as boolean[];
  REVERSIBILITY.forEach(([expr, expected], i) => {
    assert.is(django[i], expected, `Django: ${expr}`);
    assert.is(irreversibleSteps(parsed(expr)).length === 0, expected, `migcheck: ${expr}`);
  });
});

irreversible('inside SeparateDatabaseAndState database_operations; not in state_operations', () => {
  const steps = irreversibleSteps(parsed('migrations.SeparateDatabaseAndState(database_operations=[migrations.RunPython(forwards)])'));
  assert.equal(steps.map((s) => [s.kind, s.missing, s.via, s.line]), [['RunPython', 'reverse_code', 'SeparateDatabaseAndState', OP_LINE]]);
  assert.equal(irreversibleSteps(parsed('migrations.SeparateDatabaseAndState(state_operations=[migrations.RunPython(forwards)])')), []);
});

test.run();
irreversible.run();
