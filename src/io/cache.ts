/**
 * The parse cache: what the parser read from a blob, keyed by the blob's git id, so a migration is
 * parsed once per repository however many branches, hooks and worktrees read it. Next to it, a
 * small cache of whole reports keyed by every input (paths, blob ids, config), which is what makes
 * a pre-commit hook on an unchanged migration set cost one `git ls-files`.
 *
 * Both live under the common git directory (`<git-common-dir>/migcheck/`), so every worktree shares
 * them and `git clean` leaves them alone. Writes go to a temporary file renamed over the old one:
 * two hooks running at once never see a torn file, and the last writer wins (entries the other
 * added are parsed again next time). A file that cannot be read, does not parse, or was written by
 * another version of the parser is ignored and rebuilt.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedMigration } from '../core/types.js';

/** Bumped when the file layout changes; the code version below covers parser changes. */
export const CACHE_FORMAT = 2;
/** Beyond this many entries, a new snapshot keeps only the entries this run used or added. */
const MAX_PARSE_ENTRIES = 200_000;
const MAX_RESULTS = 16;

let versionMemo: string | null = null;

/**
 * A digest of the code that turns blobs into parses and reports (every module in `core/`): a new
 * parser or new graph rules invalidate both caches by themselves, with no version to remember.
 * The files are known by name, size and modification time, not read: this runs on every check,
 * the cached ones included, and stat is what a build or an edit always changes.
 */
export async function codeVersion(): Promise<string> {
  if (versionMemo) return versionMemo;
  const here = fileURLToPath(import.meta.url);
  const ext = path.extname(here);
  const coreDir = path.join(path.dirname(here), '..', 'core');
  const hash = createHash('sha1').update(`format ${CACHE_FORMAT}\n`);
  try {
    const names = (await readdir(coreDir)).filter((n) => n.endsWith(ext)).sort();
    const stats = await Promise.all(names.map((n) => stat(path.join(coreDir, n))));
    names.forEach((n, i) => hash.update(`${n}\0${stats[i].size}\0${stats[i].mtimeMs}\n`));
  } catch {
    // An unusual install: fall back to a per-process version (the cache is then never reused).
    hash.update(String(process.pid) + String(Date.now()));
  }
  versionMemo = hash.digest('hex').slice(0, 16);
  return versionMemo;
}

interface ResultFile<T> {
  format: number;
  version: string;
  results: Array<{ key: string; value: T }>;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Write `data` to `file` atomically; failures (read-only git dir, full disk) are ignored. */
async function writeAtomic(file: string, data: string | Iterable<string>): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    if (typeof data === 'string') await writeFile(tmp, data);
    else {
      const handle = await open(tmp, 'w');
      try {
        for (const piece of data) await handle.writeFile(piece);
      } finally {
        await handle.close();
      }
    }
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => {});
  }
}

/** How parses become cache lines and back (the parser's module, loaded with the cache). */
type ParseCodec = Pick<typeof import('../core/parse.js'), 'parseToCacheText' | 'parseFromCacheText' | 'provideSource' | 'cacheKeyOf'>;

/**
 * The parse cache is a snapshot (`parse-v2.jsonl`: a header line, then `<blob id>\t<json>` per
 * entry; rewritten whole, atomically) and a journal (`parse-v2.jsonl.log`: `<version>\t<blob
 * id>\t<json>` per new entry, appended). Entries stay text until asked for: a scan that needs a
 * few hundred of ten thousand parses decodes a few hundred. A run that parses one new migration
 * appends one line instead of rewriting the snapshot. A run that finds no valid snapshot, or a
 * journal grown past a quarter of the snapshot, folds everything into a new snapshot and starts the
 * journal afresh. Lines that do not decode (a torn write) or carry another version are skipped.
 * Entries another process appends while a snapshot is being folded may be lost: they are parsed
 * again next time.
 */
export class ParseCache {
  /** Entries as JSON text, by blob id; decoded on first use. */
  private readonly raw: Map<string, string>;
  private readonly decoded = new Map<string, ParsedMigration | null>();
  private readonly added = new Map<string, ParsedMigration>();
  /** Statistics for tests and the benchmark. */
  readonly stats = { hits: 0, misses: 0, loaded: 0 };

  private constructor(
    private readonly file: string | null,
    private readonly version: string,
    raw: Map<string, string>,
    /** Entries in the snapshot, and lines in the journal, when opened. */
    private readonly sizes: { snapshot: number; journal: number; validSnapshot: boolean },
    /** Null only for a disabled cache, which never decodes or writes an entry. */
    private readonly codec: ParseCodec | null,
  ) {
    this.raw = raw;
    this.stats.loaded = raw.size;
  }

