/**
 * The tables a database has (read by io/db.ts) and the tables Django's models say it should have,
 * read from migration operations: `db_table` or `<app_label>_<model lower>`, a column per concrete
 * field (`db_column`, else the name, `_id` appended for a foreign key), an auto-created table
 * `<table>_<field>` per ManyToManyField, and the column type Django's schema editor would write
 * (`DatabaseWrapper.data_types` of Django 3.2's postgresql and sqlite3 backends). Pure.
 */
import type { OperationRef } from './types.js';

export type SchemaEngine = 'postgresql' | 'sqlite';

export interface DbColumn {
  name: string;
  /** As the database spells it: `character varying(100)` (PostgreSQL's format_type), `varchar(100)` (SQLite). */
  type: string;
  nullable: boolean;
}

export interface DbIndex {
  name: string;
  columns: string[];
  unique: boolean;
  primary: boolean;
}

export interface DbConstraint {
  /** SQLite's unnamed foreign keys are named `<column>_fk_<table>_<column>`, as facts only. */
  name: string;
  kind: 'primary' | 'unique' | 'foreign' | 'check' | 'exclude' | 'trigger';
  columns: string[];
}

export interface DbTable {
  name: string;
  /** PostgreSQL: the schema it lives in (the first on the search path that has it). */
  schema: string | null;
  columns: DbColumn[];
  indexes: DbIndex[];
  /** Read as facts for the JSON report; the verdicts compare columns and index names only. */
  constraints?: DbConstraint[];
}

/** What io/db.ts read from the database, in the same session as django_migrations. */
export interface DbSchema {
  engine: SchemaEngine;
  /** PostgreSQL: the search path's schemas, in order; `CREATE TABLE` goes into the first. */
  schemas: string[];
  tables: DbTable[];
}

/** A field as its migration writes it: `models.CharField(max_length=100, null=True)`. */
export interface FieldDef {
  name: string;
  cls: string;
  kwargs: Record<string, string>;
  /** `to` of a relation, lower case: `healthcare.patient`, or `patient` (same app). */
  to: string | null;
}

export interface ModelState {
  app: string;
  name: string;
  table: string;
  fields: FieldDef[];
  /** False for `managed: False` and proxy models: Django makes no table for them. */
  managed: boolean;
}

/** Split text at top-level commas (outside brackets and strings). */
export function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (text.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = null;
      }
    } else if (c === "'" || c === '"') quote = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/** `a.b.Class(x, k=v)` -> its class name, positional and keyword arguments (source text). */
