// Seed 000, for real, judged by the database's tables. Production applied healthcare.0003_billing_payment_…
// from a file that was never committed; the code ships 0003_billing_alter_…. deploy-check reads the
// tables production has and says, step by step, what `migrate` will meet: the exact `--fake` when
// the tables are what the code makes, the differing columns (and no fake) when they are not.
// Django 3.2 and one throwaway PostgreSQL cluster per file play production.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PYTHON, git, manage, manageOk, migcheck, requirePython, startCluster, storyRepo, switchToNext, type Cluster, type Run } from './fixtures/deploy/helpers.js';

const DEMO = fileURLToPath(new URL('../demo/healthcare/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/deploy/', import.meta.url));
const MIGRATIONS = 'healthcare/migrations';
const PROD = '0003_billing_payment_insuranceinformation_device_and_more';
const CODE = '0003_billing_alter_userprofile_role_payment_and_more';
const FAKE = `python manage.py migrate healthcare ${CODE} --fake`;
const show = (r: Run) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

interface Step {
  name: string;
  fails: string | null;
  schema: { verdict: string; ops: Array<{ label: string; status: string; target: string; database: { columns?: Array<{ name: string; type: string; nullable: boolean }> } | null }> };
}
const planOf = (r: Run) => (JSON.parse(r.stdout) as { plan: Step[] }).plan;

const dirs: string[] = [];
let cluster: Cluster | null = null;
async function pg(): Promise<Cluster> {
  requirePython(['django', 'psycopg2']);
  if (!cluster) {
    cluster = await startCluster();
    // healthcare 0001 and 0002 (with auth and contenttypes) once, as a template for each story.
    const dir = seedRepo();
    cluster.createdb('base');
    manageOk(dir, ['migrate', '-v', '0'], cluster.djangoEnv('base'));
  }
  return cluster;
}

