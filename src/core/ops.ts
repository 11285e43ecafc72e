/**
 * What each operation does to its app's models, read from the parser's OperationRef, with names
 * normalised as Django does (`name_lower`, `model_name_lower`: models and fields are matched
 * case-insensitively), and which operations cannot be unapplied. Pure. The clash rules built on
 * this are in clash-rules.ts.
 */
import { normalise } from './effects.js';
import { parseMigration } from './parse.js';
import { irreversibleOperations, type Irreversible } from './plan.js';
import type { OperationRef } from './types.js';

export type OpClass =
  | 'create-model'
  | 'delete-model'
  | 'rename-model'
  | 'alter-table'
  | 'alter-together'
  | 'model-option'
  | 'add-field'
  | 'remove-field'
  | 'alter-field'
  | 'rename-field'
  | 'add-index'
  | 'remove-index'
  | 'add-constraint'
  | 'remove-constraint'
  | 'code';

/** One operation as the clash rules see it. Names are lower case, as Django compares them. */
export interface ModelOp {
  /** The top-level operation of the migration (for its line). */
  op: OperationRef;
  /** Class name of this operation; differs from `op.kind` when read from inside `via`. */
  kind: string;
  cls: OpClass;
  /** 'SeparateDatabaseAndState' or 'RunSQL' when read from their `state_operations`. */
  via: string | null;
  model: string | null;
  /** RenameModel: the new name. */
  newModel: string | null;
  field: string | null;
  /** RenameField: the new name. */
  newField: string | null;
  /** AddIndex/RemoveIndex/AddConstraint/RemoveConstraint: the index or constraint name. */
  name: string | null;
  /** AlterModelTable's table, CreateModel's `db_table` option. */
  table: string | null;
  /** AlterUniqueTogether/AlterIndexTogether: 'unique_together' or 'index_together'. */
  option: string | null;
  /** The definition, normalised: the field, CreateModel's fields and options, a together value. */
  definition: string | null;
  /** Fields an index, constraint or together value names, lower case. */
  mentions: string[];
  /** As a person reads it: `AddField post.title`. */
  label: string;
}

const lower = (s: string | undefined): string | null => (s === undefined ? null : s.toLowerCase());

/** String literals in a source fragment (quotes of either kind, no escapes needed for names). */
function strings(source: string | undefined): string[] {
  const out: string[] = [];
  const re = /(['"])((?:(?!\1)[^\\])*)\1/g;
  for (let m = re.exec(source ?? ''); m; m = re.exec(source ?? '')) out.push(m[2]);
  return out;
}

const NOT_FIELDS = new Set(['name', 'fields', 'condition', 'check', 'include', 'opclasses', 'expressions', 'deferrable', 'db_tablespace', 'violation_error_message', 'nulls_distinct']);

/** Fields an index or constraint names: `fields=[...]` (a leading `-` is descending order) and `Q(field__lookup=...)`. */
function mentionedFields(source: string | undefined): string[] {
  const src = source ?? '';
  const out = new Set<string>();
  const list = /\bfields\s*=\s*[[(]([^\])]*)[\])]/.exec(src);
  for (const s of strings(list?.[1])) out.add(s.replace(/^-/, '').toLowerCase());
  for (const m of src.matchAll(/\b([A-Za-z_]\w*?)(?:__\w+)?\s*=(?!=)/g)) {
    if (!NOT_FIELDS.has(m[1])) out.add(m[1].toLowerCase());
  }
  return [...out];
}

