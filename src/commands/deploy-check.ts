/**
 * `migcheck deploy-check`: compare the code about to be deployed with what a database has applied.
 * The plan `migrate` will run, what will fail, and the exact command that fixes it.
 */
import { loadState, report, type Report, type State } from '../api.js';
import type { Io } from '../cli.js';
import { deployCheck, appliedMissing, type DeployResult, type Diagnosis, type LostSource, type PlanStep } from '../core/deploy.js';
import type { Effect } from '../core/effects.js';
import { analyze, sortFindings, type Finding, type ProjectGraph } from '../core/findings.js';
import { appliedKey, type Graph } from '../core/graph.js';
import { parseMigration } from '../core/parse.js';
import { appliedSet, effectiveApplied, expandSquashes, irreversibleOperations, resolveTarget, rollbackPlan, TargetError, type Irreversible } from '../core/plan.js';
import { compareStrings } from '../core/order.js';
import type { NodeKey } from '../core/types.js';
import { UsageError } from '../errors.js';
import { readApplied, type AppliedSource } from '../io/db.js';
import { findInHistory } from '../io/history.js';
import { deployMessages as say, schemaMessages } from '../messages.js';
import { colorEnabled, paint, type Paint } from '../render/color.js';
import { renderFinding, renderSummary } from '../render/human.js';
import { renderJson } from '../render/json.js';
import { exitCodeFor, type OutputOptions } from './check.js';
import { analyzeOptions } from '../io/config.js';

export interface DeployCheckOptions extends OutputOptions {
  database?: string;
  applied?: string;
  ref?: string;
  rollbackTo?: string[];
}

export interface RollbackStep {
  app: string;
  name: string;
  file: string | null;
  reversible: boolean;
  irreversible: Irreversible[];
}

export interface DeployReport extends Report {
  database: string;
  plan: Array<PlanStep | RollbackStep>;
  applied: NodeKey[];
  diagnoses: Diagnosis[];
  /** The database's tables, when they were read: how many, and from which schemas. */
  schema: { engine: string; schemas: string[]; tables: number } | null;
}

/** With several Django projects in one repository, the one whose apps the database knows best. */
function chooseProject(state: State, applied: readonly NodeKey[], notes: string[]): ProjectGraph | null {
  const projects = state.analysis.projects;
  if (projects.length <= 1) return projects[0] ?? null;
  const labels = new Set(applied.map((k) => k[0]));
  const score = (p: ProjectGraph) => [...p.apps.keys()].filter((a) => labels.has(a)).length;
  const best = [...projects].sort((a, b) => score(b) - score(a) || compareStrings(a.project, b.project))[0];
  notes.push(say.projectChoice(projects.map((p) => p.project), best.project));
  return best;
}

async function lostSources(state: State, missing: readonly NodeKey[], appDirs: ReadonlyMap<string, string>): Promise<Map<string, LostSource | null>> {
  const out = new Map<string, LostSource | null>();
  for (const [app, name] of missing) {
    let found = null;
    try {
      found = await findInHistory(state.root, appDirs.get(app) ?? null, name);
    } catch {
      // Not a git repository, or a shallow clone without the commit: reported as not found.
    }
    out.set(appliedKey(app, name), found ? { path: found.path, commit: found.commit, parsed: parseMigration(found.text) } : null);
  }
  return out;
}

