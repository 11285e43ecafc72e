// The story of issue #7, for real. Production applied healthcare.0003_billing_payment_…; the code
// now ships 0003_billing_alter_userprofile_role_… instead, and `migrate` dies with `relation
// "billings" already exists`. deploy-check must say so before the deploy, and print the command
// that fixes it. A throwaway PostgreSQL cluster and Django 3.2 itself play production.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  migcheck,
  type Run,
  NEW_0003,
  OLD_0003,
  djangoPlan,
  freePort,
  manage,
  manageOk,
  requirePython,
  startCluster,
  storyRepo,
  switchToNext,
  type Cluster,
} from './fixtures/deploy/helpers.js';

const FAKE = `python manage.py migrate healthcare ${NEW_0003} --fake`;

const show = (r: Run) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

function planOf(r: Run): string[] {
  const report = JSON.parse(r.stdout) as { plan: Array<{ app: string; name: string }> };
  return report.plan.map((s) => `${s.app}.${s.name}`);
}

/** The command deploy-check printed, run as the user would paste it. */
function printedFake(r: Run): string[] {
  const m = /`(python manage\.py migrate \S+ \S+ --fake)`/.exec(r.stdout);
  assert.ok(m, `no fake command printed\n${show(r)}`);
  return m![1].split(' ').slice(2);
}

let cluster: Cluster | null = null;
const repos: string[] = [];
async function pg(): Promise<Cluster> {
  requirePython(['django', 'psycopg2']);
  cluster ??= await startCluster();
  return cluster;
}

test.after(() => {
  cluster?.stop();
  for (const dir of repos) rmSync(dir, { recursive: true, force: true });
});

test('PostgreSQL: predicts "relation already exists", prints the fake; after it, deploy-check is clean and migrate succeeds', async () => {
  const c = await pg();
  c.createdb('healthcare');
  const env = c.djangoEnv('healthcare');
  const dir = storyRepo();
  repos.push(dir);
  manageOk(dir, ['migrate'], env);
  // What production's own code says, for the --applied inputs below.
  writeFileSync(join(dir, 'list.txt'), manageOk(dir, ['showmigrations', '--list', '-v', '2'], env));
  writeFileSync(join(dir, 'plan.txt'), manageOk(dir, ['showmigrations', '--plan', '-v', '2'], env));
  writeFileSync(join(dir, 'applied.csv'), c.psql('healthcare', '\\copy (SELECT * FROM django_migrations ORDER BY id) TO STDOUT WITH CSV HEADER'));
  switchToNext(dir);
  const url = c.url('healthcare');

  const before = migcheck(['deploy-check', '--database', url], dir);
  assert.is(before.code, 1, show(before));
  assert.match(before.stdout, 'applied-missing');
  assert.match(before.stdout, `healthcare.${OLD_0003}`);
  assert.match(before.stdout, `healthcare.${NEW_0003}  ✖ will fail: relation "billings" already exists`);
  assert.ok(before.stdout.includes(FAKE), show(before));
  assert.match(before.stdout, 'postgres://postgres:***@127.0.0.1');
  assert.not.ok((before.stdout + before.stderr).includes(c.password), 'the password was printed');

  // The plan is Django's own `migrate --plan`, in the same order.
  const json = migcheck(['deploy-check', '--database', url, '--format', 'json'], dir);
  assert.equal(planOf(json), djangoPlan(dir, env));
  assert.equal(planOf(json), [`healthcare.${NEW_0003}`, 'healthcare.0004_device_notes']);
  assert.ok((JSON.parse(json.stdout) as { applied: string[][] }).applied.some((k) => k[1] === OLD_0003));

  // The same verdict from production's showmigrations output, a CSV export, and DATABASE_URL.
  for (const args of [['--applied', 'list.txt'], ['--applied', 'plan.txt'], ['--applied', 'applied.csv'], []]) {
    const r = migcheck(['deploy-check', ...args], dir, args.length ? {} : { DATABASE_URL: url });
    assert.is(r.code, 1, show(r));
    assert.ok(r.stdout.includes(FAKE), show(r));
  }

  // The prediction is right: Django fails exactly so.
  const failed = manage(dir, ['migrate'], env);
  assert.is.not(failed.status, 0);
  assert.match(failed.stderr, 'relation "billings" already exists');

  manageOk(dir, printedFake(before), env);
  const after = migcheck(['deploy-check', '--database', url, '--format', 'json'], dir);
  assert.is(after.code, 0, show(after));
  assert.equal(planOf(after), ['healthcare.0004_device_notes']);
  assert.equal(planOf(after), djangoPlan(dir, env));
  const report = JSON.parse(after.stdout) as { findings: Array<{ code: string; severity: string }> };
  assert.equal(report.findings.map((f) => [f.code, f.severity]), [['applied-missing', 'warning']]);

  const migrated = manageOk(dir, ['migrate'], env);
  assert.match(migrated, 'Applying healthcare.0004_device_notes... OK');
  const done = migcheck(['deploy-check', '--database', url], dir);
  assert.is(done.code, 0, show(done));
  assert.match(done.stdout, 'plan: nothing to migrate');
});

test('PostgreSQL: a database Django never migrated has nothing applied (no django_migrations table)', async () => {
  const c = await pg();
  c.createdb('fresh');
  const dir = storyRepo();
  repos.push(dir);
  const r = migcheck(['deploy-check', '--database', c.url('fresh'), '--format', 'json'], dir);
  assert.is(r.code, 0, show(r));
  assert.equal(planOf(r), djangoPlan(dir, c.djangoEnv('fresh')));
  assert.is(planOf(r).length, 3);
});