  /** A cache that remembers nothing (no git directory, or MIGCHECK_CACHE=0). */
  static disabled(): ParseCache {
    return new ParseCache(null, '', new Map(), { snapshot: 0, journal: 0, validSnapshot: false }, null);
  }

  /** Open the snapshot and its journal; missing, corrupt or stale files give no entries. */
  static async open(dir: string | null): Promise<ParseCache> {
    if (!dir) return ParseCache.disabled();
    const file = path.join(dir, `parse-v${CACHE_FORMAT}.jsonl`);
    // The parser's module is needed to decode entries, and is loaded here, not at the top: the
    // report cache in front of `check` (a pre-commit hook's usual path) never opens this cache.
    const [version, codec, snapshot, journal] = await Promise.all([
      codeVersion(),
      import('../core/parse.js'),
      readFile(file, 'utf8').catch(() => ''),
      readFile(`${file}.log`, 'utf8').catch(() => ''),
    ]);
    const raw = new Map<string, string>();
    const headerEnd = snapshot.indexOf('\n');
    let valid = false;
    try {
      const header = JSON.parse(snapshot.slice(0, headerEnd < 0 ? undefined : headerEnd)) as { format?: unknown; version?: unknown };
      valid = header.format === CACHE_FORMAT && header.version === version;
    } catch {
      valid = false;
    }
    if (valid) {
      let at = headerEnd + 1;
      while (at > 0 && at < snapshot.length) {
        const end = snapshot.indexOf('\n', at);
        const line = snapshot.slice(at, end < 0 ? undefined : end);
        const tab = line.indexOf('\t');
        if (tab === 40) raw.set(line.slice(0, tab), line.slice(tab + 1));
        at = end < 0 ? -1 : end + 1;
      }
    }
    const snapshotSize = raw.size;
    let lines = 0;
    const prefix = `${version}\t`;
    for (const line of journal.split('\n')) {
      if (!line) continue;
      lines++;
      if (!line.startsWith(prefix)) continue;
      const rest = line.slice(prefix.length);
      const tab = rest.indexOf('\t');
      if (tab === 40) raw.set(rest.slice(0, tab), rest.slice(tab + 1));
    }
    return new ParseCache(file, version, raw, { snapshot: snapshotSize, journal: lines, validSnapshot: valid }, codec);
  }

  get(oid: string): ParsedMigration | undefined {
    const added = this.added.get(oid);
    if (added) return added;
    let hit = this.decoded.get(oid);
    if (hit === undefined) {
      const text = this.raw.get(oid);
      hit = null;
      // A torn or corrupt entry gives null: the blob is parsed again.
      if (text !== undefined && this.codec) hit = this.codec.parseFromCacheText(text, oid);
      this.decoded.set(oid, hit);
    }
    if (hit) this.stats.hits++;
    else this.stats.misses++;
    return hit ?? undefined;
  }

  /**
   * Give parses handed out by this cache their blobs, so that their operations (which the cache
   * does not keep) can be read. `read` gets blob ids and returns the blobs it found.
   */
  async provideSources(parses: readonly ParsedMigration[], read: (oids: string[]) => Promise<ReadonlyMap<string, Buffer>>): Promise<void> {
    const codec = this.codec;
    if (!codec || parses.length === 0) return;
    const oids = parses.map((p) => codec.cacheKeyOf(p));
    const blobs = await read([...new Set(oids.filter((o): o is string => o !== null))]);
    parses.forEach((p, i) => {
      const blob = oids[i] === null ? undefined : blobs.get(oids[i]!);
      if (blob) codec.provideSource(p, blob);
    });
  }

  set(oid: string, parsed: ParsedMigration): void {
    if (this.file) this.added.set(oid, parsed);
  }

