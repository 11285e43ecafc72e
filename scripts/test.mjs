#!/usr/bin/env node
// `npm test`: every suite under test/ with uvu, in shards that run side by side. Most of the time
// goes to child processes (git, Django, PostgreSQL, the CLI), so two shards on two cores take
// about two thirds of the time of one. Each shard's output is printed whole when it ends, then one
// total in uvu's own words ("Total:", "Passed:", "Skipped:"), which .ci/run reads.
//
//   node scripts/test.mjs                 every *.test.ts, in MIGCHECK_TEST_JOBS shards (default 2)
//   node scripts/test.mjs 'branches'      only the files whose name matches the pattern
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');

// Rough seconds on a quiet 2-core machine, for balancing the shards; any other file counts 5.
const WEIGHT = {
  'pre-commit': 90,
  'merge-random': 70,
  'oracle-property': 60,
  'driver-lifecycle': 45,
  'graph-fuzz': 40,
  'branches-oracle': 40,
  'deploy-plan': 30,
  'deploy-schema': 30,
  'merge-shapes': 30,
  'deploy-e2e': 25,
  'oracle-shapes': 25,
  branches: 25,
  hooks: 25,
  'merge-driver': 25,
  action: 20,
  pack: 20,
  install: 15,
  'layout-oracle': 15,
  'branches-roots': 15,
};

const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;
const files = readdirSync(path.join(root, 'test'))
  .filter((f) => f.endsWith('.test.ts') && (!filter || filter.test(f)))
  .sort();
const jobs = Math.max(1, Math.min(Number(process.env.MIGCHECK_TEST_JOBS) || Math.min(2, cpus().length), files.length));

// Longest first, each to the lightest shard.
const shards = Array.from({ length: jobs }, () => ({ files: [], weight: 0 }));
for (const f of [...files].sort((a, b) => weight(b) - weight(a) || (a < b ? -1 : 1))) {
  const lightest = shards.reduce((min, s) => (s.weight < min.weight ? s : min));
  lightest.files.push(f);
  lightest.weight += weight(f);
}

function weight(file) {
  return WEIGHT[file.slice(0, -'.test.ts'.length)] ?? 5;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function runShard(shard) {
  return new Promise((resolve) => {
    const pattern = `^(${shard.files.map(escape).join('|')})$`;
    const child = spawn(process.execPath, [uvu, '-r', 'tsx', 'test', pattern], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      process.stdout.write(text);
      resolve({ code: code ?? 1, text });
    });
  });
}

const start = Date.now();
const results = await Promise.all(shards.filter((s) => s.files.length).map(runShard));
// uvu prints "Total:", "Passed:" and "Skipped:" (possibly coloured) once per run.
const count = (text, label) => {
  // eslint-disable-next-line no-control-regex
  const m = new RegExp(`${label}:\\s*(?:\\u001b\\[[0-9;]*m)*\\s*(\\d+)`).exec(text);
  return m ? Number(m[1]) : null;
};
let total = 0;
let passed = 0;
let skipped = 0;
let unreadable = 0;
for (const r of results) {
  const t = count(r.text, 'Total');
  const p = count(r.text, 'Passed');
  if (t === null || p === null) unreadable++;
  total += t ?? 0;
  passed += p ?? 0;
  skipped += count(r.text, 'Skipped') ?? 0;
}
process.stdout.write(
  `\nAll ${results.length} shards:\n  Total:     ${total}\n  Passed:    ${passed}\n  Skipped:   ${skipped}\n  Duration:  ${Date.now() - start}ms\n`,
);
if (unreadable) process.stdout.write(`${unreadable} shard(s) ended without uvu's totals\n`);
process.exitCode = results.some((r) => r.code !== 0) || unreadable ? 1 : 0;
