// The pure half of deploy-check's schema check: Django's names and types from operations, and each
// pending step walked against a database's tables (no database here: the tables are given).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appliedKey, buildGraph, type MigrationInput } from '../src/core/graph.js';
import { parseMigration } from '../src/core/parse.js';
import { migratePlan } from '../src/core/plan.js';
import { checkPlanAgainstSchema } from '../src/core/schema-check.js';
import { columnType, expectedColumns, fieldColumn, fieldDef, manyToManyTable, type DbSchema, type DbTable, type ModelState } from '../src/core/schema.js';

function migration(app: string, name: string, deps: string[], ops: string): MigrationInput {
  const text = `from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n    dependencies = [${deps.map((d) => `('${app}', '${d}')`).join(', ')}]\n    operations = [\n${ops}\n    ]\n`;
  return { app, name, path: `${app}/migrations/${name}.py`, parsed: parseMigration(text) };
}

const table = (name: string, columns: Array<[string, string, boolean?]>): DbTable => ({
  name,
  schema: 'public',
  columns: columns.map(([n, type, nullable]) => ({ name: n, type, nullable: nullable ?? false })),
  indexes: [],
});

function check(migrations: MigrationInput[], applied: string[], tables: DbTable[], engine: 'postgresql' | 'sqlite' = 'postgresql') {
  const graph = buildGraph(migrations);
  const done = new Set(applied.map((n) => appliedKey('lib', n)));
  const plan = migratePlan(graph, done);
  const schema: DbSchema = { engine, schemas: engine === 'postgresql' ? ['public'] : [], tables };
  return checkPlanAgainstSchema({ graph, applied: done, plan, schema });
}

const AUTHOR = `        migrations.CreateModel(name='Author', fields=[('id', models.BigAutoField(primary_key=True, serialize=False)), ('name', models.CharField(max_length=50))]),`;
const BOOK = `        migrations.CreateModel(name='Book', fields=[
            ('id', models.AutoField(primary_key=True, serialize=False)),
            ('author', models.ForeignKey('lib.author', on_delete=models.CASCADE)),
            ('editor', models.ForeignKey(on_delete=models.SET_NULL, null=True, to='lib.author', db_column='ed')),
            ('price', models.DecimalField(max_digits=8, decimal_places=2)),
            ('tags', models.ManyToManyField(to='lib.author', related_name='tagged')),
        ], options={'db_table': 'books'}),`;

test('fields: columns by Django\'s rules (db_column, _id for relations, none for many-to-many), types per engine', () => {
  const author: ModelState = { app: 'lib', name: 'Author', table: 'lib_author', fields: [fieldDef('id', 'models.BigAutoField(primary_key=True, serialize=False)')] };
  const models = new Map([['lib.author', author]]);
  const fk = fieldDef('author', "models.ForeignKey('lib.author', on_delete=models.CASCADE)");
  assert.equal([fk.cls, fk.to, fieldColumn(fk)], ['ForeignKey', 'lib.author', 'author_id']);
  assert.is(fieldColumn(fieldDef('editor', "models.ForeignKey(to='lib.author', db_column='ed', on_delete=models.CASCADE)")), 'ed');
  assert.is(fieldColumn(fieldDef('tags', "models.ManyToManyField(to='lib.author')")), null);
  // A foreign key to a BigAutoField is a bigint on both (rel_db_type), the key itself bigserial/integer.
  assert.equal(['postgresql', 'sqlite'].map((e) => columnType(e as 'postgresql', fk, models, 'lib', 'book')), ['bigint', 'bigint']);
  assert.equal(['postgresql', 'sqlite'].map((e) => columnType(e as 'postgresql', author.fields[0], models, 'lib', 'author')), ['bigint', 'integer']);
  const price = fieldDef('price', 'models.DecimalField(decimal_places=2, max_digits=8, null=True)');
  assert.equal(expectedColumns('postgresql', { ...author, fields: [price] }, models), [{ name: 'price', type: 'numeric(8,2)', nullable: true }]);
  assert.is(columnType('postgresql', fieldDef('slug', 'models.SlugField()'), models, 'lib', 'x'), 'character varying(50)');
  assert.is(columnType('postgresql', fieldDef('x', 'myapp.fields.Funny(max_length=3)'), models, 'lib', 'x'), null);
  const m2m = manyToManyTable('postgresql', { ...author, table: 'books', name: 'Book' }, fieldDef('tags', "models.ManyToManyField(to='lib.author')"), models)!;
  assert.equal([m2m.table, m2m.columns.map((c) => c.name)], ['books_tags', ['id', 'book_id', 'author_id']]);
  const self = manyToManyTable('postgresql', author, fieldDef('friends', "models.ManyToManyField(to='self')"), models)!;
  assert.equal(self.columns.map((c) => c.name), ['id', 'from_author_id', 'to_author_id']);
});

