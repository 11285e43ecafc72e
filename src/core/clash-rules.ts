/**
 * Whether two operations from sibling branches clash: after a merge both run, one after the other,
 * and the second fails or silently undoes the first. Pure.
 *
 * Each branch is assumed to be valid on its own from the common parent. So an operation that says
 * a model or field is new (CreateModel, AddField, the new name of a rename) and one on the other
 * side that says it already exists (AlterField, RemoveField, the old name of a rename...) cannot
 * both be right: that pair is a clash too.
 */
import { defaultTable } from './effects.js';
import { readOperations, type ModelOp, type OpClass } from './ops.js';
import type { OperationRef } from './types.js';

/** Why two operations cannot both run. */
export type ClashReason =
  | 'model-created-twice'
  | 'model-deleted-twice'
  | 'model-renamed-twice'
  | 'model-lifecycle'
  | 'field-added-twice'
  | 'field-removed-twice'
  | 'field-removed-and-altered'
  | 'field-renamed'
  | 'field-added-and-changed'
  | 'field-altered-differently'
  | 'field-still-used'
  | 'table-changed-differently'
  | 'together-changed-differently'
  | 'options-changed-differently'
  | 'index-twice'
  | 'constraint-twice'
  | 'same-table';

/**
 * Clashes where both operations still run and only the result depends on their order: the last one
 * wins (`migrate` succeeds). Every other reason makes `migrate` fail or lose data: an error.
 */
const ORDER_ONLY = new Set<ClashReason>(['field-altered-differently', 'table-changed-differently', 'together-changed-differently', 'options-changed-differently']);

export function clashSeverity(reason: ClashReason): 'error' | 'warning' {
  return ORDER_ONLY.has(reason) ? 'warning' : 'error';
}

export interface Verdict {
  reason: ClashReason;
  /** For a thing created or set on both sides: whether the definitions are the same. */
  same: boolean | null;
}

const LIFECYCLE = new Set<OpClass>(['create-model', 'delete-model', 'rename-model']);
const FIELD = new Set<OpClass>(['add-field', 'remove-field', 'alter-field', 'rename-field']);
const USES_FIELDS = new Set<OpClass>(['add-index', 'add-constraint', 'alter-together']);

const modelsOf = (o: ModelOp) => [o.model, o.newModel].filter((x): x is string => x !== null);
const fieldsOf = (o: ModelOp) => [o.field, o.newField].filter((x): x is string => x !== null);
const overlap = (a: readonly string[], b: readonly string[]) => a.some((x) => b.includes(x));
const verdict = (reason: ClashReason, same: boolean | null = null): Verdict => ({ reason, same });

/** The clash rules for two operations on one side each, on the same model; null when they can both run. */
function sameModel(a: ModelOp, b: ModelOp): Verdict | null {
  if (LIFECYCLE.has(a.cls) || LIFECYCLE.has(b.cls)) {
    if (a.cls === 'create-model' && b.cls === 'create-model') return verdict('model-created-twice', a.definition === b.definition);
    if (a.cls === 'delete-model' && b.cls === 'delete-model') return verdict('model-deleted-twice');
    if (a.cls === 'rename-model' && b.cls === 'rename-model') return verdict('model-renamed-twice');
    // A model one side creates under a name the other side renames to: created twice.
    const created = (x: ModelOp, y: ModelOp) => x.cls === 'create-model' && y.cls === 'rename-model' && x.model === y.newModel;
    if (created(a, b) || created(b, a)) return verdict('model-created-twice', null);
    return verdict('model-lifecycle');
  }
  if (FIELD.has(a.cls) && FIELD.has(b.cls)) {
    if (!overlap(fieldsOf(a), fieldsOf(b))) return null;
    const pair = (x: OpClass, y: OpClass) => (a.cls === x && b.cls === y) || (a.cls === y && b.cls === x);
    if (a.cls === 'rename-field' || b.cls === 'rename-field') return verdict('field-renamed');
    if (pair('add-field', 'add-field')) return verdict('field-added-twice', a.definition === b.definition);
    if (pair('remove-field', 'remove-field')) return verdict('field-removed-twice');
    if (pair('remove-field', 'alter-field')) return verdict('field-removed-and-altered');
    if (pair('alter-field', 'alter-field')) return a.definition === b.definition ? null : verdict('field-altered-differently', false);
    return verdict('field-added-and-changed');
  }
  if (FIELD.has(a.cls) || FIELD.has(b.cls)) {
    // An index, constraint or together value that names a field the other side removes or renames.
    const [field, other] = FIELD.has(a.cls) ? [a, b] : [b, a];
    const gone = field.cls === 'remove-field' || field.cls === 'rename-field';
    return gone && USES_FIELDS.has(other.cls) && other.mentions.includes(field.field!) ? verdict('field-still-used') : null;
  }
  if (a.cls !== b.cls) return null;
  switch (a.cls) {
    case 'alter-table':
      return a.definition === b.definition ? null : verdict('table-changed-differently', false);
    case 'alter-together':
      return a.option !== b.option || a.definition === b.definition ? null : verdict('together-changed-differently', false);
    case 'model-option':
      // AlterModelOptions replaces the options it manages; two different sets: the last one wins.
      return a.kind !== b.kind || a.definition === b.definition ? null : verdict('options-changed-differently', false);
    case 'add-index':
    case 'remove-index':
      return a.name !== null && a.name === b.name ? verdict('index-twice') : null;
    case 'add-constraint':
    case 'remove-constraint':
      return a.name !== null && a.name === b.name ? verdict('constraint-twice') : null;
    default:
      return null;
  }
}

