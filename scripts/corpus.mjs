#!/usr/bin/env node
// The real-repository corpus: run migcheck over local clones of public Django projects and print
// one table. For each clone: `check` at the tip (the work tree, or HEAD in a bare repository) and
// `branches --remote` (every branch against the main branch). The clones stay outside this
// repository; nothing of theirs is written here.
//
//   npm run corpus -- /work/corpus/saleor /work/corpus/wagtail …
//   node scripts/corpus.mjs --details --json out.json DIR…   every finding, and the raw figures
//   node scripts/corpus.mjs --cli /other/dist/cli.js DIR…    another build, for a before/after
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const usage = `usage: node scripts/corpus.mjs [--details] [--no-branches] [--json FILE] [--cli PATH] DIR…

  DIR            a local clone of a Django project (bare or with a work tree)
  --details      print every finding's message under the table
  --no-branches  only the tip
  --json FILE    also write every figure and finding as JSON
  --cli PATH     the migcheck entry to run (default: this checkout's dist/cli.js)`;

function parseArgs(argv) {
  const options = { details: false, branches: true, json: null, cli: null, dirs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--details') options.details = true;
    else if (a === '--no-branches') options.branches = false;
    else if (a === '--json') options.json = argv[++i];
    else if (a === '--cli') options.cli = argv[++i];
    else if (a === '-h' || a === '--help') return null;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else options.dirs.push(a);
  }
  if (options.dirs.length === 0 || (options.json === undefined) || options.cli === undefined) return null;
  return options;
}

function run(cli, args, cwd) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ code, ms, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

function gitOut(args, cwd) {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.on('close', () => resolve(Buffer.concat(out).toString('utf8').trim()));
  });
}

/** findings -> "code:severity" -> count */
function countCodes(findings) {
  const counts = new Map();
  for (const f of findings) {
    const key = `${f.code}${f.severity === 'warning' ? '(w)' : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
}

function parseJson(result, what) {
  try {
    return JSON.parse(result.stdout);
  } catch {
    const why = (result.stderr.trim().split('\n').pop() || `exit ${result.code}`).slice(0, 200);
    return { failed: why };
  }
}

async function survey(cli, dir, withBranches) {
  const row = { project: path.basename(path.resolve(dir)), dir: path.resolve(dir) };
  const isRepo = await gitOut(['rev-parse', '--is-bare-repository'], dir);
  if (isRepo === '') {
    row.tip = { ms: 0, exit: null, failed: 'not a git repository' };
    if (withBranches) row.branches = { ms: 0, exit: null, failed: 'not a git repository' };
    return row;
  }
  const bare = isRepo === 'true';
  row.bare = bare;
  const tipArgs = ['check', '--format', 'json', ...(bare ? ['--ref', 'HEAD'] : [])];
  const tip = await run(cli, tipArgs, dir);
  const tipReport = parseJson(tip, 'check');
  row.tip = { ms: tip.ms, exit: tip.code, failed: tipReport.failed ?? null };
  if (!tipReport.failed) {
    row.apps = tipReport.apps.length;
    row.migrations = tipReport.apps.reduce((n, a) => n + a.migrations, 0);
    row.tip.findings = tipReport.findings;
  }
  if (withBranches) {
    const hasRemotes = (await gitOut(['for-each-ref', '--count=1', 'refs/remotes'], dir)) !== '';
    const br = await run(cli, ['branches', '--format', 'json', ...(hasRemotes ? ['--remote'] : [])], dir);
    const brReport = parseJson(br, 'branches');
    row.branches = { ms: br.ms, exit: br.code, failed: brReport.failed ?? null };
    if (!brReport.failed) {
      row.branches.count = (brReport.branches ?? []).length;
      row.branches.findings = brReport.findings ?? [];
      row.branches.skipped = (brReport.branches ?? []).filter((b) => b.skipped).length;
    }
  }
  return row;
}

function table(rows, withBranches) {
  const head = ['project', 'apps', 'migrations', 'tip findings', 'tip ms'];
  if (withBranches) head.push('branches', 'branch findings', 'branches ms');
  const lines = [head];
  for (const r of rows) {
    const tipCell = r.tip.failed ? `FAILED check: ${r.tip.failed}` : `${r.tip.findings.length}: ${countCodes(r.tip.findings)}`;
    const line = [r.project, String(r.apps ?? '-'), String(r.migrations ?? '-'), tipCell, r.tip.ms.toFixed(0)];
    if (withBranches) {
      const b = r.branches;
      line.push(
        b.failed ? '-' : `${b.count}${b.skipped ? ` (${b.skipped} skipped)` : ''}`,
        b.failed ? `FAILED branches: ${b.failed}` : `${b.findings.length}: ${countCodes(b.findings)}`,
        b.ms.toFixed(0),
      );
    }
    lines.push(line);
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const fmt = (l) => `| ${l.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmt(lines[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.slice(1).map(fmt)].join('\n');
}

function details(rows) {
  const out = [];
  for (const r of rows) {
    const all = [
      ...(r.tip.findings ?? []).map((f) => ['tip', f]),
      ...(r.branches?.findings ?? []).map((f) => [f.branch ? `${f.branch} -> ${f.target}` : 'branches', f]),
    ];
    if (all.length === 0) continue;
    out.push(`\n## ${r.project}`);
    for (const [where, f] of all) out.push(`- [${where}] ${f.code} ${f.severity} ${f.app ?? ''}: ${f.message}`);
  }
  return out.join('\n');
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n${usage}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${usage}\n`);
    return process.argv.length > 2 ? 0 : 2;
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const cli = path.resolve(options.cli ?? path.join(here, '..', 'dist', 'cli.js'));
  const rows = [];
  for (const dir of options.dirs) {
    process.stderr.write(`corpus: ${dir}\n`);
    rows.push(await survey(cli, dir, options.branches));
  }
  process.stdout.write(`${table(rows, options.branches)}\n`);
  const sum = (f) => rows.reduce((n, r) => n + f(r), 0);
  const tipTotal = sum((r) => r.tip.findings?.length ?? 0);
  const brTotal = sum((r) => r.branches?.findings?.length ?? 0);
  process.stdout.write(
    `\n${rows.length} projects, ${sum((r) => r.migrations ?? 0)} migrations: ${tipTotal} findings at the tips` +
      (options.branches ? `, ${brTotal} over ${sum((r) => r.branches?.count ?? 0)} branches` : '') +
      `; failures: ${rows.filter((r) => r.tip.failed || r.branches?.failed).length}\n`,
  );
  if (options.details) process.stdout.write(`${details(rows)}\n`);
  if (options.json) writeFileSync(options.json, `${JSON.stringify(rows, null, 2)}\n`);
  return rows.some((r) => r.tip.failed || r.branches?.failed) ? 1 : 0;
}

process.exitCode = await main();
