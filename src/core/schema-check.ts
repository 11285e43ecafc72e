/**
 * The pending plan against the tables the database really has: walking the plan in order, what
 * each operation will find (the table it creates already there, the column it alters missing),
 * whether `migrate` stops there, and whether `migrate --fake` is safe because the database already
 * looks as the step would leave it. RunSQL and RunPython are opaque: said so, never guessed. Pure.
 */
import { appliedKey, type Graph, type GraphNode } from './graph.js';
import { nestedOperations } from './ops.js';
import { migratePlan } from './plan.js';
import {
  columnType,
  createModelFields,
  defaultTableName,
  expectedColumns,
  fieldColumn,
  fieldDef,
  fieldNullable,
  isManyToMany,
  managedModel,
  literal,
  manyToManyTable,
  sameType,
  type DbConstraint,
  type DbIndex,
  type DbSchema,
  type DbTable,
  type ExpectedColumn,
  type FieldDef,
  type ModelState,
  type SchemaEngine,
} from './schema.js';
import type { OperationRef } from './types.js';

/**
 * What an operation finds. `new`: nothing in its way, it will run. `exists`: what it makes is
 * already there, as the code would make it. `gone`: what it removes is already gone. `differs`:
 * already there, but not as the code would make it. `missing`: what it changes is not there.
 * `opaque`: RunSQL/RunPython. `state`: no change to tables migcheck can see.
 */
export type OpStatus = 'new' | 'exists' | 'gone' | 'differs' | 'missing' | 'opaque' | 'state';

export interface SimColumn {
  name: string;
  type: string | null;
  nullable: boolean;
}

/** Between what the database has and what the code would make. */
export interface Differences {
  /** Columns the code has and the database does not. */
  missing: string[];
  /** Columns the database has and the code does not. */
  extra: string[];
  types: Array<{ column: string; database: string; code: string }>;
  nullable: Array<{ column: string; database: boolean; code: boolean }>;
  /** A rename whose old and new names both exist. */
  both: string[];
}

const noDifferences = (): Differences => ({ missing: [], extra: [], types: [], nullable: [], both: [] });
const isEmpty = (d: Differences) => !d.missing.length && !d.extra.length && !d.types.length && !d.nullable.length && !d.both.length;

export interface OpCheck {
  label: string;
  line: number;
  /** `table billings`, `column healthcare_device.notes`, `index x`. */
  target: string;
  status: OpStatus;
  /** The error `migrate` stops with at this operation. */
  fails: string | null;
  /** What differs between the database and the code; null when nothing does. */
  differences: Differences | null;
  /** A consequence that is not a failure (SQLite rebuilding a table over an existing column). */
  note: string | null;
  /** The schema facts behind the verdict: what the database has for the target. */
  database: { table: string; columns: SimColumn[]; indexes?: DbIndex[]; constraints?: DbConstraint[] } | { table: string; column: SimColumn } | null;
  /** What the code would make. */
  expected: { columns: ExpectedColumn[] } | { column: ExpectedColumn } | null;
}

/**
 * `runs`: nothing in the way. `fake`: the database already looks as the step leaves it, so
 * `migrate --fake` is safe. `differs`: in the way, and not as the code would make it: reconcile
 * first, do not fake. `partial`: some of it is done, some not. `opaque`: the tables are there, but
 * the step also runs code migcheck cannot judge.
 */
export type StepVerdict = 'runs' | 'fake' | 'differs' | 'partial' | 'opaque';

export interface StepCheck {
  app: string;
  name: string;
  verdict: StepVerdict;
  /** The first error `migrate` stops with in this step. */
  fails: string | null;
  ops: OpCheck[];
}

/** Tables as the walk goes; `read` is the table as the database reported it, until a step replaces it. */
type Sim = Map<string, { name: string; columns: Map<string, SimColumn>; indexes: Set<string>; read?: DbTable }>;

