/**
 * The migrations a database has applied (`SELECT app, name FROM django_migrations`) and the tables
 * it has, read in one read-only round trip from PostgreSQL (pg) or SQLite (sql.js, WebAssembly: no
 * native build), or the applied migrations from a file. Passwords
 * never leave this module: every message uses the redacted URL, and driver errors are scrubbed.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AppliedFormatError, parseAppliedFile, type AppliedFormat } from '../core/applied.js';
import { DatabaseUrlError, parseDatabaseUrl, redactSecrets, type DatabaseUrl } from '../core/dburl.js';
import type { DbSchema } from '../core/schema.js';
import { MigcheckError } from '../errors.js';
import { deployMessages as say } from '../messages.js';
import type { NodeKey } from '../core/types.js';
import { pathOf, POSTGRES_PATH_QUERY, POSTGRES_SCHEMA_QUERY, postgresSchema, sqliteSchema } from './db-schema.js';

/** The database could not be read: exit 2, with a message that holds no password. */
export class DatabaseError extends MigcheckError {}

export interface AppliedSource {
  /** What was read, safe to print: the redacted URL or the file path. */
  label: string;
  engine: 'postgresql' | 'sqlite' | null;
  format: AppliedFormat | 'database';
  applied: NodeKey[];
  /** showmigrations `--list` squash names (file input only). */
  squashes: NodeKey[];
  /** The tables the database has, read in the same session (database input only). */
  schema: DbSchema | null;
}

interface DatabaseRead {
  applied: NodeKey[];
  schema: DbSchema;
}

const QUERY = 'SELECT app, name FROM django_migrations';
const CONNECT_TIMEOUT_MS = 10_000;

function rows(values: Array<{ app: unknown; name: unknown }>): NodeKey[] {
  return values.map((r) => [String(r.app), String(r.name)] as const);
}

/** One round trip: a read-only transaction with the applied rows, the tables, and the search path. */
const POSTGRES_READ = `BEGIN TRANSACTION READ ONLY; ${QUERY}; ${POSTGRES_SCHEMA_QUERY}; ${POSTGRES_PATH_QUERY}; COMMIT`;
const POSTGRES_READ_SCHEMA = `ROLLBACK; BEGIN TRANSACTION READ ONLY; ${POSTGRES_SCHEMA_QUERY}; ${POSTGRES_PATH_QUERY}; COMMIT`;

type PgResults = Array<{ rows: Array<Record<string, unknown>> }>;

async function readPostgres(db: Extract<DatabaseUrl, { engine: 'postgresql' }>): Promise<DatabaseRead> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    connectionString: db.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: CONNECT_TIMEOUT_MS,
    application_name: 'migcheck',
    // No `options` startup parameter (e.g. default_transaction_read_only): PgBouncer refuses
    // unknown startup parameters. The statements sent are SELECTs in a READ ONLY transaction.
  });
  // A dropped connection after the query must not crash the process.
  client.on('error', () => {});
  const schemaOf = (tables: PgResults[number], path: PgResults[number]) =>
    postgresSchema(tables.rows as never, pathOf(path.rows[0]?.path));
  try {
    await client.connect();
    try {
      const r = (await client.query(POSTGRES_READ)) as unknown as PgResults;
      return { applied: rows(r[1].rows as Array<{ app: unknown; name: unknown }>), schema: schemaOf(r[2], r[3]) };
    } catch (e) {
      // 42P01 undefined_table: Django has never migrated this database, so nothing is applied.
      if ((e as { code?: string }).code !== '42P01') throw e;
      const r = (await client.query(POSTGRES_READ_SCHEMA)) as unknown as PgResults;
      return { applied: [], schema: schemaOf(r[2], r[3]) };
    }
  } catch (e) {
    const err = e as { code?: string; message?: string };
    throw new DatabaseError(say.cannotRead(db.redacted, redactSecrets(describe(err), db.secrets)));
  } finally {
    await client.end().catch(() => {});
  }
}

function describe(err: { code?: string; message?: string }): string {
  const message = (err.message ?? String(err)).trim() || 'unknown error';
  if (err.code === '28P01') return `${message} (wrong user or password)`;
  if (err.code === 'ECONNREFUSED') return `${message} (is the server running, and is the host and port right?)`;
  if (err.code === 'ENOTFOUND') return `${message} (unknown host)`;
  if (err.code === '3D000') return `${message} (wrong database name)`;
  return message;
}

async function readSqlite(db: Extract<DatabaseUrl, { engine: 'sqlite' }>, cwd: string): Promise<DatabaseRead> {
  const file = path.resolve(cwd, db.path);
  if (!existsSync(file) || !statSync(file).isFile()) throw new DatabaseError(say.sqliteMissing(db.path));
  // sql.js reads the main file only: committed changes still in the write-ahead log would be missed.
  const wal = `${file}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) throw new DatabaseError(say.sqliteWal(db.path));
  const require = createRequire(import.meta.url);
  const { default: initSqlJs } = await import('sql.js');
  const wasmBinary = await readFile(require.resolve('sql.js/dist/sql-wasm.wasm'));
  const SQL = await initSqlJs({ wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) as ArrayBuffer });
  // The whole file is copied into memory: nothing is ever written back.
  let database;
  try {
    database = new SQL.Database(await readFile(file));
  } catch (e) {
    throw new DatabaseError(say.cannotRead(db.redacted, (e as Error).message));
  }
  try {
    const schema = sqliteSchema(database);
    const has = database.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'");
    if (has.length === 0) return { applied: [], schema };
    const [result] = database.exec(QUERY);
    return { applied: (result?.values ?? []).map((r) => [String(r[0]), String(r[1])] as const), schema };
  } catch (e) {
    throw new DatabaseError(say.cannotRead(db.redacted, (e as Error).message));
  } finally {
    database.close();
  }
}

export interface AppliedRequest {
  database?: string;
  applied?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** `--database URL`, `--applied FILE`, or `DATABASE_URL`: the applied migrations, read once. */
export async function readApplied(request: AppliedRequest): Promise<AppliedSource> {
  if (request.applied !== undefined) {
    const file = path.resolve(request.cwd, request.applied);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new DatabaseError(say.appliedFileMissing(request.applied));
    }
    try {
      const parsed = parseAppliedFile(text);
      return { label: request.applied, engine: null, format: parsed.format, applied: parsed.applied, squashes: parsed.squashes, schema: null };
    } catch (e) {
      if (e instanceof AppliedFormatError) throw new DatabaseError(say.appliedFileFormat(request.applied, e.message));
      throw e;
    }
  }
  const raw = request.database ?? request.env.DATABASE_URL;
  if (!raw) throw new DatabaseError(say.noDatabase());
  let db: DatabaseUrl;
  try {
    db = parseDatabaseUrl(raw);
  } catch (e) {
    if (e instanceof DatabaseUrlError) throw new DatabaseError(e.message);
    throw e;
  }
  try {
    const read = db.engine === 'postgresql' ? await readPostgres(db) : await readSqlite(db, request.cwd);
    return { label: db.redacted, engine: db.engine, format: 'database', applied: read.applied, squashes: [], schema: read.schema };
  } catch (e) {
    if (e instanceof DatabaseError) throw e;
    // Anything else a driver threw: scrub it as well.
    throw new DatabaseError(say.cannotRead(db.redacted, redactSecrets((e as Error)?.message ?? String(e), db.secrets)));
  }
}