/** Whether `a` (one branch) and `b` (its sibling) clash. Symmetric; code operations never do. */
export function clashBetween(a: ModelOp, b: ModelOp): Verdict | null {
  if (a.cls === 'code' || b.cls === 'code') return null;
  // Index and constraint names live in one namespace per database table: an add on one side and a
  // remove of the same name on the other cannot both be right either.
  if ((a.cls === 'add-index' && b.cls === 'remove-index') || (a.cls === 'remove-index' && b.cls === 'add-index')) {
    return a.model === b.model && a.name !== null && a.name === b.name ? verdict('index-twice') : null;
  }
  if ((a.cls === 'add-constraint' && b.cls === 'remove-constraint') || (a.cls === 'remove-constraint' && b.cls === 'add-constraint')) {
    return a.model === b.model && a.name !== null && a.name === b.name ? verdict('constraint-twice') : null;
  }
  if (!overlap(modelsOf(a), modelsOf(b))) return null;
  return sameModel(a, b);
}

/** The table an operation gives a model, when it names or implies one. */
export function claimedTable(app: string, o: ModelOp): string | null {
  if (o.cls === 'create-model' && o.model) return o.table ?? defaultTable(app, o.model);
  if (o.cls === 'alter-table') return o.table;
  // A renamed model with a default table gets the new default name (RenameModel renames it).
  if (o.cls === 'rename-model' && o.newModel) return defaultTable(app, o.newModel);
  return null;
}

/** One migration on one side of a fork. */
export interface SideMigration {
  name: string;
  path: string;
  operations: readonly OperationRef[];
}

export interface ClashSide {
  migration: string;
  path: string;
  op: ModelOp;
}

export interface Clash extends Verdict {
  left: ClashSide;
  right: ClashSide;
  /** `table blog_post`, `field post.title`, `model post`: what both act on. */
  target: string;
}

/**
 * The operations of one side that say something about the state at the fork: an operation on a
 * model or field the same side created (or renamed into) earlier acts on its own new thing, and is
 * represented by that creation.
 */
function forkOps(side: readonly SideMigration[]): ClashSide[] {
  const models = new Set<string>();
  const fields = new Set<string>();
  const out: ClashSide[] = [];
  for (const m of side) {
    for (const op of readOperations(m.operations)) {
      const owned = (op.model !== null && models.has(op.model)) || (op.field !== null && fields.has(`${op.model}.${op.field}`));
      if (!owned) out.push({ migration: m.name, path: m.path, op });
      if (op.cls === 'create-model' && op.model) models.add(op.model);
      if (op.cls === 'rename-model' && op.newModel) models.add(op.newModel);
      if (op.cls === 'add-field' && op.field) fields.add(`${op.model}.${op.field}`);
      if (op.cls === 'rename-field' && op.newField) fields.add(`${op.model}.${op.newField}`);
    }
  }
  return out;
}

function targetOf(app: string, a: ModelOp, b: ModelOp, reason: ClashReason): string {
  if (reason === 'same-table') return `table ${claimedTable(app, a)}`;
  const model = modelsOf(a).find((m) => modelsOf(b).includes(m)) ?? a.model ?? '?';
  if (FIELD.has(a.cls) && FIELD.has(b.cls)) return `field ${model}.${fieldsOf(a).find((f) => fieldsOf(b).includes(f)) ?? a.field}`;
  if (reason === 'field-still-used') return `field ${model}.${FIELD.has(a.cls) ? a.field : b.field}`;
  if (reason === 'index-twice' || reason === 'constraint-twice') return `${reason === 'index-twice' ? 'index' : 'constraint'} ${model}.${a.name}`;
  return `model ${model}`;
}

/**
 * Every clash between the migrations one branch added after a fork (`left`, in plan order) and
 * those its sibling added (`right`). One clash per pair of migrations and thing they both act on.
 */
export function findClashes(app: string, left: readonly SideMigration[], right: readonly SideMigration[]): Clash[] {
  const l = forkOps(left);
  const r = forkOps(right);
  const out: Clash[] = [];
  const seen = new Set<string>();
  const add = (a: ClashSide, b: ClashSide, v: Verdict) => {
    const target = targetOf(app, a.op, b.op, v.reason);
    const key = `${a.migration}\0${b.migration}\0${target}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ ...v, left: a, right: b, target });
  };
  for (const a of l) {
    for (const b of r) {
      const v = clashBetween(a.op, b.op);
      if (v) {
        add(a, b, v);
        continue;
      }
      // Two different models given one table.
      const ta = claimedTable(app, a.op);
      if (ta !== null && ta === claimedTable(app, b.op) && !overlap(modelsOf(a.op), modelsOf(b.op))) add(a, b, verdict('same-table'));
    }
  }
  return out;
}
