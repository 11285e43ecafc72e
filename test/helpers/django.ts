// The Django oracle from TypeScript: one python process per batch of trees (see django_oracle.py).
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's python3-django lives here; another python3 on PATH may lack Django. */
export const PYTHON = '/usr/bin/python3';
export const ORACLE_SCRIPT = fileURLToPath(new URL('./django_oracle.py', import.meta.url));

export const DJANGO_MISSING =
  'Django 3.2 is required for the oracle tests: run `apt-get install -y python3-django` (it installs for /usr/bin/python3)';

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

let djangoChecked = false;

/** Throws (so oracle tests fail, never skip) when /usr/bin/python3 cannot import Django. */
export function requireDjango(): void {
  if (djangoChecked) return;
  const probe = spawnSync(PYTHON, ['-c', 'import django'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(DJANGO_MISSING);
  djangoChecked = true;
}

/**
 * Ask Django about every tree, in one python process. Results are in the order of `trees`.
 * `hashSeed` is the process's PYTHONHASHSEED: the order of Django's sets (an app's module names,
 * so the order squashes are applied in) follows it.
 */
export function djangoVerdicts(trees: OracleTree[], hashSeed = '0'): Promise<Verdict[]> {
  return askDjango<Verdict>(
    ORACLE_SCRIPT,
    trees.map((t) => ({ root: t.root, apps: t.apps, settings: t.settings ?? {}, contrib: t.contrib ?? true })),
    hashSeed,
  );
}

/**
 * Run one of the Python oracle scripts on many trees: `{"trees": [...]}` on stdin, `{"results":
 * [...]}` on stdout, one result per tree, in order.
 */
export function askDjango<T>(script: string, trees: unknown[], hashSeed = '0'): Promise<T[]> {
  requireDjango();
  const name = script.slice(script.lastIndexOf('/') + 1);
  const request = JSON.stringify({ trees });
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // A fixed hash seed keeps Django's set-ordered walks (and so its messages) reproducible.
      env: { ...process.env, PYTHONHASHSEED: hashSeed, PYTHONDONTWRITEBYTECODE: '1' },
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
