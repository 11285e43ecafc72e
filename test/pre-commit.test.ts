// The pre-commit framework (pre-commit.com) for real. Debian's pre-commit (which `.ci/run`
// installs) takes this project from a clean copy, installs it through `language: node` (npm pack,
// npm install -g) and runs its hooks in a Django repository that has no package.json. When
// `.ci/fetch-pre-commit` has unpacked a newer pre-commit and MIGCHECK_PRE_COMMIT_NEWER=1 is set,
// the same runs are made with it too (one more install: minutes on a busy machine).
//
// Installing costs npm installs and two tsc builds. `try-repo` installs into a store of its own
// every time, so it is run once; the other runs share one PRE_COMMIT_HOME per pre-commit.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanEnv, djangoRepo, gitOk, gitRun, migration, modelFor, treePaths, type Run } from './hooks-support.js';
import { projectCopy } from './helpers/project-copy.js';
import { removeDir, tempDir, writeFiles } from './helpers/repo.js';

const DEBIAN_PRE_COMMIT = '/usr/bin/pre-commit';
const MISSING = "Debian's pre-commit is required: `apt-get install -y pre-commit` (bash .ci/run installs it)";

interface PreCommit {
  version: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** The push stage's name on the command line: `push` before 3.2, `pre-push` from 3.2 on. */
  pushStage: string;
}

/** Debian's, and with MIGCHECK_PRE_COMMIT_NEWER=1 those unpacked by .ci/fetch-pre-commit. */
function preCommits(): PreCommit[] {
  const found: PreCommit[] = [];
  if (existsSync(DEBIAN_PRE_COMMIT)) found.push(describe([DEBIAN_PRE_COMMIT], {}));
  if (process.env.MIGCHECK_PRE_COMMIT_NEWER !== '1') return found;
  const cache = process.env.MIGCHECK_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'migcheck');
  const unpacked = existsSync(cache) ? readdirSync(cache).filter((d) => d.startsWith('pre-commit-')) : [];
  for (const dir of unpacked.sort()) {
    const lib = join(cache, dir, 'usr', 'lib', 'python3', 'dist-packages');
    if (existsSync(join(lib, 'pre_commit'))) found.push(describe(['/usr/bin/python3', '-m', 'pre_commit'], { PYTHONPATH: lib }));
  }
  return found;
}

