// Predicting merges before anyone merges: `check --against` and `branches`, on real repositories
// with several branches, through the real bin.
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  branch,
  checkout,
  commitAll,
  git,
  makeRepo,
  merge,
  parseJsonReport,
  removeDir,
  removeFiles,
  runCli,
  tempDir,
  writeFiles,
} from './helpers/repo.js';
import { migrationSource, type DepSpec } from './helpers/trees.js';
import { progressBar } from '../src/commands/branches.js';

interface Finding {
  code: string;
  severity: string;
  app: string | null;
  migrations: string[];
  parent: string | null;
  message: string;
  hint: string;
  file: string | null;
  target?: string;
  branch?: string;
  cause?: string;
  pair?: boolean;
  sides?: Array<{ ref: string; migrations: string[]; files: string[] }>;
}
interface CheckReport {
  source: string;
  findings: Finding[];
  summary: { errors: number };
  against?: Array<{ target: string; relation: string; base: string | null; findings: Finding[]; apps: Array<{ label: string; leaves: string[] }> }>;
}
interface Group {
  target: string | null;
  app: string;
  parent: string | null;
  members: Array<{ ref: string; migrations: string[]; files: string[] }>;
}
interface BranchesReport {
  findings: Finding[];
  summary: { errors: number };
  targets: Array<{ name: string }>;
  branches: Array<{ branch: string; target: string; relation: string; conflicts: number }>;
  groups: Group[];
  pairs: Group[] | null;
}

const repos: string[] = [];
const mig = (name: string, deps: DepSpec[] = [], extra: Partial<Parameters<typeof migrationSource>[0]> = {}) =>
  migrationSource({ name, deps, ...extra });
const at = (app: string, name: string, ...parents: string[]) => ({
  [`${app}/migrations/${name}.py`]: mig(name, parents.map((p) => [app, p] as const)),
});

/** main with billing 0001..0002 and shop 0001. */
function baseRepo(): string {
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
  });
  commitAll(dir, 'base');
  return dir;
}

