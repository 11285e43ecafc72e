#!/usr/bin/env node
// Fetch the Django releases the oracle tests run beside bookworm's own 3.2 (see
// docs/django-versions.md): Debian's python3-django packages (trixie's 4.2, sid's 5.2), downloaded
// with apt through a private sources.list and unpacked with `dpkg -x` into a cache outside the
// repository. The system's apt sources, lists and caches are never touched; nothing is installed.
//
//   node scripts/fetch-django.mjs            fetch what is missing (npm run django:fetch)
//   node scripts/fetch-django.mjs --check    only say what is there; exit 1 when something is missing
//
// The cache is $MIGCHECK_DJANGO_CACHE, else $XDG_CACHE_HOME/migcheck-django, else
// ~/.cache/migcheck-django; each release lands in <cache>/<series> (e.g. 4.2) with its Python
// packages under usr/lib/python3/dist-packages, which the tests put on PYTHONPATH.
// Exit codes: 0 all there, 1 something missing or the fetch failed (the message says why).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PINS = fileURLToPath(new URL('./django-versions.json', import.meta.url));
const PYTHON = '/usr/bin/python3';
const MIRROR = 'http://deb.debian.org/debian';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
/** What `fetched` holds: a release is up to date when this matches its pins. */
const MARKER = '.migcheck-fetched';

export function cacheRoot(env = process.env) {
  if (env.MIGCHECK_DJANGO_CACHE) return env.MIGCHECK_DJANGO_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'migcheck-django');
}

export function readPins() {
  return JSON.parse(readFileSync(PINS, 'utf8')).versions;
}

/** The folder to put on PYTHONPATH for a fetched release. */
export function sitePackages(series, env = process.env) {
  return join(cacheRoot(env), series, 'usr', 'lib', 'python3', 'dist-packages');
}

/** True when <cache>/<series> holds exactly the pinned packages. */
export function isFetched(series, pin, env = process.env) {
  const marker = join(cacheRoot(env), series, MARKER);
  return existsSync(marker) && readFileSync(marker, 'utf8') === markerText(pin);
}

const markerText = (pin) => JSON.stringify({ django: pin.django, packages: pin.packages }) + '\n';

class FetchError extends Error {}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new FetchError(`${cmd} could not run: ${r.error.message}`);
  return r;
}

/** apt-get/apt-cache options that point every list, cache and source at `dir`. */
function privateApt(dir) {
  return [
    '-o', `Dir::Etc::sourcelist=${join(dir, 'sources.list')}`,
    '-o', `Dir::Etc::sourceparts=${join(dir, 'sources.list.d')}`,
    '-o', `Dir::Etc::preferences=${join(dir, 'preferences')}`,
    '-o', `Dir::Etc::preferencesparts=${join(dir, 'preferences.d')}`,
    '-o', `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o', `Dir::Cache=${join(dir, 'cache')}`,
    '-o', 'Acquire::Languages=none',
    '-o', 'APT::Get::List-Cleanup=false',
    // As root apt would hand downloads to the _apt user, who cannot write into our folders.
    '-o', 'APT::Sandbox::User=root',
  ];
}

function prepareApt(dir, suites) {
  for (const sub of ['sources.list.d', 'preferences.d', 'lists/partial', 'cache/archives/partial']) mkdirSync(join(dir, sub), { recursive: true });
  const lines = suites.map((s) => `deb [signed-by=${KEYRING}] ${MIRROR} ${s} main`);
  writeFileSync(join(dir, 'sources.list'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'preferences'), '');
  const update = run('apt-get', [...privateApt(dir), '-q', 'update']);
  if (update.status !== 0) {
    throw new FetchError(`apt-get update of the private lists (${suites.join(', ')} from ${MIRROR}) failed:\n${update.stderr || update.stdout}`);
  }
}

/** What the private lists offer, for the message when a pin is gone. */
function offered(dir, names) {
  const r = run('apt-cache', [...privateApt(dir), 'policy', ...names]);
  return (r.stdout || r.stderr).trim();
}

function fetchOne(series, pin, aptDir, root) {
  const work = mkdtempSync(join(root, `.fetch-${series}-`));
  try {
    const debs = join(work, 'debs');
    const tree = join(work, 'tree');
    mkdirSync(debs);
    mkdirSync(tree);
    const download = run('apt-get', [...privateApt(aptDir), '-q', 'download', ...pin.packages], { cwd: debs });
    if (download.status !== 0) {
      const names = [...new Set(pin.packages.map((p) => p.split('=')[0]))];
      throw new FetchError(
        `apt-get download ${pin.packages.join(' ')} failed:\n${(download.stderr || download.stdout).trim()}\n\n` +
          `Debian may have replaced a pinned version. What the private lists offer now:\n${offered(aptDir, names)}\n\n` +
          `Pick the new versions, update ${PINS} and run this again.`,
      );
    }
    for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb')).sort()) {
      const x = run('dpkg', ['-x', join(debs, deb), tree]);
      if (x.status !== 0) throw new FetchError(`dpkg -x ${deb} failed:\n${x.stderr}`);
    }
    const site = join(tree, 'usr', 'lib', 'python3', 'dist-packages');
    const probe = run(PYTHON, ['-c', 'import django; print(django.get_version())'], {
      env: { ...process.env, PYTHONPATH: site, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const got = (probe.stdout || '').trim();
    if (probe.status !== 0 || got !== pin.django) {
      throw new FetchError(`the unpacked packages do not give Django ${pin.django} on ${PYTHON} (got ${got || 'nothing'}):\n${probe.stderr}`);
    }
    writeFileSync(join(tree, MARKER), markerText(pin));
    const target = join(root, series);
    rmSync(target, { recursive: true, force: true });
    renameSync(tree, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(argv) {
  const checkOnly = argv.includes('--check');
  const pins = readPins();
  const root = cacheRoot();
  const wanted = Object.entries(pins).filter(([, pin]) => !pin.system);
  const missing = wanted.filter(([series, pin]) => !isFetched(series, pin));
  for (const [series, pin] of wanted) {
    if (!missing.some(([s]) => s === series)) console.log(`Django ${pin.django}: ${join(root, series)}`);
  }
  if (!missing.length) return 0;
  if (checkOnly) {
    for (const [, pin] of missing) console.log(`Django ${pin.django}: missing (npm run django:fetch)`);
    return 1;
  }
  try {
    mkdirSync(root, { recursive: true });
    const aptDir = join(root, 'apt');
    const suites = [...new Set(missing.flatMap(([, pin]) => pin.suites))].sort();
    prepareApt(aptDir, suites);
    while (missing.length) {
      const [series, pin] = missing[0];
      fetchOne(series, pin, aptDir, root);
      missing.shift();
      console.log(`Django ${pin.django}: fetched ${pin.packages.join(' ')} into ${join(root, series)}`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof FetchError)) throw e;
    console.error(`fetch-django: ${e.message}`);
    console.error(`fetch-django: the oracle tests for Django ${missing.map(([, p]) => p.django).join(' and ')} cannot run without it.`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
