// One root cause per app and branch: what `branches` and `check --against` say when a merge stops
// on a migration file (both sides changed it, or one deleted what the other changed), when a
// migration is gone, when both sides move max_migration.txt, and when git cannot read a branch at
// all (a partial clone). Real repositories, the real bin, git's own merge and Django as witnesses.
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { djangoVerdicts, requireDjango } from './helpers/django.js';
import { checkout, commitAll, git, makeRepo, merge, parseJsonReport, removeDir, removeFiles, runCli, tempDir, writeFiles } from './helpers/repo.js';
import { migrationSource, type DepSpec } from './helpers/trees.js';

interface Finding {
  code: string;
  app: string | null;
  migrations: string[];
  parent: string | null;
  message: string;
  hint: string;
  file: string | null;
  cause?: string;
  branch?: string;
  target?: string;
  dependents?: string[];
  lockfile?: string;
}
interface BranchesReport {
  findings: Finding[];
  branches: Array<{ branch: string; relation: string; conflicts: number; skipped?: string }>;
  groups: Array<{ app: string; lockfile?: string; members: Array<{ ref: string }> }>;
}
interface CheckReport {
  findings: Finding[];
  against: Array<{ findings: Finding[] }>;
}

const repos: string[] = [];
const mig = (name: string, deps: DepSpec[] = [], ops?: string) => migrationSource({ name, deps, ...(ops === undefined ? {} : { ops }) });
const at = (app: string, name: string, ...parents: string[]) => ({ [`${app}/migrations/${name}.py`]: mig(name, parents.map((p) => [app, p] as const)) });

/** main with billing 0001..0002 and shop 0001. */
function baseRepo(extra: Record<string, string> = {}): string {
  const dir = makeRepo();
  repos.push(dir);
  writeFiles(dir, {
    'manage.py': '',
    'billing/__init__.py': '',
    'billing/migrations/__init__.py': '',
    ...at('billing', '0001_initial'),
    ...at('billing', '0002_invoice', '0001_initial'),
    'shop/__init__.py': '',
    'shop/migrations/__init__.py': '',
    ...at('shop', '0001_initial'),
    ...extra,
  });
  commitAll(dir, 'base');
  return dir;
}

function onBranch(dir: string, name: string, files: Record<string, string>, remove: string[] = []): void {
  checkout(dir, 'main');
  git(dir, ['checkout', '-q', '-b', name]);
  writeFiles(dir, files);
  removeFiles(dir, remove);
  commitAll(dir, name);
  checkout(dir, 'main');
}

function onMain(dir: string, files: Record<string, string>, remove: string[] = []): void {
  checkout(dir, 'main');
  writeFiles(dir, files);
  removeFiles(dir, remove);
  commitAll(dir, 'main moves on');
}

const branchesJson = (dir: string, args: string[] = []) => {
  const r = runCli(['branches', ...args, '--format', 'json'], { cwd: dir });
  return { code: r.code, report: parseJsonReport<BranchesReport>(r), stderr: r.stderr };
};
const againstJson = (dir: string, ref: string) => {
  const r = runCli(['check', '--ref', ref, '--against', 'main', '--format', 'json'], { cwd: dir });
  return { code: r.code, report: parseJsonReport<CheckReport>(r) };
};
const summary = (fs: Finding[]) => fs.filter((f) => f.code === 'branch-conflict').map((f) => [f.cause, f.app, f.migrations, f.dependents ?? []]);

/**
 * A migration file both sides add with their own text, as two release branches do when each
 * backports a fix under the same name: git's add/add merge leaves markers around its class.
 */
const fixOnMain = mig('0003_fix', [['billing', '0002_invoice']], "        migrations.RunSQL('SELECT 1', migrations.RunSQL.noop),\n");
const fixOnBranch = fixOnMain.replace('from django.db import migrations, models', 'from django.db import migrations, models, transaction').replace('SELECT 1', 'SELECT 2');

const roots = suite('one root cause per app and branch');
roots.after(() => repos.forEach(removeDir));

