// The Django oracle from TypeScript: one python process per batch of trees (see django_oracle.py),
// on Django 3.2 (bookworm's python3-django) or on 4.2 / 5.2 (Debian packages that
// `npm run django:fetch` unpacks into a cache: see docs/django-versions.md), with black on PATH
// or not.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Shared with `npm run django:fetch`: the pins and where the fetched releases live.
import { isFetched, readPins, sitePackages } from '../../scripts/fetch-django.mjs';

/** Debian's python3-django lives here; another python3 on PATH may lack Django. */
export const PYTHON = '/usr/bin/python3';
export const ORACLE_SCRIPT = fileURLToPath(new URL('./django_oracle.py', import.meta.url));

export const DJANGO_MISSING =
  'Django 3.2 is required for the oracle tests: run `apt-get install -y python3-django` (it installs for /usr/bin/python3)';

/** The Django series the oracle runs; 3.2 is the default everywhere. */
export type DjangoSeries = '3.2' | '4.2' | '5.2';
export const DJANGO_SERIES: readonly DjangoSeries[] = ['3.2', '4.2', '5.2'];

interface Pin {
  django: string;
  system?: boolean;
  packages?: string[];
}
const PINS = readPins() as Record<DjangoSeries, Pin>;

/** The exact release of a series, as `django.get_version()` prints it and the header says: '4.2.28'. */
export function djangoRelease(series: DjangoSeries): string {
  return PINS[series].django;
}

/** Debian's black (23.1 on bookworm), which Django 4.1+ runs on the files it writes when it is on PATH. */
export const BLACK = '/usr/bin/black';
export const BLACK_MISSING = `black is required for the merge --black oracle tests: run \`apt-get install -y black\` (it installs ${BLACK})`;

/** How one oracle process runs: which Django, and whether black is on its PATH. */
export interface OracleRun {
  django?: DjangoSeries;
  /** Put black on PATH (Django 4.1+ then formats what makemigrations writes). Default: no black. */
  black?: boolean;
  /**
   * The process's PYTHONHASHSEED (default '0'): the order of Django's sets (an app's module names,
   * so the order squashes are applied in) follows it.
   */
  hashSeed?: string;
}

let binDirs: { none: string; black: string } | undefined;
/** Two PATH folders: one empty, one holding only `black`, so every run says which it wants. */
function pathFor(black: boolean): string {
  if (!binDirs) {
    const none = mkdtempSync(join(tmpdir(), 'migcheck-oracle-path-'));
    const withBlack = mkdtempSync(join(tmpdir(), 'migcheck-oracle-black-'));
    symlinkSync(BLACK, join(withBlack, 'black'));
    binDirs = { none, black: withBlack };
    process.once('exit', () => {
      rmSync(none, { recursive: true, force: true });
      rmSync(withBlack, { recursive: true, force: true });
    });
  }
  return black ? binDirs.black : binDirs.none;
}

/** The environment of an oracle process: its Django on PYTHONPATH, PATH with or without black. */
export function oracleEnv(run: OracleRun = {}): NodeJS.ProcessEnv {
  const series = run.django ?? '3.2';
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PATH: pathFor(run.black ?? false) };
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  if (!PINS[series].system) env.PYTHONPATH = sitePackages(series);
  return env;
}

function missingMessage(series: DjangoSeries): string {
  const pin = PINS[series];
  if (pin.system) return DJANGO_MISSING;
  return (
    `Django ${pin.django} is required for the oracle tests: run \`npm run django:fetch\` ` +
    `(it downloads Debian's ${pin.packages!.join(' ')} and unpacks them into ${sitePackages(series)}; see docs/django-versions.md)`
  );
}

export interface OracleApp {
  label: string;
  /** Dotted module of the migrations package, as MIGRATION_MODULES takes it: 'blog.migrations'. */
  module: string;
}

export interface OracleTree {
  /** Absolute directory put on sys.path. */
  root: string;
  /** In INSTALLED_APPS order. */
  apps: OracleApp[];
  settings?: Record<string, string>;
  /** Install django.contrib.contenttypes and django.contrib.auth too (default true). */
  contrib?: boolean;
}