function simOf(schema: DbSchema): Sim {
  const sim: Sim = new Map();
  for (const t of schema.tables) {
    // The first table of a name on the search path is the one an unqualified name finds.
    if (sim.has(t.name)) continue;
    sim.set(t.name, { name: t.name, columns: new Map(t.columns.map((c) => [c.name, { ...c }])), indexes: new Set(t.indexes.map((i) => i.name)), read: t });
  }
  return sim;
}

const q = (s: string) => `"${s}"`;
function errors(engine: SchemaEngine) {
  const pg = engine === 'postgresql';
  return {
    tableExists: (t: string) => (pg ? `relation ${q(t)} already exists` : `table ${q(t)} already exists`),
    noTable: (t: string) => (pg ? `relation ${q(t)} does not exist` : `no such table: ${t}`),
    dropNoTable: (t: string) => (pg ? `table ${q(t)} does not exist` : `no such table: ${t}`),
    columnExists: (t: string, c: string) => (pg ? `column ${q(c)} of relation ${q(t)} already exists` : null),
    noColumn: (t: string, c: string) => (pg ? `column ${q(c)} of relation ${q(t)} does not exist` : `no such column: ${c}`),
    renameNoColumn: (_table: string, c: string) => (pg ? `column ${q(c)} does not exist` : `no such column: "${c}"`),
    renameTableExists: (t: string) => (pg ? `relation ${q(t)} already exists` : `there is already another table or index with this name: ${t}`),
    indexExists: (i: string) => (pg ? `relation ${q(i)} already exists` : `index ${i} already exists`),
    noIndex: (i: string) => (pg ? `index ${q(i)} does not exist` : `no such index: ${i}`),
  };
}

/** Column by column: missing, not in the code, another type, another nullability. */
export function compareColumns(engine: SchemaEngine, expected: readonly ExpectedColumn[], actual: readonly SimColumn[]): Differences | null {
  const d = noDifferences();
  const have = new Map(actual.map((c) => [c.name, c]));
  const wanted = new Set(expected.map((c) => c.name));
  d.missing = expected.filter((c) => !have.has(c.name)).map((c) => c.name);
  d.extra = actual.filter((c) => !wanted.has(c.name)).map((c) => c.name);
  for (const e of expected) {
    const a = have.get(e.name);
    if (a) compareColumn(engine, e, a, d);
  }
  return isEmpty(d) ? null : d;
}

function compareColumn(engine: SchemaEngine, e: ExpectedColumn, a: SimColumn, d: Differences = noDifferences()): Differences | null {
  if (e.type !== null && a.type !== null && !sameType(engine, e.type, a.type)) d.types.push({ column: e.name, database: a.type, code: e.type });
  if (e.nullable !== a.nullable) d.nullable.push({ column: e.name, database: a.nullable, code: e.nullable });
  return isEmpty(d) ? null : d;
}

const modelKey = (app: string, name: string | undefined) => `${app}.${(name ?? '?').toLowerCase()}`;

/** Django's project state, one operation at a time. */
export function applyToState(models: Map<string, ModelState>, app: string, op: OperationRef): void {
  const a = op.args;
  const model = models.get(modelKey(app, a.model_name ?? a.name));
  switch (op.kind) {
    case 'CreateModel':
      models.set(modelKey(app, a.name), { app, name: a.name ?? '?', table: a.db_table ?? defaultTableName(app, a.name ?? '?'), fields: createModelFields(op), managed: managedModel(op.source.options) });
      break;
    case 'DeleteModel':
      models.delete(modelKey(app, a.name));
      break;
    case 'RenameModel': {
      const old = models.get(modelKey(app, a.old_name));
      if (!old || !a.new_name) break;
      models.delete(modelKey(app, a.old_name));
      const table = old.table === defaultTableName(app, old.name) ? defaultTableName(app, a.new_name) : old.table;
      models.set(modelKey(app, a.new_name), { ...old, name: a.new_name, table });
      break;
    }
    case 'AlterModelTable':
      if (model) model.table = a.table ?? defaultTableName(app, model.name);
      break;
    case 'AddField':
      if (model && a.name) model.fields = [...model.fields, fieldDef(a.name, op.source.field ?? '')];
      break;
    case 'RemoveField':
      if (model) model.fields = model.fields.filter((f) => f.name.toLowerCase() !== (a.name ?? '').toLowerCase());
      break;
    case 'AlterField':
      if (model && a.name) model.fields = model.fields.map((f) => (f.name.toLowerCase() === a.name.toLowerCase() ? fieldDef(f.name, op.source.field ?? '') : f));
      break;
    case 'RenameField':
      if (model && a.new_name) model.fields = model.fields.map((f) => (f.name.toLowerCase() === (a.old_name ?? '').toLowerCase() ? { ...f, name: a.new_name } : f));
      break;
    case 'SeparateDatabaseAndState':
    case 'RunSQL':
      for (const inner of nestedOperations(op.source.state_operations)) applyToState(models, app, inner);
      break;
  }
}