roots('a file both sides add differently: one finding, with the migrations that depend on it folded in', async () => {
  const dir = baseRepo();
  onBranch(dir, 'release', {
    'billing/migrations/0003_fix.py': fixOnBranch,
    ...at('billing', '0004_merge', '0003_fix'),
    ...at('billing', '0005_total', '0004_merge'),
    'shop/migrations/0002_cart.py': mig('0002_cart', [['shop', '0001_initial'], ['billing', '0003_fix']]),
  });
  onMain(dir, { 'billing/migrations/0003_fix.py': fixOnMain });
  const { code, report } = branchesJson(dir);
  assert.is(code, 1);
  // One finding: the file git stops on. Not one per migration that depends on it, and no extra
  // leaves or clashes on a graph that cannot load.
  assert.equal(summary(report.findings), [['content-conflict', 'billing', ['0003_fix'], ['billing.0004_merge', 'shop.0002_cart']]]);
  const [f] = report.findings;
  assert.is(f.file, 'billing/migrations/0003_fix.py');
  assert.match(f.message, 'both sides add billing/migrations/0003_fix.py differently, so git will stop with a conflict in it');
  assert.match(f.message, 'nor the 2 migrations that depend on it');
  // check --against (whole trees, git's merge) says the same.
  const against = againstJson(dir, 'release');
  assert.equal(summary(against.report.findings), summary(report.findings));
  // The merged tree itself still lists every problem it has (what `check` would say after the merge).
  assert.ok(against.report.against[0].findings.some((g) => g.code === 'missing-dependency'));
  // git stops on that file, and Django, given the tree git leaves, fails on importing it: the root
  // cause, not the dependencies.
  checkout(dir, 'release');
  const merged = merge(dir, 'main');
  assert.not.ok(merged.ok);
  assert.match(merged.stdout, 'CONFLICT (add/add): Merge conflict in billing/migrations/0003_fix.py');
  requireDjango();
  const [verdict] = await djangoVerdicts([{ root: dir, apps: [{ label: 'billing', module: 'billing.migrations' }, { label: 'shop', module: 'shop.migrations' }] }]);
  assert.is(verdict.error?.type, 'SyntaxError');
  assert.match(verdict.error!.message, '0003_fix');
  git(dir, ['merge', '--abort']);
});

roots('a deleted migration that several migrations depend on: one missing-dependency, the others folded in', () => {
  const dir = baseRepo();
  onBranch(dir, 'feature', {
    ...at('billing', '0003_refund', '0002_invoice'),
    'shop/migrations/0002_cart.py': mig('0002_cart', [['shop', '0001_initial'], ['billing', '0002_invoice']]),
  });
  onMain(dir, {}, ['billing/migrations/0002_invoice.py']);
  const { code, report } = branchesJson(dir);
  assert.is(code, 1);
  assert.equal(summary(report.findings), [['missing-dependency', 'billing', ['0003_refund'], ['shop.0002_cart']]]);
  assert.match(report.findings[0].message, "depends on ('billing', '0002_invoice'), which does not exist");
  assert.match(report.findings[0].message, '(and 1 migration that depends on it)');
  assert.equal(summary(againstJson(dir, 'feature').report.findings), summary(report.findings));
});

roots('modify/delete: the target squashed and deleted what the branch reformatted; git stops, and so does the prediction', () => {
  const dir = baseRepo();
  const reformatted = mig('0002_invoice', [['billing', '0001_initial']]).replace('# Generated by Django 3.2.25 on 2024-03-14 09:26\n\n', '');
  const reformatted0001 = mig('0001_initial').replace('# Generated', '# Reformatted, generated');
  onBranch(dir, 'reformat', { 'billing/migrations/0002_invoice.py': reformatted, ...at('billing', '0003_refund', '0002_invoice') });
  onBranch(dir, 'reformat-all', { 'billing/migrations/0001_initial.py': reformatted0001, 'billing/migrations/0002_invoice.py': reformatted });
  // A branch that only adds on the old leaf is fine: Django remaps it to the squash.
  onBranch(dir, 'plain', at('billing', '0003_plain', '0002_invoice'));
  onMain(
    dir,
    {
      // Unlike the files it replaces, as squashes are: git sees no rename.
      'billing/migrations/0001_squashed_0002_invoice.py': migrationSource({
        name: '0001_squashed_0002_invoice',
        replaces: [
          ['billing', '0001_initial'],
          ['billing', '0002_invoice'],
        ],
        ops: Array.from({ length: 12 }, (_, i) => `        migrations.RunSQL('CREATE TABLE billing_t${i} (id serial)', 'DROP TABLE billing_t${i}'),\n`).join(''),
      }),
    },
    ['billing/migrations/0001_initial.py', 'billing/migrations/0002_invoice.py'],
  );

  const { code, report } = branchesJson(dir);
  assert.is(code, 1);
  assert.equal(report.findings.map((f) => [f.branch, f.cause, f.app, f.migrations]), [
    ['reformat', 'content-conflict', 'billing', ['0002_invoice']],
    ['reformat-all', 'content-conflict', 'billing', ['0001_initial', '0002_invoice']],
  ]);
  const [f, all] = report.findings;
  assert.is(f.file, 'billing/migrations/0002_invoice.py');
  assert.match(f.message, 'main deletes billing/migrations/0002_invoice.py, which reformat changes, so git will stop with a conflict in it');
  assert.match(f.hint, '`git rm billing/migrations/0002_invoice.py`');
  // Several files of one app: still one finding.
  assert.match(all.message, "main deletes 2 files of app 'billing' that reformat-all changes");
  assert.equal(report.branches.find((b) => b.branch === 'plain')?.conflicts, 0);
  assert.equal(summary(againstJson(dir, 'reformat').report.findings), summary([f]));
  // git agrees: the merge stops on that file.
  checkout(dir, 'reformat');
  const merged = merge(dir, 'main');
  assert.not.ok(merged.ok);
  assert.match(merged.stdout, 'CONFLICT (modify/delete): billing/migrations/0002_invoice.py deleted in main and modified in HEAD');
  git(dir, ['merge', '--abort']);
  checkout(dir, 'plain');
  assert.ok(merge(dir, 'main').ok);
});

