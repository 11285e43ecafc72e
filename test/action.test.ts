// action.yml run the way the GitHub runner runs a composite action: each step's `run:` with
// `bash --noprofile --norc -eo pipefail`, `${{ … }}` expressions replaced from the inputs, `github`
// and earlier steps' outputs, INPUT_* variables, a GITHUB_OUTPUT and GITHUB_STEP_SUMMARY file per
// step, RUNNER_TEMP, the action's folder as a clean copy of this project (node_modules linked, so
// the build step is tsc alone) and a Django repository with no package.json as the workspace.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanEnv, djangoRepo, gitOk, migration, modelFor } from './hooks-support.js';
import { projectCopy } from './helpers/project-copy.js';
import { PROJECT_ROOT, removeDir, tempDir, writeFiles } from './helpers/repo.js';

interface Step {
  name?: string;
  id?: string;
  shell?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  'working-directory'?: string;
}

interface ActionYaml {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

interface ActionRun {
  code: number;
  log: string;
  outputs: Record<string, string>;
  summary: string;
  failedStep: string | null;
}

const dirs: string[] = [];
const actionPath = tempDir('migcheck-action-');
dirs.push(actionPath);

/** action.yml as YAML says it (PyYAML, which Debian's pre-commit brings). */
function loadAction(file: string): ActionYaml {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)', file], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ActionYaml;
}

/** The step output files the runner reads: `name=value` lines and `name<<EOF` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1);
      out[heredoc[1]] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (lines[i].includes('=')) out[lines[i].slice(0, lines[i].indexOf('='))] = lines[i].slice(lines[i].indexOf('=') + 1);
  }
  return out;
}

function runAction(workspace: string, given: Record<string, string>, github: { base_ref?: string; default_branch?: string } = {}): ActionRun {
  const action = loadAction(join(actionPath, 'action.yml'));
  assert.is(action.runs.using, 'composite');
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) inputs[name] = given[name] ?? spec.default ?? '';
  for (const name of Object.keys(given)) assert.ok(name in action.inputs, `action.yml has input ${name}`);
  const steps: Record<string, Record<string, string>> = {};
  const expr = (text: string) =>
    text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => {
      const input = /^inputs\.([\w-]+)$/.exec(e);
      if (input) return inputs[input[1]] ?? '';
      if (e === 'github.action_path') return actionPath;
      if (e === 'github.event.repository.default_branch') return github.default_branch ?? 'main';
      if (e === 'github.base_ref') return github.base_ref ?? '';
      const output = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(e);
      if (output) return steps[output[1]]?.[output[2]] ?? '';
      throw new Error(`the test runner does not know \${{ ${e} }}`);
    });
  const temp = tempDir('migcheck-runner-');
  dirs.push(temp);
  const base = cleanEnv({
    GITHUB_ACTION_PATH: actionPath,
    GITHUB_WORKSPACE: workspace,
    GITHUB_BASE_REF: github.base_ref ?? '',
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_TEMP: temp,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v])),
  });
  let log = '';
  let summary = '';
  let failedStep: string | null = null;
  let code = 0;
  action.runs.steps.forEach((step, i) => {
    if (failedStep !== null) return;
    assert.ok(step.run && !step.uses, `step ${i} runs a script (the runner's node is all the action needs)`);
    assert.is(step.shell, 'bash');
    const output = join(temp, `output-${i}`);
    const stepSummary = join(temp, `summary-${i}`);
    writeFileSync(output, '');
    writeFileSync(stepSummary, '');
    const script = join(temp, `step-${i}.sh`);
    writeFileSync(script, expr(step.run!));
    const env = { ...base, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: stepSummary };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = expr(String(v));
    const cwd = join(workspace, expr(step['working-directory'] ?? '.'));
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, encoding: 'utf8', env });
    log += r.stdout + r.stderr;
    summary += readFileSync(stepSummary, 'utf8');
    if (step.id) steps[step.id] = parseOutputs(readFileSync(output, 'utf8'));
    if (r.status !== 0) {
      failedStep = step.name ?? String(i);
      code = r.status ?? 1;
    }
  });
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, expr(v.value)]));
  return { code, log, outputs, summary, failedStep };
}

/**
 * A pull request as the runner checks it out: `origin` has main, where 0003_blog_main landed after
 * the branch `feature` (0003_blog_feature) left it. The workspace is a full clone on `feature`.
 */