  /** Append what this run parsed to the journal, or fold everything into a new snapshot. */
  async save(): Promise<void> {
    if (!this.file || !this.codec || this.added.size === 0) return;
    const { parseToCacheText } = this.codec;
    const { snapshot, journal, validSnapshot } = this.sizes;
    if (validSnapshot && journal + this.added.size <= Math.max(256, snapshot / 4)) {
      const lines = [...this.added].map(([oid, parsed]) => `${this.version}\t${oid}\t${parseToCacheText(parsed)}\n`).join('');
      try {
        await mkdir(path.dirname(this.file), { recursive: true });
        // One write with O_APPEND: concurrent runs add whole lines.
        await appendFile(`${this.file}.log`, lines);
      } catch {
        // A read-only git directory: no cache, no harm.
      }
      this.added.clear();
      return;
    }
    // Entries this run did not touch are written back as the text they were read as.
    const entries = new Map(this.raw);
    if (entries.size + this.added.size > MAX_PARSE_ENTRIES) {
      for (const oid of entries.keys()) if (!this.decoded.get(oid)) entries.delete(oid);
    }
    for (const [oid, parsed] of this.added) entries.set(oid, parseToCacheText(parsed));
    // Written in pieces of about a megabyte: ten thousand entries are several megabytes, and one
    // string of them all (and its bytes) would only be built to be thrown away.
    const pieces = function* (version: string): Generator<string> {
      let piece = `${JSON.stringify({ format: CACHE_FORMAT, version })}\n`;
      for (const [oid, text] of entries) {
        piece += `${oid}\t${text}\n`;
        if (piece.length >= 1 << 20) {
          yield piece;
          piece = '';
        }
      }
      if (piece) yield piece;
    };
    await writeAtomic(this.file, pieces(this.version));
    await rm(`${this.file}.log`, { force: true }).catch(() => {});
    this.added.clear();
  }
}

/** The last few whole results, keyed by a digest of every input. */
export class ResultCache<T> {
  private constructor(
    private readonly file: string | null,
    private readonly version: string,
    private readonly results: Array<{ key: string; value: T }>,
  ) {}

  static async open<T>(dir: string | null, name: string): Promise<ResultCache<T>> {
    if (!dir) return new ResultCache<T>(null, '', []);
    const version = await codeVersion();
    const file = path.join(dir, `${name}-v${CACHE_FORMAT}.json`);
    const raw = (await readJson(file)) as Partial<ResultFile<T>> | undefined;
    const ok = raw && raw.format === CACHE_FORMAT && raw.version === version && Array.isArray(raw.results);
    return new ResultCache<T>(file, version, ok ? raw.results!.filter((r) => r && typeof r.key === 'string') : []);
  }

  get(key: string): T | undefined {
    return this.results.find((r) => r.key === key)?.value;
  }

  async put(key: string, value: T): Promise<void> {
    if (!this.file) return;
    const results = [{ key, value }, ...this.results.filter((r) => r.key !== key)].slice(0, MAX_RESULTS);
    await writeAtomic(this.file, JSON.stringify({ format: CACHE_FORMAT, version: this.version, results }));
  }
}

/** Small facts by key (what a migrations folder holds, by its tree id), kept across runs. */
export class FactCache<T> {
  private readonly added = new Map<string, T>();
  private readonly used = new Set<string>();

  private constructor(
    private readonly file: string | null,
    private readonly version: string,
    private readonly entries: Record<string, T>,
  ) {}

  static async open<T>(dir: string | null, name: string): Promise<FactCache<T>> {
    if (!dir) return new FactCache<T>(null, '', Object.create(null));
    const version = await codeVersion();
    const file = path.join(dir, `${name}-v${CACHE_FORMAT}.json`);
    const raw = (await readJson(file)) as { format?: unknown; version?: unknown; entries?: unknown } | undefined;
    const ok = raw && raw.format === CACHE_FORMAT && raw.version === version && typeof raw.entries === 'object' && raw.entries !== null;
    return new FactCache<T>(file, version, ok ? (raw.entries as Record<string, T>) : Object.create(null));
  }

  get(key: string): T | undefined {
    const hit = this.added.get(key) ?? this.entries[key];
    if (hit !== undefined) this.used.add(key);
    return hit;
  }

  set(key: string, value: T): void {
    if (this.file) this.added.set(key, value);
  }

  async save(): Promise<void> {
    if (!this.file || this.added.size === 0) return;
    let entries: Record<string, T> = { ...this.entries };
    if (Object.keys(entries).length + this.added.size > 20_000) {
      entries = Object.create(null);
      for (const key of this.used) if (this.entries[key] !== undefined) entries[key] = this.entries[key];
    }
    for (const [key, value] of this.added) entries[key] = value;
    await writeAtomic(this.file, JSON.stringify({ format: CACHE_FORMAT, version: this.version, entries }));
  }
}

/** sha1 of the parts, for result keys. */
export function digest(parts: Iterable<string>): string {
  const hash = createHash('sha1');
  for (const p of parts) hash.update(p).update('\0');
  return hash.digest('hex');
}

/** The cache directory for a repository, or null when caching is off. */
export function cacheDir(commonDir: string | null, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!commonDir || env.MIGCHECK_CACHE === '0') return null;
  return path.join(commonDir, 'migcheck');
}
