/**
 * `deploy-check` in one pure function: the code's graph (built with the database's applied set),
 * the rows of `django_migrations`, and the sources of applied migrations the code lost (read from
 * git history by the caller) -> the plan `migrate` would run, what will fail, and the fix.
 */
import { deployMessages, schemaMessages } from '../messages.js';

const say = { ...deployMessages, ...schemaMessages };
import { diffEffects, effectsOf, firstCollision, learnTables, sameEffect, type Collision, type EffectDiff, type TableMap } from './effects.js';
import { leadingNumber, sortFindings, type Finding } from './findings.js';
import { appliedKey, compareNodes, type Graph, type GraphNode } from './graph.js';
import { appliedSet, effectiveApplied, historyProblems, migratePlan } from './plan.js';
import { compareKeys, compareStrings } from './order.js';
import { checkPlanAgainstSchema, type StepCheck, type StepVerdict } from './schema-check.js';
import type { DbSchema } from './schema.js';
import type { NodeKey, ParsedMigration } from './types.js';

export type Engine = 'postgresql' | 'sqlite' | null;

/** An applied migration's file, found in git history. */
export interface LostSource {
  path: string;
  commit: string;
  parsed: ParsedMigration;
}

export interface DeployInput {
  graph: Graph;
  /** Rows of django_migrations (or of the applied file). */
  recorded: readonly NodeKey[];
  /** Sources of applied migrations missing from the code, by `appliedKey`; null when not found. */
  history: ReadonlyMap<string, LostSource | null>;
  engine: Engine;
  /** Where each app's migrations live in the code, for the path of a lost file. */
  appDirs: ReadonlyMap<string, string>;
  /** The tables the database has, when it was read (not from an --applied file). */
  schema?: DbSchema | null;
}

export interface PlanStep {
  app: string;
  name: string;
  file: string | null;
  /** The error `migrate` will stop with at this step, when migcheck can predict it. */
  fails: string | null;
  /** The step against the database's tables, operation by operation (database input only). */
  schema?: StepCheck;
}

/** What the database's tables say about an applied-missing migration's replacement. */
export interface DatabaseVerdict {
  verdict: StepVerdict;
  /** What the applied file from git history says: the same changes, or different ones; null without the file. */
  git: 'same' | 'differs' | null;
  /** Whether git history and the database agree; null without the file. The database wins. */
  agrees: boolean | null;
  /** The first operation the database stops, or that differs: where to look. */
  line: number | null;
  /** The operations in the way, each with what differs: `table billings: columns total, currency missing`. */
  conflicts: string[];
}

export interface Diagnosis {
  app: string;
  /** The applied migration the code no longer has. */
  missing: string;
  /** Where it was found in git history. */
  source: { path: string; commit: string } | null;
  /** Its same-app parents, when its source is known. */
  parents: string[];
  /** The code's migration on the same parent(s): the one that took its place. */
  sibling: string | null;
  siblingPending: boolean;
  collision: Collision | null;
  /** The error `migrate` will stop with, or null. */
  fails: string | null;
  /** Null when either source is unknown. */
  diff: EffectDiff | null;
  same: boolean | null;
  /** What to run, in order. */
  steps: string[];
  /** The database's tables against the replacement (database input only). */
  database?: DatabaseVerdict;
}

export interface DeployResult {
  plan: PlanStep[];
  findings: Finding[];
  diagnoses: Diagnosis[];
}

/** Applied migrations of apps the code has, that are neither a migration nor replaced by a squash in it. */
export function appliedMissing(graph: Graph, recorded: readonly NodeKey[]): NodeKey[] {
  const apps = new Set(graph.apps());
  const replaced = new Set<string>();
  for (const [key, squash] of graph.replacements) {
    // A squash Django dropped (partly applied) is still a file in the code.
    replaced.add(key);
    for (const r of squash.parsed.replaces) replaced.add(appliedKey(r.app, r.name));
  }
  return recorded
    .filter(([app, name]) => apps.has(app) && !graph.get(app, name)?.migration && !replaced.has(appliedKey(app, name)))
    .sort(compareKeys);
}

/** The error a database engine reports for a collision. SQLite on Django < 4.1 rebuilds a table to add a column, so that does not fail. */
function failure(engine: Engine, c: Collision): string | null {
  if (c.kind === 'table') return say.alreadyExistsTable(engine, c.table);
  if (engine === 'sqlite') return null;
  return say.alreadyExistsColumn(engine, c.table, c.column!);
}

function tablesOfApp(graph: Graph, app: string): TableMap {
  const tables: TableMap = new Map();
  const nodes = graph.appNodes(app).filter((n) => n.migration).sort(compareNodes);
  for (const n of nodes) learnTables(app, n.migration!.parsed.operations, tables);
  return tables;
}

