import type { BranchesReport } from '../api.js';
import type { ConflictGroup } from '../io/branches.js';
import { branchMessages } from '../messages.js';
import type { Paint } from './color.js';

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

function list(names: readonly string[]): string {
  return names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function fixOf(g: ConflictGroup): string {
  const rebase = `\`migcheck rebase --app ${g.app}\``;
  const merge = `\`migcheck merge --app ${g.app}\``;
  if (g.lockfile) {
    // django-linear-migrations: git also stops on max_migration.txt, which both sides change.
    // rebase rewrites it; migcheck's merge driver resolves it while merging.
    const driver = `migcheck's merge driver installed (\`migcheck install\`), which writes the merge migration and resolves ${g.lockfile}`;
    return g.target
      ? `in each branch, run ${rebase} (it rewrites ${g.lockfile} too), or merge ${g.target} with ${driver}`
      : `whichever lands second: run ${rebase} on top of the target, or merge the target again with ${driver}`;
  }
  return g.target ? `in each branch, merge ${g.target} then run ${merge}, or run ${rebase}` : `whichever lands second: merge the target again, then ${merge} (or ${rebase})`;
}

function renderGroup(g: ConflictGroup, p: Paint): string[] {
  const branches = g.members.filter((m) => m.ref !== g.target).map((m) => m.ref);
  const on = g.parent ? `on top of ${g.parent}` : 'with no common parent';
  const head = g.target
    ? `${p.red('✖')} ${p.bold(g.app)} ${on}: ${list(branches)} ${branches.length === 1 ? 'adds' : 'add'} migrations that ${g.target} also adds`
    : `${p.red('✖')} ${p.bold(g.app)} ${on}: ${list(branches)} ${branches.length === 2 ? 'both' : 'all'} add migrations`;
  const width = Math.max(...g.members.map((m) => m.ref.length));
  const lines = [head];
  for (const m of g.members) lines.push(`    ${m.ref.padEnd(width)}  ${m.files.join(', ')}`);
  lines.push(`  ${p.dim('fix:')} ${fixOf(g)}`);
  return lines;
}

/** Grouped by app and parent: "these three branches all add a migration on top of 0041 in billing". */
export function renderBranches(report: BranchesReport, p: Paint, quiet = false): string {
  const blocks: string[] = [];
  for (const g of report.groups) blocks.push(renderGroup(g, p).join('\n'));
  // Everything that is not two leaves on one parent, one finding at a time.
  for (const f of report.findings) {
    if (f.cause === 'multiple-leaves') continue;
    const where = f.file ? `  ${p.dim(f.file)}` : '';
    blocks.push(`${p.red('✖')} ${p.bold(f.branch)} ${f.pair ? `+ ${f.target}` : `into ${f.target}`}${where}\n  ${f.message}\n  ${p.dim('fix:')} ${f.hint}`);
  }
  // Branches git could not read: a note each, and the scan's verdict is about the others.
  for (const b of report.branches) {
    if (b.skipped) blocks.push(`${p.yellow('⚠')} ${p.bold(b.branch)} into ${b.target}\n  ${b.skipped}\n  ${p.dim('fix:')} ${branchMessages.skippedHint()}`);
  }
  for (const s of report.skippedPairs ?? []) {
    blocks.push(`${p.yellow('⚠')} ${p.bold(s.branches[0])} + ${p.bold(s.branches[1])} (into ${s.target})\n  ${s.skipped}\n  ${p.dim('fix:')} ${branchMessages.skippedHint()}`);
  }
  if (report.pairs && report.pairs.length) {
    blocks.push(p.bold(`Branches that conflict with each other once both are merged into ${report.targets.map((t) => t.name).join(', ')}:`));
    for (const g of report.pairs) blocks.push(renderGroup(g, p).join('\n'));
  }
  if (!quiet || report.summary.errors > 0) {
    for (const t of report.targets) {
      const rows = report.branches.filter((b) => b.target === t.name);
      const conflicting = rows.filter((b) => b.conflicts > 0).length;
      const merged = rows.filter((b) => !b.skipped && (b.relation === 'merged' || b.relation === 'same')).length;
      const skipped = rows.filter((b) => b.skipped).length;
      const clean = rows.length - conflicting - merged - skipped;
      const parts = [
        conflicting ? p.red(`${conflicting} conflict`) : '',
        `${clean} clean`,
        merged ? `${merged} already merged` : '',
        skipped ? p.yellow(`${skipped} skipped`) : '',
      ].filter(Boolean);
      const mark = conflicting ? p.red('✖') : p.green('✔');
      blocks.push(`${mark} ${plural(rows.length, 'branch', 'branches')} against ${t.name}: ${parts.join(', ')}`);
    }
    if (report.pairs) {
      const n = report.findings.filter((f) => f.pair).length;
      blocks.push(n ? `${p.red('✖')} ${plural(n, 'conflict')} between branches` : `${p.green('✔')} no conflicts between branches`);
    }
  }
  return blocks.length ? blocks.join('\n\n') + '\n' : '';
}