export function parseCall(src: string): { cls: string; positional: string[]; kwargs: Record<string, string> } | null {
  const m = /^\s*([A-Za-z_][\w.]*)\s*\(/.exec(src);
  if (!m) return null;
  const body = src.slice(m[0].length, src.trimEnd().endsWith(')') ? src.trimEnd().length - 1 : undefined);
  const positional: string[] = [];
  const kwargs: Record<string, string> = {};
  for (const part of splitTopLevel(body)) {
    const kw = /^([A-Za-z_]\w*)\s*=(?!=)\s*([\s\S]*)$/.exec(part);
    if (kw) kwargs[kw[1]] = kw[2].trim();
    else positional.push(part);
  }
  return { cls: m[1].slice(m[1].lastIndexOf('.') + 1), positional, kwargs };
}

/** A Python string literal's value, or null when it is not one plain literal. */
export function literal(src: string | undefined): string | null {
  const m = /^\s*[rRuU]?(['"])((?:(?!\1)[^\\]|\\.)*)\1\s*$/.exec(src ?? '');
  return m ? m[2] : null;
}

const RELATIONS = new Set(['ForeignKey', 'OneToOneField', 'ForeignObject', 'ParentalKey', 'TreeForeignKey']);

export function fieldDef(name: string, src: string): FieldDef {
  const call = parseCall(src);
  if (!call) return { name, cls: '?', kwargs: {}, to: null };
  const related = RELATIONS.has(call.cls) || call.cls === 'ManyToManyField';
  const toSrc = call.kwargs.to ?? (related ? call.positional[0] : undefined);
  const to = related ? (literal(toSrc)?.toLowerCase() ?? null) : null;
  return { name, cls: call.cls, kwargs: call.kwargs, to };
}

/** The `(name, field)` tuples of CreateModel's `fields=[...]`. */
export function createModelFields(op: OperationRef): FieldDef[] {
  const src = (op.source.fields ?? '').trim();
  const inner = /^[[(]([\s\S]*)[\])]$/.exec(src)?.[1] ?? '';
  const out: FieldDef[] = [];
  for (const item of splitTopLevel(inner)) {
    const tuple = /^\(([\s\S]*)\)$/.exec(item)?.[1];
    if (!tuple) continue;
    const [nameSrc, fieldSrc] = splitTopLevel(tuple);
    const name = literal(nameSrc);
    if (name && fieldSrc) out.push(fieldDef(name, fieldSrc));
  }
  return out;
}

export const isManyToMany = (f: FieldDef) => f.cls === 'ManyToManyField';
const isRelation = (f: FieldDef) => RELATIONS.has(f.cls);
const truthy = (src: string | undefined) => src !== undefined && src.trim() === 'True';

/** The column a concrete field gets: `db_column`, else its name (`_id` appended for a relation). */
export function fieldColumn(f: FieldDef): string | null {
  if (isManyToMany(f)) return null;
  return literal(f.kwargs.db_column) ?? (isRelation(f) ? `${f.name}_id` : f.name);
}

export function isPrimaryKey(f: FieldDef): boolean {
  return truthy(f.kwargs.primary_key);
}

/** NULL allowed: `null=True` and not the primary key (Django writes NOT NULL otherwise). */
export function fieldNullable(f: FieldDef): boolean {
  return truthy(f.kwargs.null) && !isPrimaryKey(f);
}

// Django 3.2's DatabaseWrapper.data_types, as each database then reports the type back.
const POSTGRES: Record<string, string> = {
  AutoField: 'integer', BigAutoField: 'bigint', SmallAutoField: 'smallint', BinaryField: 'bytea', BooleanField: 'boolean',
  NullBooleanField: 'boolean', CharField: 'character varying(%(max_length)s)', SlugField: 'character varying(%(max_length)s)',
  EmailField: 'character varying(%(max_length)s)', URLField: 'character varying(%(max_length)s)',
  FileField: 'character varying(%(max_length)s)', ImageField: 'character varying(%(max_length)s)',
  FilePathField: 'character varying(%(max_length)s)', DateField: 'date', DateTimeField: 'timestamp with time zone',
  DecimalField: 'numeric(%(max_digits)s,%(decimal_places)s)', DurationField: 'interval', FloatField: 'double precision',
  IntegerField: 'integer', BigIntegerField: 'bigint', SmallIntegerField: 'smallint', PositiveIntegerField: 'integer',
  PositiveBigIntegerField: 'bigint', PositiveSmallIntegerField: 'smallint', IPAddressField: 'inet', GenericIPAddressField: 'inet',
  JSONField: 'jsonb', TextField: 'text', TimeField: 'time without time zone', UUIDField: 'uuid',
};
const SQLITE: Record<string, string> = {
  AutoField: 'integer', BigAutoField: 'integer', SmallAutoField: 'integer', BinaryField: 'blob', BooleanField: 'bool',
  NullBooleanField: 'bool', CharField: 'varchar(%(max_length)s)', SlugField: 'varchar(%(max_length)s)',
  EmailField: 'varchar(%(max_length)s)', URLField: 'varchar(%(max_length)s)', FileField: 'varchar(%(max_length)s)',
  ImageField: 'varchar(%(max_length)s)', FilePathField: 'varchar(%(max_length)s)', DateField: 'date', DateTimeField: 'datetime',
  DecimalField: 'decimal', DurationField: 'bigint', FloatField: 'real', IntegerField: 'integer', BigIntegerField: 'bigint',
  SmallIntegerField: 'smallint', PositiveIntegerField: 'integer unsigned', PositiveBigIntegerField: 'bigint unsigned',
  PositiveSmallIntegerField: 'smallint unsigned', IPAddressField: 'char(15)', GenericIPAddressField: 'char(39)', JSONField: 'text',
  TextField: 'text', TimeField: 'time', UUIDField: 'char(32)',
};
// Field classes whose max_length has a default when the migration leaves it out.
const DEFAULT_MAX_LENGTH: Record<string, string> = { SlugField: '50', EmailField: '254', URLField: '200', FileField: '100', ImageField: '100', FilePathField: '100' };
// `rel_db_type`: a foreign key to an auto field is a plain integer of the same size.
const REL_TYPE: Record<string, string> = { AutoField: 'IntegerField', BigAutoField: 'BigIntegerField', SmallAutoField: 'SmallIntegerField' };

function ownType(engine: SchemaEngine, cls: string, kwargs: Record<string, string>): string | null {
  const pattern = (engine === 'postgresql' ? POSTGRES : SQLITE)[cls];
  if (!pattern) return null;
  let unknown = false;
  const type = pattern.replace(/%\((\w+)\)s/g, (_m, key: string) => {
    const value = (kwargs[key] ?? (key === 'max_length' ? DEFAULT_MAX_LENGTH[cls] : undefined))?.trim();
    if (value === undefined || !/^\d+$/.test(value)) unknown = true;
    return value ?? '';
  });
  return unknown ? null : type;
}

/** The model a relation points at, in the app's state (`'self'`, `'patient'`, `'app.Model'`). */
export function relatedModel(models: ReadonlyMap<string, ModelState>, app: string, owner: string, to: string | null): ModelState | null {
  if (!to) return null;
  if (to === 'self') return models.get(`${app}.${owner.toLowerCase()}`) ?? null;
  return models.get(to.includes('.') ? to : `${app}.${to}`) ?? null;
}

export function primaryKey(model: ModelState): FieldDef | null {
  return model.fields.find(isPrimaryKey) ?? null;
}

/** The type Django gives the field's column on this engine, or null when migcheck cannot know it. */
export function columnType(engine: SchemaEngine, f: FieldDef, models: ReadonlyMap<string, ModelState>, app: string, owner: string): string | null {
  if (isRelation(f)) {
    const target = relatedModel(models, app, owner, f.to);
    const pk = target && primaryKey(target);
    if (!pk || isRelation(pk)) return null;
    return ownType(engine, REL_TYPE[pk.cls] ?? pk.cls, pk.kwargs);
  }
  return ownType(engine, f.cls, f.kwargs);
}

/** Types as both sides spell them, compared: case, spacing, and SQLite's `decimal(10, 2)` vs `decimal`. */
export function sameType(engine: SchemaEngine, expected: string, actual: string): boolean {
  const norm = (t: string) => t.toLowerCase().replace(/\s*([(),])\s*/g, '$1').replace(/\s+/g, ' ').trim();
  return norm(expected) === norm(actual);
}

/** CreateModel's options: `'managed': False` or `'proxy': True` mean no table. */
export function managedModel(options: string | undefined): boolean {
  const src = options ?? '';
  return !/['"]managed['"]\s*:\s*False\b/.test(src) && !/['"]proxy['"]\s*:\s*True\b/.test(src);
}

/** Django's default `db_table`. */
export function defaultTableName(app: string, model: string): string {
  return `${app}_${model.toLowerCase()}`;
}

export interface ExpectedColumn {
  name: string;
  /** Null when migcheck cannot tell the type (a custom field, a relation to an unknown model). */
  type: string | null;
  nullable: boolean;
}

/** The columns of a model's table, in field order. */
export function expectedColumns(engine: SchemaEngine, model: ModelState, models: ReadonlyMap<string, ModelState>): ExpectedColumn[] {
  const out: ExpectedColumn[] = [];
  for (const f of model.fields) {
    const name = fieldColumn(f);
    if (name === null) continue;
    out.push({ name, type: columnType(engine, f, models, model.app, model.name), nullable: fieldNullable(f) });
  }
  return out;
}

/** The auto-created table of a ManyToManyField, with its columns; null for one with `through=`. */
export function manyToManyTable(engine: SchemaEngine, model: ModelState, f: FieldDef, models: ReadonlyMap<string, ModelState>): { table: string; columns: ExpectedColumn[] } | null {
  if (f.kwargs.through !== undefined) return null;
  const table = literal(f.kwargs.db_table) ?? `${model.table}_${f.name}`;
  const target = relatedModel(models, model.app, model.name, f.to);
  const self = target !== null && target.app === model.app && target.name.toLowerCase() === model.name.toLowerCase();
  const fromName = self ? `from_${model.name.toLowerCase()}` : model.name.toLowerCase();
  const toName = target ? (self ? `to_${target.name.toLowerCase()}` : target.name.toLowerCase()) : (f.to?.split('.').pop() ?? '?');
  const fk = (m: ModelState | null): string | null => {
    const pk = m && primaryKey(m);
    return pk ? ownType(engine, REL_TYPE[pk.cls] ?? pk.cls, pk.kwargs) : null;
  };
  return {
    table,
    columns: [
      // The id's type follows DEFAULT_AUTO_FIELD, which the migrations do not say.
      { name: 'id', type: null, nullable: false },
      { name: `${fromName}_id`, type: fk(model), nullable: false },
      { name: `${toName}_id`, type: fk(target), nullable: false },
    ],
  };
}