function rollback(graph: Graph, args: string[], applied: ReadonlySet<string>): { steps: RollbackStep[]; findings: Finding[] } {
  if (args.length !== 2) throw new UsageError(say.rollbackArgs());
  const [app, name] = args;
  let target;
  try {
    target = resolveTarget(graph, app, name);
  } catch (e) {
    if (e instanceof TargetError) throw new UsageError(e.message);
    throw e;
  }
  const result = rollbackPlan(graph, app, target, applied);
  if (result.forwards) throw new UsageError(say.rollbackForwards(app, target === 'zero' ? 'zero' : target.name));
  const findings: Finding[] = [];
  const steps = result.steps.map((node) => {
    const irreversible = irreversibleOperations(node.migration!.parsed.operations);
    for (const op of irreversible) {
      findings.push({
        code: 'irreversible',
        severity: 'error',
        app: node.app,
        migrations: [node.name],
        parent: null,
        message: say.irreversibleStep(node.app, node.name, op.kind, op.missing),
        hint: say.irreversibleHint(op.kind, op.missing),
        file: node.migration!.path,
        line: op.line,
      });
    }
    return { app: node.app, name: node.name, file: node.migration!.path, reversible: irreversible.length === 0, irreversible };
  });
  return { steps, findings };
}

export async function deployCheckReport(options: DeployCheckOptions, io: Io): Promise<{ report: DeployReport; notes: string[] }> {
  const state = await loadState({ cwd: io.cwd, ref: options.ref });
  const source: AppliedSource = await readApplied({ database: options.database, applied: options.applied, env: io.env, cwd: io.cwd });
  const notes: string[] = [];
  const project = chooseProject(state, source.applied, notes);
  let recorded = source.applied;
  // showmigrations marks a squash applied only when all it replaces is: count those as applied.
  if (project && source.format !== 'database') recorded = expandSquashes(project.graph, recorded);

  // Django's loader with a connection: squashes decided against the applied set.
  const { config } = state;
  const analysis = analyze(state.snapshot.dirs, state.parsed, {
    ...analyzeOptions(config),
    applied: appliedSet(recorded),
  });
  const base = report(state.snapshot.source, analysis);
  const chosen = project ? analysis.projects.find((p) => p.project === project.project)! : null;
  let result: DeployResult = { plan: [], findings: [], diagnoses: [] };
  let plan: Array<PlanStep | RollbackStep> = [];
  const extra: Finding[] = [];
  if (chosen) {
    const appDirs = new Map([...chosen.apps].map(([label, a]) => [label, a.dir] as const));
    const missing = appliedMissing(chosen.graph, recorded);
    const history = await lostSources(state, missing, appDirs);
    result = deployCheck({ graph: chosen.graph, recorded, history, engine: source.engine, appDirs, schema: source.schema });
    plan = result.plan;
    if (options.rollbackTo) {
      const r = rollback(chosen.graph, options.rollbackTo, effectiveApplied(chosen.graph, appliedSet(recorded)));
      plan = r.steps;
      extra.push(...r.findings);
    }
  } else if (options.rollbackTo) {
    throw new UsageError(say.rollbackArgs());
  }
  const findings = sortFindings([...analysis.findings, ...result.findings, ...extra]);
  const errors = findings.filter((f) => f.severity === 'error').length;
  return {
    report: {
      ...base,
      findings,
      summary: { errors, warnings: findings.length - errors },
      database: source.label,
      plan,
      applied: [...source.applied],
      diagnoses: result.diagnoses,
      schema: source.schema ? { engine: source.schema.engine, schemas: source.schema.schemas, tables: source.schema.tables.length } : null,
    },
    notes,
  };
}

function effectLine(e: Effect): string {
  return e.columns ? `${e.label} (${e.target}: ${e.columns.join(', ')})` : `${e.label} (${e.target})`;
}

/** Findings that stop `migrate` before it runs anything (Django's loader and its history check). */
const BLOCKING = new Set(['multiple-leaves', 'missing-dependency', 'circular-dependency', 'parse-error', 'duplicate-label', 'inconsistent-history']);