function sameAppParents(node: GraphNode): string[] {
  return [...node.parents].filter((p) => p.app === node.app).map((p) => p.name).sort(compareStrings);
}

function finding(f: Omit<Finding, 'parent'> & { parent?: string | null }): Finding {
  return { code: f.code, severity: f.severity, app: f.app, migrations: f.migrations, parent: f.parent ?? null, message: f.message, hint: f.hint, file: f.file, line: f.line };
}

/** The steps that reconcile a database with the code after `--fake`, from the differences. */
function reconcileSteps(app: string, sibling: string, diff: EffectDiff): string[] {
  const steps: string[] = [];
  const expected = [...diff.onlyPending.map((e) => e.label), ...diff.differ.map((d) => `${d.pending.map((e) => e.label).join(', ')} (${d.target} differs)`)];
  if (expected.length) steps.push(say.stepApplyByHand(app, sibling, expected));
  const extra = [...diff.onlyApplied.map((e) => e.label), ...diff.differ.filter((d) => !d.pending.length).map((d) => d.target)];
  if (extra.length) steps.push(say.stepDatabaseExtra(extra));
  return steps;
}

function diagnose(input: DeployInput, key: NodeKey, pending: ReadonlySet<string>, applied: ReadonlySet<string>, checks: ReadonlyMap<string, StepCheck>): Diagnosis {
  const { graph, engine } = input;
  const [app, name] = key;
  const lost = input.history.get(appliedKey(app, name)) ?? null;
  const parents = lost
    ? lost.parsed.dependencies.filter((d) => d.app === app && d.name !== '__first__').map((d) => d.name).sort(compareStrings)
    : [];
  const code = graph.appNodes(app).filter((n) => n.migration).sort(compareNodes);
  let candidates: GraphNode[];
  if (lost) {
    candidates = parents.length
      ? code.filter((n) => sameAppParents(n).some((p) => parents.includes(p)))
      : code.filter((n) => sameAppParents(n).length === 0);
  } else {
    const number = leadingNumber(name);
    candidates = number === null ? [] : code.filter((n) => leadingNumber(n.name) !== null && Number(leadingNumber(n.name)) === Number(number));
  }
  const pendingSibling = candidates.find((n) => pending.has(appliedKey(n.app, n.name)));
  const sibling = pendingSibling ?? candidates.find((n) => applied.has(appliedKey(n.app, n.name))) ?? null;
  const d: Diagnosis = {
    app,
    missing: name,
    source: lost ? { path: lost.path, commit: lost.commit } : null,
    parents,
    sibling: sibling?.name ?? null,
    siblingPending: Boolean(pendingSibling),
    collision: null,
    fails: null,
    diff: null,
    same: null,
    steps: [],
  };
  if (lost && sibling) {
    const tables = tablesOfApp(graph, app);
    const before = effectsOf(app, lost.parsed.operations, tables);
    const after = effectsOf(app, sibling.migration!.parsed.operations, tables);
    d.diff = diffEffects(before, after);
    d.same = sameEffect(d.diff);
    d.collision = firstCollision(before, after);
    d.fails = d.collision && pendingSibling ? failure(engine, d.collision) : null;
  }
  const fake = say.fakeCommand(app, d.sibling ?? '');
  if (pendingSibling) {
    if (d.same === true) d.steps = [fake];
    else if (d.diff && (d.collision || d.fails)) d.steps = [fake, ...reconcileSteps(app, pendingSibling.name, d.diff)];
    else if (d.diff) d.steps = [say.stepRestoreOrRollBack(app, name, d.source, parents)];
    else d.steps = [say.stepCompareByHand(app, name, pendingSibling.name), fake];
  } else if (sibling) {
    d.steps = [say.stepForgetRow(app, name)];
    if (d.diff && !d.same) d.steps.push(...reconcileSteps(app, sibling.name, d.diff));
  } else {
    d.steps = [say.stepRestoreOrRollBack(app, name, d.source, parents)];
  }
  const check = pendingSibling ? checks.get(appliedKey(app, pendingSibling.name)) : undefined;
  if (check) judgeByDatabase(d, check);
  return d;
}

/**
 * The database's tables decide: they are what `migrate` meets, whatever the lost file says. The
 * file's verdict is kept beside, and a disagreement is reported.
 */
function judgeByDatabase(d: Diagnosis, check: StepCheck): void {
  const git = d.diff ? (d.same ? 'same' : 'differs') : null;
  const agrees = git === null ? null : (git === 'same') === (check.verdict === 'fake');
  const inWay = check.ops.filter((o) => o.status !== 'new' && o.status !== 'state');
  const conflicts = say.conflicts(check.ops);
  d.database = { verdict: check.verdict, git, agrees, line: inWay[0]?.line ?? null, conflicts };
  d.fails = check.fails;
  const sibling = d.sibling!;
  if (check.verdict === 'fake') d.steps = [say.fakeCommand(d.app, sibling)];
  else if (check.verdict === 'runs') d.steps = [say.stepForgetRow(d.app, d.missing)];
  else d.steps = say.stepsReconcile(d.app, sibling, check);
}