test('PostgreSQL: wrong password and unreachable server exit 2 with a clear error and no password', async () => {
  const c = await pg();
  const dir = storyRepo();
  repos.push(dir);
  const wrong = 'Wr0ng-Secret-Value';
  const r = migcheck(['deploy-check', '--database', c.url('healthcare', wrong)], dir);
  assert.is(r.code, 2, show(r));
  assert.match(r.stderr, 'password authentication failed');
  assert.match(r.stderr, 'postgres://postgres:***@127.0.0.1');
  assert.not.ok((r.stdout + r.stderr).includes(wrong), 'the wrong password was printed');

  const port = await freePort();
  const down = migcheck(['deploy-check', '--database', `postgresql://admin:${wrong}@127.0.0.1:${port}/x`], dir);
  assert.is(down.code, 2, show(down));
  assert.match(down.stderr, 'ECONNREFUSED');
  assert.not.ok((down.stdout + down.stderr).includes(wrong), 'the password was printed');
});

test('SQLite: the same story, through sqlite:///relative and sqlite:////absolute URLs', () => {
  requirePython(['django']);
  const dir = storyRepo();
  repos.push(dir);
  const env = { DB_ENGINE: 'sqlite', DB_NAME: join(dir, 'db.sqlite3') };
  manageOk(dir, ['migrate'], env);
  switchToNext(dir);
  for (const url of ['sqlite:///db.sqlite3', `sqlite:///${join(dir, 'db.sqlite3')}`]) {
    const r = migcheck(['deploy-check', '--database', url], dir);
    assert.is(r.code, 1, show(r));
    assert.match(r.stdout, 'applied-missing');
    assert.match(r.stdout, 'will fail: table "billings" already exists');
    assert.ok(r.stdout.includes(FAKE), show(r));
  }
  const before = migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3'], dir);
  const failed = manage(dir, ['migrate'], env);
  assert.is.not(failed.status, 0);
  assert.match(failed.stderr, 'table "billings" already exists');

  manageOk(dir, printedFake(before), env);
  const after = migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3', '--format', 'json'], dir);
  assert.is(after.code, 0, show(after));
  assert.equal(planOf(after), djangoPlan(dir, env));
  manageOk(dir, ['migrate'], env);
  const done = migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3'], dir);
  assert.is(done.code, 0, show(done));
  assert.match(done.stdout, 'plan: nothing to migrate');
});

test('SQLite: when the two 0003s differ, the tables say so: no fake, the differing columns, and the file-by-file differences', () => {
  requirePython(['django']);
  const dir = storyRepo();
  repos.push(dir);
  const env = { DB_ENGINE: 'sqlite', DB_NAME: join(dir, 'db.sqlite3') };
  manageOk(dir, ['migrate'], env);
  switchToNext(dir, 'differ');
  const r = migcheck(['deploy-check', '--database', 'sqlite:///db.sqlite3'], dir);
  assert.is(r.code, 1, show(r));
  assert.match(r.stdout, 'will fail: table "billings" already exists');
  assert.match(r.stdout, 'table billings exists but differs: columns total and currency missing, columns amount, paid and appointment_id not in the code');
  assert.not.ok(r.stdout.includes(FAKE), show(r));
  assert.match(r.stdout, `do not fake ${NEW_0003} yet`);
  assert.match(r.stdout, 'make table billings match it by hand, and apply what it still has to do (AddField appointment.billed)');
  assert.match(r.stdout, 'only in the database: CreateModel InsuranceInformation (table healthcare_insuranceinformation');
  assert.match(r.stdout, 'only in the code: AddField appointment.billed (column healthcare_appointment.billed)');
  assert.match(r.stdout, `sqlmigrate healthcare ${NEW_0003}`);
});

test('bad input: a missing or broken SQLite file, an unknown file format, no database at all: exit 2', () => {
  const dir = storyRepo();
  repos.push(dir);
  const missing = migcheck(['deploy-check', '--database', 'sqlite:///nope.sqlite3'], dir);
  assert.is(missing.code, 2, show(missing));
  assert.match(missing.stderr, 'nope.sqlite3: no such SQLite database file');
  writeFileSync(join(dir, 'junk.sqlite3'), 'this is not a database, just text that is long enough to look like a header block\n'.repeat(20));
  const junk = migcheck(['deploy-check', '--database', 'sqlite:///junk.sqlite3'], dir);
  assert.is(junk.code, 2, show(junk));
  assert.match(junk.stderr, 'cannot read the applied migrations from sqlite:///junk.sqlite3');
  writeFileSync(join(dir, 'applied.json'), '{"applied": [["healthcare", "0001_initial"]]}\n');
  const unknown = migcheck(['deploy-check', '--applied', 'applied.json'], dir);
  assert.is(unknown.code, 2, show(unknown));
  assert.match(unknown.stderr, 'applied.json: not a format migcheck reads');
  const none = migcheck(['deploy-check'], dir);
  assert.is(none.code, 2, show(none));
  assert.match(none.stderr, '--database URL');
  const scheme = migcheck(['deploy-check', '--database', 'mysql://root:hunter2@db/x'], dir);
  assert.is(scheme.code, 2, show(scheme));
  assert.not.ok((scheme.stdout + scheme.stderr).includes('hunter2'));
});

test.run();
