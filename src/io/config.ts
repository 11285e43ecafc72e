import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AnalyzeOptions } from '../core/findings.js';
import { parseDjangoVersion } from '../core/merge.js';
import { ConfigError } from '../errors.js';
import { notice } from './notices.js';

export type OnConflict = 'block' | 'warn' | 'generate';

export interface Config {
  /** Globs of folders to scan (default: everything). */
  include: string[];
  /** Globs of folders to skip, added to the defaults (node_modules, site-packages, dot folders). */
  exclude: string[];
  /** Migrations folder (or app folder) → app label, when the label is not the folder's name. */
  labels: Record<string, string>;
  /**
   * Django's `MIGRATION_MODULES`: app label -> module its migrations live in (`"dojo.db_migrations"`),
   * or null for none. Wins over what the project's settings modules say.
   */
  migrationModules: Record<string, string | null>;
  /** Django settings the migrations refer to: AUTH_USER_MODEL, TIME_ZONE, USE_TZ... */
  settings: Record<string, string>;
  /** INSTALLED_APPS order of the migrated apps (default: sorted labels). */
  appOrder: string[];
  /** Every installed app label; when set, references to other apps are errors as in Django. */
  installedApps: string[] | null;
  targets: string[];
  onConflict: OnConflict;
  djangoVersion: string | null;
}

export const DEFAULT_CONFIG: Config = {
  include: [],
  exclude: [],
  labels: {},
  migrationModules: {},
  settings: {},
  appOrder: [],
  installedApps: null,
  targets: [],
  onConflict: 'block',
  djangoVersion: null,
};

type Check = (value: unknown) => boolean;
const stringArray: Check = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const stringMap: Check = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

const SCHEMA: Record<keyof Config, [Check, string]> = {
  include: [stringArray, 'an array of glob strings'],
  exclude: [stringArray, 'an array of glob strings'],
  labels: [stringMap, 'an object mapping folders to app labels'],
  migrationModules: [
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => x === null || (typeof x === 'string' && /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(x))),
    'an object mapping app labels to dotted module paths (or null)',
  ],
  settings: [stringMap, 'an object of string settings'],
  appOrder: [stringArray, 'an array of app labels'],
  installedApps: [(v) => v === null || stringArray(v), 'an array of app labels'],
  targets: [stringArray, 'an array of refs'],
  onConflict: [(v) => v === 'block' || v === 'warn' || v === 'generate', '"block", "warn" or "generate"'],
  djangoVersion: [(v) => v === null || (typeof v === 'string' && /^\d+\.\d+(\.\d+)?$/.test(v)), 'a version such as "4.2"'],
};

/** Validate a raw config object; `where` names the file for messages. */
export function validateConfig(raw: unknown, where: string): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${where}: the migcheck config must be an object`);
  }
  const config: Config = { ...DEFAULT_CONFIG };
  for (const [key, value] of Object.entries(raw)) {
    const rule = SCHEMA[key as keyof Config];
    if (!rule) {
      throw new ConfigError(`${where}: unknown key "${key}" (known keys: ${Object.keys(SCHEMA).join(', ')})`);
    }
    if (!rule[0](value)) throw new ConfigError(`${where}: "${key}" must be ${rule[1]}`);
    (config as unknown as Record<string, unknown>)[key] = value;
  }
  return config;
}

/**
 * A JSON config file at the root; undefined when there is none. One that a merge left with conflict
 * markers is read from another version (config-fallback.ts), and the user is told which.
 */
async function readJson(root: string, name: 'migcheck.config.json' | 'package.json'): Promise<unknown | undefined> {
  const file = path.join(root, name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const { midMergeFallback } = await import('./config-fallback.js');
    const fallback = await midMergeFallback(root, name, text);
    if (!fallback) throw new ConfigError(`${file}: invalid JSON: ${(e as Error).message}`);
    notice(fallback.notice);
    return fallback.value;
  }
}

/** `migcheck.config.json`, else the `"migcheck"` key of package.json, at the repository root. */
export async function loadConfig(root: string | null): Promise<Config> {
  if (!root) return { ...DEFAULT_CONFIG };
  const direct = await readJson(root, 'migcheck.config.json');
  if (direct !== undefined) return validateConfig(direct, 'migcheck.config.json');
  const pkg = await readJson(root, 'package.json');
  if (pkg && typeof pkg === 'object' && 'migcheck' in pkg) {
    return validateConfig((pkg as Record<string, unknown>).migcheck, 'package.json "migcheck"');
  }
  return { ...DEFAULT_CONFIG };
}

/** What the graph and findings take from the config. */
export function analyzeOptions(config: Config): AnalyzeOptions {
  return {
    labels: config.labels,
    settings: config.settings,
    appOrder: config.appOrder,
    installedApps: config.installedApps,
    djangoVersion: config.djangoVersion ? parseDjangoVersion(config.djangoVersion) : null,
  };
}