/** On a new branch from main: write files, commit, go back to main. */
function onBranch(dir: string, name: string, files: Record<string, string>, remove: string[] = [], from = 'main'): void {
  checkout(dir, from);
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

const checkJson = (dir: string, args: string[]) => {
  const r = runCli(['check', ...args, '--format', 'json'], { cwd: dir });
  return { code: r.code, report: parseJsonReport<CheckReport>(r), stderr: r.stderr };
};
const branchesJson = (dir: string, args: string[] = []) => {
  const r = runCli(['branches', ...args, '--format', 'json'], { cwd: dir });
  return { code: r.code, report: parseJsonReport<BranchesReport>(r), stderr: r.stderr };
};
const conflictsOf = (findings: Finding[]) => findings.filter((f) => f.code === 'branch-conflict');

const against = suite('check --against');
against.after(() => repos.forEach(removeDir));

against('two branches adding a migration on one parent: the conflict, both sides and the fix', () => {
  const dir = baseRepo();
  onBranch(dir, 'feature', at('billing', '0003_refund', '0002_invoice'));
  onMain(dir, at('billing', '0003_tax', '0002_invoice'));
  checkout(dir, 'feature');
  const { code, report } = checkJson(dir, ['--against', 'main']);
  assert.is(code, 1);
  const [c, ...rest] = conflictsOf(report.findings);
  assert.equal(rest, []);
  assert.is(c.severity, 'error');
  assert.is(c.app, 'billing');
  assert.is(c.target, 'main');
  assert.is(c.cause, 'multiple-leaves');
  assert.equal(c.migrations, ['0003_refund', '0003_tax']);
  assert.is(c.parent, '0002_invoice');
  assert.equal(c.sides, [
    { ref: 'worktree', migrations: ['0003_refund'], files: ['billing/migrations/0003_refund.py'] },
    { ref: 'main', migrations: ['0003_tax'], files: ['billing/migrations/0003_tax.py'] },
  ]);
  assert.match(c.hint, 'migcheck merge --app billing');
  assert.match(c.hint, 'migcheck rebase --app billing');
  assert.is(report.against![0].relation, 'diverged');
  // The same from the branch as a ref, and in the human output.
  assert.equal(conflictsOf(checkJson(dir, ['--ref', 'feature', '--against', 'main']).report.findings).length, 1);
  const human = runCli(['check', '--against', 'main'], { cwd: dir });
  assert.is(human.code, 1);
  assert.match(human.stdout, 'branch-conflict billing');
  assert.match(human.stdout, 'billing/migrations/0003_tax.py');
  assert.match(human.stdout, '✖ merging main (diverged at ');
  // Without --against the branch alone is fine.
  assert.is(runCli(['check'], { cwd: dir }).code, 0);
  // And git agrees: after the merge, check finds the two leaves.
  assert.ok(merge(dir, 'main').ok);
  const after = checkJson(dir, []);
  assert.equal(after.report.findings.find((f) => f.code === 'multiple-leaves')?.migrations, ['0003_refund', '0003_tax']);
});

against('different apps, or a branch on top of the target: no conflict', () => {
  const dir = baseRepo();
  onBranch(dir, 'feature', at('shop', '0002_cart', '0001_initial'));
  onMain(dir, at('billing', '0003_tax', '0002_invoice'));
  onBranch(dir, 'rebased', at('billing', '0004_refund', '0003_tax'));
  for (const ref of ['feature', 'rebased']) {
    const { code, report } = checkJson(dir, ['--ref', ref, '--against', 'main']);
    assert.is(code, 0, ref);
    assert.equal(conflictsOf(report.findings), []);
  }
  assert.is(checkJson(dir, ['--ref', 'rebased', '--against', 'main']).report.against![0].relation, 'ahead');
  const human = runCli(['check', '--ref', 'feature', '--against', 'main'], { cwd: dir });
  assert.match(human.stdout, '✔ merging main (diverged at ');
});

against('uncommitted and staged migrations count as this side', () => {
  const dir = baseRepo();
  onMain(dir, at('billing', '0003_tax', '0002_invoice'));
  git(dir, ['checkout', '-q', '-b', 'work', 'HEAD~1']);
  writeFiles(dir, at('billing', '0003_refund', '0002_invoice'));
  assert.is(checkJson(dir, ['--against', 'main']).code, 1);
  // Not staged yet: the index has nothing new.
  assert.is(checkJson(dir, ['--staged', '--against', 'main']).code, 0);
  git(dir, ['add', '-A']);
  const staged = checkJson(dir, ['--staged', '--against', 'main']);
  assert.is(staged.code, 1);
  assert.is(conflictsOf(staged.report.findings)[0].sides![0].ref, 'index');
});

against("a new leaf on one of the target's two leaves still conflicts; a merge of both does not", () => {
  const dir = baseRepo();
  onMain(dir, at('billing', '0003_a', '0002_invoice'));
  // Forked when 0003_a was main's only leaf; main then got 0003_b beside it (two leaves).
  onBranch(dir, 'one', at('billing', '0004_c', '0003_a'));
  onMain(dir, at('billing', '0003_b', '0002_invoice'));
  onBranch(dir, 'both', at('billing', '0004_merge', '0003_a', '0003_b'));
  const one = checkJson(dir, ['--ref', 'one', '--against', 'main']);
  assert.is(one.code, 1);
  assert.equal(conflictsOf(one.report.findings).map((f) => [f.cause, f.migrations]), [['multiple-leaves', ['0003_b', '0004_c']]]);
  // The branch alone is fine: the conflict comes from the merge.
  assert.is(runCli(['check', '--ref', 'one'], { cwd: dir }).code, 0);
  const both = checkJson(dir, ['--ref', 'both', '--against', 'main']);
  assert.equal(conflictsOf(both.report.findings), []);
  assert.is(both.code, 0);
});

against('the target deleted a migration this branch builds on: missing dependency after the merge', () => {
  const dir = baseRepo();
  onBranch(dir, 'feature', at('billing', '0003_refund', '0002_invoice'));
  onMain(dir, {}, ['billing/migrations/0002_invoice.py']);
  const { code, report } = checkJson(dir, ['--ref', 'feature', '--against', 'main']);
  assert.is(code, 1);
  const [c] = conflictsOf(report.findings);
  assert.is(c.cause, 'missing-dependency');
  assert.is(c.app, 'billing');
  assert.match(c.message, 'after merging main');
  assert.match(c.message, "('billing', '0002_invoice')");
});

against('the target squashed the app: a branch on the old leaf is still fine, as Django remaps it', () => {
  const dir = baseRepo();
  onBranch(dir, 'feature', at('billing', '0003_refund', '0002_invoice'));
  onMain(
    dir,
    { 'billing/migrations/0001_squashed_0002_invoice.py': mig('0001_squashed_0002_invoice', [], { replaces: [['billing', '0001_initial'], ['billing', '0002_invoice']] }) },
    ['billing/migrations/0001_initial.py', 'billing/migrations/0002_invoice.py'],
  );
  const { code, report } = checkJson(dir, ['--ref', 'feature', '--against', 'main']);
  assert.equal(conflictsOf(report.findings), []);
  assert.is(code, 0);
  assert.equal(report.against![0].apps.find((a) => a.label === 'billing')?.leaves, ['0003_refund']);
});

against('both sides add the same file with different text: git stops, and so does the prediction', () => {
  const dir = baseRepo();
  onBranch(dir, 'feature', { 'billing/migrations/0003_auto.py': mig('0003_auto', [['billing', '0002_invoice']], { ops: '' }) });
  onMain(dir, { 'billing/migrations/0003_auto.py': mig('0003_auto', [['billing', '0002_invoice']]) });
  const { code, report } = checkJson(dir, ['--ref', 'feature', '--against', 'main']);
  assert.is(code, 1);
  const [c] = conflictsOf(report.findings);
  assert.is(c.cause, 'content-conflict');
  assert.is(c.file, 'billing/migrations/0003_auto.py');
  // The merged tree holds the file with conflict markers, as `git merge` leaves it.
  assert.ok(report.against![0].findings.some((f) => f.code === 'parse-error' && f.file === 'billing/migrations/0003_auto.py'));
  // The same file on both sides is no conflict at all.
  onBranch(dir, 'same', at('shop', '0002_cart', '0001_initial'));
  onMain(dir, at('shop', '0002_cart', '0001_initial'));
  assert.is(checkJson(dir, ['--ref', 'same', '--against', 'main']).code, 0);
});

against('a ref that does not exist is a usage error', () => {
  const dir = baseRepo();
  const r = runCli(['check', '--against', 'nope'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, "unknown revision 'nope'");
});

against.run();

const scan = suite('branches');
scan.after(() => repos.forEach(removeDir));

/** main, with branches: clean, conflicting, merged, behind, three on one parent. */
function busyRepo(): string {
  const dir = baseRepo();
  onBranch(dir, 'feature/clean', at('shop', '0002_cart', '0001_initial'));
  onBranch(dir, 'feature/refund', at('billing', '0003_refund', '0002_invoice'));
  onBranch(dir, 'feature/merged', { 'blog/migrations/__init__.py': '', ...at('blog', '0001_initial') });
  merge(dir, 'feature/merged');
  // A branch with nothing of its own, left behind as main moves on.
  branch(dir, 'feature/behind', 'main');
  onMain(dir, at('billing', '0003_tax', '0002_invoice'));
  // Three branches from the new main, each adding 0004 to billing: fine with main, not together.
  for (const n of ['a', 'b', 'c']) onBranch(dir, `pr/${n}`, at('billing', `0004_${n}`, '0003_tax'));
  return dir;
}

scan('every branch against main: one conflict, grouped by app and parent, with files', () => {
  const dir = busyRepo();
  const { code, report } = branchesJson(dir);
  assert.is(code, 1);
  assert.equal(report.targets.map((t) => t.name), ['main']);
  const rel = Object.fromEntries(report.branches.map((b) => [b.branch, [b.relation, b.conflicts]]));
  assert.equal(rel, {
    'feature/behind': ['merged', 0],
    'feature/clean': ['diverged', 0],
    'feature/merged': ['merged', 0],
    'feature/refund': ['diverged', 1],
    'pr/a': ['ahead', 0],
    'pr/b': ['ahead', 0],
    'pr/c': ['ahead', 0],
  });
  assert.equal(report.groups, [
    {
      target: 'main',
      app: 'billing',
      parent: '0002_invoice',
      members: [
        { ref: 'main', migrations: ['0003_tax'], files: ['billing/migrations/0003_tax.py'] },
        { ref: 'feature/refund', migrations: ['0003_refund'], files: ['billing/migrations/0003_refund.py'] },
      ],
    },
  ]);
  assert.is(report.pairs, null);
  assert.equal(report.findings.map((f) => [f.branch, f.target, f.code]), [['feature/refund', 'main', 'branch-conflict']]);
  const human = runCli(['branches'], { cwd: dir });
  assert.is(human.code, 1);
  assert.match(human.stdout, 'billing on top of 0002_invoice: feature/refund adds migrations that main also adds');
  assert.match(human.stdout, 'billing/migrations/0003_refund.py');
  assert.match(human.stdout, '7 branches against main: 1 conflict, 4 clean, 2 already merged');
});

scan('--pairs: three branches that all add 0004 to billing, grouped', () => {
  const dir = busyRepo();
  const { report } = branchesJson(dir, ['--pairs', '--include', 'pr/*']);
  assert.equal(report.branches.map((b) => b.branch), ['pr/a', 'pr/b', 'pr/c']);
  assert.equal(report.groups, []);
  assert.equal(report.pairs, [
    {
      target: null,
      app: 'billing',
      parent: '0003_tax',
      members: ['a', 'b', 'c'].map((n) => ({ ref: `pr/${n}`, migrations: [`0004_${n}`], files: [`billing/migrations/0004_${n}.py`] })),
    },
  ]);
  assert.ok(report.findings.every((f) => f.pair && f.cause === 'multiple-leaves'));
  assert.is(report.findings.length, 3);
  const human = runCli(['branches', '--pairs', '--include', 'pr/*'], { cwd: dir });
  assert.is(human.code, 1);
  assert.match(human.stdout, 'billing on top of 0003_tax: pr/a, pr/b and pr/c all add migrations');
  // Without --pairs these branches are each fine with main.
  assert.is(branchesJson(dir, ['--include', 'pr/*']).code, 0);
  // --exclude leaves one out of the group.
  const two = branchesJson(dir, ['--pairs', '--include', 'pr/*', '--exclude', 'pr/c']).report;
  assert.equal(two.pairs![0].members.map((m) => m.ref), ['pr/a', 'pr/b']);
});

scan('the target is named, or found: origin/HEAD, main, master, the upstream', () => {
  const dir = busyRepo();
  git(dir, ['branch', '-m', 'main', 'master']);
  assert.equal(branchesJson(dir).report.targets.map((t) => t.name), ['master']);
  const named = branchesJson(dir, ['--target', 'feature/clean', '--include', 'feature/refund']).report;
  assert.equal(named.targets.map((t) => t.name), ['feature/clean']);
  assert.equal(named.branches.map((b) => [b.branch, b.conflicts]), [['feature/refund', 0]]);
  git(dir, ['branch', '-m', 'master', 'trunk']);
  const none = runCli(['branches'], { cwd: dir });
  assert.is(none.code, 2);
  assert.match(none.stderr, '--target');
});

scan('remote-tracking branches, with a bare clone as origin; default target origin/HEAD', () => {
  const upstream = busyRepo();
  const bare = tempDir('migcheck-bare-');
  repos.push(bare);
  git(upstream, ['clone', '-q', '--bare', upstream, join(bare, 'origin.git')]);
  const clone = tempDir('migcheck-clone-');
  repos.push(clone);
  git(clone, ['clone', '-q', join(bare, 'origin.git'), 'work']);
  const work = join(clone, 'work');
  // Only main is local; the rest are origin/*.
  const local = branchesJson(work).report;
  assert.equal(local.branches.map((b) => [b.branch, b.relation]), [['main', 'same']]);
  const remote = branchesJson(work, ['--remote']);
  assert.equal(remote.report.targets.map((t) => t.name), ['origin/main']);
  assert.is(remote.code, 1);
  assert.equal(remote.report.findings.map((f) => f.branch), ['origin/feature/refund']);
  assert.equal(remote.report.groups[0].members.map((m) => m.ref), ['origin/main', 'origin/feature/refund']);
  // Without origin/HEAD, main or master, the current branch's upstream is the target.
  git(work, ['remote', 'set-head', 'origin', '-d']);
  git(work, ['branch', '-m', 'main', 'dev']);
  assert.equal(branchesJson(work, ['--remote']).report.targets.map((t) => t.name), ['origin/main']);
  // The bare repository itself can be scanned too (no work tree needed).
  const inBare = branchesJson(join(bare, 'origin.git'));
  assert.is(inBare.code, 1);
  assert.equal(inBare.report.findings.map((f) => f.branch), ['feature/refund']);
});

scan('a branch whose target deleted or squashed what it builds on', () => {
  const dir = baseRepo();
  onBranch(dir, 'on-deleted', at('billing', '0003_refund', '0002_invoice'));
  onBranch(dir, 'on-shop', at('shop', '0002_cart', '0001_initial'));
  onMain(dir, {}, ['billing/migrations/0002_invoice.py']);
  const { report } = branchesJson(dir);
  assert.equal(report.findings.map((f) => [f.branch, f.cause]), [['on-deleted', 'missing-dependency']]);
  // The scan and check --against agree.
  const c = checkJson(dir, ['--ref', 'on-deleted', '--against', 'main']).report;
  assert.equal(conflictsOf(c.findings).map((f) => [f.cause, f.app, f.migrations]), report.findings.map((f) => [f.cause, f.app, f.migrations]));
  const human = runCli(['branches'], { cwd: dir }).stdout;
  assert.match(human, 'on-deleted into main');
});

scan('a branch that squashed the app against a target that moved on', () => {
  const dir = baseRepo();
  onBranch(
    dir,
    'squash',
    { 'billing/migrations/0001_squashed_0002_invoice.py': mig('0001_squashed_0002_invoice', [], { replaces: [['billing', '0001_initial'], ['billing', '0002_invoice']] }) },
    ['billing/migrations/0001_initial.py', 'billing/migrations/0002_invoice.py'],
  );
  onMain(dir, at('billing', '0003_tax', '0002_invoice'));
  const { code, report } = branchesJson(dir);
  assert.equal(report.findings, []);
  assert.is(code, 0);
  const c = checkJson(dir, ['--ref', 'squash', '--against', 'main']).report;
  assert.equal(c.against![0].apps.find((a) => a.label === 'billing')?.leaves, ['0003_tax']);
});

scan('a branch adding an app folder: labels beside it are inferred again, as check --against does', () => {
  // On main, shop's 0002 refers to reviews' 0001_initial before any reviews folder exists in the
  // tree (an installed app): then it is a vote, and the folder is labelled reviews. The branch
  // adds the reviews folder, which makes it the app next door.
  const dir = baseRepo();
  onMain(dir, { 'shop/migrations/0002_x.py': mig('0002_x', [['reviews', '0001_initial']]) });
  onBranch(dir, 'feature/reviews', { 'reviews/__init__.py': '', 'reviews/migrations/__init__.py': '', ...at('reviews', '0001_initial') });
  const { report } = branchesJson(dir);
  checkout(dir, 'feature/reviews');
  const predicted = checkJson(dir, ['--against', 'main']).report;
  assert.equal(
    report.findings.map((f) => [f.app, f.code, f.cause, f.migrations]),
    conflictsOf(predicted.findings).map((f) => [f.app, f.code, f.cause, f.migrations]),
  );
});

scan('progress goes to stderr only on a terminal: never in a pipe', () => {
  const dir = busyRepo();
  const r = runCli(['branches'], { cwd: dir });
  assert.is(r.stderr, '');
});

scan('the progress bar: on a terminal, after the delay, not under CI, cleared at the end', async () => {
  const written: string[] = [];
  const io = (isTTY: boolean, env: NodeJS.ProcessEnv) => ({
    stdout: process.stdout,
    stderr: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream,
    env,
    cwd: process.cwd(),
  });
  const show = (isTTY: boolean, env: NodeJS.ProcessEnv, delay: number) => {
    written.length = 0;
    const bar = progressBar(io(isTTY, env), 'branches', delay);
    for (let i = 1; i <= 3; i++) bar.update(i, 3);
    bar.end();
    return [...written];
  };
  const shown = show(true, {}, 0);
  assert.ok(shown.some((s) => s.includes('branches [##############################] 3/3')), JSON.stringify(shown));
  assert.is(shown[shown.length - 1], '\r\u001b[K');
  assert.equal(show(true, { CI: 'true' }, 0), []);
  assert.equal(show(false, {}, 0), []);
  // A scan quicker than the delay prints nothing at all.
  assert.equal(show(true, {}, 60_000), []);
});

scan.run();