const cloneModels = (models: ReadonlyMap<string, ModelState>) => new Map([...models].map(([k, m]) => [k, { ...m, fields: [...m.fields] }]));

function check(label: string, line: number, target: string, status: OpStatus, more: Partial<OpCheck> = {}): OpCheck {
  return { label, line, target, status, fails: null, differences: null, note: null, database: null, expected: null, ...more };
}

/**
 * Tables a step creates that the database already has: compared once the step is over, since its
 * later AddFields (a foreign key Django adds after both models exist) belong to the same table.
 */
type Collided = Map<string, { check: OpCheck; found: SimColumn[] }>;

/** One operation against the simulated database: what it finds, then what it leaves. */
function checkOp(engine: SchemaEngine, models: Map<string, ModelState>, sim: Sim, app: string, op: OperationRef, line: number, collided: Collided): OpCheck[] {
  const err = errors(engine);
  const a = op.args;
  const model = models.get(modelKey(app, a.model_name ?? a.name));
  const label = `${op.kind} ${a.model_name ? `${a.model_name}.${a.name}` : (a.name ?? a.old_name ?? '')}`.trim();
  const createTable = (table: string, columns: ExpectedColumn[], what: string): OpCheck => {
    const found = sim.get(table);
    const expected = { columns };
    sim.set(table, { name: table, columns: new Map(columns.map((c) => [c.name, { ...c }])), indexes: found?.indexes ?? new Set() });
    if (!found) return check(what, line, `table ${table}`, 'new', { expected });
    const actual = [...found.columns.values()];
    const facts = found.read ? { indexes: found.read.indexes, constraints: found.read.constraints ?? [] } : {};
    const result = check(what, line, `table ${table}`, 'exists', { fails: err.tableExists(table), database: { table, columns: actual, ...facts }, expected });
    collided.set(table, { check: result, found: actual });
    return result;
  };
  // A change to a table this step created over an existing one: judged with that table.
  const folded = (table: string, target: string) => (collided.has(table) ? [check(label, line, target, 'state')] : null);
  const fieldTarget = (m: ModelState, f: FieldDef) => `column ${m.table}.${fieldColumn(f)}`;

  // Unmanaged and proxy models have no table: Django's schema editor skips them.
  const target = models.get(modelKey(app, a.model_name ?? a.name ?? a.old_name));
  if (target && !target.managed) return [check(label, line, `model ${modelKey(app, target.name)}`, 'state')];
  switch (op.kind) {
    case 'CreateModel': {
      const next = cloneModels(models);
      applyToState(next, app, op);
      const created = next.get(modelKey(app, a.name))!;
      if (!created.managed) return [check(label, line, `model ${modelKey(app, a.name)}`, 'state')];
      const out = [createTable(created.table, expectedColumns(engine, created, next), label)];
      for (const f of created.fields.filter(isManyToMany)) {
        const m2m = manyToManyTable(engine, created, f, next);
        if (m2m) out.push(createTable(m2m.table, m2m.columns, `${label} (${f.name})`));
      }
      return out;
    }
    case 'AddField': {
      if (!model || !a.name) return [check(label, line, `model ${modelKey(app, a.model_name)}`, 'state')];
      const f = fieldDef(a.name, op.source.field ?? '');
      if (isManyToMany(f)) {
        const m2m = manyToManyTable(engine, model, f, models);
        return m2m ? [createTable(m2m.table, m2m.columns, label)] : [check(label, line, `model ${modelKey(app, a.model_name)}`, 'state')];
      }
      const column = fieldColumn(f)!;
      const expected = { name: column, type: columnType(engine, f, models, app, model.name), nullable: fieldNullable(f) };
      const table = sim.get(model.table);
      if (table && collided.has(model.table)) {
        table.columns.set(column, { ...expected });
        return folded(model.table, fieldTarget(model, f))!;
      }
      if (!table) return [check(label, line, fieldTarget(model, f), 'missing', { fails: err.noTable(model.table), expected: { column: expected } })];
      const found = table.columns.get(column);
      table.columns.set(column, { ...expected });
      if (!found) return [check(label, line, fieldTarget(model, f), 'new', { expected: { column: expected } })];
      const differences = compareColumn(engine, expected, found);
      const fails = err.columnExists(model.table, column);
      // Django 3.2 adds a column on SQLite by rebuilding the table, which copies the default in.
      const note = fails ? null : `SQLite: Django rebuilds ${model.table} and fills ${column} with the field's default: the values it holds now are lost`;
      return [check(label, line, fieldTarget(model, f), differences ? 'differs' : 'exists', { fails, differences, note, database: { table: model.table, column: found }, expected: { column: expected } })];
    }
    case 'RemoveField':
    case 'AlterField': {
      const f = model?.fields.find((x) => x.name.toLowerCase() === (a.name ?? '').toLowerCase());
      if (!model || !f || isManyToMany(f)) return [check(label, line, `model ${modelKey(app, a.model_name)}`, 'state')];
      const column = fieldColumn(f)!;
      const table = sim.get(model.table);
      if (!table) return [check(label, line, fieldTarget(model, f), 'missing', { fails: err.noTable(model.table) })];
      const found = table.columns.get(column);
      if (op.kind === 'RemoveField') {
        table.columns.delete(column);
        if (collided.has(model.table)) return folded(model.table, fieldTarget(model, f))!;
        if (!found) return [check(label, line, fieldTarget(model, f), 'gone', { fails: engine === 'postgresql' ? err.noColumn(model.table, column) : null })];
        return [check(label, line, fieldTarget(model, f), 'new', { database: { table: model.table, column: found } })];
      }
      const after = fieldDef(f.name, op.source.field ?? '');
      const newColumn = fieldColumn(after) ?? column;
      const expected = { name: newColumn, type: columnType(engine, after, models, app, model.name), nullable: fieldNullable(after) };
      const before = { name: column, type: columnType(engine, f, models, app, model.name), nullable: fieldNullable(f) };
      if (collided.has(model.table)) {
        table.columns.delete(column);
        table.columns.set(newColumn, { ...expected });
        return folded(model.table, fieldTarget(model, f))!;
      }
      if (!found) return [check(label, line, fieldTarget(model, f), 'missing', { fails: err.noColumn(model.table, column), expected: { column: expected } })];
      table.columns.delete(column);
      table.columns.set(newColumn, { ...expected });
      const database = { table: model.table, column: found };
      // An AlterField that changes nothing migcheck can see (choices, a default, help_text), or
      // to or from a type it does not know: no evidence either way.
      if (newColumn === column && before.type === expected.type && before.nullable === expected.nullable) return [check(label, line, fieldTarget(model, f), 'state', { database })];
      if (before.type === null || expected.type === null || found.type === null) return [check(label, line, fieldTarget(model, f), 'state', { database, expected: { column: expected } })];
      const done = newColumn === column && compareColumn(engine, expected, found) === null;
      return [check(label, line, fieldTarget(model, f), done ? 'exists' : 'new', { database, expected: { column: expected } })];
    }
    case 'RenameField': {
      const f = model?.fields.find((x) => x.name.toLowerCase() === (a.old_name ?? '').toLowerCase());
      if (!model || !f || !a.new_name || isManyToMany(f) || literal(f.kwargs.db_column)) return [check(`RenameField ${a.model_name}.${a.old_name}`, line, `model ${modelKey(app, a.model_name)}`, 'state')];
      const from = fieldColumn(f)!;
      const to = fieldColumn({ ...f, name: a.new_name })!;
      const what = `RenameField ${a.model_name}.${a.old_name} to ${a.new_name}`;
      const table = sim.get(model.table);
      if (!table) return [check(what, line, `column ${model.table}.${from}`, 'missing', { fails: err.noTable(model.table) })];
      const old = table.columns.get(from);
      const taken = table.columns.get(to);
      if (old) {
        table.columns.delete(from);
        table.columns.set(to, { ...old, name: to });
      }
      if (old && !taken) return [check(what, line, `column ${model.table}.${from}`, 'new')];
      if (!old && taken) return [check(what, line, `column ${model.table}.${from}`, 'gone', { fails: err.renameNoColumn(model.table, from), database: { table: model.table, column: taken } })];
      if (!old) return [check(what, line, `column ${model.table}.${from}`, 'missing', { fails: err.renameNoColumn(model.table, from) })];
      return [check(what, line, `column ${model.table}.${from}`, 'differs', { fails: err.columnExists(model.table, to) ?? `duplicate column name: ${to}`, differences: { ...noDifferences(), both: [from, to] } })];
    }
    case 'DeleteModel': {
      if (!model) return [check(label, line, `model ${modelKey(app, a.name)}`, 'state')];
      const found = sim.get(model.table);
      sim.delete(model.table);
      if (!found) return [check(label, line, `table ${model.table}`, 'gone', { fails: err.dropNoTable(model.table) })];
      return [check(label, line, `table ${model.table}`, 'new', { database: { table: model.table, columns: [...found.columns.values()] } })];
    }
    case 'RenameModel':
    case 'AlterModelTable': {
      const old = models.get(modelKey(app, a.old_name ?? a.name));
      if (!old) return [check(label, line, `model ${modelKey(app, a.old_name ?? a.name)}`, 'state')];
      const next = cloneModels(models);
      applyToState(next, app, op);
      const renamed = next.get(modelKey(app, a.new_name ?? a.name));
      const what = op.kind === 'RenameModel' ? `RenameModel ${a.old_name} to ${a.new_name}` : `AlterModelTable ${a.name} to ${a.table}`;
      if (!renamed || renamed.table === old.table) return [check(what, line, `table ${old.table}`, 'state')];
      const from = sim.get(old.table);
      const to = sim.get(renamed.table);
      if (from) {
        sim.delete(old.table);
        sim.set(renamed.table, { ...from, name: renamed.table });
      }
      if (from && !to) return [check(what, line, `table ${old.table}`, 'new')];
      if (!from && to) return [check(what, line, `table ${old.table}`, 'gone', { fails: err.noTable(old.table), database: { table: renamed.table, columns: [...to.columns.values()] } })];
      if (!from) return [check(what, line, `table ${old.table}`, 'missing', { fails: err.noTable(old.table) })];
      return [check(what, line, `table ${old.table}`, 'differs', { fails: err.renameTableExists(renamed.table), differences: { ...noDifferences(), both: [old.table, renamed.table] } })];
    }
    case 'AddIndex':
    case 'RemoveIndex': {
      const name = op.kind === 'AddIndex' ? /\bname\s*=\s*['"]([^'"]+)['"]/.exec(op.source.index ?? '')?.[1] : a.name;
      const table = model ? sim.get(model.table) : undefined;
      if (!model || !name || !table) return [check(label, line, `index ${name ?? '?'}`, 'state')];
      const what = `${op.kind} ${a.model_name}.${name}`;
      const has = [...sim.values()].some((t) => t.indexes.has(name));
      if (op.kind === 'AddIndex') {
        table.indexes.add(name);
        return [check(what, line, `index ${name}`, has ? 'exists' : 'new', { fails: has ? err.indexExists(name) : null })];
      }
      table.indexes.delete(name);
      return [check(what, line, `index ${name}`, has ? 'new' : 'gone', { fails: has ? null : err.noIndex(name) })];
    }
    case 'RunSQL':
    case 'RunPython':
      return [check(op.kind, line, op.kind, 'opaque')];
    case 'SeparateDatabaseAndState': {
      // The database operations run against the state as it is; the state operations then win.
      const scratch = cloneModels(models);
      const out: OpCheck[] = [];
      for (const inner of nestedOperations(op.source.database_operations)) {
        out.push(...checkOp(engine, scratch, sim, app, inner, line, collided));
        applyToState(scratch, app, inner);
      }
      return out;
    }
    default:
      return [check(label, line, label, 'state')];
  }
}

