/**
 * `migcheck branches`: every branch against the target branch(es), and with `pairs` every branch
 * against every other, predicted without merging anything.
 *
 * The cost grows with what the branches change, not with branches x files:
 * - one `git for-each-ref`, one `git ls-tree -r` per target, one `git rev-list --boundary` for
 *   every merge base;
 * - one `git diff-tree --stdin` for every (merge base, branch) and (merge base, target) pair: tree
 *   diffs skip identical folders by tree id, so an old branch with one new migration costs one
 *   file;
 * - blobs through one `git cat-file --batch`, parses through the cache (a blob is parsed once per
 *   repository);
 * - a branch whose side or whose target's side changed no migration is decided without analysis;
 *   the others are merged and analysed by scan-merge.ts.
 */
import { globToRegExp } from '../core/glob.js';
import { compareStrings, sortStrings } from '../core/order.js';
import { OverlayMap, type BranchConflict, type FileConflict, type SideMigrations } from '../core/predict.js';
import { GitError, MissingObjectError, UsageError } from '../errors.js';
import { branchMessages } from '../messages.js';
import { cacheDir, FactCache, ParseCache } from './cache.js';
import type { Config } from './config.js';
import { BlobReader, diffTrees, EMPTY_TREE, listRefs, mergeBases, mergeTrees, type RefInfo, type TreeChange } from './git.js';
import { conflictsOf, relationOf, type Relation } from './predict.js';
import { dirOfPath, needsGitMerge, relevantChanges, Scanner, sideOid, type Onto } from './scan-merge.js';
import { resolveCommit } from './tree.js';

export interface ScanOptions {
  root: string;
  commonDir: string;
  config: Config;
  /** Refs to merge into (default: the repository's main branch). */
  targets?: readonly string[];
  /** Also scan remote-tracking branches. */
  remote?: boolean;
  /** Globs over short branch names (`feature/*`, `origin/**`). */
  include?: readonly string[];
  exclude?: readonly string[];
  pairs?: boolean;
  cache?: boolean;
  /** Called as branches are done, for a progress bar. */
  progress?: (done: number, total: number) => void;
}

export interface BranchStatus {
  branch: string;
  commit: string;
  target: string;
  base: string | null;
  relation: Relation;
  conflicts: number;
  /** Why the branch has no verdict: git could not read it (an object a partial clone lacks). */
  skipped?: string;
}

/** Two branches (`--pairs`) whose merge could not be read. */
export interface SkippedPair {
  target: string;
  branches: [string, string];
  skipped: string;
}

export interface ScanFinding extends BranchConflict {
  /** The branch merged with `target` (for a pair, the second branch; the first is `target`). */
  branch: string;
  /** Branch against branch (`--pairs`), both merged into the target. */
  pair?: boolean;
}

/** Branches that add migrations on one parent of one app, and so conflict with each other. */
export interface ConflictGroup {
  /** The target branch, or null for branch-against-branch groups. */
  target: string | null;
  app: string;
  parent: string | null;
  /** Each side's new migrations in the app: the target first, then branches by name. */
  members: SideMigrations[];
  /** The app's max_migration.txt, which the branches change too (the fix then goes through rebase or the merge driver). */
  lockfile?: string;
}

export interface BranchScan {
  targets: Array<{ name: string; commit: string }>;
  branches: BranchStatus[];
  findings: ScanFinding[];
  groups: ConflictGroup[];
  /** With `pairs`: branch-against-branch conflicts (both merged into the target), grouped. */
  pairs: ConflictGroup[] | null;
  pairFindings: ScanFinding[];
  skippedPairs: SkippedPair[];
}

/** The repository's main branch: origin/HEAD's target, else main, else master, else the upstream. */
export function defaultTargets(refs: readonly RefInfo[]): string[] {
  const originHead = refs.find((r) => r.name === 'refs/remotes/origin/HEAD' && r.symref);
  if (originHead) {
    const target = refs.find((r) => r.name === originHead.symref);
    if (target) return [target.short];
  }
  for (const name of ['main', 'master']) if (refs.some((r) => r.name === `refs/heads/${name}`)) return [name];
  const head = refs.find((r) => r.head && r.upstream);
  const upstream = head && refs.find((r) => r.name === head.upstream);
  if (upstream) return [upstream.short];
  return [];
}

