/**
 * Static readers for the three Python files that tell Django where an app's migrations are:
 * `manage.py` (which settings module), the settings modules (`MIGRATION_MODULES`) and each app's
 * `apps.py` (`AppConfig.label`). Nothing is executed: only literal values are read, and anything
 * else is "not known" (null), so the caller falls back to the next source of truth.
 */
import { decodeSource, DEDENT, EOF, INDENT, Lexer, NAME, NEWLINE, OP, STRING, type TokenKind } from './tokenize.js';

interface Tok {
  kind: TokenKind;
  text: string;
  /** Indentation level (INDENT/DEDENT count) of the logical line the token is on. */
  level: number;
  /** First token of its logical line. */
  first: boolean;
}

function tokensOf(source: string | Uint8Array): Tok[] {
  const lx = new Lexer(decodeSource(source).text);
  const out: Tok[] = [];
  let level = 0;
  let first = true;
  for (let k = lx.next(); k !== EOF; k = lx.next()) {
    if (k === INDENT) level++;
    else if (k === DEDENT) level--;
    else if (k === NEWLINE) first = true;
    else {
      out.push({ kind: k, text: lx.text(), level, first });
      first = false;
    }
  }
  return out;
}

/** The value of a plain string literal (no f-string, no escapes), else null. */
function literal(tok: Tok | undefined): string | null {
  if (!tok || tok.kind !== STRING) return null;
  const m = /^([rRuU]?)('''|"""|'|")([\s\S]*)\2$/.exec(tok.text);
  if (!m || (m[1] === '' && m[3].includes('\\'))) return null;
  return m[3];
}

const isOp = (tok: Tok | undefined, op: string) => tok?.kind === OP && tok.text === op;
const isName = (tok: Tok | undefined, name: string) => tok?.kind === NAME && tok.text === name;

/** `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")` or `os.environ["DJANGO_SETTINGS_MODULE"] = "x"`. */
export function settingsModuleOf(managePy: string | Uint8Array): string | null {
  const t = tokensOf(managePy);
  for (let i = 0; i < t.length; i++) {
    if (literal(t[i]) !== 'DJANGO_SETTINGS_MODULE') continue;
    if (isOp(t[i + 1], ',')) {
      const v = literal(t[i + 2]);
      if (v) return v;
    }
    if (isOp(t[i + 1], ']') && isOp(t[i + 2], '=')) {
      const v = literal(t[i + 3]);
      if (v) return v;
    }
  }
  return null;
}

/** `MIGRATION_MODULES` as a settings module leaves it: label -> module, null = migrations disabled. */
export type MigrationModules = Record<string, string | null>;

/** What one settings module does, in order: the statements that can change `MIGRATION_MODULES`. */
export type SettingsStep =
  /** `from X import *` (X as written: `.base`, `project.settings.base`). */
  | { kind: 'import'; module: string }
  /** django-split-settings' `include("a.py", optional("b.py"))`, paths relative to the file. */
  | { kind: 'include'; files: string[] }
  | { kind: 'set'; value: MigrationModules | null }
  | { kind: 'update'; value: MigrationModules | null };

/** `{ "app": "mod", "other": None }` or `dict(app="mod")` from `t[i]`; null when not a literal. */
function dictAt(t: Tok[], i: number): { value: MigrationModules; end: number } | null {
  const value: MigrationModules = {};
  const val = (tok: Tok | undefined): string | null | undefined => (isName(tok, 'None') ? null : (literal(tok) ?? undefined));
  if (isOp(t[i], '{')) {
    for (i++; !isOp(t[i], '}'); ) {
      const key = literal(t[i]);
      const v = val(t[i + 2]);
      if (key === null || !isOp(t[i + 1], ':') || v === undefined) return null;
      value[key] = v;
      i += 3;
      if (isOp(t[i], ',')) i++;
      else if (!isOp(t[i], '}')) return null;
    }
    return { value, end: i + 1 };
  }
  if (isName(t[i], 'dict') && isOp(t[i + 1], '(')) {
    for (i += 2; !isOp(t[i], ')'); ) {
      const v = val(t[i + 2]);
      if (t[i]?.kind !== NAME || !isOp(t[i + 1], '=') || v === undefined) return null;
      value[t[i].text] = v;
      i += 3;
      if (isOp(t[i], ',')) i++;
      else if (!isOp(t[i], ')')) return null;
    }
    return { value, end: i + 1 };
  }
  return null;
}

/**
 * The statements of a settings module that bear on `MIGRATION_MODULES`. Statements under `if`,
 * `try` and the like count as if they run (DefectDojo sets it under `if env(...)`).
 */
export function settingsSteps(source: string | Uint8Array): SettingsStep[] {
  const t = tokensOf(source);
  const steps: SettingsStep[] = [];
  for (let i = 0; i < t.length; i++) {
    if (!t[i].first) continue;
    if (isName(t[i], 'from')) {
      let j = i + 1;
      let module = '';
      while (t[j] && !isName(t[j], 'import')) module += t[j++].text;
      if (isOp(t[j + 1], '*') && module) steps.push({ kind: 'import', module });
    } else if (isName(t[i], 'include') && isOp(t[i + 1], '(')) {
      const files: string[] = [];
      for (let j = i + 2; t[j] && !(t[j].first && j > i); j++) {
        const v = literal(t[j]);
        if (v !== null) files.push(v);
      }
      steps.push({ kind: 'include', files });
    } else if (isName(t[i], 'MIGRATION_MODULES')) {
      if (isOp(t[i + 1], '=')) steps.push({ kind: 'set', value: dictAt(t, i + 2)?.value ?? null });
      else if (isOp(t[i + 1], '.') && isName(t[i + 2], 'update') && isOp(t[i + 3], '(')) {
        steps.push({ kind: 'update', value: dictAt(t, i + 4)?.value ?? (isName(t[i + 4], 'dict') ? null : dictKwargs(t, i + 3)) });
      } else if (isOp(t[i + 1], '[') && isOp(t[i + 3], ']') && isOp(t[i + 4], '=')) {
        const key = literal(t[i + 2]);
        const v = isName(t[i + 5], 'None') ? null : literal(t[i + 5]);
        steps.push({ kind: 'update', value: key !== null && (v !== null || isName(t[i + 5], 'None')) ? { [key]: v } : null });
      }
    }
  }
  return steps;
}

/** `update(app="mod")`: keyword arguments read as `dict(...)`. */
function dictKwargs(t: Tok[], open: number): MigrationModules | null {
  const fake: Tok[] = [{ kind: NAME, text: 'dict', level: 0, first: false }, ...t.slice(open)];
  return dictAt(fake, 0)?.value ?? null;
}

export interface AppConfigClass {
  className: string;
  name: string | null;
  label: string | null;
  /** `default = True` / `False`, or null when not set. */
  isDefault: boolean | null;
  /** The base class as written (`AppConfig`, `apps.CatalogueConfig`), or null when not one name. */
  base: string | null;
}

/** Top-level classes of an `apps.py` and their literal `name`, `label` and `default`. */
export function appConfigsOf(source: string | Uint8Array): AppConfigClass[] {
  const t = tokensOf(source);
  const out: AppConfigClass[] = [];
  let current: AppConfigClass | null = null;
  for (let i = 0; i < t.length; i++) {
    const tok = t[i];
    if (!tok.first) continue;
    if (tok.level === 0) {
      current = null;
      if (isName(tok, 'class') && t[i + 1]?.kind === NAME && isOp(t[i + 2], '(')) {
        current = { className: t[i + 1].text, name: null, label: null, isDefault: null, base: baseOf(t, i + 3) };
        out.push(current);
      }
    } else if (current && tok.level === 1 && tok.kind === NAME && isOp(t[i + 1], '=') && t[i + 2] && (t[i + 3]?.first ?? true)) {
      const v = t[i + 2];
      if (tok.text === 'name') current.name = literal(v);
      else if (tok.text === 'label') current.label = literal(v);
      else if (tok.text === 'default') current.isDefault = isName(v, 'True') ? true : isName(v, 'False') ? false : null;
    }
  }
  return out;
}

/** `Name` or `a.b.Name` from token `i` up to the `)` that closes a one-base class statement. */
function baseOf(t: Tok[], i: number): string | null {
  let text = '';
  for (let j = i; j < t.length; j++) {
    if (isOp(t[j], ')')) return text || null;
    if (t[j].kind === NAME || isOp(t[j], '.')) text += t[j].text;
    else return null;
  }
  return null;
}

/** Base classes that make an app of its own, not an extension of another app's config. */
const PLAIN_APP_CONFIG = new Set(['AppConfig', 'apps.AppConfig', 'django.apps.AppConfig']);

/**
 * The app's chosen AppConfig extends another app's config and sets no label of its own: Django
 * then gives it that app's label (a class attribute is inherited), and the project installs it
 * instead of the app it extends (django-oscar's forked apps). So a fork and its original are never
 * installed together.
 */
export function isForkedApp(classes: readonly AppConfigClass[], appPath: string): boolean {
  const chosen = chosenConfig(classes, appPath);
  return chosen !== null && chosen.label === null && chosen.base !== null && !PLAIN_APP_CONFIG.has(chosen.base);
}

function chosenConfig(classes: readonly AppConfigClass[], appPath: string): AppConfigClass | null {
  const own = classes.filter((c) => c.name !== null && (c.name === appPath || appPath.endsWith(`.${c.name}`)) && c.isDefault !== false);
  return own.length === 1 ? own[0] : own.filter((c) => c.isDefault === true).length === 1 ? own.find((c) => c.isDefault === true)! : null;
}

/**
 * The label Django gives the app at dotted path `appPath` from its `apps.py` classes, as
 * `AppConfig.create` picks the class in 3.2+: the AppConfig whose `name` is the app's path; with
 * several, the one marked `default = True`. Its `label`, else the last part of its `name`.
 * `appPath` may carry leading packages Django's `sys.path` does not (`src.blog` for `blog`).
 */
export function appConfigLabel(classes: readonly AppConfigClass[], appPath: string): string | null {
  const chosen = chosenConfig(classes, appPath);
  if (!chosen) return null;
  return chosen.label ?? chosen.name!.slice(chosen.name!.lastIndexOf('.') + 1);
}
