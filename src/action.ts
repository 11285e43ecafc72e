/**
 * The GitHub Action (action.yml at the root runs `node dist/action.js` in the user's repository).
 * It checks the checked-out commit (on a pull request, GitHub's merge of it with the base branch),
 * predicts the merge with the base branch, and optionally every branch; prints annotations or
 * writes SARIF; writes the JSON report, the step outputs and the job summary. Inputs arrive as
 * INPUT_* variables, as the runner names them. Sets process.exitCode (only cli.ts exits).
 */
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { branches, check, type Report } from './api.js';
import { git } from './io/git.js';
import { actionMessages as m } from './messages.js';
import { escapeData, escapeProperty, renderGithub } from './render/github.js';
import { renderJson } from './render/json.js';
import { renderSarif } from './render/sarif.js';
import { VERSION } from './version.js';

type Env = NodeJS.ProcessEnv;

/** The runner's name for input `name`: INPUT_ and the name upper-cased, spaces as `_`. */
function input(env: Env, name: string, fallback: string): string {
  const value = env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`]?.trim();
  return value ? value : fallback;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const value = input(env, name, String(fallback)).toLowerCase();
  if (value !== 'true' && value !== 'false') throw new Error(m.badInput(name, value, 'true or false'));
  return value === 'true';
}

async function refExists(cwd: string, ref: string): Promise<boolean> {
  return (await git(['rev-parse', '-q', '--verify', `${ref}^{commit}`], { cwd, okCodes: [1, 128] })).code === 0;
}

/** origin/<base>, fetched (with the history a merge base needs) when the checkout lacks it. */
async function baseRef(cwd: string, base: string, warn: (s: string) => void): Promise<string | null> {
  if (!base) {
    warn(m.noBase());
    return null;
  }
  const ref = base.includes('/') && (await refExists(cwd, base)) ? base : `origin/${base}`;
  if (await refExists(cwd, ref)) return ref;
  const shallow = (await git(['rev-parse', '--is-shallow-repository'], { cwd })).stdout.toString().trim() === 'true';
  await git(['fetch', '-q', '--no-tags', ...(shallow ? ['--unshallow'] : []), 'origin', `+refs/heads/${base}:refs/remotes/origin/${base}`], { cwd, okCodes: [1, 128] });
  if (await refExists(cwd, ref)) return ref;
  warn(m.baseMissing(ref));
  return null;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function summaryOf(report: Report, target: string | null): string {
  const lines = [m.summaryTitle(), ''];
  if (target) lines.push(m.predicted(target), '');
  if (!report.findings.length) return [...lines, m.clean(report.source), ''].join('\n');
  lines.push(m.counts(report.summary.errors, report.summary.warnings), '', '| | finding | app | file | message |', '|---|---|---|---|---|');
  for (const f of report.findings) {
    const where = f.file ? `\`${f.file}${f.line ? `:${f.line}` : ''}\`` : '';
    lines.push(`| ${f.severity === 'error' ? '✖' : '⚠'} | \`${f.code}\` | ${f.app ?? ''} | ${where} | ${cell(f.hint ? `${f.message} Fix: ${f.hint}` : f.message)} |`);
  }
  return [...lines, ''].join('\n');
}

export async function actionMain(env: Env, cwd: string, out: NodeJS.WritableStream): Promise<number> {
  const format = input(env, 'format', 'annotations');
  if (format !== 'annotations' && format !== 'sarif') throw new Error(m.badInput('format', format, 'annotations or sarif'));
  const predict = flag(env, 'merge', true);
  const everyBranch = flag(env, 'branches', false);
  const fail = flag(env, 'fail', true);
  const warn = (s: string) => out.write(`::warning title=migcheck::${escapeData(s)}\n`);

  const base = input(env, 'base', env.GITHUB_BASE_REF || env.MIGCHECK_DEFAULT_BRANCH || '');
  const target = predict || everyBranch ? await baseRef(cwd, base, warn) : null;
  const report = await check({ cwd, against: predict && target ? [target] : [] });

  const dir = env.RUNNER_TEMP || cwd;
  const json = path.join(dir, 'migcheck.json');
  await writeFile(json, renderJson(report));
  const outputs: Record<string, string> = {
    findings: String(report.findings.length),
    errors: String(report.summary.errors),
    warnings: String(report.summary.warnings),
    json,
    sarif: '',
  };
  if (format === 'sarif') {
    outputs.sarif = path.join(dir, 'migcheck.sarif');
    await writeFile(outputs.sarif, renderSarif(report, VERSION));
  } else out.write(renderGithub(report));

  let summary = summaryOf(report, predict ? target : null);
  let failed = report.summary.errors > 0;
  if (everyBranch && target) {
    const scan = await branches({ cwd, remote: true, targets: [target] });
    const conflicts = scan.findings.filter((f) => f.severity === 'error');
    outputs['branch-conflicts'] = String(conflicts.length);
    summary += ['', m.branchesTitle(target), '', ...(conflicts.length ? conflicts.map((f) => `- ✖ ${cell(f.message)}`) : [m.noBranchConflicts()]), ''].join('\n');
    for (const f of conflicts) out.write(`::error title=${escapeProperty(`migcheck ${f.code}`)}::${escapeData(f.message)}\n`);
    failed ||= conflicts.length > 0;
  }

  if (env.GITHUB_OUTPUT) await appendFile(env.GITHUB_OUTPUT, Object.entries(outputs).map(([k, v]) => `${k}=${v}\n`).join(''));
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, summary);
  return fail && failed ? 1 : 0;
}

actionMain(process.env, process.cwd(), process.stdout).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stdout.write(`::error title=migcheck::${escapeData(e instanceof Error ? e.message : String(e))}\n`);
    process.exitCode = 2;
  },
);
