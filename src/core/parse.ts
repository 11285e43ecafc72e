import type { DependencyRef, OperationRef, ParsedMigration, ParseProblem } from './types.js';
import * as tokens from './tokenize.js';
import { Lexer, decodeSource, scanForbidden, type TokenKind } from './tokenize.js';

/*
 * Reads a migration module the way Django's MigrationLoader sees it after `import`: the last
 * top-level binding of `Migration`, and in its class body the attributes that shape the graph.
 * Values are read only when they are literals; a graph attribute that is not a literal is an
 * error, because guessing would change the graph.
 */

// Local copies: these are compared per token in hot loops.
const NAME = tokens.NAME;
const STRING = tokens.STRING;
const OP = tokens.OP;
const NEWLINE = tokens.NEWLINE;
const INDENT = tokens.INDENT;
const DEDENT = tokens.DEDENT;
const EOF = tokens.EOF;

/** Django's operation signatures, positional order (django/db/migrations/operations/, contrib/postgres/operations.py). */
const SIGNATURES = new Map<string, readonly string[]>([
  ['CreateModel', ['name', 'fields', 'options', 'bases', 'managers']],
  ['DeleteModel', ['name']],
  ['RenameModel', ['old_name', 'new_name']],
  ['AlterModelTable', ['name', 'table']],
  ['AlterModelTableComment', ['name', 'table_comment']],
  ['AlterModelOptions', ['name', 'options']],
  ['AlterModelManagers', ['name', 'managers']],
  ['AlterUniqueTogether', ['name', 'unique_together']],
  ['AlterIndexTogether', ['name', 'index_together']],
  ['AlterOrderWithRespectTo', ['name', 'order_with_respect_to']],
  ['AddField', ['model_name', 'name', 'field', 'preserve_default']],
  ['RemoveField', ['model_name', 'name']],
  ['AlterField', ['model_name', 'name', 'field', 'preserve_default']],
  ['RenameField', ['model_name', 'old_name', 'new_name']],
  ['AddIndex', ['model_name', 'index']],
  ['RemoveIndex', ['model_name', 'name']],
  ['RenameIndex', ['model_name', 'new_name', 'old_name', 'old_fields']],
  ['AddConstraint', ['model_name', 'constraint']],
  ['RemoveConstraint', ['model_name', 'name']],
  ['AlterConstraint', ['model_name', 'name', 'constraint']],
  ['RunSQL', ['sql', 'reverse_sql', 'state_operations', 'hints', 'elidable']],
  ['RunPython', ['code', 'reverse_code', 'atomic', 'hints', 'elidable']],
  ['SeparateDatabaseAndState', ['database_operations', 'state_operations']],
  ['AddIndexConcurrently', ['model_name', 'index']],
  ['RemoveIndexConcurrently', ['model_name', 'name']],
  ['AddConstraintNotValid', ['model_name', 'constraint']],
  ['ValidateConstraint', ['model_name', 'name']],
  ['CreateExtension', ['name']],
  ['CreateCollation', ['name', 'locale']],
  ['RemoveCollation', ['name', 'locale']],
]);

/** Attributes that shape the graph: a value we cannot read is an error. */
const GRAPH_ATTRS = new Set(['dependencies', 'replaces', 'run_before']);
const READ_ATTRS = new Set(['dependencies', 'replaces', 'run_before', 'initial', 'atomic', 'operations']);
const AUGMENTED = new Set(['+=', '-=', '*=', '/=', '//=', '%=', '**=', '|=', '&=', '^=', '>>=', '<<=', '@=']);
const COMPOUND = new Set(['if', 'elif', 'else', 'for', 'while', 'try', 'except', 'finally', 'with']);
const DEFINITION = new Set(['def', 'class', 'async']);
const SOFT_COMPOUND = new Set(['match', 'case']);
const WHITESPACE = /[ \t\n\v\f\r]+/g;
const NEEDS_COLLAPSE = /[ \t\n\v\f\r]{2}|[\t\n\v\f\r]/;

export interface ParseOptions {
  /**
   * Leave the operations unread until something asks for them: a `check` of ten thousand
   * migrations reads the operations of the few that conflict, and this parse skips the costliest
   * half of the work. The result's `operations` is then computed on first access, by reading the
   * decoded text again; it equals what a full parse gives, and so does every other field.
   */
  deferOperations?: boolean;
}

export function parseMigration(source: string | Uint8Array, options: ParseOptions = {}): ParsedMigration {
  return read(source, null, options.deferOperations === true);
}

/**
 * Where the string literals of a `(app, name)` reference are, as [start, end) offsets of the whole
 * token (prefix and quotes included) in the decoded text: the BOM dropped and every line ending made
 * `\n`. Null when that part is not one plain token (implicit concatenation, a swappable).
 */
export interface RefSpan {
  app: readonly [number, number] | null;
  name: readonly [number, number] | null;
}

/**
 * `parseMigration` plus the position of each reference in `dependencies`, `replaces` and
 * `run_before`, keyed by the reference object: for tools that rewrite names in place (rebase).
 */
export function parseMigrationWithSpans(source: string | Uint8Array): { parsed: ParsedMigration; spans: Map<DependencyRef, RefSpan> } {
  const spans = new Map<DependencyRef, RefSpan>();
  return { parsed: read(source, spans, false), spans };
}