/** Pattern match over short names: `*` within a segment, `**` across. */
function matcher(patterns: readonly string[] | undefined): ((name: string) => boolean) | null {
  if (!patterns || patterns.length === 0) return null;
  const res = patterns.map(globToRegExp);
  return (name) => res.some((r) => r.test(name));
}

/** Group `multiple-leaves` conflicts by target, app and parent: "these branches all add to billing". */
export function groupConflicts(findings: readonly ScanFinding[], byTarget: boolean): ConflictGroup[] {
  const groups = new Map<string, ConflictGroup>();
  for (const f of findings) {
    if (f.cause !== 'multiple-leaves' || !f.app) continue;
    const target = byTarget ? f.target : null;
    const key = `${target}\0${f.app}\0${f.parent}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { target, app: f.app, parent: f.parent, members: [] }));
    if (f.lockfile) g.lockfile = f.lockfile;
    for (const side of f.sides) {
      if (!side.migrations.length) continue;
      const existing = g.members.find((m) => m.ref === side.ref);
      if (!existing) g.members.push({ ref: side.ref, migrations: [...side.migrations], files: [...side.files] });
      else {
        existing.migrations = sortStrings(new Set([...existing.migrations, ...side.migrations]));
        existing.files = sortStrings(new Set([...existing.files, ...side.files]));
      }
    }
  }
  for (const g of groups.values()) {
    g.members.sort((a, b) => (a.ref === g.target ? -1 : b.ref === g.target ? 1 : compareStrings(a.ref, b.ref)));
  }
  return [...groups.values()].sort(
    (a, b) => compareStrings(a.target ?? '', b.target ?? '') || compareStrings(a.app, b.app) || compareStrings(a.parent ?? '', b.parent ?? ''),
  );
}

/**
 * Run one git process for all `items`; when git dies (on an object it cannot read), run each item
 * alone, so that only the items git cannot do fail, each with its own error.
 */
async function batchOrEach<I, R>(items: readonly I[], run: (some: readonly I[]) => Promise<R[]>): Promise<Array<R | Error>> {
  try {
    return await run(items);
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    if (items.length === 1) return [e];
  }
  const out: Array<R | Error> = [];
  for (const item of items) {
    try {
      out.push((await run([item]))[0]);
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      out.push(e);
    }
  }
  return out;
}

/** The note a skipped branch gets; errors other than git's and missing objects are bugs, and go up. */
function skipReason(e: unknown): string {
  if (e instanceof MissingObjectError) return branchMessages.skipped(e.message);
  if (!(e instanceof GitError)) throw e;
  const oid = /(?:could not fetch|missing|unable to read|bad object)\D{0,40}?\b([0-9a-f]{40}(?:[0-9a-f]{24})?)\b/i.exec(e.stderr)?.[1];
  if (oid) return branchMessages.skipped(branchMessages.missingObject(oid));
  return branchMessages.skipped(e.message.split('\n')[0]);
}

/** Scan every branch against the targets (and, with `pairs`, against each other). */
export async function scanBranches(options: ScanOptions): Promise<BranchScan> {
  const { root, config } = options;
  const refs = await listRefs(['refs/heads', 'refs/remotes'], root);
  const targetNames = options.targets?.length ? [...options.targets] : config.targets.length ? [...config.targets] : defaultTargets(refs);
  if (targetNames.length === 0) throw new UsageError(branchMessages.noTargets());
  const targets = await Promise.all(targetNames.map(async (name) => ({ name, commit: await resolveCommit(name, root) })));

  const include = matcher(options.include);
  const exclude = matcher(options.exclude);
  const targetRefs = new Set(targetNames.flatMap((n) => [n, `refs/heads/${n}`, `refs/remotes/${n}`]));
  const branches = refs
    .filter((r) => r.name.startsWith('refs/heads/') || (options.remote && r.name.startsWith('refs/remotes/')))
    .filter((r) => !r.symref && !r.name.endsWith('/HEAD'))
    .filter((r) => !targetRefs.has(r.name) && !targetRefs.has(r.short))
    .filter((r) => (!include || include(r.short)) && !(exclude && exclude(r.short)))
    .sort((a, b) => compareStrings(a.short, b.short));

  const dir = options.cache === false ? null : cacheDir(options.commonDir);
  const cache = await ParseCache.open(dir);
  const reader = new BlobReader(root);
  try {
    const facts = await FactCache.open<{ app: string; refs: string[] }>(dir, 'folders');
    const scanner = new Scanner(options, cache, reader, facts);
    const statuses: BranchStatus[] = [];
    const findings: ScanFinding[] = [];
    const pairFindings: ScanFinding[] = [];
    const skippedPairs: SkippedPair[] = [];
    let done = 0;
    const total = branches.length * targets.length;
    for (const target of targets) {
      const treePromise = scanner.target(target.name, target.commit);
      // Merge bases, a few git processes at a time.
      const baseOf = await mergeBases(target.commit, branches.map((b) => b.oid), root);
      const bases = branches.map((b) => baseOf.get(b.oid) ?? null);
      const rows = branches.map((b, i) => ({ ref: b, base: bases[i], relation: relationOf(b.oid, target.commit, bases[i]) }));
      // One diff-tree for every side that may matter.
      const diverged = rows.filter((r) => r.relation === 'diverged' || r.relation === 'unrelated');
      const pairs: Array<[string, string]> = [];
      const index = new Map<string, number>();
      const want = (from: string | null, to: string) => {
        const key = `${from ?? ''} ${to}`;
        if (!index.has(key)) {
          index.set(key, pairs.length);
          pairs.push([from ?? EMPTY_TREE, to]);
        }
        return index.get(key)!;
      };
      const slots = diverged.map((r) => ({ ours: want(r.base, r.ref.oid), theirs: want(r.base, target.commit) }));
      // A branch git cannot read (an object a partial clone lacks) is skipped with a note; the
      // scan goes on with the others.
      const skipped = new Map<string, string>();
      const raw = await batchOrEach(pairs, (some) => diffTrees(some, root));
      const diffs = raw.map((d) => (d instanceof Error ? d : relevantChanges(d)));
      const tree = await treePromise;
      const changesOf = new Map<string, { ours: TreeChange[]; theirs: TreeChange[] }>();
      const rawOf = new Map<string, { ours: TreeChange[]; theirs: TreeChange[] }>();
      diverged.forEach((r, i) => {
        const [ours, theirs, oursRaw, theirsRaw] = [diffs[slots[i].ours], diffs[slots[i].theirs], raw[slots[i].ours], raw[slots[i].theirs]];
        if (ours instanceof Error || theirs instanceof Error || oursRaw instanceof Error || theirsRaw instanceof Error) {
          skipped.set(r.ref.short, skipReason(ours instanceof Error ? ours : (theirs as Error)));
          return;
        }
        changesOf.set(r.ref.short, { ours, theirs });
        rawOf.set(r.ref.short, { ours: oursRaw, theirs: theirsRaw });
      });
      // Merges a merge of whole files cannot settle go to git (one merge-tree for all of them).
      const hard = diverged.filter((r) => {
        const c = changesOf.get(r.ref.short);
        return c && c.ours.length > 0 && c.theirs.length > 0 && needsGitMerge(rawOf.get(r.ref.short)!.ours, rawOf.get(r.ref.short)!.theirs);
      });
      const exact = new Map<string, { files: OverlayMap; conflicts: FileConflict[] }>();
      if (hard.length) {
        const results = await batchOrEach(hard.map((r) => [r.ref.oid, target.commit] as const), (some) => mergeTrees(some, root));
        const merged = hard.flatMap((r, i) => {
          const m = results[i];
          if (m instanceof Error) {
            skipped.set(r.ref.short, skipReason(m));
            return [];
          }
          return [{ r, m }];
        });
        const mergedDiffs = await diffTrees(merged.map(({ m }) => [target.commit, m.tree] as const), root);
        for (const [i, { r, m }] of merged.entries()) {
          const files = new OverlayMap(tree.files);
          for (const c of relevantChanges(mergedDiffs[i])) files.set(c.path, sideOid(c, 'new'));
          try {
            exact.set(r.ref.short, { files, conflicts: await conflictsOf(m, files, (oid) => scanner.content(oid)) });
          } catch (e) {
            skipped.set(r.ref.short, skipReason(e));
          }
        }
      }

      for (const r of rows) {
        let conflicts: BranchConflict[] = [];
        const changes = changesOf.get(r.ref.short);
        if (changes && !skipped.has(r.ref.short)) {
          try {
            conflicts = await scanner.predict(tree, { ref: r.ref.short, changes: changes.ours }, { ref: target.name, changes: changes.theirs }, exact.get(r.ref.short));
          } catch (e) {
            skipped.set(r.ref.short, skipReason(e));
          }
        }
        for (const c of conflicts) findings.push({ ...c, branch: r.ref.short });
        const note = skipped.get(r.ref.short);
        statuses.push({
          branch: r.ref.short,
          commit: r.ref.oid,
          target: target.name,
          base: r.base,
          relation: r.relation,
          conflicts: conflicts.length,
          ...(note ? { skipped: note } : {}),
        });
        options.progress?.(++done, total);
      }

      if (options.pairs) {
        // Both branches merged into the target: conflicts between the two that neither has with
        // the target alone. Only branches that change migrations can conflict.
        const active = rows.filter((r) => !skipped.has(r.ref.short) && ((changesOf.get(r.ref.short)?.ours.length ?? 0) > 0 || r.relation === 'ahead'));
        const oursChanges = new Map<string, TreeChange[]>();
        for (const r of active) {
          const c = changesOf.get(r.ref.short)?.ours;
          if (c) oursChanges.set(r.ref.short, c);
        }
        // A branch ahead of the target: its changes are its diff from the target.
        const ahead = active.filter((r) => r.relation === 'ahead');
        if (ahead.length) {
          const aheadDiffs = (await diffTrees(ahead.map((r) => [target.commit, r.ref.oid] as [string, string]), root)).map(relevantChanges);
          ahead.forEach((r, i) => oursChanges.set(r.ref.short, aheadDiffs[i]));
        }
        const names = [...oursChanges.keys()].filter((n) => oursChanges.get(n)!.length > 0).sort(compareStrings);
        const dirsOfBranch = new Map(names.map((n) => [n, new Set(oursChanges.get(n)!.map((c) => dirOfPath(c.path)))]));
        const onto = new Map<string, Onto>();
        for (let i = 0; i < names.length; i++) {
          for (let j = i + 1; j < names.length; j++) {
            const a = names[i];
            const b = names[j];
            // Branches that touch different folders can only meet through cross-app references;
            // pairs are checked when they share a migrations folder.
            if (![...dirsOfBranch.get(a)!].some((d) => dirsOfBranch.get(b)!.has(d))) continue;
            if (!onto.has(a)) onto.set(a, scanner.mergedWith(tree, oursChanges.get(a)!));
            let found: BranchConflict[];
            try {
              found = await scanner.predict(tree, { ref: b, changes: oursChanges.get(b)! }, { ref: a, changes: oursChanges.get(a)!, onto: onto.get(a)! });
            } catch (e) {
              skippedPairs.push({ target: target.name, branches: [a, b], skipped: skipReason(e) });
              continue;
            }
            // Leave out apps where either branch already conflicts with the target: that branch has
            // to be reworked first, and the pair is reported again if it still conflicts then.
            for (const c of found) {
              const known = findings.some((f) => f.target === target.name && (f.branch === a || f.branch === b) && f.app === c.app);
              if (!known) pairFindings.push({ ...c, branch: b, pair: true });
            }
          }
        }
      }
    }
    await Promise.all([cache.save(), facts.save()]);
    return {
      targets,
      branches: statuses,
      findings,
      groups: groupConflicts(findings, true),
      pairs: options.pairs ? groupConflicts(pairFindings, false) : null,
      pairFindings,
      skippedPairs,
    };
  } finally {
    reader.close();
  }
}