function verdictOf(ops: readonly OpCheck[]): StepVerdict {
  const seen = ops.filter((o) => o.status !== 'state');
  if (seen.some((o) => o.status === 'differs' || o.status === 'missing')) return 'differs';
  const done = seen.filter((o) => o.status === 'exists' || o.status === 'gone');
  const todo = seen.filter((o) => o.status === 'new');
  const opaque = seen.some((o) => o.status === 'opaque');
  if (done.length && todo.length) return 'partial';
  if (done.length) return opaque ? 'opaque' : 'fake';
  return 'runs';
}

export interface SchemaCheckInput {
  graph: Graph;
  /** What Django counts as applied (`effectiveApplied`). */
  applied: ReadonlySet<string>;
  plan: readonly GraphNode[];
  schema: DbSchema;
}

/**
 * Each pending step against the database, in plan order: the state is every applied migration of
 * the code, then each earlier step; the database is what was read, then what each earlier step
 * would leave (as the code means it, so one failure does not hide the next).
 */
export function checkPlanAgainstSchema(input: SchemaCheckInput): StepCheck[] {
  const { graph, schema } = input;
  const models = new Map<string, ModelState>();
  const pending = new Set(input.plan.map((n) => appliedKey(n.app, n.name)));
  for (const node of migratePlan(graph, new Set())) {
    if (pending.has(appliedKey(node.app, node.name)) || !input.applied.has(appliedKey(node.app, node.name))) continue;
    for (const op of node.migration!.parsed.operations) applyToState(models, node.app, op);
  }
  const sim = simOf(schema);
  const out: StepCheck[] = [];
  // After a pending RunSQL/RunPython, a table or column that is not there may be its doing.
  let opaqueBefore = false;
  for (const node of input.plan) {
    const ops: OpCheck[] = [];
    const collided: Collided = new Map();
    for (const op of node.migration!.parsed.operations) {
      for (const c of checkOp(schema.engine, models, sim, node.app, op, op.line, collided)) {
        if (opaqueBefore && (c.status === 'missing' || c.status === 'gone')) {
          // Not said to fail: the opaque step before it may make what it needs.
          Object.assign(c, { status: 'state', fails: null });
        }
        if (c.status === 'opaque') opaqueBefore = true;
        ops.push(c);
      }
      applyToState(models, node.app, op);
    }
    for (const [table, { check: c, found }] of collided) {
      const end = sim.get(table);
      if (!end) continue;
      const columns = [...end.columns.values()];
      c.expected = { columns };
      c.differences = compareColumns(schema.engine, columns, found);
      if (c.differences) c.status = 'differs';
    }
    out.push({ app: node.app, name: node.name, verdict: verdictOf(ops), fails: ops.find((o) => o.fails)?.fails ?? null, ops });
  }
  return out;
}