function read(source: string | Uint8Array, spans: Map<DependencyRef, RefSpan> | null, deferOperations: boolean): ParsedMigration {
  const result = emptyResult();
  try {
    const decoded = decodeSource(source);
    const forbidden = scanForbidden(decoded.text);
    const lexer = new Lexer(decoded.text);
    const reader = new ModuleReader(lexer, result, deferOperations);
    reader.spans = spans;
    reader.run();
    result.error = decoded.error ?? earliest(forbidden, lexer.error) ?? reader.problem;
    if (reader.operationsSkipped) return new DeferredParse(result, decoded.text);
  } catch (e) {
    // The contract is "never throw": a bug here must become a parse error, not a crashed hook.
    result.error = { message: `internal parser error: ${e instanceof Error ? e.message : String(e)}`, line: 1, column: 1 };
  }
  return result;
}

/**
 * Parses whose operations were asked for while they had no text, during `recordMissingOperations`;
 * null outside it, where asking is a bug and throws.
 */
let recording: Set<ParsedMigration> | null = null;

/**
 * The operations of decoded text. They depend on nothing but the text's tokens (not on its
 * encoding, nor on the problems found around them), so this is what the first reading would have
 * found.
 */
function operationsOf(text: string): OperationRef[] {
  const result = emptyResult();
  try {
    new ModuleReader(new Lexer(text), result, false).run();
  } catch {
    // Never thrown on any input the fuzzer has found; the first reading would have said so.
  }
  return result.operations;
}

/**
 * A parse whose operations are read on first access: from the decoded text it was parsed from, or,
 * for a parse read back from the cache, from the module `provideSource` gives it later. A class
 * (its state in private fields, the accessor on the prototype): ten thousand of these cost next
 * to nothing to make. `toJSON` gives the plain parse.
 */
class DeferredParse implements ParsedMigration {
  hasMigrationClass: boolean;
  classLine: number;
  dependencies: DependencyRef[];
  replaces: DependencyRef[];
  runBefore: DependencyRef[];
  initial: boolean | null;
  atomic: boolean | null;
  error: ParseProblem | null;
  #operations: OperationRef[] | null = null;
  #text: string | null;
  #module: string | Uint8Array | null = null;
  /** What the cache knows this parse by (its blob id). */
  readonly #key: string | null;

  constructor(parsed: Omit<ParsedMigration, 'operations'>, text: string | null, key: string | null = null) {
    this.hasMigrationClass = parsed.hasMigrationClass;
    this.classLine = parsed.classLine;
    this.dependencies = parsed.dependencies;
    this.replaces = parsed.replaces;
    this.runBefore = parsed.runBefore;
    this.initial = parsed.initial;
    this.atomic = parsed.atomic;
    this.error = parsed.error;
    this.#text = text;
    this.#key = key;
  }