function renderDiagnosis(d: Diagnosis, hint: string, p: Paint): string[] {
  const lines: string[] = [];
  // A single step that the hint already gives is not repeated.
  if (d.steps.length > 1 || (d.steps.length === 1 && !hint.includes(d.steps[0]))) {
    lines.push(`  ${p.bold('steps:')}`);
    d.steps.forEach((s, i) => lines.push(`    ${i + 1}. ${s}`));
  }
  if (d.diff && d.same === false) {
    lines.push(`  ${p.bold('differences')} between ${d.missing} (applied) and ${d.sibling} (code):`);
    for (const e of d.diff.onlyApplied) lines.push(`    - only in the database: ${effectLine(e)}`);
    for (const e of d.diff.onlyPending) lines.push(`    + only in the code: ${effectLine(e)}`);
    for (const x of d.diff.differ) {
      lines.push(`    ~ ${x.target}:`);
      for (const e of x.applied) lines.push(`        database: ${effectLine(e)}`);
      for (const e of x.pending) lines.push(`        code:     ${effectLine(e)}`);
    }
  }
  return lines;
}

function isRollback(step: PlanStep | RollbackStep): step is RollbackStep {
  return 'reversible' in step;
}

export function renderDeployHuman(r: DeployReport, notes: string[], p: Paint, options: { quiet?: boolean; rollback?: boolean }): string {
  const blocks: string[] = [];
  if (!options.quiet) {
    const tables = r.schema ? `, ${schemaMessages.databaseSummary(r.schema.tables, r.schema.schemas)}` : '';
    const head = [`database: ${r.database} (${r.applied.length} applied${tables})`, `code: ${r.source}`, ...notes.map((n) => `note: ${n}`)];
    blocks.push(head.join('\n'));
    const lines: string[] = [];
    if (options.rollback) {
      lines.push(r.plan.length ? `rollback: \`migrate\` would unapply ${r.plan.length} migration${r.plan.length === 1 ? '' : 's'}, in this order:` : 'rollback: nothing to unapply');
      r.plan.forEach((s, i) => {
        const mark = isRollback(s) && !s.reversible ? `  ${p.red('✖ irreversible')}` : `  ${p.green('✔')}`;
        lines.push(`  ${i + 1}. ${s.app}.${s.name}${mark}`);
      });
    } else {
      const blocked = r.findings.some((f) => f.severity === 'error' && BLOCKING.has(f.code));
      const count = `${r.plan.length} migration${r.plan.length === 1 ? '' : 's'}`;
      if (!r.plan.length) lines.push('plan: nothing to migrate');
      else if (blocked) lines.push(`plan: \`migrate\` refuses to start until the errors below are fixed; then it would run ${count}, in this order:`);
      else lines.push(`plan: \`migrate\` will run ${count}, in this order:`);
      r.plan.forEach((s, i) => {
        const fails = !isRollback(s) && s.fails ? `  ${p.red(`✖ will fail: ${s.fails}`)}` : '';
        lines.push(`  ${i + 1}. ${s.app}.${s.name}${fails}`);
        const verdict = !isRollback(s) && s.schema ? schemaMessages.stepVerdict(s.app, s.name, s.schema) : null;
        if (verdict) lines.push(`     ${p.dim('database:')} ${verdict}`);
      });
    }
    blocks.push(lines.join('\n'));
  }
  const shown = options.quiet ? r.findings.filter((f) => f.severity === 'error') : r.findings;
  for (const f of shown) {
    const text = [renderFinding(r, f, p)];
    if (f.code === 'applied-missing') {
      const d = r.diagnoses.find((x) => x.app === f.app && x.missing === f.migrations[0]);
      if (d) text.push(...renderDiagnosis(d, f.hint, p));
    }
    blocks.push(text.join('\n'));
  }
  if (!(options.quiet && r.summary.errors === 0)) blocks.push(renderSummary(r, p));
  return blocks.join('\n\n') + '\n';
}

export async function deployCheckCommand(options: DeployCheckOptions, io: Io): Promise<number> {
  const { report: r, notes } = await deployCheckReport(options, io);
  if (options.format === 'json') io.stdout.write(renderJson(r));
  else io.stdout.write(renderDeployHuman(r, notes, paint(colorEnabled(io.stdout.isTTY, io.env)), { quiet: options.quiet, rollback: Boolean(options.rollbackTo) }));
  return exitCodeFor(r, options.strict);
}