function pullRequest(conflict: boolean): string {
  const origin = djangoRepo({ local: false });
  dirs.push(origin);
  gitOk(origin, ['checkout', '-q', '-b', 'feature']);
  writeFiles(origin, { 'blog/migrations/0003_blog_feature.py': migration('blog', ['0002_blog_more'], modelFor('0003_feature')) });
  gitOk(origin, ['add', '-A']);
  gitOk(origin, ['commit', '-q', '--no-verify', '-m', 'feature']);
  gitOk(origin, ['checkout', '-q', 'main']);
  writeFiles(origin, conflict ? { 'blog/migrations/0003_blog_main.py': migration('blog', ['0002_blog_more'], modelFor('0003_main')) } : { 'README.md': 'main moves on\n' });
  gitOk(origin, ['add', '-A']);
  gitOk(origin, ['commit', '-q', '--no-verify', '-m', 'main moves on']);
  const workspace = tempDir('migcheck-workspace-');
  dirs.push(workspace);
  gitOk(origin, ['clone', '-q', '--branch', 'feature', origin, workspace]);
  assert.not.ok(existsSync(join(workspace, 'package.json')));
  return workspace;
}

const Action = suite('GitHub Action');
Action.before(() => {
  projectCopy(actionPath);
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(actionPath, 'node_modules'));
});
Action.after(() => dirs.forEach(removeDir));

Action('a pull request whose merge with main conflicts: annotations on the lines, outputs, summary, and the step fails', () => {
  const workspace = pullRequest(true);
  const r = runAction(workspace, {}, { base_ref: 'main' });
  assert.is(r.code, 1, r.log);
  assert.is(r.failedStep, 'Check migrations');
  assert.ok(existsSync(join(actionPath, 'dist', 'action.js')), 'the build step built the action');
  assert.match(r.log, /^::error file=blog\/migrations\/0003_blog_feature\.py,line=\d+,title=migcheck branch-conflict \(blog\)::.*0003_blog_main/m);
  assert.match(r.log, /^migcheck: 1 error, 0 warnings/m);
  assert.is(r.outputs.findings, '1');
  assert.is(r.outputs.errors, '1');
  const report = JSON.parse(readFileSync(r.outputs.json, 'utf8'));
  assert.equal(report.summary, { errors: 1, warnings: 0 });
  assert.is(report.findings[0].code, 'branch-conflict');
  assert.is(report.against[0].target, 'origin/main');
  assert.match(r.summary, /^## migcheck: Django migrations/m);
  assert.match(r.summary, /Predicted merge with `origin\/main`\./);
  assert.match(r.summary, /\| ✖ \| `branch-conflict` \| blog \| `blog\/migrations\/0003_blog_feature\.py:\d+` \|/);
});

Action('a clean pull request passes with zero findings; SARIF when asked, and every branch predicted', () => {
  const workspace = pullRequest(false);
  const r = runAction(workspace, { format: 'sarif', branches: 'true' }, { base_ref: 'main' });
  assert.is(r.code, 0, r.log);
  assert.is(r.outputs.findings, '0');
  assert.not.match(r.log, /::error/);
  const sarif = JSON.parse(readFileSync(r.outputs.sarif, 'utf8'));
  assert.is(sarif.version, '2.1.0');
  assert.equal(sarif.runs[0].results, []);
  assert.match(r.summary, /No migration problems/);
  assert.match(r.summary, /\n\n### Every branch against `origin\/main`\n\nNo branch will conflict\./);
});

Action('fail: false reports the conflict without failing; a bad input fails with a clear message', () => {
  const workspace = pullRequest(true);
  const reported = runAction(workspace, { fail: 'false' }, { base_ref: 'main' });
  assert.is(reported.code, 0, reported.log);
  assert.is(reported.outputs.errors, '1');
  assert.match(reported.log, /^::error file=blog\/migrations\/0003_blog_feature\.py/m);

  const bad = runAction(workspace, { format: 'xml' }, { base_ref: 'main' });
  assert.is(bad.code, 2, bad.log);
  assert.match(bad.log, /::error title=migcheck::input format is "xml": use annotations or sarif/);
});

Action.run();