function missingFinding(d: Diagnosis, graph: Graph, appDirs: ReadonlyMap<string, string>): Finding {
  const siblingNode = d.sibling ? graph.get(d.app, d.sibling) : undefined;
  const file = siblingNode?.migration?.path ?? d.source?.path ?? (appDirs.get(d.app) ? `${appDirs.get(d.app)}/${d.missing}.py` : null);
  const line = d.collision && d.siblingPending ? d.collision.effect.op.line : (siblingNode?.migration?.parsed.classLine ?? null);
  const migrations = d.sibling ? [d.missing, d.sibling] : [d.missing];
  const parent = d.parents.length ? d.parents.join(', ') : null;
  const base = { code: 'applied-missing', app: d.app, migrations, parent, file, line: line || null };
  if (d.siblingPending && d.database) {
    return finding({
      ...base,
      line: d.database.line ?? base.line,
      severity: d.database.verdict === 'runs' ? 'warning' : 'error',
      message: say.missingReplacedByDatabase(d, d.database),
      hint: say.missingReplacedByDatabaseHint(d, d.database),
    });
  }
  if (d.siblingPending) {
    return finding({ ...base, severity: 'error', message: say.missingReplaced(d), hint: say.missingReplacedHint(d) });
  }
  if (d.sibling) {
    return finding({ ...base, severity: 'warning', message: say.missingSuperseded(d), hint: say.missingSupersededHint(d) });
  }
  return finding({ ...base, severity: 'error', message: say.missingAlone(d), hint: say.missingAloneHint(d) });
}

/** A pending step the database's tables stop (or that loses data), when no applied-missing explains it. */
function schemaFinding(step: PlanStep, check: StepCheck): Finding | null {
  const fails = check.fails;
  const note = check.ops.find((o) => o.note)?.note ?? null;
  if (!fails && !note && check.verdict !== 'differs') return null;
  const first = check.ops.find((o) => o.fails || o.note || o.status === 'differs');
  return finding({
    code: 'schema-conflict',
    severity: 'error',
    app: step.app,
    migrations: [step.name],
    message: say.schemaConflict(step.app, step.name, check),
    hint: say.schemaConflictHint(step.app, step.name, check),
    file: step.file,
    line: first?.line ?? null,
  });
}

export function deployCheck(input: DeployInput): DeployResult {
  const { graph } = input;
  const recorded = appliedSet(input.recorded);
  const applied = effectiveApplied(graph, recorded);
  const planNodes = migratePlan(graph, applied);
  const pending = new Set(planNodes.map((n) => appliedKey(n.app, n.name)));
  const findings: Finding[] = [];

  for (const { node, parent } of historyProblems(graph, recorded)) {
    findings.push(
      finding({
        code: 'inconsistent-history',
        severity: 'error',
        app: node.app,
        migrations: [node.name],
        parent: `${parent.app}.${parent.name}`,
        message: say.inconsistentHistory(node.key, parent.key),
        hint: say.inconsistentHistoryHint(node.key, parent.key),
        file: node.migration!.path,
        line: node.migration!.parsed.dependencies.find((r) => r.app === parent.app && r.name === parent.name)?.line ?? (node.migration!.parsed.classLine || null),
      }),
    );
  }

  const checks = new Map<string, StepCheck>();
  if (input.schema) {
    for (const c of checkPlanAgainstSchema({ graph, applied, plan: planNodes, schema: input.schema })) checks.set(appliedKey(c.app, c.name), c);
  }
  const diagnoses = appliedMissing(graph, input.recorded).map((key) => diagnose(input, key, pending, applied, checks));
  for (const d of diagnoses) findings.push(missingFinding(d, graph, input.appDirs));

  const fails = new Map<string, string>();
  for (const d of diagnoses) if (d.fails && d.sibling && !fails.has(appliedKey(d.app, d.sibling))) fails.set(appliedKey(d.app, d.sibling), d.fails);
  const explained = new Set(diagnoses.filter((d) => d.siblingPending).map((d) => appliedKey(d.app, d.sibling!)));
  const plan: PlanStep[] = planNodes.map((n) => {
    const key = appliedKey(n.app, n.name);
    const check = checks.get(key);
    const step: PlanStep = { app: n.app, name: n.name, file: n.migration?.path ?? null, fails: check ? check.fails : (fails.get(key) ?? null) };
    if (check) step.schema = check;
    return step;
  });
  for (const step of plan) {
    const key = appliedKey(step.app, step.name);
    if (!step.schema || explained.has(key)) continue;
    const f = schemaFinding(step, step.schema);
    if (f) findings.push(f);
  }
  return { plan, findings: sortFindings(findings), diagnoses };
}
