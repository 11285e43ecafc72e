// `migcheck hook <name>` as the pre-commit framework runs it: no git arguments, no stdin, and what
// git said in PRE_COMMIT_* variables. (test/pre-commit.test.ts runs the real pre-commit; this one
// pins each variable's meaning, fast.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { removeDir } from './helpers/repo.js';
import { addMigration, djangoRepo, gitOk, migcheck } from './hooks-support.js';

const dirs: string[] = [];
test.after(() => dirs.forEach(removeDir));

/** A Django repository: blog with 0001 and 0002 on main, committed; no package.json. */
function repo(): string {
  const dir = djangoRepo({ local: false });
  dirs.push(dir);
  return dir;
}

const FRAMEWORK = { PRE_COMMIT: '1' };

test('pre-commit run by hand (git names no index) checks the whole index, even when nothing is staged', () => {
  const dir = repo();
  addMigration(dir, 'blog', '0002_other', ['0001_initial']);
  gitOk(dir, ['add', '-A']);
  gitOk(dir, ['commit', '-q', '--no-verify', '-m', 'second leaf already committed']);
  const byHand = migcheck(dir, ['hook', 'pre-commit'], { env: FRAMEWORK });
  assert.is(byHand.code, 1, byHand.out);
  assert.match(byHand.out, /multiple-leaves blog/);
  // From git (which names the index), a commit that touches no migration is not held up.
  const fromGit = migcheck(dir, ['hook', 'pre-commit'], { env: { ...FRAMEWORK, GIT_INDEX_FILE: '.git/index' } });
  assert.is(fromGit.code, 0, fromGit.out);
  assert.is(fromGit.out, '');
});

test('a stage-less commit hook run at another stage does nothing', () => {
  const dir = repo();
  addMigration(dir, 'blog', '0002_other', ['0001_initial']);
  gitOk(dir, ['add', '-A']);
  for (const key of ['PRE_COMMIT_REMOTE_NAME', 'PRE_COMMIT_IS_SQUASH_MERGE', 'PRE_COMMIT_REWRITE_COMMAND', 'PRE_COMMIT_CHECKOUT_TYPE']) {
    const r = migcheck(dir, ['hook', 'pre-commit'], { env: { ...FRAMEWORK, [key]: key === 'PRE_COMMIT_IS_SQUASH_MERGE' ? '0' : 'x' } });
    assert.is(r.code, 0, `${key}: ${r.out}`);
    assert.is(r.out, '');
  }
  // Outside the framework the same staged conflict is refused.
  assert.is(migcheck(dir, ['hook', 'pre-commit']).code, 1);
});

test('pre-push from PRE_COMMIT_*: the pushed commit against the remote’s main branch; by hand, HEAD against origin', () => {
  const origin = repo();
  const dir = repo();
  gitOk(dir, ['remote', 'add', 'origin', origin]);
  addMigration(origin, 'blog', '0003_main', ['0002_blog_more']);
  gitOk(origin, ['add', '-A']);
  gitOk(origin, ['commit', '-q', '--no-verify', '-m', 'main']);
  gitOk(dir, ['fetch', '-q', 'origin']);
  gitOk(dir, ['checkout', '-q', '-b', 'feature']);
  addMigration(dir, 'blog', '0003_feature', ['0002_blog_more']);
  gitOk(dir, ['add', '-A']);
  gitOk(dir, ['commit', '-q', '--no-verify', '-m', 'feature']);
  const sha = gitOk(dir, ['rev-parse', 'HEAD']).trim();

  const push = migcheck(dir, ['hook', 'pre-push'], {
    env: { ...FRAMEWORK, PRE_COMMIT_REMOTE_NAME: 'origin', PRE_COMMIT_REMOTE_URL: origin, PRE_COMMIT_LOCAL_BRANCH: 'refs/heads/feature', PRE_COMMIT_REMOTE_BRANCH: 'refs/heads/feature', PRE_COMMIT_FROM_REF: gitOk(dir, ['rev-parse', 'HEAD~1']).trim(), PRE_COMMIT_TO_REF: sha },
  });
  assert.is(push.code, 1, push.out);
  assert.match(push.out, /push of feature to feature refused \(judged on its own and merged with origin\/main\)/);

  const byHand = migcheck(dir, ['hook', 'pre-push'], { env: FRAMEWORK });
  assert.is(byHand.code, 1, byHand.out);
  assert.match(byHand.out, /push of HEAD to HEAD refused \(judged on its own and merged with origin\/main\)/);

  // The pushed commit is what counts, not the checked-out one.
  gitOk(dir, ['checkout', '-q', 'main']);
  const pushed = (ref: string) =>
    migcheck(dir, ['hook', 'pre-push'], { env: { ...FRAMEWORK, PRE_COMMIT_REMOTE_NAME: 'origin', PRE_COMMIT_TO_REF: gitOk(dir, ['rev-parse', ref]).trim(), PRE_COMMIT_LOCAL_BRANCH: `refs/heads/${ref}` } });
  assert.is(pushed('feature').code, 1);
  const main = pushed('main');
  assert.is(main.code, 0, main.out);
});

test('post-merge reads the squash flag from PRE_COMMIT_IS_SQUASH_MERGE: a squash merge is checked in the index', () => {
  const dir = repo();
  addMigration(dir, 'blog', '0002_other', ['0001_initial']);
  gitOk(dir, ['add', '-A']);
  const squash = migcheck(dir, ['hook', 'post-merge'], { env: { ...FRAMEWORK, PRE_COMMIT_IS_SQUASH_MERGE: '1' } });
  assert.is(squash.code, 0);
  assert.match(squash.out, /multiple-leaves blog/);
  const commit = migcheck(dir, ['hook', 'post-merge'], { env: { ...FRAMEWORK, PRE_COMMIT_IS_SQUASH_MERGE: '0' } });
  assert.is(commit.code, 0);
  assert.is(commit.out, '', 'HEAD has one leaf');
});

test.run();