function nameOption(source: string | undefined): string | null {
  return /\bname\s*=\s*(['"])([^'"]*)\1/.exec(source ?? '')?.[2] ?? null;
}

/** Operations written inside another one's list argument (`state_operations=[...]`). */
export function nestedOperations(source: string | undefined): OperationRef[] {
  if (!source || !/^[[(]/.test(source.trim())) return [];
  return parseMigration(`class Migration:\n    operations = ${source}\n`).operations;
}

function blank(op: OperationRef, kind: string, via: string | null): ModelOp {
  return { op, kind, cls: 'code', via, model: null, newModel: null, field: null, newField: null, name: null, table: null, option: null, definition: null, mentions: [], label: kind };
}

function readOne(top: OperationRef, ref: OperationRef, via: string | null): ModelOp {
  const a = ref.args;
  const src = ref.source;
  const m = blank(top, ref.kind, via);
  const at = (label: string) => `${ref.kind} ${label}`;
  switch (ref.kind) {
    case 'CreateModel':
      return { ...m, cls: 'create-model', model: lower(a.name), table: a.db_table ?? null, definition: normalise(`${src.fields ?? ''}|${src.options ?? ''}|${src.bases ?? ''}|${src.managers ?? ''}`), label: at(a.name ?? '?') };
    case 'DeleteModel':
      return { ...m, cls: 'delete-model', model: lower(a.name), label: at(a.name ?? '?') };
    case 'RenameModel':
      return { ...m, cls: 'rename-model', model: lower(a.old_name), newModel: lower(a.new_name), label: at(`${a.old_name} to ${a.new_name}`) };
    case 'AlterModelTable':
      return { ...m, cls: 'alter-table', model: lower(a.name), table: a.table ?? null, definition: normalise(src.table ?? ''), label: at(`${a.name} to ${a.table ?? src.table}`) };
    case 'AlterUniqueTogether':
    case 'AlterIndexTogether': {
      const option = ref.kind === 'AlterUniqueTogether' ? 'unique_together' : 'index_together';
      const value = src[option] ?? src.option_value;
      return { ...m, cls: 'alter-together', model: lower(a.name), option, definition: normalise(value ?? ''), mentions: strings(value).map((s) => s.toLowerCase()), label: at(a.name ?? '?') };
    }
    case 'AlterModelOptions':
    case 'AlterModelManagers':
    case 'AlterOrderWithRespectTo':
    case 'AlterModelTableComment':
      return {
        ...m,
        cls: 'model-option',
        model: lower(a.name),
        definition: normalise(Object.keys(src).filter((k) => k !== 'name').sort().map((k) => `${k}=${src[k]}`).join('|')),
        label: at(a.name ?? '?'),
      };
    case 'AddField':
      return { ...m, cls: 'add-field', model: lower(a.model_name), field: lower(a.name), definition: normalise(src.field ?? ''), label: at(`${a.model_name}.${a.name}`) };
    case 'RemoveField':
      return { ...m, cls: 'remove-field', model: lower(a.model_name), field: lower(a.name), label: at(`${a.model_name}.${a.name}`) };
    case 'AlterField':
      return { ...m, cls: 'alter-field', model: lower(a.model_name), field: lower(a.name), definition: normalise(src.field ?? ''), label: at(`${a.model_name}.${a.name}`) };
    case 'RenameField':
      return { ...m, cls: 'rename-field', model: lower(a.model_name), field: lower(a.old_name), newField: lower(a.new_name), label: at(`${a.model_name}.${a.old_name} to ${a.new_name}`) };
    case 'AddIndex':
    case 'AddIndexConcurrently': {
      const name = nameOption(src.index);
      return { ...m, cls: 'add-index', model: lower(a.model_name), name, mentions: mentionedFields(src.index), label: at(`${a.model_name}.${name ?? '?'}`) };
    }
    case 'RemoveIndex':
    case 'RemoveIndexConcurrently':
      return { ...m, cls: 'remove-index', model: lower(a.model_name), name: a.name ?? null, label: at(`${a.model_name}.${a.name}`) };
    case 'AddConstraint':
    case 'AddConstraintNotValid': {
      const name = nameOption(src.constraint);
      return { ...m, cls: 'add-constraint', model: lower(a.model_name), name, mentions: mentionedFields(src.constraint), label: at(`${a.model_name}.${name ?? '?'}`) };
    }
    case 'RemoveConstraint':
      return { ...m, cls: 'remove-constraint', model: lower(a.model_name), name: a.name ?? null, label: at(`${a.model_name}.${a.name}`) };
    default:
      return m;
  }
}

/**
 * A migration's operations as the clash rules see them, in order. The `state_operations` of
 * SeparateDatabaseAndState and RunSQL follow their operation: they are what Django's state (and so
 * every later operation) believes, whatever the SQL did.
 */
export function readOperations(operations: readonly OperationRef[]): ModelOp[] {
  const out: ModelOp[] = [];
  const walk = (top: OperationRef, list: readonly OperationRef[], via: string | null, depth: number) => {
    for (const ref of list) {
      out.push(readOne(top, ref, via));
      if (depth < 8 && (ref.kind === 'SeparateDatabaseAndState' || ref.kind === 'RunSQL')) {
        walk(top, nestedOperations(ref.source.state_operations), ref.kind, depth + 1);
      }
    }
  };
  for (const op of operations) walk(op, [op], null, 0);
  return out;
}

/** An operation Django cannot unapply; `via` when it sits in SeparateDatabaseAndState's database_operations. */
export interface IrreversibleStep extends Irreversible {
  via: string | null;
}

/**
 * RunPython without `reverse_code` and RunSQL without `reverse_sql` (None counts as absent;
 * `RunPython.noop` and `RunSQL.noop` reverse fine). Inside SeparateDatabaseAndState's
 * `database_operations` they fail too: its backwards step runs theirs ("You cannot reverse this
 * operation").
 */
export function irreversibleSteps(operations: readonly OperationRef[]): IrreversibleStep[] {
  const out: IrreversibleStep[] = irreversibleOperations(operations).map((s) => ({ ...s, via: null }));
  for (const op of operations) {
    if (op.kind !== 'SeparateDatabaseAndState') continue;
    for (const s of irreversibleSteps(nestedOperations(op.source.database_operations))) out.push({ ...s, line: op.line, via: 'SeparateDatabaseAndState' });
  }
  return out.sort((a, b) => a.line - b.line);
}