test.after(() => {
  cluster?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The demo project with 0001 and 0002 in one commit; its database comes from the environment. */
function seedRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'migcheck-seed-'));
  dirs.push(dir);
  cpSync(DEMO, dir, { recursive: true, filter: (src) => !/0003_|db\.sqlite3|__pycache__/.test(src) });
  appendFileSync(join(dir, 'healthcare', 'settings.py'), readFileSync(join(FIXTURES, 'project', 'deployproj', 'settings.py'), 'utf8').split('\n').filter((l) => !/^(SECRET_KEY|INSTALLED_APPS|USE_TZ|TIME_ZONE|DEFAULT_AUTO_FIELD|""")/.test(l)).join('\n'));
  git(dir, ['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, '.git', 'info', 'exclude'), '*.sqlite3\n');
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'healthcare 0001 and 0002']);
  return dir;
}

/** Production migrates with a 0003 that is in no commit, and the file is gone afterwards. */
function productionApplies(dir: string, env: NodeJS.ProcessEnv, text: string): void {
  const file = join(dir, MIGRATIONS, `${PROD}.py`);
  writeFileSync(file, text);
  manageOk(dir, ['migrate', 'healthcare', '-v', '0'], env);
  rmSync(file);
  assert.is(git(dir, ['status', '--porcelain']), '');
}

/** The code to deploy: the demo's other 0003, committed (and more migrations, when given). */
function ship(dir: string, extra: Record<string, string> = {}): void {
  cpSync(join(DEMO, MIGRATIONS, `${CODE}.py`), join(dir, MIGRATIONS, `${CODE}.py`));
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, MIGRATIONS, `${name}.py`), text);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'ship']);
}

const demoText = (name: string) => readFileSync(join(DEMO, MIGRATIONS, `${name}.py`), 'utf8');
/** Production's 0003 made the same tables as the code's, from a file generated under another name. */
const sameAsCode = () => demoText(CODE).replace('on 2024-05-14 16:48', 'on 2024-05-13 10:02');

function migration(deps: string, operations: string): string {
  return `from django.db import migrations, models\n\n\ndef forwards(apps, schema_editor):\n    pass\n\n\nclass Migration(migrations.Migration):\n\n    dependencies = [\n        ('healthcare', '${deps}'),\n    ]\n\n    operations = [\n${operations}    ]\n`;
}
const ADD_INSURANCE = migration(CODE, "        migrations.AddField(\n            model_name='patient',\n            name='insurance_number',\n            field=models.CharField(blank=True, default='', max_length=30),\n        ),\n");

function printedFake(r: Run): string[] {
  const m = /`(python manage\.py migrate \S+ \S+ --fake)` is safe/.exec(r.stdout);
  assert.ok(m, `no safe fake printed\n${show(r)}`);
  return m![1].split(' ').slice(2);
}

test('PostgreSQL, seed 000: the 0003 production applied is in no commit; its tables match the code, so the exact --fake, and then migrate succeeds', async () => {
  const c = await pg();
  c.psql('postgres', 'CREATE DATABASE seed_match TEMPLATE base');
  const env = c.djangoEnv('seed_match');
  const dir = seedRepo();
  productionApplies(dir, env, sameAsCode());
  ship(dir, { '0004_patient_insurance_number': ADD_INSURANCE });
  const url = c.url('seed_match');

  const r = migcheck(['deploy-check', '--database', url], dir);
  assert.is(r.code, 1, show(r));
  assert.match(r.stdout, `1. healthcare.${CODE}  ✖ will fail: relation "billings" already exists`);
  assert.match(r.stdout, `tables billings and healthcare_payment exist with the same columns; columns healthcare_appointment.billed, healthcare_patient.billing_address and healthcare_userprofile.role exist as the code makes them → \`${FAKE}\` is safe`);
  assert.match(r.stdout, `${PROD}.py is in no commit: judged by the database's tables`);
  assert.match(r.stdout, `fix: record ${CODE} as applied without running it: \`${FAKE}\``);
  assert.match(r.stdout, 'tables in public)');
  assert.not.ok((r.stdout + r.stderr).includes(c.password), 'the password was printed');

  // The facts behind the verdict, in JSON: what the database has, what the code makes.
  const json = migcheck(['deploy-check', '--database', url, '--format', 'json'], dir);
  const report = JSON.parse(json.stdout) as { version: number; schema: { engine: string; schemas: string[] }; diagnoses: Array<{ database: { verdict: string; agrees: boolean | null }; source: unknown }> };
  assert.is(report.version, 1);
  assert.equal([report.schema.engine, report.schema.schemas], ['postgresql', ['public']]);
  const [step] = planOf(json);
  assert.is(step.schema.verdict, 'fake');
  const billing = step.schema.ops.find((o) => o.target === 'table billings')!;
  assert.is(billing.status, 'exists');
  assert.equal(billing.database!.columns!.find((col) => col.name === 'total'), { name: 'total', type: 'numeric(12,2)', nullable: false });
  assert.equal([report.diagnoses[0].database.verdict, report.diagnoses[0].database.agrees, report.diagnoses[0].source], ['fake', null, null]);

  const failed = manage(dir, ['migrate'], env);
  assert.is.not(failed.status, 0);
  assert.match(failed.stderr, 'relation "billings" already exists');
  manageOk(dir, printedFake(r), env);

  // Then the 0004 that only adds a column production already has (added by hand).
  c.psql('seed_match', "ALTER TABLE healthcare_patient ADD COLUMN insurance_number varchar(10) NOT NULL DEFAULT ''");
  const differs = migcheck(['deploy-check', '--database', url], dir);
  assert.is(differs.code, 1, show(differs));
  assert.match(differs.stdout, '1. healthcare.0004_patient_insurance_number  ✖ will fail: column "insurance_number" of relation "healthcare_patient" already exists');
  assert.match(differs.stdout, 'insurance_number has another type (character varying(10) in the database, character varying(30) in the code)');
  assert.match(differs.stdout, '✖ schema-conflict healthcare');
  assert.not.ok(differs.stdout.includes('0004_patient_insurance_number --fake'), show(differs));

  c.psql('seed_match', "ALTER TABLE healthcare_patient ALTER COLUMN insurance_number TYPE varchar(30); ALTER TABLE healthcare_patient ALTER COLUMN insurance_number DROP DEFAULT");
  const same = migcheck(['deploy-check', '--database', url], dir);
  assert.is(same.code, 1, show(same));
  assert.match(same.stdout, 'column healthcare_patient.insurance_number exists as the code makes it → `python manage.py migrate healthcare 0004_patient_insurance_number --fake` is safe');
  const again = manage(dir, ['migrate'], env);
  assert.match(again.stderr, 'column "insurance_number" of relation "healthcare_patient" already exists');
  manageOk(dir, printedFake(same), env);
  assert.match(manageOk(dir, ['migrate'], env), 'No migrations to apply.');
  const done = migcheck(['deploy-check', '--database', url], dir);
  assert.is(done.code, 0, show(done));
  assert.match(done.stdout, 'plan: nothing to migrate');
});

test('PostgreSQL, seed 000 as the demo has it: the two 0003s made different tables, so the differing columns and no fake', async () => {
  const c = await pg();
  c.psql('postgres', 'CREATE DATABASE seed_differ TEMPLATE base');
  const env = c.djangoEnv('seed_differ');
  const dir = seedRepo();
  productionApplies(dir, env, demoText(PROD));
  ship(dir);
  const url = c.url('seed_differ');
  const r = migcheck(['deploy-check', '--database', url], dir);
  assert.is(r.code, 1, show(r));
  assert.match(r.stdout, `1. healthcare.${CODE}  ✖ will fail: relation "billings" already exists`);
  assert.match(r.stdout, 'table billings exists but differs: columns total, currency, due_date and patient_id missing, columns amount, issued_at, paid and appointment_id not in the code');
  assert.match(r.stdout, 'table healthcare_payment exists but differs: columns reference and received_by_id missing, columns method and paid_at not in the code, amount has another type (numeric(10,2) in the database, numeric(12,2) in the code)');
  assert.match(r.stdout, `do not fake ${CODE}: make the database match it first`);
  assert.match(r.stdout, 'make tables billings and healthcare_payment match it by hand, and apply what it still has to do (AddField appointment.billed, AddField patient.billing_address and AlterField userprofile.role)');
  assert.not.ok(r.stdout.includes(FAKE), show(r));
  const failed = manage(dir, ['migrate'], env);
  assert.match(failed.stderr, 'relation "billings" already exists');

  // A role that may only connect and read sees the same: nothing is written, no DDL, no privilege needed.
  c.psql('seed_differ', "CREATE ROLE reader LOGIN PASSWORD 'Read-0nly-pw'; GRANT CONNECT ON DATABASE seed_differ TO reader; GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader; CREATE ROLE stranger LOGIN PASSWORD 'Str4nger-pw'");
  const reader = migcheck(['deploy-check', '--database', url.replace(`${c.user}:${encodeURIComponent(c.password)}`, 'reader:Read-0nly-pw')], dir);
  assert.is(reader.code, 1, show(reader));
  assert.is(reader.stdout.replace('reader:***', `${c.user}:***`), r.stdout);
  assert.not.ok(reader.stdout.includes('Read-0nly-pw'));
  const stranger = migcheck(['deploy-check', '--database', url.replace(`${c.user}:${encodeURIComponent(c.password)}`, 'stranger:Str4nger-pw')], dir);
  assert.is(stranger.code, 2, show(stranger));
  assert.match(stranger.stderr, 'permission denied for table django_migrations');
  assert.not.ok((stranger.stdout + stranger.stderr).includes('Str4nger-pw'));
});

function sqlite(file: string, sql: string): void {
  const r = spawnSync(PYTHON, ['-c', 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()', file, sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

test('SQLite, seed 000 (a file Django wrote): the exact --fake when the tables match, then migrate succeeds; the differing columns when they do not', () => {
  requirePython(['django']);
  const dir = seedRepo();
  const env = { DB_ENGINE: 'sqlite', DB_NAME: join(dir, 'db.sqlite3') };
  manageOk(dir, ['migrate', '-v', '0'], env);
  cpSync(join(dir, 'db.sqlite3'), join(dir, 'other.sqlite3'));
  productionApplies(dir, env, sameAsCode());
  productionApplies(dir, { ...env, DB_NAME: join(dir, 'other.sqlite3') }, demoText(PROD));
  ship(dir);

  const r = migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3'], dir);
  assert.is(r.code, 1, show(r));
  assert.match(r.stdout, `1. healthcare.${CODE}  ✖ will fail: table "billings" already exists`);
  assert.match(r.stdout, `tables billings and healthcare_payment exist with the same columns`);
  const failed = manage(dir, ['migrate'], env);
  assert.match(failed.stderr, 'table "billings" already exists');
  manageOk(dir, printedFake(r), env);
  assert.match(manageOk(dir, ['migrate'], env), 'No migrations to apply.');
  assert.is(migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3'], dir).code, 0);

  const other = migcheck(['deploy-check', '--database', 'sqlite:///other.sqlite3'], dir);
  assert.is(other.code, 1, show(other));
  assert.match(other.stdout, 'table billings exists but differs: columns total, currency, due_date and patient_id missing, columns amount, issued_at, paid and appointment_id not in the code');
  assert.match(other.stdout, 'columns reference and received_by_id missing, columns method and paid_at not in the code');
  assert.not.ok(other.stdout.includes(FAKE), show(other));
});

test('SQLite: a step that only adds a column production already has; opaque RunSQL and RunPython are said, never guessed', () => {
  requirePython(['django']);
  const dir = storyRepo();
  dirs.push(dir);
  const env = { DB_ENGINE: 'sqlite', DB_NAME: join(dir, 'db.sqlite3') };
  manageOk(dir, ['migrate', '-v', '0'], env);
  switchToNext(dir);
  const NEXT = '0003_billing_alter_userprofile_role_payment_and_more';
  manageOk(dir, ['migrate', 'healthcare', NEXT, '--fake', '-v', '0'], env);
  sqlite(join(dir, 'db.sqlite3'), "ALTER TABLE healthcare_device ADD COLUMN notes text NOT NULL DEFAULT ''");
  const r = migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3'], dir);
  assert.is(r.code, 1, show(r));
  assert.match(r.stdout, 'column healthcare_device.notes exists as the code makes it → `python manage.py migrate healthcare 0004_device_notes --fake` is safe');
  // Django 3.2 on SQLite does not fail here: it rebuilds the table, and the values are lost.
  assert.match(r.stdout, 'fills notes with the field\'s default');
  manageOk(dir, printedFake(r), env);

  // 0005 runs SQL and Python: opaque, so 0006's CreateModel is not said to fail because of them.
  // 0006 creates a table production already has, and runs Python: the table is judged, the code is not.
  sqlite(join(dir, 'db.sqlite3'), 'CREATE TABLE "healthcare_archive" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT)');
  const runs = migration('0004_device_notes', "        migrations.RunSQL('CREATE TABLE healthcare_audit (id integer)', migrations.RunSQL.noop),\n        migrations.RunPython(forwards, migrations.RunPython.noop),\n");
  const model = (name: string) => `        migrations.CreateModel(\n            name='${name}',\n            fields=[('id', models.BigAutoField(primary_key=True, serialize=False))],\n        ),\n`;
  const archive = (ops: string) => migration('0005_audit', `${ops}        migrations.RunPython(forwards),\n`);
  writeFileSync(join(dir, MIGRATIONS, '0005_audit.py'), runs);
  writeFileSync(join(dir, MIGRATIONS, '0006_archive.py'), archive(model('Audit') + model('Archive')));
  const o = migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3', '--format', 'json'], dir);
  const plan = planOf(o);
  assert.equal(plan.map((s) => [s.name, s.schema.verdict, s.fails]), [
    ['0005_audit', 'runs', null],
    ['0006_archive', 'partial', 'table "healthcare_archive" already exists'],
  ]);
  assert.equal(plan[0].schema.ops.map((op) => op.status), ['opaque', 'opaque']);
  assert.equal(plan[1].schema.ops.map((op) => [op.target, op.status]), [['table healthcare_audit', 'new'], ['table healthcare_archive', 'exists'], ['RunPython', 'opaque']]);
  const human = migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3'], dir);
  assert.match(human.stdout, 'opaque: RunSQL (line 15) and RunPython (line 16): migcheck does not guess what they do');
  // Without the CreateModel that is still to do, only the opaque code stands between the table and a fake.
  writeFileSync(join(dir, MIGRATIONS, '0006_archive.py'), archive(model('Archive')));
  const only = migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3'], dir);
  assert.is(only.code, 1, show(only));
  assert.ok(only.stdout.includes('table healthcare_archive exists with the same columns; it also runs'), show(only));
  assert.match(only.stdout, 'table healthcare_archive exists with the same columns; it also runs RunPython (line 19), which migcheck does not guess → fake it only once you know that code ran here');
  assert.not.ok(only.stdout.includes('0006_archive --fake` is safe'), show(only));
  assert.ok(existsSync(join(dir, 'db.sqlite3')));
});

test('SQLite: git history and the database disagree: the database wins, and the report says so', () => {
  requirePython(['django']);
  const dir = storyRepo();
  dirs.push(dir);
  const env = { DB_ENGINE: 'sqlite', DB_NAME: join(dir, 'db.sqlite3') };
  manageOk(dir, ['migrate', '-v', '0'], env);
  switchToNext(dir);
  sqlite(join(dir, 'db.sqlite3'), 'ALTER TABLE billings ADD COLUMN note text');
  const r = migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3'], dir);
  assert.is(r.code, 1, show(r));
  assert.match(r.stdout, 'table billings exists but differs: column note not in the code');
  assert.match(r.stdout, "makes the same changes as 0003_billing_alter_userprofile_role_payment_and_more, but the database's tables say otherwise: going by the database");
  assert.not.ok(r.stdout.includes(FAKE), show(r));
  const report = JSON.parse(migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3', '--format', 'json'], dir).stdout) as { diagnoses: Array<{ database: unknown }> };
  assert.equal(report.diagnoses[0].database, {
    verdict: 'differs',
    git: 'same',
    agrees: false,
    line: 14,
    conflicts: ['table billings exists but differs: column note not in the code', 'tables healthcare_payment, healthcare_insuranceinformation and healthcare_device exist with the same columns', 'column healthcare_userprofile.role exists as the code makes it'],
  });
});

test.run();