roots.run();

const lock = suite('max_migration.txt (django-linear-migrations) is not a migration');
lock.after(() => repos.forEach(removeDir));

const lockAt = (app: string, name: string) => ({ [`${app}/migrations/max_migration.txt`]: `${name}\n` });

lock('both sides add a migration and move the lock: the finding is the leaves, and its fix is rebase or the merge driver', () => {
  const dir = baseRepo(lockAt('billing', '0002_invoice'));
  onBranch(dir, 'feature', { ...at('billing', '0003_refund', '0002_invoice'), ...lockAt('billing', '0003_refund') });
  onMain(dir, { ...at('billing', '0003_tax', '0002_invoice'), ...lockAt('billing', '0003_tax') });
  const { code, report } = branchesJson(dir);
  assert.is(code, 1);
  assert.equal(summary(report.findings), [['multiple-leaves', 'billing', ['0003_refund', '0003_tax'], []]]);
  const [f] = report.findings;
  assert.is(f.lockfile, 'billing/migrations/max_migration.txt');
  assert.match(f.hint, '`migcheck rebase --app billing`');
  assert.match(f.hint, '`migcheck install`');
  assert.not.match(f.message, 'conflict markers');
  assert.is(report.groups[0].lockfile, 'billing/migrations/max_migration.txt');
  const human = runCli(['branches'], { cwd: dir }).stdout;
  assert.match(human, 'fix: in each branch, run `migcheck rebase --app billing` (it rewrites billing/migrations/max_migration.txt too), or merge main with migcheck\'s merge driver');
  assert.not.match(human, 'keep one version');
  // check --against says the same, and git does stop on the lock file (without the driver).
  assert.equal(summary(againstJson(dir, 'feature').report.findings), summary(report.findings));
  checkout(dir, 'feature');
  const merged = merge(dir, 'main');
  assert.match(merged.stdout, 'CONFLICT (content): Merge conflict in billing/migrations/max_migration.txt');
  git(dir, ['merge', '--abort']);
});

lock('both sides move the lock but the merge has one leaf: the lock itself, with the name it should say', () => {
  const dir = baseRepo(lockAt('billing', '0002_invoice'));
  onBranch(dir, 'feature', { ...at('billing', '0003_refund', '0002_invoice'), ...lockAt('billing', '0003_refund') });
  // main took the same migration (same file) and built on it.
  onMain(dir, { ...at('billing', '0003_refund', '0002_invoice'), ...at('billing', '0004_tax', '0003_refund'), ...lockAt('billing', '0004_tax') });
  const { code, report } = branchesJson(dir);
  assert.is(code, 1);
  assert.equal(summary(report.findings), [['content-conflict', 'billing', [], []]]);
  const [f] = report.findings;
  assert.is(f.file, 'billing/migrations/max_migration.txt');
  assert.match(f.message, "django-linear-migrations' lock, which Django never imports");
  assert.match(f.hint, '(to 0004_tax)');
  assert.match(f.hint, '`migcheck lock`');
});

lock('a branch that moves the lock alone, or only adds elsewhere: nothing to say', () => {
  const dir = baseRepo(lockAt('billing', '0002_invoice'));
  onBranch(dir, 'feature', { ...at('billing', '0003_refund', '0002_invoice'), ...lockAt('billing', '0003_refund') });
  onMain(dir, at('shop', '0002_cart', '0001_initial'));
  const { code, report } = branchesJson(dir);
  assert.equal(report.findings, []);
  assert.is(code, 0);
});

lock.run();

const unreadable = suite('a branch git cannot read is skipped, and the scan goes on');
unreadable.after(() => repos.forEach(removeDir));

/**
 * Upstream: main adds billing 0003_tax and edits 0002_invoice. Branches: `conflict` (another 0003
 * on 0002), `hard-ok` (edits 0002_invoice elsewhere: git's merge-tree merges it cleanly),
 * `hard-gone` (edits 0002_invoice; its blob will be missing), `new-gone` (a new shop migration
 * whose blob will be missing), `clean` (a new shop migration).
 */