export interface DjangoError {
  /** Exception class name: NodeNotFoundError, CircularDependencyError, BadMigrationError, SyntaxError, ValueError... */
  type: string;
  message: string;
}

/** What Django's MigrationLoader made of one tree (contrib apps left out). */
export interface Verdict {
  error: DjangoError | null;
  /** `loader.detect_conflicts()`: app -> sorted leaf names, only apps with more than one leaf. */
  conflicts: Record<string, string[]>;
  leaves: [string, string][];
  nodes: [string, string][];
}

const djangoChecked = new Set<DjangoSeries>();

/**
 * Throws (so oracle tests fail, never skip) when /usr/bin/python3 cannot import that Django, or
 * imports another release than the pinned one.
 */
export function requireDjango(series: DjangoSeries = '3.2'): void {
  if (djangoChecked.has(series)) return;
  const pin = PINS[series];
  if (!pin.system && !isFetched(series, pin)) throw new Error(missingMessage(series));
  const probe = spawnSync(PYTHON, ['-c', 'import django; print(django.get_version())'], { encoding: 'utf8', env: oracleEnv({ django: series }) });
  if (probe.error || probe.status !== 0) throw new Error(missingMessage(series));
  const got = probe.stdout.trim();
  if (!pin.system && got !== pin.django) throw new Error(`${missingMessage(series)}\n(${PYTHON} imported Django ${got} instead)`);
  if (pin.system && !got.startsWith(`${series}.`)) throw new Error(`${DJANGO_MISSING}\n(${PYTHON} imports Django ${got})`);
  djangoChecked.add(series);
}

let blackMajor: number | undefined;
/** Throws when Debian's black is missing; returns its major version (23 on bookworm). */
export function requireBlack(): number {
  if (blackMajor !== undefined) return blackMajor;
  const probe = spawnSync(BLACK, ['--version'], { encoding: 'utf8' });
  const m = /^black, (\d+)\./.exec(probe.stdout ?? '');
  if (probe.error || probe.status !== 0 || !m) throw new Error(BLACK_MISSING);
  blackMajor = Number(m[1]);
  return blackMajor;
}

/** Ask Django about every tree, in one python process. Results are in the order of `trees`. */
export function djangoVerdicts(trees: OracleTree[], run: OracleRun = {}): Promise<Verdict[]> {
  return askDjango<Verdict>(
    ORACLE_SCRIPT,
    trees.map((t) => ({ root: t.root, apps: t.apps, settings: t.settings ?? {}, contrib: t.contrib ?? true })),
    run,
  );
}

/**
 * Run one of the Python oracle scripts on many trees: `{"trees": [...]}` on stdin, `{"results":
 * [...]}` on stdout, one result per tree, in order.
 */
export function askDjango<T>(script: string, trees: unknown[], run: OracleRun = {}): Promise<T[]> {
  requireDjango(run.django);
  if (run.black) requireBlack();
  const name = `${script.slice(script.lastIndexOf('/') + 1)} (Django ${djangoRelease(run.django ?? '3.2')}${run.black ? ', black' : ''})`;
  const request = JSON.stringify({ trees });
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // A fixed hash seed keeps Django's set-ordered walks (and so its messages) reproducible.
      env: { ...oracleEnv(run), PYTHONHASHSEED: run.hashSeed ?? '0' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        reject(new Error(`${name} exited with ${code}:\n${stderr}`));
        return;
      }
      try {
        const { results } = JSON.parse(Buffer.concat(out).toString('utf8')) as { results: T[] };
        if (results.length !== trees.length) throw new Error(`asked about ${trees.length} trees, got ${results.length} answers`);
        resolve(results);
      } catch (e) {
        reject(new Error(`${name} gave an unreadable answer: ${(e as Error).message}\n${stderr}`));
      }
    });
    child.stdin.end(request);
  });
}
