/**
 * git's index file, read directly: what `git ls-files -s -z --full-name -- <migrations pathspec>`
 * prints, byte for byte, without starting git. `check --staged` on a state whose report is cached
 * (a pre-commit run on a commit that leaves migrations alone) then costs no git process at all.
 *
 * Only what is certain is read: index versions 2, 3 and 4 of a SHA-1 repository, every entry
 * checked for the shape the format gives it. A split index (`link`), a sparse index (`sdir`), a
 * SHA-256 repository, an unknown version or anything that does not parse gives null, and the
 * caller asks git instead (Documentation/gitformat-index.txt).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const HEADER = 12;
/** ctime, mtime (8 bytes each), dev, ino, mode, uid, gid, size (4 each), then the object id. */
const STAT = 40;
const OID = 20;
const FLAGS = 2;
const EXTENDED = 0x4000;
const NAME_MASK = 0x0fff;

/** The index git uses for this work tree: GIT_INDEX_FILE (as gitEnv resolves it), else `<git dir>/index`. */
export function indexPath(gitDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.GIT_INDEX_FILE;
  return fromEnv ? path.resolve(fromEnv) : path.join(gitDir, 'index');
}

/** The repository names objects with SHA-1 (no `extensions.objectFormat` in its config). */
function sha1Repository(commonDir: string): boolean {
  try {
    return !/objectformat/i.test(readFileSync(path.join(commonDir, 'config'), 'latin1'));
  } catch {
    return false;
  }
}

/**
 * Past this size git reads the index faster than this module does (it is native, and starting it
 * costs a few milliseconds): an index of 10,000 migrations is about 1 MB and takes 35–45 ms here.
 */
export const DIRECT_LIMIT = 256 * 1024;

/**
 * The relevant index entries of the repository at `gitDir` (`commonDir` for its config), as
 * `readIndexEntries` gives them; null to ask git instead (also for an index past DIRECT_LIMIT).
 */
export function readRepositoryIndex(gitDir: string, commonDir: string, keep: (path: string) => boolean, limit = DIRECT_LIMIT): Buffer | null {
  return sha1Repository(commonDir) ? readIndexEntries(indexPath(gitDir), keep, limit) : null;
}

/**
 * The index's entries whose path `keep` accepts, as `git ls-files -s -z` prints them:
 * `<mode> <oid> <stage>\t<path>\0`, in index order. Null when the index cannot be read with
 * certainty (see above); an index that does not exist yet (a new repository) has no entries.
 */
export function readIndexEntries(file: string, keep: (path: string) => boolean, limit = Infinity): Buffer | null {
  let data: Buffer;
  try {
    if (statSync(file).size > limit) return null;
    data = readFileSync(file);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? Buffer.alloc(0) : null;
  }
  try {
    return parseIndex(data, keep);
  } catch {
    return null;
  }
}

function parseIndex(data: Buffer, keep: (path: string) => boolean): Buffer | null {
  if (data.length < HEADER + OID || data.toString('latin1', 0, 4) !== 'DIRC') return null;
  const version = data.readUInt32BE(4);
  if (version < 2 || version > 4) return null;
  const count = data.readUInt32BE(8);
  const end = data.length - OID; // the trailing checksum
  const out: string[] = [];
  let at = HEADER;
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i++) {
    const start = at;
    if (at + STAT + OID + FLAGS > end) return null;
    const mode = data.readUInt32BE(at + 24);
    const oid = data.toString('hex', at + STAT, at + STAT + OID);
    const flags = data.readUInt16BE(at + STAT + OID);
    at += STAT + OID + FLAGS;
    if (flags & EXTENDED) {
      if (version < 3) return null;
      at += 2;
    }
    let name: Buffer;
    if (version === 4) {
      // The path is the previous one less `strip` bytes, then a NUL-terminated suffix.
      const [strip, next] = varint(data, at, end);
      if (strip < 0 || strip > previous.length) return null;
      const nul = data.indexOf(0, next);
      if (nul < 0 || nul >= end) return null;
      name = Buffer.concat([previous.subarray(0, previous.length - strip), data.subarray(next, nul)]);
      at = nul + 1;
    } else {
      const length = flags & NAME_MASK;
      const nul = length < NAME_MASK ? at + length : data.indexOf(0, at);
      if (nul < 0 || nul >= end || data[nul] !== 0) return null;
      if (length < NAME_MASK && data.subarray(at, nul).includes(0)) return null;
      name = data.subarray(at, nul);
      // Entries are padded with 1 to 8 NULs to a multiple of eight bytes.
      const padded = start + ((nul - start + 8) & ~7);
      if (padded > end) return null;
      for (let p = nul; p < padded; p++) if (data[p] !== 0) return null;
      at = padded;
    }
    if (name.length === 0) return null;
    // Directory entries (a sparse index) and anything that is not a file, a symlink or a gitlink.
    const type = mode >>> 12;
    if (type !== 0o10 && type !== 0o12 && type !== 0o16) return null;
    previous = name;
    // Most of a repository is neither in a migrations folder nor a manage.py: passed over as bytes.
    if (!mayBeRelevant(name)) continue;
    const p = name.toString('utf8');
    if (!keep(p)) continue;
    out.push(`${mode.toString(8).padStart(6, '0')} ${oid} ${(flags >> 12) & 3}\t${p}\0`);
  }
  // Extensions, each `<signature><length><data>`, up to the checksum. A split index keeps its
  // entries in another file, and a sparse index folds folders into one entry: leave those to git.
  while (at < end) {
    if (at + 8 > end) return null;
    const signature = data.toString('latin1', at, at + 4);
    const length = data.readUInt32BE(at + 4);
    if (signature === 'link' || signature === 'sdir') return null;
    at += 8 + length;
  }
  if (at !== end) return null;
  return Buffer.from(out.join(''), 'utf8');
}

const MANAGE = Buffer.from('manage.py');
const MIGRATIONS = Buffer.from('migrations');
const APPS = Buffer.from('apps.py');
const SETTINGS = Buffer.from('settings');
const PY = Buffer.from('.py');

/**
 * A `manage.py`, a direct child of a folder whose name holds `migrations` (listing.ts's
 * relevantPath, on bytes), or what may be a layout file (`apps.py`, a `.py` with `settings` in its
 * path: project-layout.ts's isLayoutFile decides).
 */
function mayBeRelevant(name: Buffer): boolean {
  const slash = name.lastIndexOf(0x2f);
  if (name.length - slash - 1 === MANAGE.length && name.compare(MANAGE, 0, MANAGE.length, slash + 1) === 0) return true;
  if (name.length - slash - 1 === APPS.length && name.compare(APPS, 0, APPS.length, slash + 1) === 0) return true;
  if (name.length > PY.length && name.compare(PY, 0, PY.length, name.length - PY.length) === 0 && name.includes(SETTINGS)) return true;
  if (slash < MIGRATIONS.length) return false;
  const at = name.lastIndexOf(MIGRATIONS, slash - MIGRATIONS.length);
  return at >= 0 && name.lastIndexOf(0x2f, slash - 1) < at;
}

/** git's offset varint (varint.c): each continuation adds one before shifting. */
function varint(data: Buffer, at: number, end: number): [number, number] {
  if (at >= end) return [-1, at];
  let c = data[at++];
  let value = c & 127;
  while (c & 128) {
    if (at >= end || value > 0xffffff) return [-1, at];
    c = data[at++];
    value = ((value + 1) << 7) + (c & 127);
  }
  return [value, at];
}