function describe(argv: string[], env: NodeJS.ProcessEnv): PreCommit {
  const r = spawnSync(argv[0], [...argv.slice(1), '--version'], { encoding: 'utf8', env: { ...process.env, ...env } });
  const version = /pre-commit (\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? '0.0.0';
  const [major, minor] = version.split('.').map(Number);
  return { version, argv, env, pushStage: major > 3 || (major === 3 && minor >= 2) ? 'pre-push' : 'push' };
}

const dirs: string[] = [];
const project = tempDir('migcheck-project-');
dirs.push(project);
let rev = '';

function cleanCopy(): void {
  rev = projectCopy(project);
}

/** What pre-commit (and git, for the hooks it installed) is given: its store, npm answering from its cache first. */
function extra(pc: PreCommit, home: string): NodeJS.ProcessEnv {
  return { ...pc.env, PRE_COMMIT_HOME: home, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

/** No PRE_COMMIT_* inherited from a pre-commit that may be running this suite. */
function env(pc: PreCommit, home: string): NodeJS.ProcessEnv {
  const e = cleanEnv(extra(pc, home));
  for (const key of Object.keys(e)) if (key.startsWith('PRE_COMMIT') && key !== 'PRE_COMMIT_HOME') delete e[key];
  return e;
}

function gitWith(pc: PreCommit, home: string, repo: string, args: string[]): Run {
  return gitRun(repo, args, { env: env(pc, home) });
}

function run(pc: PreCommit, home: string, cwd: string, args: string[]): Run {
  const r = spawnSync(pc.argv[0], [...pc.argv.slice(1), ...args], { cwd, encoding: 'utf8', env: env(pc, home) });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr, out: r.stdout + r.stderr };
}

/** A Django repository (manage.py, app blog with 0001 and 0002 on main), no package.json. */
function django(config?: Record<string, unknown>): string {
  const repo = djangoRepo({ local: false, config });
  dirs.push(repo);
  assert.not.ok(existsSync(join(repo, 'package.json')));
  return repo;
}

/** `.pre-commit-config.yaml` naming the clean copy at `rev` (relative, as try-repo writes it), committed. */
function useHooks(repo: string, hooks: string[], types: string[]): void {
  const config = [
    `default_install_hook_types: [${types.join(', ')}]`,
    'repos:',
    `  - repo: ../${basename(project)}`,
    `    rev: ${rev}`,
    '    hooks:',
    ...hooks.map((id) => `      - id: ${id}`),
    '',
  ].join('\n');
  writeFiles(repo, { '.pre-commit-config.yaml': config });
  gitOk(repo, ['add', '.pre-commit-config.yaml']);
  gitOk(repo, ['commit', '-q', '--no-verify', '-m', 'pre-commit config']);
}

const SECOND_LEAF = 'blog/migrations/0002_blog_other.py';

const all = preCommits();
const Framework = suite('pre-commit framework');
Framework.before(cleanCopy);
Framework.after(() => dirs.forEach(removeDir));

Framework('Debian pre-commit is installed', () => {
  assert.ok(existsSync(DEBIAN_PRE_COMMIT), MISSING);
  assert.match(all[0]?.version ?? '', /^3\.0\./);
});

Framework('try-repo: a staged conflicting migration is refused with migcheck’s message, and nothing is staged for it', () => {
  const pc = all[0];
  const repo = django();
  writeFiles(repo, { [SECOND_LEAF]: migration('blog', ['0001_initial'], modelFor('0002_other')) });
  gitOk(repo, ['add', SECOND_LEAF]);
  const r = run(pc, tempDir('migcheck-try-repo-home-'), repo, ['try-repo', project, 'migcheck']);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /migcheck \(Django migration conflicts\)\.+Failed/);
  assert.match(r.out, /✖ multiple-leaves blog/);
  assert.match(r.out, /0002_blog_more and 0002_blog_other/);
  assert.match(r.out, /migcheck: commit refused: it would leave app 'blog' with several leaf migrations/);
  assert.is(gitOk(repo, ['diff', '--cached', '--name-only']), `${SECOND_LEAF}\n`);
});

for (const pc of all) {
  const home = tempDir(`migcheck-pre-commit-${pc.version}-`);
  dirs.push(home);

  Framework(`${pc.version}: the manifest loads and every hook installs; a clean staged migration passes`, () => {
    const repo = django();
    useHooks(repo, ['migcheck', 'migcheck-push', 'migcheck-post-merge', 'migcheck-post-rewrite'], ['pre-commit']);
    writeFiles(repo, { 'blog/migrations/0003_blog_next.py': migration('blog', ['0002_blog_more'], modelFor('0003')) });
    gitOk(repo, ['add', '-A']);
    const r = run(pc, home, repo, ['run', 'migcheck']);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /migcheck \(Django migration conflicts\)\.+Passed/);
    assert.not.match(r.out, /InvalidManifestError|Executable .* not found/);
  });

  Framework(`${pc.version}: git commit through the installed hook refuses a conflict, and writes and stages the merge with onConflict generate`, () => {
    const blocked = django();
    useHooks(blocked, ['migcheck'], ['pre-commit']);
    assert.is(run(pc, home, blocked, ['install']).code, 0);
    writeFiles(blocked, { [SECOND_LEAF]: migration('blog', ['0001_initial'], modelFor('0002_other')) });
    gitOk(blocked, ['add', SECOND_LEAF]);
    const head = gitOk(blocked, ['rev-parse', 'HEAD']);
    const refused = gitWith(pc, home, blocked, ['commit', '-q', '-m', 'second leaf']);
    assert.is(refused.code, 1, refused.out);
    assert.match(refused.out, /commit refused: it would leave app 'blog' with several leaf migrations/);
    assert.is(gitOk(blocked, ['rev-parse', 'HEAD']), head);

    const repo = django({ onConflict: 'generate' });
    useHooks(repo, ['migcheck'], ['pre-commit']);
    assert.is(run(pc, home, repo, ['install']).code, 0);
    writeFiles(repo, { [SECOND_LEAF]: migration('blog', ['0001_initial'], modelFor('0002_other')) });
    gitOk(repo, ['add', SECOND_LEAF]);
    const r = gitWith(pc, home, repo, ['commit', '-q', '-m', 'second leaf']);
    assert.is(r.code, 0, r.out);
    const merge = 'blog/migrations/0003_merge_0002_blog_more_0002_blog_other.py';
    assert.ok(treePaths(repo).includes(merge), 'the merge migration is in the commit');
    assert.ok(treePaths(repo).includes(SECOND_LEAF));
    assert.is(gitOk(repo, ['status', '--porcelain']), '');
  });

  Framework(`${pc.version}: the push stage predicts the conflict with the main branch, by hand and on git push`, () => {
    const origin = django();
    const repo = tempDir('migcheck-clone-');
    dirs.push(repo);
    gitOk(dirname(repo), ['clone', '-q', origin, repo]);
    useHooks(repo, ['migcheck', 'migcheck-push'], ['pre-commit', 'pre-push']);
    gitOk(repo, ['checkout', '-q', '-b', 'feature']);
    writeFiles(repo, { 'blog/migrations/0003_blog_feature.py': migration('blog', ['0002_blog_more'], modelFor('0003_feature')) });
    gitOk(repo, ['add', '-A']);
    gitOk(repo, ['commit', '-q', '--no-verify', '-m', 'feature']);
    // Meanwhile main gets its own 0003.
    writeFiles(origin, { 'blog/migrations/0003_blog_main.py': migration('blog', ['0002_blog_more'], modelFor('0003_main')) });
    gitOk(origin, ['add', '-A']);
    gitOk(origin, ['commit', '-q', '--no-verify', '-m', 'main moves on']);
    gitOk(repo, ['fetch', '-q', 'origin']);

    const byHand = run(pc, home, repo, ['run', '--hook-stage', pc.pushStage, 'migcheck-push']);
    assert.is(byHand.code, 1, byHand.out);
    assert.match(byHand.out, /migcheck push \(predict conflicts with the main branch\)\.+Failed/);
    assert.match(byHand.out, /0003_blog_feature/);
    assert.match(byHand.out, /0003_blog_main/);
    assert.match(byHand.out, /push of HEAD to HEAD refused \(judged on its own and merged with origin\/main\)/);

    assert.is(run(pc, home, repo, ['install']).code, 0);
    const push = gitWith(pc, home, repo, ['push', 'origin', 'feature']);
    assert.is(push.code, 1, push.out);
    assert.match(push.out, /migcheck \(Django migration conflicts\)\.+Passed/);
    assert.match(push.out, /push of feature to feature refused \(judged on its own and merged with origin\/main\)/);
    assert.not.ok(gitOk(origin, ['branch', '--list', 'feature']).trim(), 'the branch did not reach origin');
  });

  Framework(`${pc.version}: post-merge says what a merge brought in`, () => {
    const repo = django();
    useHooks(repo, ['migcheck-post-merge'], ['post-merge']);
    assert.is(run(pc, home, repo, ['install']).code, 0);
    gitOk(repo, ['checkout', '-q', '-b', 'other']);
    writeFiles(repo, { [SECOND_LEAF]: migration('blog', ['0001_initial'], modelFor('0002_other')) });
    gitOk(repo, ['add', '-A']);
    gitOk(repo, ['commit', '-q', '--no-verify', '-m', 'other']);
    gitOk(repo, ['checkout', '-q', 'main']);
    const merged = gitWith(pc, home, repo, ['merge', '--no-ff', '--no-verify', '-m', 'merge other', 'other']);
    assert.is(merged.code, 0, merged.out);
    assert.match(merged.out, /migcheck post-merge \(say what a merge left to fix\)\.+Passed/);
    assert.match(merged.out, /✖ multiple-leaves blog/);
    assert.match(merged.out, /migcheck merge --app blog/);
  });
}

Framework.run();