  get operations(): OperationRef[] {
    if (this.#operations) return this.#operations;
    if (this.#text === null && this.#module !== null) this.#text = decodeSource(this.#module).text;
    if (this.#text !== null) {
      this.#operations = operationsOf(this.#text);
      this.#text = null;
      this.#module = null;
      return this.#operations;
    }
    if (recording) {
      recording.add(this);
      return [];
    }
    throw new Error('internal error: the operations of a cached parse were read before its blob was loaded');
  }

  set operations(value: OperationRef[]) {
    this.#operations = value;
  }

  provide(module: string | Uint8Array): void {
    if (this.#operations === null && this.#text === null) this.#module = module;
  }

  key(): string | null {
    return this.#key;
  }

  /** The plain parse; without `operations` when they were never read and `read` is false. */
  plain(read: boolean): Omit<ParsedMigration, 'operations'> & { operations?: OperationRef[] } {
    const { hasMigrationClass, classLine, dependencies, replaces, runBefore, initial, atomic, error } = this;
    const operations = read ? this.operations : this.#operations;
    return { hasMigrationClass, classLine, dependencies, replaces, runBefore, initial, atomic, ...(operations ? { operations } : {}), error };
  }

  toJSON(): ParsedMigration {
    return this.plain(true) as ParsedMigration;
  }
}

/**
 * Give a parse read back from the cache the module it came from (its bytes as in git, or its
 * source as a string), so its operations can be read when asked for. Any other parse is left as
 * it is.
 */
export function provideSource(parsed: ParsedMigration, source: string | Uint8Array): void {
  if (parsed instanceof DeferredParse) parsed.provide(source);
}

/**
 * Run `compute` (pure) and say which parses it asked for operations they could not read: they
 * seemed to have none, so the value is to be thrown away once they are given their text and
 * `compute` is run again.
 */
export function recordMissingOperations<T>(compute: () => T): { value: T; missing: ParsedMigration[] } {
  const outer = recording;
  const missing = new Set<ParsedMigration>();
  recording = missing;
  try {
    return { value: compute(), missing: [...missing] };
  } finally {
    recording = outer;
  }
}

/**
 * A parse as one line of JSON for the parse cache. Deferred operations are not written (the cache
 * is keyed by blob id, and the blob can be read again for the few parses whose operations are
 * ever asked for): ten thousand migrations make a cache a third the size, written in a third of
 * the time.
 */
export function parseToCacheText(parsed: ParsedMigration): string {
  return JSON.stringify(parsed instanceof DeferredParse ? parsed.plain(false) : parsed);
}

/**
 * A parse back from what `parseToCacheText` wrote, or null when it does not have that shape (a
 * corrupt or foreign cache entry). Without operations, it is a deferred parse waiting for its
 * text (`provideSource`). Throws nothing.
 */
export function parseFromCacheText(line: string, key: string | null = null): ParsedMigration | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const shaped =
    typeof v.hasMigrationClass === 'boolean' &&
    typeof v.classLine === 'number' &&
    Array.isArray(v.dependencies) &&
    Array.isArray(v.replaces) &&
    Array.isArray(v.runBefore) &&
    (v.error === null || typeof v.error === 'object');
  if (!shaped) return null;
  if (Array.isArray(v.operations)) return v as unknown as ParsedMigration;
  if ('operations' in v) return null;
  return new DeferredParse(v as unknown as Omit<ParsedMigration, 'operations'>, null, key);
}

/** What the cache knows a parse read back from it by (`parseFromCacheText`'s key), or null. */
export function cacheKeyOf(parsed: ParsedMigration): string | null {
  return parsed instanceof DeferredParse ? parsed.key() : null;
}

function emptyResult(): ParsedMigration {
  return {
    hasMigrationClass: false,
    classLine: 0,
    dependencies: [],
    replaces: [],
    runBefore: [],
    initial: null,
    atomic: null,
    operations: [],
    error: null,
  };
}

function earliest(a: ParseProblem | null, b: ParseProblem | null): ParseProblem | null {
  if (a === null || b === null) return a ?? b;
  return b.line < a.line || (b.line === a.line && b.column < a.column) ? b : a;
}

function skipLine(lx: Lexer, k: TokenKind): TokenKind {
  while (k !== NEWLINE && k !== EOF) k = lx.next();
  return k;
}

/**
 * One Line for every parse: parsing is synchronous and never re-entered, and allocating its seven
 * arrays per file was a fifth of the parse time on a repository of small migrations.
 */
let sharedLine: Line | null = null;
function lineFor(src: string): Line {
  if (!sharedLine) sharedLine = new Line(src);
  sharedLine.src = src;
  sharedLine.n = 0;
  return sharedLine;
}

/**
 * The tokens of one logical line, as parallel arrays reused from line to line: a migration
 * with thousands of operations would otherwise make hundreds of thousands of small objects.
 */
class Line {
  n = 0;
  kind = new Uint8Array(256);
  start = new Int32Array(256);
  end = new Int32Array(256);
  line = new Int32Array(256);
  col = new Int32Array(256);
  /** Bracket nesting after the token. */
  depth = new Int32Array(256);
  /** The character of a one-character operator, else 0: most checks are for those. */
  ch = new Int32Array(256);
  /** For an opening bracket, the index of its closing bracket; -1 otherwise or when unclosed. */
  close = new Int32Array(256);
  /** Open brackets while filling, as a stack of token indexes. */
  private opens = new Int32Array(256);

  constructor(public src: string) {}

  /** Reads from the current token up to NEWLINE/EOF, which is returned and left current. */
  fill(lx: Lexer, k: TokenKind): TokenKind {
    this.n = 0;
    let open = 0;
    while (k !== NEWLINE && k !== EOF) {
      if (this.n === this.kind.length) this.grow();
      const i = this.n++;
      this.kind[i] = k;
      this.start[i] = lx.start;
      this.end[i] = lx.end;
      this.line[i] = lx.tokLine;
      this.col[i] = lx.tokCol;
      this.depth[i] = lx.depth;
      this.close[i] = -1;
      const c = k === OP && lx.end - lx.start === 1 ? this.src.charCodeAt(lx.start) : 0;
      this.ch[i] = c;
      if (c === 0x28 || c === 0x5b || c === 0x7b) this.opens[open++] = i;
      else if ((c === 0x29 || c === 0x5d || c === 0x7d) && open > 0) this.close[this.opens[--open]] = i;
      k = lx.next();
    }
    return k;
  }

  private grow(): void {
    const size = this.kind.length * 2;
    const widen = <T extends Uint8Array | Int32Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.kind = widen(this.kind, new Uint8Array(size));
    this.start = widen(this.start, new Int32Array(size));
    this.end = widen(this.end, new Int32Array(size));
    this.line = widen(this.line, new Int32Array(size));
    this.col = widen(this.col, new Int32Array(size));
    this.depth = widen(this.depth, new Int32Array(size));
    this.ch = widen(this.ch, new Int32Array(size));
    this.close = widen(this.close, new Int32Array(size));
    this.opens = widen(this.opens, new Int32Array(size));
  }

  text(i: number): string {
    return this.src.slice(this.start[i], this.end[i]);
  }

  /** Token i is the name or operator `text`. */
  is(i: number, text: string): boolean {
    if (i < 0 || i >= this.n) return false;
    if (text.length === 1 && !isLetter(text.charCodeAt(0))) return this.ch[i] === text.charCodeAt(0);
    const k = this.kind[i];
    if (k !== OP && k !== NAME) return false;
    const s = this.start[i];
    const len = this.end[i] - s;
    if (len !== text.length) return false;
    return len === 1 ? this.src.charCodeAt(s) === text.charCodeAt(0) : this.src.startsWith(text, s);
  }

  isName(i: number): boolean {
    return i >= 0 && i < this.n && this.kind[i] === NAME;
  }

  problem(message: string, i: number): ParseProblem {
    const at = Math.max(0, Math.min(i, this.n - 1));
    return { message, line: this.line[at] || 1, column: this.col[at] || 1 };
  }
}

class ModuleReader {
  problem: ParseProblem | null = null;
  /** When set, where each reference's string literals are (`parseMigrationWithSpans`). */
  spans: Map<DependencyRef, RefSpan> | null = null;
  /** Line of a binding of `Migration` under if/try/... after the last top-level one. */
  private conditionalLine = 0;
  private readonly t: Line;
  /** A statement that sets operations was passed over (`deferOperations`). */
  operationsSkipped = false;

  constructor(
    private readonly lx: Lexer,
    private readonly r: ParsedMigration,
    /** Pass over statements that set operations, leaving them for `operationsOf`. */
    private readonly deferOperations: boolean,
  ) {
    this.t = lineFor(lx.src);
  }

  /** True, and noted, when a statement setting `name` is to be passed over. */
  private skips(name: string): boolean {
    if (name !== 'operations' || !this.deferOperations) return false;
    this.operationsSkipped = true;
    return true;
  }

  run(): void {
    const lx = this.lx;
    const t = this.t;
    // The kind of each block we are inside. Code under if/try/with/for/while at module level
    // runs at import; code under def/class does not bind module names.
    const blocks: Array<'def' | 'control'> = [];
    let header: 'def' | 'control' = 'def';
    let k = lx.next();
    while (k !== EOF) {
      if (k === INDENT) blocks.push(header);
      else if (k === DEDENT) blocks.pop();
      if (k === INDENT || k === DEDENT || k === NEWLINE) {
        k = lx.next();
        continue;
      }
      const first = k === NAME || k === OP ? lx.text() : '';
      const line = lx.tokLine;
      header = first === 'def' || first === 'class' || first === 'async' || first === '@' ? 'def' : 'control';
      if (first !== 'class' && first !== 'Migration' && first !== 'from' && first !== 'import') {
        k = skipLine(lx, k);
        continue;
      }
      if (first === 'class' && blocks.length === 0) {
        k = lx.next();
        if (k === NAME && lx.text() === 'Migration') k = this.readClass(line);
        else k = skipLine(lx, k);
        continue;
      }
      k = t.fill(lx, k);
      let binds: boolean;
      if (first === 'class') binds = t.is(1, 'Migration');
      // `Migration = X` or `Migration: type = X` (a bare annotation binds nothing).
      else if (first === 'Migration') binds = t.is(1, '=') || (t.is(1, ':') && anyAtTop(t, 0, t.n, '='));
      else binds = importsMigration(t);
      const runsAtImport = blocks.every((b) => b === 'control');
      if (first === 'Migration' && runsAtImport && t.is(1, '.') && t.isName(2) && GRAPH_ATTRS.has(t.text(2))) {
        // `Migration.dependencies.append(...)` after the class changes the graph too.
        this.fail(`'Migration.${t.text(2)}' is changed outside the class and cannot be read statically`, 0);
      }
      if (!binds) continue;
      if (blocks.length === 0) this.reset(line);
      else if (runsAtImport) this.conditionalLine = line;
    }
    if (this.conditionalLine > 0) {
      // Django would import whichever branch ran; we cannot know which, so do not guess.
      const line = this.conditionalLine;
      this.r.hasMigrationClass = true;
      if (this.r.classLine === 0) this.r.classLine = line;
      this.problem ??= { message: `Migration is defined inside a compound statement on line ${line} and cannot be read statically`, line, column: 1 };
    }
  }

  /**
   * A new top-level binding of `Migration` replaces the previous one, as in Python. A binding
   * by assignment or import (`Migration = X`, `from m import Migration`) counts as a class
   * Django would find, whose contents we cannot read.
   */
  private reset(line: number): void {
    Object.assign(this.r, emptyResult(), { hasMigrationClass: true, classLine: line });
    this.problem = null;
    this.conditionalLine = 0;
  }

  private fail(message: string, i: number): void {
    if (this.problem === null) this.problem = this.t.problem(message, i);
  }

  /** After `class Migration`; returns the first token after the class. */
  private readClass(line: number): TokenKind {
    const lx = this.lx;
    this.reset(line);
    let k = lx.next();
    // Bases, keywords and PEP 695 type parameters, up to the header's `:`.
    while (k !== NEWLINE && k !== EOF && !(k === OP && lx.depth === 0 && lx.text() === ':')) k = lx.next();
    if (k !== OP) return k;
    k = lx.next();
    if (k !== NEWLINE) {
      // `class Migration(migrations.Migration): dependencies = []; operations = []`
      k = this.t.fill(lx, k);
      this.simpleStatements();
      return k;
    }
    k = lx.next();
    return k === INDENT ? this.body(lx.next()) : k;
  }

  /** The indented class body; returns the token after its closing DEDENT. */
  private body(k: TokenKind): TokenKind {
    const lx = this.lx;
    const t = this.t;
    // The kind of each block we are inside, within the body: code under def/class runs later
    // (ignored); code under if/for/try/with runs while the class is built and may change
    // graph attributes.
    const blocks: Array<'none' | 'def' | 'control'> = [];
    let header: 'none' | 'def' | 'control' = 'none';
    while (k !== EOF) {
      if (k === INDENT) {
        blocks.push(header);
        k = lx.next();
      } else if (k === DEDENT) {
        k = lx.next();
        if (blocks.length === 0) return k;
        blocks.pop();
      } else if (k === NEWLINE) {
        k = lx.next();
      } else if (blocks.includes('def')) {
        header = 'def';
        k = skipLine(lx, k);
      } else {
        k = t.fill(lx, k);
        header = compoundKind(t);
        if (blocks.length === 0 && header === 'none') this.simpleStatements();
        else if (header !== 'def') this.conditional();
      }
    }
    return k;
  }

  private simpleStatements(): void {
    const t = this.t;
    let a = 0;
    for (let i = 0; i <= t.n; i++) {
      if (i === t.n || (t.depth[i] === 0 && t.is(i, ';'))) {
        if (i > a) this.statement(a, i);
        a = i + 1;
      }
    }
  }

  /** Class-level code under if/for/try/with runs at import: it may change graph attributes. */
  private conditional(): void {
    const t = this.t;
    for (let i = 0; i < t.n; i++) {
      if (!t.isName(i)) continue;
      const name = t.text(i);
      if (!GRAPH_ATTRS.has(name)) continue;
      const atStatementStart = i === 0 || (t.depth[i - 1] === 0 && (t.is(i - 1, ':') || t.is(i - 1, ';')));
      const changes = t.is(i + 1, '=') || t.is(i + 1, '.') || t.is(i + 1, '[') || (t.kind[i + 1] === OP && AUGMENTED.has(t.text(i + 1)));
      if (atStatementStart && i + 1 < t.n && changes) {
        this.fail(`'${name}' is changed inside a compound statement and cannot be read statically`, i);
      }
    }
  }

  /** One simple statement at class-body level, tokens [a, b). */
  private statement(a: number, b: number): void {
    const t = this.t;
    if (!t.isName(a) || b - a < 2) return;
    const eqs: number[] = [];
    for (let i = a; i < b; i++) if (t.depth[i] === 0 && t.is(i, '=')) eqs.push(i);
    if (eqs.length > 0) {
      // `a = b = value` binds every target to the value.
      const valueStart = eqs[eqs.length - 1] + 1;
      let ta = a;
      for (const eq of eqs) {
        this.target(ta, eq, valueStart, b);
        ta = eq + 1;
      }
      return;
    }
    const name = t.text(a);
    if (!READ_ATTRS.has(name) || t.kind[a + 1] !== OP) return;
    const op = t.text(a + 1);
    if (op === '+=') this.extend(name, a + 2, b);
    else if (op === '.') this.method(name, a, b);
    else if (GRAPH_ATTRS.has(name) && (AUGMENTED.has(op) || (op === '[' && anyAugmented(t, a, b)))) {
      this.fail(`'${name}' is changed in a way that cannot be read statically`, a);
    }
  }

  private target(ta: number, tb: number, va: number, vb: number): void {
    const t = this.t;
    const simple = tb - ta === 1 || t.is(ta + 1, ':'); // `x = ...` or annotated `x: list = ...`
    const name = t.isName(ta) ? t.text(ta) : '';
    if (simple && READ_ATTRS.has(name)) {
      if (this.skips(name)) return;
      this.assign(name, new ExprReader(t, va, vb));
      return;
    }
    // `dependencies, operations = ...` or `dependencies[0] = ...`: Python-valid, not static.
    for (let i = ta; i < tb; i++) {
      if (t.isName(i) && GRAPH_ATTRS.has(t.text(i)) && !t.is(i - 1, '.')) {
        this.fail(`'${t.text(i)}' is assigned in a way that cannot be read statically`, i);
      }
    }
  }

  private assign(name: string, rd: ExprReader): void {
    const node = rd.value();
    const r = this.r;
    if (GRAPH_ATTRS.has(name)) {
      const refs = this.refs(rd, node, name);
      if (refs !== null) this.setRefs(name, refs);
    } else if (name === 'initial' || name === 'atomic') {
      r[name] = node.t === 'const' && node.value !== null ? node.value : null;
    } else if (name === 'operations') {
      // Operations may be built dynamically; that is legal and only hides them from us.
      r.operations = node.t === 'seq' ? this.operations(rd, node.items) : [];
    }
  }

  /** `x += [...]`. */
  private extend(name: string, va: number, vb: number): void {
    if (this.skips(name)) return;
    const rd = new ExprReader(this.t, va, vb);
    const node = rd.value();
    if (name === 'operations') {
      if (node.t === 'seq') this.r.operations.push(...this.operations(rd, node.items));
    } else if (GRAPH_ATTRS.has(name)) {
      const refs = this.refs(rd, node, name);
      if (refs !== null) this.setRefs(name, [...this.getRefs(name), ...refs]);
    }
  }

  /** `x.append(...)`, `x.extend([...])`, `x.insert(i, ...)`. */
  private method(name: string, a: number, b: number): void {
    if (this.skips(name)) return;
    const rd = new ExprReader(this.t, a, b);
    const call = rd.value();
    const graph = GRAPH_ATTRS.has(name);
    let items: Node[] | null = null;
    if (call.t === 'call' && call.args.every((x) => x.key === null && x.star === 0)) {
      const method = call.callee.slice(name.length + 1);
      const args = call.args;
      if (method === 'append' && args.length === 1) items = [rd.arg(args[0])];
      else if (method === 'insert' && args.length === 2) items = [rd.arg(args[1])];
      else if (method === 'extend' && args.length === 1) {
        const list = rd.arg(args[0]);
        if (list.t === 'seq') items = list.items;
      }
    }
    if (name === 'operations') {
      if (items !== null) this.r.operations.push(...this.operations(rd, items));
      return;
    }
    if (!graph) return;
    if (items === null) {
      this.fail(`'${name}' is changed in a way that cannot be read statically`, a);
      return;
    }
    const refs: DependencyRef[] = [];
    for (const item of items) {
      const ref = this.ref(rd, item);
      if (ref === null) return this.badElement(rd, item, name);
      refs.push(ref);
    }
    this.setRefs(name, [...this.getRefs(name), ...refs]);
  }

  private getRefs(name: string): DependencyRef[] {
    return name === 'dependencies' ? this.r.dependencies : name === 'replaces' ? this.r.replaces : this.r.runBefore;
  }

  private setRefs(name: string, refs: DependencyRef[]): void {
    if (name === 'dependencies') this.r.dependencies = refs;
    else if (name === 'replaces') this.r.replaces = refs;
    else this.r.runBefore = refs;
  }

  private refs(rd: ExprReader, node: Node, name: string): DependencyRef[] | null {
    // `replaces` built at import time (awx computes it from the database it runs against) only
    // matters where a replaced migration is still on disk or named by a dependency: read it as
    // replacing nothing, and those cases show as the leaves or missing dependencies they make.
    if (node.t !== 'seq' && name === 'replaces') return [];
    if (node.t !== 'seq') {
      this.fail(`'${name}' cannot be read statically: ${clip(rd.source(node.a, node.b))} is not a list or tuple literal`, node.a);
      return null;
    }
    const out: DependencyRef[] = [];
    for (const item of node.items) {
      const ref = this.ref(rd, item);
      if (ref === null) {
        this.badElement(rd, item, name);
        return null;
      }
      out.push(ref);
    }
    return out;
  }

  private badElement(rd: ExprReader, item: Node, name: string): void {
    const text = clip(rd.source(item.a, item.b));
    this.fail(`'${name}' cannot be read statically: ${text} is not an ('app', 'migration') pair of string literals or a swappable_dependency(...)`, item.a);
  }

  /** `('app', 'name')`, `['app', 'name']`, or `swappable_dependency(settings.X)`. */
  private ref(rd: ExprReader, item: Node): DependencyRef | null {
    const line = this.t.line[item.a];
    if (item.t === 'seq' && item.items.length === 2) {
      const [app, name] = item.items;
      if (app.t !== 'str' || name.t !== 'str') return null;
      const ref: DependencyRef = { app: app.value, name: name.value, line };
      if (this.spans) {
        const t = this.t;
        const span = (n: Node) => (n.b === n.a + 1 ? ([t.start[n.a], t.end[n.a]] as const) : null);
        this.spans.set(ref, { app: span(app), name: span(name) });
      }
      return ref;
    }
    if (item.t !== 'call' || lastName(item.callee) !== 'swappable_dependency' || item.args.length !== 1) return null;
    const arg = item.args[0];
    if (arg.star !== 0 || (arg.key !== null && arg.key !== 'value')) return null;
    const v = rd.arg(arg);
    if (v.t === 'name') return { app: '', name: '__first__', line, swappable: lastName(v.name) };
    // django.db.migrations.swappable_dependency: (value.split(".", 1)[0], "__first__").
    if (v.t === 'str') return { app: v.value.split('.')[0], name: '__first__', line };
    // getattr(settings, 'AUTH_USER_MODEL', 'auth.User')
    if (v.t === 'call' && v.callee === 'getattr' && v.args.length >= 2) {
      const setting = rd.arg(v.args[1]);
      if (setting.t === 'str') return { app: '', name: '__first__', line, swappable: setting.value };
    }
    return null;
  }

  private operations(rd: ExprReader, items: Node[]): OperationRef[] {
    const out: OperationRef[] = [];
    for (const item of items) if (item.t === 'call') out.push(operation(rd, item));
    return out;
  }
}

function operation(rd: ExprReader, call: CallNode): OperationRef {
  const t = rd.t;
  const kind = lastName(call.callee);
  const signature = SIGNATURES.get(kind) ?? [];
  const args: Record<string, string> = {};
  const source: Record<string, string> = {};
  let fields: Node | null = null;
  let options: Node | null = null;
  let position = 0;
  for (const arg of call.args) {
    let key: string;
    if (arg.star !== 0) key = arg.star === 1 ? '*' : '**';
    else if (arg.key !== null) key = arg.key;
    else {
      key = signature[position] ?? `arg${position}`;
      position++;
    }
    put(source, key, rd.source(arg.a, arg.b));
    if (arg.star !== 0) continue;
    if (t.kind[arg.a] === STRING) {
      const value = rd.arg(arg);
      if (value.t === 'str') put(args, key, value.value);
    }
    if (kind === 'CreateModel' && key === 'fields') fields = rd.arg(arg);
    if (kind === 'CreateModel' && key === 'options') options = rd.arg(arg);
  }
  const op: OperationRef = { kind, line: t.line[call.a], args, source };
  if (fields?.t === 'seq') {
    op.fields = [];
    for (const f of fields.items) {
      const first = f.t === 'seq' ? f.items[0] : undefined;
      if (first?.t === 'str') op.fields.push(first.value);
    }
  }
  if (options?.t === 'dict') {
    const { keys, values } = options;
    keys.forEach((k, i) => {
      const v = values[i];
      if (k.t === 'str' && k.value === 'db_table' && v.t === 'str') put(args, 'db_table', v.value);
    });
  }
  return op;
}

/** `obj[key] = value` that cannot touch the prototype when Python code says `__proto__=`. */
function put(obj: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function isLetter(c: number): boolean {
  return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
}

function lastName(dotted: string): string {
  return dotted.slice(dotted.lastIndexOf('.') + 1);
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function anyAtTop(t: Line, a: number, b: number, text: string): boolean {
  for (let i = a; i < b; i++) if (t.depth[i] === 0 && t.is(i, text)) return true;
  return false;
}

function anyAugmented(t: Line, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (t.depth[i] === 0 && t.kind[i] === OP && AUGMENTED.has(t.text(i))) return true;
  return false;
}

function compoundKind(t: Line): 'none' | 'def' | 'control' {
  if (t.is(0, '@')) return 'def';
  if (!t.isName(0)) return 'none';
  const first = t.text(0);
  if (DEFINITION.has(first)) return 'def';
  if (COMPOUND.has(first)) return 'control';
  if (SOFT_COMPOUND.has(first)) {
    // `match` and `case` are soft keywords: `match = 1` is an assignment.
    if (t.n < 2 || t.is(1, '=') || t.is(1, '.') || t.is(1, ':') || (t.kind[1] === OP && AUGMENTED.has(t.text(1)))) return 'none';
    return anyAtTop(t, 1, t.n, ':') ? 'control' : 'none';
  }
  return 'none';
}

/** `from m import Migration`, `from m import X as Migration`, `import m as Migration`. */
function importsMigration(t: Line): boolean {
  let i = 0;
  if (t.is(0, 'from')) while (i < t.n && !t.is(i, 'import')) i++;
  i++;
  while (i < t.n) {
    if (!t.isName(i)) {
      i++;
      continue;
    }
    let bound = t.text(i);
    i++;
    while (t.is(i, '.') && t.isName(i + 1)) i += 2; // `import a.b` binds `a`
    if (t.is(i, 'as') && t.isName(i + 1)) {
      bound = t.text(i + 1);
      i += 2;
    }
    if (bound === 'Migration') return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Expressions

type CallNode = { t: 'call'; a: number; b: number; callee: string; args: Arg[] };
type Node =
  | { t: 'str'; a: number; b: number; value: string }
  | { t: 'seq'; a: number; b: number; items: Node[] }
  | { t: 'dict'; a: number; b: number; keys: Node[]; values: Node[] }
  | CallNode
  | { t: 'name'; a: number; b: number; name: string }
  | { t: 'const'; a: number; b: number; value: boolean | null }
  | { t: 'other'; a: number; b: number };

/** A call argument: its value is only the token range [a, b) until someone asks (`ExprReader.arg`). */
interface Arg {
  key: string | null;
  star: 0 | 1 | 2;
  a: number;
  b: number;
}

/**
 * A tiny expression reader over one statement's tokens: literals (strings with implicit
 * concatenation, lists, tuples, dicts, True/False/None), dotted names and calls. Anything else
 * becomes an opaque 'other' node spanning its tokens.
 */
class ExprReader {
  constructor(
    readonly t: Line,
    private readonly start: number,
    private readonly end: number,
  ) {}

  /**
   * The closing bracket of the opening bracket at i, within this range; the range's last token
   * when it is not closed in the range (a statement cut short by an error). The line matched its
   * brackets when it was read, and a range's own brackets match the same way.
   */
  private closeOf(i: number): number {
    const c = this.t.close[i];
    return c >= 0 && c < this.end ? c : this.end - 1;
  }

  private is(i: number, text: string): boolean {
    return i < this.end && this.t.is(i, text);
  }

  /** `,` `:` or a closing bracket: where an expression ends. */
  private ends(i: number, end: number): boolean {
    if (i >= end) return true;
    const c = this.t.ch[i];
    return c === 0x2c || c === 0x29 || c === 0x5d || c === 0x7d || c === 0x3a;
  }

  private closer(i: number): boolean {
    const c = this.t.ch[i];
    return c === 0x29 || c === 0x5d || c === 0x7d;
  }

  private opener(i: number): boolean {
    const c = this.t.ch[i];
    return c === 0x28 || c === 0x5b || c === 0x7b;
  }

  /**
   * Source text of tokens [a, b) with any run of whitespace made one space and comments
   * dropped. Without a comment or continuation in the slice, the slice itself is that text.
   */
  source(a: number, b: number): string {
    const t = this.t;
    if (b <= a || a >= t.n) return '';
    b = Math.min(b, t.n);
    const raw = t.src.slice(t.start[a], t.end[b - 1]);
    if (raw.indexOf('#') < 0 && raw.indexOf('\\') < 0) return NEEDS_COLLAPSE.test(raw) ? raw.replace(WHITESPACE, ' ') : raw;
    let out = '';
    for (let i = a; i < b; i++) {
      if (i > a && t.start[i] > t.end[i - 1]) out += ' ';
      out += t.text(i);
    }
    return NEEDS_COLLAPSE.test(out) ? out.replace(WHITESPACE, ' ') : out;
  }

  /** The whole range as an expression list: one expression, or a bare tuple `a, b`. */
  value(): Node {
    const items: Node[] = [];
    let j = this.start;
    let comma = false;
    while (j < this.end) {
      const n = this.expr(j, this.end);
      items.push(n);
      j = n.b;
      if (this.is(j, ',')) {
        comma = true;
        j++;
      } else if (j < this.end) return { t: 'other', a: this.start, b: this.end };
    }
    if (!comma && items.length === 1) return items[0];
    if (items.length === 0) return { t: 'other', a: this.start, b: this.end };
    return { t: 'seq', a: this.start, b: this.end, items };
  }

  /** A call argument's value. */
  arg(arg: Arg): Node {
    return this.expr(arg.a, arg.b);
  }

  private expr(i: number, end: number): Node {
    if (this.is(i, '*') || this.is(i, '**')) return { t: 'other', a: i, b: this.skip(i + 1, end) };
    const u = this.unit(i, end);
    if (this.ends(u.b, end)) return u;
    return { t: 'other', a: i, b: this.skip(u.b, end) }; // `a + b`, `x if c else y`, `x for x in y`...
  }

  /** To the next `,` `:` or closing bracket at this level, jumping over brackets and lambdas. */
  private skip(i: number, end: number): number {
    const t = this.t;
    while (i < end) {
      if (this.opener(i)) {
        i = this.closeOf(i) + 1;
        continue;
      }
      if (this.ends(i, end)) return i;
      if (t.is(i, 'lambda')) {
        // A lambda's parameters hold commas and end at its own `:`; a default may be a lambda
        // too (`lambda a, b=lambda c, d: 1: None`), whose `:` comes first.
        let open = 1;
        i++;
        while (i < end) {
          if (this.opener(i)) {
            i = this.closeOf(i) + 1;
            continue;
          }
          if (this.closer(i)) return i;
          if (t.is(i, 'lambda')) open++;
          else if (t.is(i, ':') && --open === 0) break;
          i++;
        }
      }
      i++;
    }
    return Math.min(i, end);
  }

  private unit(i: number, end: number): Node {
    const t = this.t;
    if (i >= end || i >= t.n) return { t: 'other', a: i, b: i + 1 }; // only in a statement cut short by an error
    const k = t.kind[i];
    if (k === STRING) {
      let j = i;
      let value: string | null = '';
      while (j < end && t.kind[j] === STRING) {
        const part = stringValue(t.text(j));
        value = value === null || part === null ? null : value + part;
        j++;
      }
      const node: Node = value === null ? { t: 'other', a: i, b: j } : { t: 'str', a: i, b: j, value };
      return this.trailers(node, j, end);
    }
    if (k === NAME) {
      const word = t.text(i);
      if (word === 'True' || word === 'False' || word === 'None') {
        return this.trailers({ t: 'const', a: i, b: i + 1, value: word === 'None' ? null : word === 'True' }, i + 1, end);
      }
      if (word === 'lambda') return { t: 'other', a: i, b: Math.max(i + 1, this.skip(i, end)) };
      let name = word;
      let j = i + 1;
      while (j + 1 < end && this.is(j, '.') && t.kind[j + 1] === NAME) {
        name += '.' + t.text(j + 1);
        j += 2;
      }
      if (this.is(j, '(')) {
        const c = this.closeOf(j);
        return this.trailers({ t: 'call', a: i, b: c + 1, callee: name, args: this.args(j + 1, c) }, c + 1, end);
      }
      return this.trailers({ t: 'name', a: i, b: j, name }, j, end);
    }
    if (this.is(i, '(') || this.is(i, '[')) return this.trailers(this.sequence(i), this.closeOf(i) + 1, end);
    if (this.is(i, '{')) return this.trailers(this.dict(i), this.closeOf(i) + 1, end);
    return { t: 'other', a: i, b: i + 1 }; // a number, an operator, ...
  }

  /** `.attr`, `(...)`, `[...]` after a node make it something we do not evaluate. */
  private trailers(node: Node, j: number, end: number): Node {
    let k = j;
    for (;;) {
      if (this.is(k, '.') && k + 1 < end) k += 2;
      else if (this.is(k, '(') || this.is(k, '[')) k = this.closeOf(k) + 1;
      else break;
    }
    return k === j ? node : { t: 'other', a: node.a, b: Math.min(k, end) };
  }

  private sequence(i: number): Node {
    const c = this.closeOf(i);
    const items: Node[] = [];
    let comma = false;
    let j = i + 1;
    while (j < c) {
      const n = this.expr(j, c);
      items.push(n);
      j = n.b;
      if (this.is(j, ',')) {
        comma = true;
        j++;
      } else if (j < c) return { t: 'other', a: i, b: c + 1 };
    }
    if (this.is(i, '(') && !comma && items.length === 1) return { ...items[0], a: i, b: c + 1 }; // parentheses
    return { t: 'seq', a: i, b: c + 1, items };
  }

  private dict(i: number): Node {
    const c = this.closeOf(i);
    const keys: Node[] = [];
    const values: Node[] = [];
    let j = i + 1;
    while (j < c) {
      if (this.is(j, '**')) j = this.expr(j + 1, c).b;
      else {
        const k = this.expr(j, c);
        if (k.b >= c || !this.is(k.b, ':')) return { t: 'other', a: i, b: c + 1 }; // a set or a comprehension
        const v = this.expr(k.b + 1, c);
        keys.push(k);
        values.push(v);
        j = v.b;
      }
      if (this.is(j, ',')) j++;
      else if (j < c) return { t: 'other', a: i, b: c + 1 };
    }
    return { t: 'dict', a: i, b: c + 1, keys, values };
  }

  private args(i: number, c: number): Arg[] {
    const t = this.t;
    const out: Arg[] = [];
    let j = i;
    while (j < c) {
      let key: string | null = null;
      let star: 0 | 1 | 2 = 0;
      if (this.is(j, '*')) star = 1;
      else if (this.is(j, '**')) star = 2;
      else if (t.kind[j] === NAME && this.is(j + 1, '=')) key = t.text(j);
      j += star !== 0 ? 1 : key !== null ? 2 : 0;
      if (j >= c) break;
      const b = Math.max(j + 1, this.skip(j, c));
      out.push({ key, star, a: j, b });
      j = b;
      if (this.is(j, ',')) j++;
      else if (j < c) break;
    }
    return out;
  }
}

/** The value of a str literal token; null for bytes, f-strings and t-strings (not constant text). */
function stringValue(raw: string): string | null {
  let i = 0;
  let isRaw = false;
  for (; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x22 || c === 0x27) break;
    const lower = c | 0x20;
    if (lower === 0x62 || lower === 0x66 || lower === 0x74) return null;
    if (lower === 0x72) isRaw = true;
  }
  const q = raw[i];
  const quoteLength = raw.length - i >= 6 && raw.startsWith(q + q + q, i) ? 3 : 1;
  const body = raw.slice(i + quoteLength, raw.length - quoteLength);
  return isRaw || body.indexOf('\\') < 0 ? body : unescape(body);
}

const SIMPLE_ESCAPES = new Map([
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['v', '\v'],
  ['\n', ''],
]);

/** Python's str escapes. `\N{...}` needs Unicode's name table: kept as written. */
function unescape(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g, (all, e: string) => {
    const simple = SIMPLE_ESCAPES.get(e);
    if (simple !== undefined) return simple;
    const c = e[0];
    if ((c === 'x' || c === 'u' || c === 'U') && e.length > 1) {
      const cp = parseInt(e.slice(1), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
    }
    if (c >= '0' && c <= '7') return String.fromCharCode(parseInt(e, 8));
    return all; // unknown escapes stay as they are, as in Python
  });
}
