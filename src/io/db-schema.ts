/**
 * The tables a database has, read in the session that reads django_migrations: read-only catalog
 * queries, no DDL, nothing that needs more than CONNECT and SELECT.
 */
import type { DbConstraint, DbIndex, DbSchema, DbTable } from '../core/schema.js';

/**
 * PostgreSQL: every table, view and partitioned table in the search path's schemas, with its
 * columns (format_type spelling, NOT NULL), and its indexes. One statement, one row per table
 * (columns and indexes as JSON), ordered by the search path then name. pg_catalog rather than
 * information_schema: the latter hides columns of tables the role has no privilege on.
 */
export const POSTGRES_SCHEMA_QUERY = `SELECT n.nspname AS schema, c.relname AS name,
  array_position(current_schemas(false), n.nspname) AS rank,
  current_schemas(false) AS path,
  COALESCE((SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'nullable', NOT a.attnotnull) ORDER BY a.attnum)
     FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns,
  COALESCE((SELECT json_agg(json_build_object('name', i.relname, 'unique', x.indisunique, 'primary', x.indisprimary,
       'columns', (SELECT COALESCE(json_agg(a.attname ORDER BY k.ord), '[]') FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)) ORDER BY i.relname)
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid), '[]') AS indexes,
  COALESCE((SELECT json_agg(json_build_object('name', o.conname, 'kind', o.contype,
       'columns', (SELECT COALESCE(json_agg(a.attname ORDER BY k.ord), '[]') FROM unnest(o.conkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)) ORDER BY o.conname)
     FROM pg_constraint o WHERE o.conrelid = c.oid), '[]') AS constraints
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY (current_schemas(false))
ORDER BY rank, c.relname`;

interface PostgresRow {
  schema: string;
  name: string;
  path: string[] | string;
  columns: Array<{ name: string; type: string; nullable: boolean }>;
  indexes: DbIndex[];
  constraints: Array<{ name: string; kind: string; columns: string[] }>;
}

const CONSTRAINT_KINDS: Record<string, DbConstraint['kind']> = { p: 'primary', u: 'unique', f: 'foreign', c: 'check', x: 'exclude', t: 'trigger' };

/** An empty result still says which schemas are on the path: the path comes with every row. */
export function postgresSchema(rows: readonly PostgresRow[], path: readonly string[]): DbSchema {
  const tables: DbTable[] = rows.map((r) => ({
    name: r.name,
    schema: r.schema,
    columns: r.columns,
    indexes: r.indexes,
    constraints: r.constraints.map((c) => ({ name: c.name, kind: CONSTRAINT_KINDS[c.kind] ?? 'check', columns: c.columns })),
  }));
  return { engine: 'postgresql', schemas: [...path], tables };
}

/** `current_schemas(false)` on its own, for a database without tables. */
export const POSTGRES_PATH_QUERY = 'SELECT current_schemas(false) AS path';

/** A text[] arrives as an array, or (with some type parsers off) as `{a,b}`. */
export function pathOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  const text = String(value ?? '');
  return text.replace(/^\{|\}$/g, '').split(',').filter(Boolean).map((s) => s.replace(/^"|"$/g, ''));
}

export interface SqliteLike {
  exec(sql: string): Array<{ columns: string[]; values: unknown[][] }>;
}

/** SQLite: sqlite_master with `pragma_table_info`, `pragma_index_list`/`pragma_index_info` and `pragma_foreign_key_list`. */
export function sqliteSchema(db: SqliteLike): DbSchema {
  const tables = new Map<string, DbTable>();
  const [cols] = db.exec(
    `SELECT m.name, p.name, p.type, p."notnull", p.pk FROM sqlite_master m JOIN pragma_table_info(m.name) p
     WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`,
  );
  for (const [table, name, type, notnull, pk] of cols?.values ?? []) {
    const t = tables.get(String(table)) ?? tables.set(String(table), { name: String(table), schema: null, columns: [], indexes: [] }).get(String(table))!;
    // SQLite lets a primary key other than INTEGER hold NULL, but Django declares them NOT NULL.
    t.columns.push({ name: String(name), type: String(type), nullable: Number(notnull) === 0 && Number(pk) === 0 });
  }
  const [idx] = db.exec(
    `SELECT m.name, l.name, l."unique", l.origin, i.name FROM sqlite_master m JOIN pragma_index_list(m.name) l
     JOIN pragma_index_info(l.name) i WHERE m.type = 'table' ORDER BY m.name, l.name, i.seqno`,
  );
  for (const [table, name, unique, origin, column] of idx?.values ?? []) {
    const t = tables.get(String(table));
    if (!t) continue;
    let index = t.indexes.find((x) => x.name === String(name));
    if (!index) t.indexes.push((index = { name: String(name), columns: [], unique: Number(unique) === 1, primary: origin === 'pk' }));
    if (column !== null) index.columns.push(String(column));
  }
  for (const t of tables.values()) {
    t.constraints = t.indexes.filter((i) => i.primary || i.unique).map((i) => ({ name: i.name, kind: i.primary ? 'primary' : 'unique', columns: [...i.columns] }));
  }
  const [fks] = db.exec(
    `SELECT m.name, f."from", f."table", f."to" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
     WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq`,
  );
  for (const [table, from, target, to] of fks?.values ?? []) {
    tables.get(String(table))?.constraints?.push({ name: `${from}_fk_${target}_${to}`, kind: 'foreign', columns: [String(from)] });
  }
  return { engine: 'sqlite', schemas: [], tables: [...tables.values()] };
}