test('a plan walked in order: a later step sees the tables an earlier one makes; many-to-many tables; the same columns -> fake', () => {
  const migrations = [migration('lib', '0001_initial', [], AUTHOR), migration('lib', '0002_book', ['0001_initial'], BOOK), migration('lib', '0003_price', ['0002_book'], "        migrations.AlterField(model_name='book', name='price', field=models.DecimalField(max_digits=10, decimal_places=2)),")];
  const author = table('lib_author', [['id', 'bigint'], ['name', 'character varying(50)']]);
  const fresh = check(migrations, ['0001_initial'], [author]);
  assert.equal(fresh.map((s) => [s.name, s.verdict, s.fails]), [['0002_book', 'runs', null], ['0003_price', 'runs', null]]);
  assert.equal(fresh[0].ops.map((o) => [o.target, o.status]), [['table books', 'new'], ['table books_tags', 'new']]);

  const books = table('books', [['id', 'integer'], ['author_id', 'bigint'], ['ed', 'bigint', true], ['price', 'numeric(8,2)']]);
  const tags = table('books_tags', [['id', 'integer'], ['book_id', 'integer'], ['author_id', 'bigint']]);
  const there = check(migrations, ['0001_initial'], [author, books, tags]);
  assert.equal(there.map((s) => [s.name, s.verdict, s.fails]), [['0002_book', 'fake', 'relation "books" already exists'], ['0003_price', 'runs', null]]);

  const wrong = table('books', [['id', 'integer'], ['author_id', 'integer'], ['price', 'numeric(8,2)', true]]);
  const [step] = check(migrations, ['0001_initial'], [author, wrong, tags]);
  assert.is(step.verdict, 'differs');
  assert.equal(step.ops[0].differences, {
    missing: ['ed'],
    extra: [],
    types: [{ column: 'author_id', database: 'integer', code: 'bigint' }],
    nullable: [{ column: 'price', database: true, code: false }],
    both: [],
  });
  // The AlterField already done by hand: faking 0003 is safe.
  const altered = table('books', [['id', 'integer'], ['author_id', 'bigint'], ['ed', 'bigint', true], ['price', 'numeric(10,2)']]);
  const done = check(migrations, ['0001_initial', '0002_book'], [author, altered, tags]);
  assert.equal(done.map((s) => [s.name, s.verdict, s.fails]), [['0003_price', 'fake', null]]);
});