function upstreamRepo(): { dir: string; gone: Record<string, string> } {
  const dir = baseRepo();
  const invoice = mig('0002_invoice', [['billing', '0001_initial']]);
  onBranch(dir, 'conflict', at('billing', '0003_refund', '0002_invoice'));
  onBranch(dir, 'hard-ok', { 'billing/migrations/0002_invoice.py': `# reviewed\n${invoice}` });
  onBranch(dir, 'hard-gone', { 'billing/migrations/0002_invoice.py': invoice.replace('# Generated', '# Gone, generated') });
  onBranch(dir, 'new-gone', at('shop', '0002_gone', '0001_initial'));
  onBranch(dir, 'clean', at('shop', '0002_cart', '0001_initial'));
  onMain(dir, { ...at('billing', '0003_tax', '0002_invoice'), 'billing/migrations/0002_invoice.py': `${invoice}# end\n` });
  const blob = (ref: string, path: string) => git(dir, ['rev-parse', `${ref}:${path}`]).trim();
  return {
    dir,
    gone: {
      'hard-gone': blob('hard-gone', 'billing/migrations/0002_invoice.py'),
      'new-gone': blob('new-gone', 'shop/migrations/0002_gone.py'),
    },
  };
}

const expectGoesOn = (report: BranchesReport, prefix: string, gone: Record<string, string>) => {
  const status = Object.fromEntries(report.branches.map((b) => [b.branch, b.skipped ? `skipped ${b.skipped}` : `${b.conflicts}`]));
  assert.equal(Object.keys(status).sort(), ['clean', 'conflict', 'hard-gone', 'hard-ok', 'new-gone'].map((b) => `${prefix}${b}`));
  assert.is(status[`${prefix}conflict`], '1');
  assert.is(status[`${prefix}clean`], '0');
  assert.is(status[`${prefix}hard-ok`], '0');
  for (const b of ['hard-gone', 'new-gone']) {
    assert.match(status[`${prefix}${b}`], `skipped: object ${gone[b].slice(0, 12)}`, b);
    assert.match(status[`${prefix}${b}`], 'is missing from this repository', b);
  }
  assert.equal(report.findings.map((f) => [f.branch, f.cause]), [[`${prefix}conflict`, 'multiple-leaves']]);
};

unreadable('a partial clone whose promisor remote is gone: the unreadable branches get a note, the others their verdict', () => {
  const { dir: upstream, gone } = upstreamRepo();
  git(upstream, ['config', 'uploadpack.allowFilter', 'true']);
  const root = tempDir('migcheck-partial-');
  repos.push(root);
  const clone = join(root, 'clone');
  git(root, ['clone', '-q', '--filter=blob:none', '--no-checkout', `file://${upstream}`, clone]);
  // Fetch what every branch but the two needs (checking a branch out fetches its blobs).
  for (const b of ['main', 'conflict', 'hard-ok', 'clean']) git(clone, ['checkout', '-q', '--detach', `origin/${b}`]);
  git(clone, ['checkout', '-q', 'main']);
  // The promisor remote goes away: git can no longer fetch what the clone lacks.
  renameSync(upstream, `${upstream}-moved`);
  repos.push(`${upstream}-moved`);
  for (const oid of Object.values(gone)) assert.throws(() => git(clone, ['cat-file', '-e', oid]), /could not fetch/);
  const { code, report } = branchesJson(clone, ['--remote', '--exclude', 'main']);
  // The exit code is the others' verdict: one conflict.
  assert.is(code, 1);
  expectGoesOn(report, 'origin/', gone);
  const human = runCli(['branches', '--remote', '--exclude', 'main'], { cwd: clone });
  assert.match(human.stdout, '⚠ origin/new-gone into origin/main\n  skipped: object ');
  assert.match(human.stdout, 'fix: fetch the missing objects');
  assert.match(human.stdout, '5 branches against origin/main: 1 conflict, 2 clean, 2 skipped');
});

unreadable('objects deleted from a full clone: the same note, and exit 0 when the rest is clean', () => {
  const { dir, gone } = upstreamRepo();
  for (const oid of Object.values(gone)) rmSync(join(dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2)));
  const { code, report } = branchesJson(dir);
  assert.is(code, 1);
  expectGoesOn(report, '', gone);
  // Without the conflicting branch, nothing is wrong: the skipped branches do not fail the run.
  const rest = branchesJson(dir, ['--exclude', 'conflict']);
  assert.is(rest.code, 0);
  assert.equal(rest.report.findings, []);
  assert.equal(rest.report.branches.filter((b) => b.skipped).map((b) => b.branch), ['hard-gone', 'new-gone']);
  // check --against on such a branch cannot answer at all: a clear error, exit 2.
  const against = runCli(['check', '--ref', 'new-gone', '--against', 'main'], { cwd: dir });
  assert.is(against.code, 2);
  assert.match(against.stderr, gone['new-gone'].slice(0, 12));
});

unreadable.run();
