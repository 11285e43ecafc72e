/**
 * Which Django a repository pins, read from its dependency files: the version `merge` writes in the
 * header and whose rules (parse_number, USE_TZ default) it follows. Only exact pins count: a range
 * (`>=4.2,<5`) does not say which release writes the file.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDjangoVersion } from '../core/merge.js';
import type { Config } from './config.js';

export interface PinnedVersion {
  version: string;
  /** Repository-relative file the pin was read from. */
  source: string;
}

const VERSION = String.raw`(\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?)`;

/** `Django==4.2.7` (or `django[argon2] === 4.2.7 ; python_version ...`) on a requirements line. */
export function fromRequirements(text: string): string | null {
  const re = new RegExp(String.raw`^\s*django\s*(?:\[[^\]]*\])?\s*===?\s*${VERSION}\s*(?:[;#\\]|$)`, 'i');
  for (const raw of text.split(/\r?\n/)) {
    const m = re.exec(raw);
    if (m) return m[1];
  }
  return null;
}

/** PEP 621 `dependencies = ["Django==4.2.7"]`, or Poetry's `django = "4.2.7"` / `{version = "==4.2.7"}`. */
export function fromPyproject(text: string): string | null {
  const pep621 = new RegExp(String.raw`["']\s*django\s*(?:\[[^\]]*\])?\s*===?\s*${VERSION}\s*(?:;[^"']*)?["']`, 'i').exec(text);
  if (pep621) return pep621[1];
  const poetry = new RegExp(String.raw`^\s*django\s*=\s*(?:\{[^}\n]*?version\s*=\s*)?["'](?:===?)?\s*${VERSION}["']`, 'im').exec(text);
  return poetry ? poetry[1] : null;
}

/** Pipfile.lock: `{"default": {"django": {"version": "==4.2.7"}}}` (or under "develop"). */
export function fromPipfileLock(text: string): string | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  for (const section of ['default', 'develop']) {
    const packages = (data as Record<string, Record<string, { version?: unknown }>> | null)?.[section];
    if (!packages || typeof packages !== 'object') continue;
    for (const [name, info] of Object.entries(packages)) {
      if (name.toLowerCase() !== 'django' || typeof info?.version !== 'string') continue;
      const m = new RegExp(String.raw`^===?${VERSION}$`).exec(info.version);
      if (m) return m[1];
    }
  }
  return null;
}

/** poetry.lock / uv.lock: a `[[package]]` block with `name = "django"` and `version = "4.2.7"`. */
export function fromTomlLock(text: string): string | null {
  for (const block of text.split(/^\[\[package\]\]\s*$/m).slice(1)) {
    const body = block.split(/^\[/m)[0];
    if (!/^name\s*=\s*["']django["']\s*$/im.test(body)) continue;
    const m = new RegExp(String.raw`^version\s*=\s*["']${VERSION}["']\s*$`, 'm').exec(body);
    if (m) return m[1];
  }
  return null;
}

async function read(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function requirementFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const list = async (d: string) => {
    try {
      return (await readdir(d, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
    } catch {
      return [];
    }
  };
  for (const name of await list(dir)) if (/^requirements.*\.(txt|in)$/i.test(name)) out.push(path.join(dir, name));
  for (const name of await list(path.join(dir, 'requirements'))) if (/\.(txt|in)$/i.test(name)) out.push(path.join(dir, 'requirements', name));
  // Compiled files (.txt) before their inputs (.in): they hold the exact release.
  return out.sort((a, b) => Number(a.endsWith('.in')) - Number(b.endsWith('.in')));
}

/**
 * The Django pinned in `dirs` (searched in order, e.g. the project's folder then the repository
 * root): lock files first (exact by construction), then requirements files, then pyproject.toml.
 */
export async function pinnedDjangoVersion(root: string, dirs: readonly string[]): Promise<PinnedVersion | null> {
  const seen = new Set<string>();
  for (const rel of dirs) {
    const dir = path.join(root, rel);
    if (seen.has(dir)) continue;
    seen.add(dir);
    const candidates: Array<[string, (text: string) => string | null]> = [
      [path.join(dir, 'poetry.lock'), fromTomlLock],
      [path.join(dir, 'uv.lock'), fromTomlLock],
      [path.join(dir, 'Pipfile.lock'), fromPipfileLock],
      ...(await requirementFiles(dir)).map((f) => [f, fromRequirements] as [string, (text: string) => string | null]),
      [path.join(dir, 'pyproject.toml'), fromPyproject],
    ];
    for (const [file, reader] of candidates) {
      const text = await read(file);
      if (text === null) continue;
      const version = reader(text);
      if (version && parseDjangoVersion(version)) {
        return { version, source: path.relative(root, file).split(path.sep).join('/') };
      }
    }
  }
  return null;
}

/**
 * The config the analysis runs with: its `djangoVersion`, else the Django pinned at the repository
 * root, so version rules (nested squashes, Django 6.0) follow the project without configuration.
 */
export async function withPinnedDjangoVersion(root: string, config: Config): Promise<Config> {
  if (config.djangoVersion) return config;
  const pinned = await pinnedDjangoVersion(root, ['']);
  return pinned ? { ...config, djangoVersion: pinned.version } : config;
}