test('renames, drops and missing tables: what is already done, what fails, per engine', () => {
  const base = migration('lib', '0001_initial', [], AUTHOR);
  const ops = [
    migration('lib', '0002_rename', ['0001_initial'], "        migrations.RenameField(model_name='author', old_name='name', new_name='full_name'),"),
    migration('lib', '0003_drop', ['0002_rename'], "        migrations.DeleteModel(name='Author'),"),
  ];
  const renamed = table('lib_author', [['id', 'bigint'], ['full_name', 'character varying(50)']]);
  const pg = check([base, ...ops], ['0001_initial'], [renamed]);
  assert.equal(pg.map((s) => [s.name, s.verdict, s.fails]), [['0002_rename', 'fake', 'column "name" does not exist'], ['0003_drop', 'runs', null]]);
  const gone = check([base, ...ops], ['0001_initial'], []);
  assert.equal(gone.map((s) => [s.name, s.verdict, s.fails]), [['0002_rename', 'differs', 'relation "lib_author" does not exist'], ['0003_drop', 'fake', 'table "lib_author" does not exist']]);
  const lite = check([base, ...ops], ['0001_initial'], [], 'sqlite');
  assert.equal(lite.map((s) => s.fails), ['no such table: lib_author', 'no such table: lib_author']);
  // RenameModel moves the default table; a step that adds a column then finds it under the new name.
  const moved = [base, migration('lib', '0002_writer', ['0001_initial'], "        migrations.RenameModel(old_name='Author', new_name='Writer'),\n        migrations.AddField(model_name='writer', name='bio', field=models.TextField(default='')),")];
  const [step] = check(moved, ['0001_initial'], [table('lib_author', [['id', 'bigint'], ['name', 'character varying(50)']])]);
  assert.equal(step.ops.map((o) => [o.target, o.status]), [['table lib_author', 'new'], ['column lib_writer.bio', 'new']]);
});

test('SeparateDatabaseAndState: its database operations are checked; RunSQL and RunPython are opaque', () => {
  const base = migration('lib', '0001_initial', [], AUTHOR);
  const sep = migration('lib', '0002_sep', ['0001_initial'], `        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL('ALTER TABLE lib_author ADD COLUMN bio text')],
            state_operations=[migrations.AddField(model_name='author', name='bio', field=models.TextField(null=True))],
        ),
        migrations.AddField(model_name='author', name='age', field=models.IntegerField(null=True)),`);
  const [step] = check([base, sep], ['0001_initial'], [table('lib_author', [['id', 'bigint'], ['name', 'character varying(50)']])]);
  assert.equal(step.ops.map((o) => [o.label, o.status]), [['RunSQL', 'opaque'], ['AddField author.age', 'new']]);
  assert.is(step.verdict, 'runs');
});

test('no table for unmanaged and proxy models; after a pending RunSQL, a missing table is not said to fail', () => {
  const base = migration('lib', '0001_initial', [], AUTHOR);
  const views = migration('lib', '0002_views', ['0001_initial'], `        migrations.CreateModel(name='Report', fields=[('id', models.AutoField(primary_key=True))], options={'managed': False}),
        migrations.CreateModel(name='Famous', fields=[], options={'proxy': True}, bases=('lib.author',)),
        migrations.AddField(model_name='report', name='total', field=models.IntegerField(default=0)),`);
  const [step] = check([base, views], ['0001_initial'], [table('lib_author', [['id', 'bigint'], ['name', 'character varying(50)']]), table('lib_report', [['id', 'integer']])]);
  assert.equal([step.verdict, step.ops.map((o) => o.status)], ['runs', ['state', 'state', 'state']]);

  const sql = migration('lib', '0002_sql', ['0001_initial'], "        migrations.RunSQL('CREATE TABLE lib_shelf (id integer)'),");
  const shelf = migration('lib', '0003_shelf', ['0002_sql'], `        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(name='Shelf', fields=[('id', models.AutoField(primary_key=True))])]),
        migrations.AddField(model_name='shelf', name='label', field=models.CharField(max_length=5, default='')),`);
  const walked = check([base, sql, shelf], ['0001_initial'], [table('lib_author', [['id', 'bigint'], ['name', 'character varying(50)']])]);
  assert.equal(walked.map((s) => [s.name, s.verdict, s.fails]), [['0002_sql', 'runs', null], ['0003_shelf', 'runs', null]]);
  // Without the RunSQL before it, the same AddField is said to fail.
  const alone = check([base, migration('lib', '0002_sql', ['0001_initial'], ''), shelf], ['0001_initial', '0002_sql'], [table('lib_author', [['id', 'bigint'], ['name', 'character varying(50)']])]);
  assert.equal(alone.map((s) => [s.name, s.verdict, s.fails]), [['0003_shelf', 'differs', 'relation "lib_shelf" does not exist']]);
});

test.run();
