/**
 * Every sentence migcheck says to a user, in one place. Messages say what is wrong and where;
 * hints give the exact command that fixes it.
 */
const list = (names: readonly string[]) =>
  names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

export const messages = {
  multipleLeaves: (app: string, leaves: readonly string[], parent: string | null) =>
    `app '${app}' has ${leaves.length} leaf migrations: ${list(leaves)}` +
    (parent ? `, all on top of ${parent}` : ', with no common parent') +
    `. Django refuses to migrate: "Conflicting migrations detected; multiple leaf nodes in the migration graph".`,
  multipleLeavesHint: (app: string) =>
    `run \`migcheck merge --app ${app}\` to write the merge migration \`makemigrations --merge\` would write, then commit it`,

  duplicateNumber: (app: string, number: string, names: readonly string[]) =>
    `app '${app}' has ${names.length} migrations numbered ${number}: ${list(names)}`,
  duplicateNumberHint: () =>
    'harmless once merged, but two branches picked the same number: check that one merge migration joins them',

  missingParent: (from: string, app: string, name: string) =>
    `migration ${from} depends on ('${app}', '${name}'), which does not exist. Django: NodeNotFoundError "dependencies reference nonexistent parent node".`,
  missingChild: (from: string, app: string, name: string) =>
    `migration ${from} has run_before ('${app}', '${name}'), which does not exist. Django: NodeNotFoundError "dependencies reference nonexistent child node".`,
  missingHint: (app: string, name: string, candidates: readonly string[]) =>
    candidates.length
      ? `did you mean ${list(candidates.map((c) => `('${app}', '${c}')`))}? Fix the reference, or restore ${name}.py`
      : `restore the migration ${app}.${name}, or remove the reference`,
  unknownApp: (from: string, app: string) =>
    `migration ${from} depends on app '${app}', which is not installed. Django: ValueError "Dependency on unknown app: ${app}".`,
  unknownAppHint: (app: string) => `add '${app}' to installedApps in the migcheck config, or remove the reference`,

  cycle: (walk: readonly string[]) =>
    `circular dependency: ${walk.join(' -> ')} -> ${walk[0]}. Django: CircularDependencyError.`,
  cycleHint: () => 'one of these dependencies is wrong: remove it so the migrations form a chain',

  parseError: (file: string, line: number, what: string) => `cannot read ${file}:${line}: ${what}`,
  parseErrorHint: () => 'fix the file so Python can import it (Django would fail to load it as well)',
  noMigrationClass: (name: string, app: string) =>
    `module ${name} in app '${app}' has no Migration class. Django: BadMigrationError "Migration ${name} in app ${app} has no Migration class".`,
  noMigrationClassHint: () =>
    'move helper code out of the migrations folder, or prefix its file name with _ so Django skips it',
  compiledOnly: (file: string) => `${file} is compiled-only (no .py beside it): migcheck cannot read its dependencies`,
  compiledOnlyHint: () => 'commit the source file, or delete the stale .pyc',

  notAPackage: (dir: string) =>
    `${dir} has no __init__.py: Django treats the app as having no migrations and will not run these files`,
  notAPackageHint: (dir: string) => `create ${dir}/__init__.py (an empty file)`,

  duplicateLabel: (label: string, dirs: readonly string[]) =>
    `${dirs.length} migrations folders claim app label '${label}': ${list(dirs)}. Django: "Application labels aren't unique".`,
  duplicateLabelHint: () => 'give one app a distinct label (AppConfig.label), or map folders to labels in the migcheck config',

  // merge (src/commands/merge.ts)
  mergeCreated: (file: string) => `Created ${file}`,
  mergeWouldCreate: (file: string) => `Would create ${file} (dry run, nothing written):`,
  mergeNothing: () => 'No conflicts detected to merge.',
  mergeNoConflictIn: (apps: readonly string[]) =>
    `No conflicts detected to merge in ${apps.length === 1 ? 'app' : 'apps'} ${list(apps.map((a) => `'${a}'`))}.`,
  mergeRefusedHint: (app: string) =>
    `makemigrations --merge refuses this too; join the branches by hand: write a migration in '${app}' whose dependencies are the leaves, or rebase one branch onto the other (\`migcheck rebase --app ${app}\`)`,
  mergeWroteNothing: () => 'nothing was written',
  mergeGraphBroken: (app: string, why: string) =>
    `cannot merge app '${app}': Django's makemigrations cannot load the migration graph, so it would not merge either: ${why}`,
  mergeUnsafeName: (app: string, why: string) => `refusing to merge app '${app}': ${why}; nothing was written`,
  mergeUnsafePath: (file: string) =>
    `refusing to write ${file}: the path leaves the app's migrations folder or the repository (a symlink?); nothing was written`,
  mergeTargetExists: (file: string) =>
    `refusing to write ${file}: it already exists and migcheck never overwrites a file; move it away or pick another name with --name; nothing was written`,
  mergeNameNotIdentifier: (name: string) =>
    `The migration name must be a valid Python identifier. (--name ${JSON.stringify(name)}: use letters, digits and _, not starting with a digit)`,
  mergeNameNotAscii: (name: string) =>
    `--name ${JSON.stringify(name)}: migcheck writes only ASCII names ([A-Za-z_][A-Za-z0-9_]*), which every file system and Python spell the same way`,
  mergeNameTooLong: (length: number) => `--name is ${length} characters long: the file name would not fit in one path component`,
  mergeBadLabel: (label: string) => `--app ${JSON.stringify(label)} is not an app label (a Python identifier: [A-Za-z_][A-Za-z0-9_]*)`,
  mergeUnknownApp: (labels: readonly string[]) =>
    `${labels.map((l) => `No installed app with label '${l}'.`).join(' ')} (migcheck knows the apps that have a migrations folder; run \`migcheck check\` to list them)`,
  mergeBadDjangoVersion: (text: string, source: string) =>
    `Django version ${JSON.stringify(text)} (from ${source}) is not a release number such as 3.2.25, 4.2 or 5.0rc1`,
  mergeBadTimeZone: (zone: string) => `Incorrect timezone setting: ${zone} (settings.TIME_ZONE in the migcheck config, or the TZ environment variable)`,
  mergeBadUseTz: (value: string) => `settings.USE_TZ in the migcheck config must be "True" or "False", not ${JSON.stringify(value)}`,
  mergeBadBlack: (value: string) => `--black ${JSON.stringify(value)}: give black's major version (22, 23, 24...) or no value for the current style`,
  mergeBadClock: (value: string) => `MIGCHECK_NOW=${JSON.stringify(value)} is not an ISO 8601 instant such as 2026-11-23T13:47:00Z`,
} as const;

/** `deploy-check`: the database against the code. Commands are exact and copy-pasteable. */
type EngineName = 'postgresql' | 'sqlite' | null;
type Key = readonly [string, string];
interface MissingFacts {
  app: string;
  missing: string;
  sibling: string | null;
  parents: readonly string[];
  source: { path: string; commit: string } | null;
  fails: string | null;
  same: boolean | null;
  collision: { effect: { label: string }; table: string; column: string | null } | null;
  diff: { onlyApplied: readonly unknown[]; onlyPending: readonly unknown[]; differ: readonly unknown[] } | null;
}
const onParent = (d: MissingFacts) => (d.parents.length ? ` (both follow ${list(d.parents)})` : '');
const countDiffs = (d: MissingFacts) => (d.diff ? d.diff.onlyApplied.length + d.diff.onlyPending.length + d.diff.differ.length : 0);
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export const deployMessages = {
  fakeCommand: (app: string, name: string) => `python manage.py migrate ${app} ${name} --fake`,
  alreadyExistsTable: (engine: EngineName, table: string) =>
    engine === 'sqlite' ? `table "${table}" already exists` : `relation "${table}" already exists`,
  alreadyExistsColumn: (_engine: EngineName, table: string, column: string) => `column "${column}" of relation "${table}" already exists`,

  missingReplaced: (d: MissingFacts) =>
    `the database applied ${d.app}.${d.missing}, which the code no longer has; the code will run ${d.sibling} in its place${onParent(d)}. ` +
    (d.fails && d.collision
      ? `${d.collision.effect.label} creates ${d.collision.column ? `column ${d.collision.table}.${d.collision.column}` : `table ${d.collision.table}`} again: \`migrate\` will fail: ${d.fails}.`
      : d.same === true
        ? 'Both make the same changes: running it again would repeat them.'
        : d.diff
          ? `They make different changes, and \`migrate\` will leave the database with both (${countDiffs(d)} difference${countDiffs(d) === 1 ? '' : 's'}, listed below).`
          : `migcheck could not find ${d.missing}.py in git history to compare them.`) +
    (d.fails && d.same === true ? ' Both make the same changes.' : ''),
  missingReplacedHint: (d: MissingFacts) =>
    d.same === true
      ? `record ${d.sibling} as applied without running it: \`python manage.py migrate ${d.app} ${d.sibling} --fake\``
      : d.fails
        ? `\`python manage.py migrate ${d.app} ${d.sibling} --fake\`, then reconcile the ${countDiffs(d)} difference${countDiffs(d) === 1 ? '' : 's'} listed below`
        : d.diff
          ? `restore ${d.missing} in the code, or roll it back before deploying (steps below)`
          : `compare the two by hand; if ${d.sibling} makes the same changes, run \`python manage.py migrate ${d.app} ${d.sibling} --fake\``,
  missingSuperseded: (d: MissingFacts) =>
    `the database still records ${d.app}.${d.missing}, which the code no longer has; ${d.sibling}, which took its place${onParent(d)}, is applied too` +
    (d.same === false ? `, but the two made different changes (${countDiffs(d)} listed below)` : '') +
    '. Django ignores the record.',
  missingSupersededHint: (d: MissingFacts) =>
    `to tidy up, delete the record: DELETE FROM django_migrations WHERE app = ${sqlString(d.app)} AND name = ${sqlString(d.missing)};`,
  missingAlone: (d: MissingFacts) =>
    `the database applied ${d.app}.${d.missing}, which the code does not have` +
    (d.source ? ` (last seen in ${d.source.path} at ${d.source.commit.slice(0, 12)})` : ` (not found in git history)`) +
    ': is this code older than the database, or was the migration deleted?',
  missingAloneHint: (d: MissingFacts) =>
    d.source
      ? `restore it: \`git show ${d.source.commit.slice(0, 12)}:${d.source.path} > ${d.source.path}\`, or roll it back first with the code that has it` +
        (d.parents.length ? `: \`python manage.py migrate ${d.app} ${d.parents[d.parents.length - 1]}\`` : '')
      : `find the branch that has it: \`git log --all -- '*/migrations/${d.missing}.py'\``,

  stepApplyByHand: (app: string, sibling: string, labels: readonly string[]) =>
    `the fake leaves these changes of ${sibling} undone: ${list(labels)}. \`python manage.py sqlmigrate ${app} ${sibling}\` prints their SQL: run the statements for them, or write a migration that makes them`,
  stepDatabaseExtra: (labels: readonly string[]) =>
    `the database also has changes the code does not know: ${list(labels)}. Drop them, or bring those models back into the code`,
  stepForgetRow: (app: string, name: string) =>
    `DELETE FROM django_migrations WHERE app = ${sqlString(app)} AND name = ${sqlString(name)};`,
  stepRestoreOrRollBack: (app: string, name: string, source: { path: string; commit: string } | null, parents: readonly string[]) =>
    (source
      ? `restore ${name} in the code (\`git show ${source.commit.slice(0, 12)}:${source.path} > ${source.path}\`, then \`python manage.py makemigrations --merge\`)`
      : `restore ${name} in the code`) +
    (parents.length ? `, or roll it back with the code that still has it: \`python manage.py migrate ${app} ${parents[parents.length - 1]}\`` : ''),
  stepCompareByHand: (app: string, missing: string, sibling: string) =>
    `compare ${app}.${missing} (applied, not in the code) with ${sibling}; migcheck could not find the applied file in git history`,

  inconsistentHistory: (node: Key, parent: Key) =>
    `Migration ${node[0]}.${node[1]} is applied before its dependency ${parent[0]}.${parent[1]} on database 'default'.`,
  inconsistentHistoryHint: (node: Key, parent: Key) =>
    `Django refuses every \`migrate\`, even with --fake, until it is fixed. If the database already has ${parent[1]}'s changes, record it: ` +
    `INSERT INTO django_migrations (app, name, applied) VALUES (${sqlString(parent[0])}, ${sqlString(parent[1])}, CURRENT_TIMESTAMP); ` +
    `otherwise delete ${node[1]}'s record and apply both in order`,

  noDatabase: () =>
    'say which database to compare with: --database URL (postgres://… or sqlite:///…), --applied FILE, or DATABASE_URL in the environment',
  cannotRead: (where: string, why: string) => `cannot read the applied migrations from ${where}: ${why}`,
  appliedFileFormat: (file: string, why: string) => `${file}: ${why}`,
  appliedFileMissing: (file: string) => `${file}: no such file`,
  sqliteMissing: (path: string) => `${path}: no such SQLite database file (a sqlite:/// URL is relative to the working directory; use sqlite://// for an absolute path)`,
  sqliteWal: (path: string) =>
    `${path}-wal holds changes not yet written into ${path}: checkpoint it first (\`sqlite3 ${path} 'PRAGMA wal_checkpoint(TRUNCATE)'\`) or stop the application`,
  rollbackArgs: () => '--rollback-to takes an app label and a migration name (or zero): --rollback-to healthcare 0002',
  rollbackForwards: (app: string, name: string) =>
    `${app}.${name} is not applied: \`python manage.py migrate ${app} ${name}\` would migrate forwards, not roll back`,
  projectChoice: (projects: readonly string[], chosen: string) =>
    `this repository has ${projects.length} Django projects (${list(projects.map((p) => p || '.'))}); comparing with ${chosen || '.'}, whose apps the database knows best`,
  irreversibleStep: (app: string, name: string, kind: string, missing: string) =>
    `rolling back ${app}.${name} fails: its ${kind} has no ${missing}. Django: IrreversibleError "Operation ${kind} in ${app}.${name} is not reversible".`,
  irreversibleHint: (kind: string, missing: string) =>
    kind === 'RunPython'
      ? `give it ${missing}= (\`migrations.RunPython.noop\` when there is nothing to undo)`
      : `give it ${missing}= (\`migrations.RunSQL.noop\` when there is nothing to undo)`,
} as const;

/** `check --against` and `branches`: what merging would do, said before anyone merges. */
interface SideList {
  ref: string;
  migrations: readonly string[];
  files: readonly string[];
}
const sideText = (s: SideList) =>
  s.migrations.length ? `${s.ref} adds ${list(s.files)}` : `${s.ref} adds nothing to this app`;

export const branchMessages = {
  leaves: (target: string, app: string, leaves: readonly string[], parent: string | null, sides: readonly SideList[]) =>
    `merging ${target} gives app '${app}' ${leaves.length} leaf migrations: ${list(leaves)}` +
    (parent ? `, all on top of ${parent}` : ', with no common parent') +
    (sides.length ? ` (${sides.map(sideText).join('; ')})` : '') +
    '. Django will refuse to migrate after the merge.',
  leavesHint: (app: string, target: string) =>
    `merge ${target}, then run \`migcheck merge --app ${app}\` and commit the merge migration; or run \`migcheck rebase --app ${app}\` to renumber this branch's migrations on top of ${target}'s`,
  breaks: (target: string, what: string) => `after merging ${target}: ${what}`,
  content: (target: string, file: string, added: boolean) =>
    `merging ${target}: both sides ${added ? 'add' : 'change'} ${file} differently, so git will stop with a conflict in it` +
    ' (and Django cannot import a file with conflict markers)',
  contentHint: (file: string, target: string) =>
    `keep one version of ${file} (or rename this branch's migration and fix what depends on it) before merging ${target}`,
  unrelated: (target: string) => `no common history with ${target}: predicted as \`git merge --allow-unrelated-histories\``,
  noTargets: () =>
    'no target branch: this repository has no origin/HEAD, main or master, and the current branch has no upstream. Name one with --target',
  pairsNote: () => 'pairs are judged as if both branches were merged into the target',
} as const;

// ---------------------------------------------------------------------------------------------
// max_migration.txt (src/core/lockfile.ts, src/commands/lock.ts)

const quoted = (names: readonly string[]) => list(names.map((n) => `'${n}'`));

export const lockMessages = {
  staleSeveralLeaves: (file: string, app: string, leaves: readonly string[]) =>
    `${file} cannot be right: app '${app}' has ${leaves.length} leaf migrations (${list(leaves)}), and the file names one`,
  staleSeveralLeavesHint: (app: string) =>
    `run \`migcheck merge --app ${app}\` to join the leaves, then \`migcheck lock\` (the merge driver does both during \`git merge\`: \`migcheck install\`)`,
  staleEmpty: (file: string) => `${file} is empty; django-linear-migrations expects the name of the app's latest migration`,
  staleLines: (file: string, lines: number) =>
    `${file} has ${lines} lines (a merge left both sides in it?); django-linear-migrations expects one: the name of the app's latest migration`,
  staleName: (file: string, app: string, named: string, expected: string) =>
    `${file} names ${named}, but the latest migration of app '${app}' is ${expected}`,
  staleHint: (_app: string, expected: string) => `run \`migcheck lock\` (it writes ${expected})`,

  unknownApps: (labels: readonly string[]) =>
    `no migrated app with label ${quoted(labels)} (run \`migcheck check\` to list the apps)`,
  created: (file: string, name: string) => `Created ${file}: ${name}`,
  updated: (file: string, found: string | null, name: string) => `Updated ${file}: ${found ?? '(unreadable)'} -> ${name}`,
  missing: (file: string, app: string, name: string) => `${file} is missing (app '${app}'; it should say ${name})`,
  stale: (file: string, found: string | null, name: string) => `${file} says ${found ?? '(not one line)'}, should say ${name}`,
  severalLeaves: (file: string, app: string, leaves: readonly string[]) =>
    `cannot lock ${file}: app '${app}' has ${leaves.length} leaf migrations (${list(leaves)}); run \`migcheck merge --app ${app}\` first`,
  upToDate: (n: number) => `${n} max_migration.txt ${n === 1 ? 'file is' : 'files are'} up to date.`,
  noApps: () => 'No migrated apps found.',
  checkFix: () => 'run `migcheck lock` to write or fix them',
} as const;

// ---------------------------------------------------------------------------------------------
// git hooks (src/commands/hook.ts)

const mergeFix = (apps: readonly string[]) => `\`migcheck merge${apps.map((a) => ` --app ${a}`).join('')}\``;

export const hookMessages = {
  usage: (hooks: readonly string[]) =>
    `Usage: migcheck hook <name> [git's hook arguments]\n\nWhat the git hooks installed by \`migcheck install\` run. Hooks: ${hooks.join(', ')}.\n` +
    'MIGCHECK=0 (or HUSKY=0) skips them.\n',
  unknownHook: (name: string, hooks: readonly string[]) => `unknown hook '${name}' (migcheck has: ${hooks.join(', ')}); nothing checked`,
  internalError: (why: string) => `could not check the migrations: ${why}`,
  failClosed: (hook: string) =>
    `${hook} stopped because migcheck could not check. To go on without it, run the command again with MIGCHECK=0 (e.g. \`MIGCHECK=0 git commit\`)`,
  bypass: (hook: string) =>
    hook === 'pre-push'
      ? 'to push anyway: `git push --no-verify` (or MIGCHECK=0 git push)'
      : hook === 'pre-merge-commit'
        ? 'to merge anyway: `git commit --no-verify` finishes the merge (or `git merge --abort` to undo it)'
        : 'to commit anyway: `git commit --no-verify` (or MIGCHECK=0 git commit)',

  commitRefused: () => 'commit refused: Django could not load the migrations as they are staged',
  commitRefusedConflict: (apps: readonly string[]) =>
    `commit refused: it would leave ${apps.length === 1 ? 'app' : 'apps'} ${quoted(apps)} with several leaf migrations. ` +
    `Fix: ${mergeFix(apps)}, then \`git add\` the migration it creates and commit again (or set "onConflict": "generate" in the migcheck config and this hook does it)`,
  commitGoesOn: () => 'the commit goes on ("onConflict": "warn"); Django will refuse to migrate until the leaves are merged',
  addedToCommit: (file: string, app: string) => `added ${file} to this commit: the merge migration that joins the leaves of app '${app}'`,
  lockfileStaged: (file: string) => `updated ${file} and added it to this commit`,
  stagedPending: (file: string, app: string) => `staged ${file}, the merge migration of app '${app}' waiting in the work tree`,
  cannotGenerate: (app: string) => `migcheck cannot write the merge migration of app '${app}'; join its leaves by hand`,

  mergeRefused: () =>
    'merge stopped before its commit: Django could not load the merged migrations. Fix them, `git add` the fix, then `git commit` finishes the merge',
  mergeRefusedConflict: (apps: readonly string[]) =>
    `merge stopped before its commit: ${apps.length === 1 ? 'app' : 'apps'} ${quoted(apps)} would have several leaf migrations. ` +
    `Fix: ${mergeFix(apps)}, \`git add\` the migration it creates, then \`git commit\` finishes the merge`,
  mergeGoesOn: () => 'the merge goes on ("onConflict": "warn"); Django will refuse to migrate until the leaves are merged',
  stagedFinishMerge: (files: readonly string[]) =>
    `staged ${list(files)}; the merge is not committed yet: run \`git commit\` to finish it with ${files.length === 1 ? 'this file' : 'these files'} in it`,
  stagedAfterMerge: (files: readonly string[]) =>
    `staged ${list(files)}; git makes the merge commit without ${files.length === 1 ? 'it' : 'them'}: commit ${files.length === 1 ? 'it' : 'them'} next with \`git commit\``,
  wroteFinishMerge: (files: readonly string[]) =>
    `wrote ${list(files)} and staged ${files.length === 1 ? 'it' : 'them'}; run \`git commit\` to finish the merge`,

  afterMerge: () => 'the merge is committed; fix it in the next commit (`migcheck check` shows the state of the work tree)',
  commitPending: (files: readonly string[]) =>
    `the merge driver wrote ${list(files)}, which the merge commit does not have: commit it with \`git add ${files.join(' ')} && git commit -m "Merge migrations"\``,
  wroteCommitIt: (files: readonly string[]) =>
    `wrote ${list(files)} ("onConflict": "generate"); the merge commit cannot take ${files.length === 1 ? 'it' : 'them'}: commit with \`git add ${files.join(' ')} && git commit -m "Merge migrations"\``,
  afterRewrite: (kind: 'amend' | 'rebase') =>
    `${kind === 'rebase' ? 'after the rebase' : 'after the amend'}, the branch has the problems above. ` +
    (kind === 'rebase'
      ? "Fix: `migcheck rebase --app <app>` to renumber this branch's migrations on top of the others, or `migcheck merge` and commit the merge migration"
      : 'Fix them in another commit, or amend again'),

  pushRefused: (local: string, remote: string, targets: readonly string[]) =>
    `push of ${local} to ${remote} refused` +
    (targets.length ? ` (judged on its own and merged with ${list(targets)})` : '') +
    `. Fix: merge ${targets[0] ?? 'the target branch'} into ${local} (the hooks then write the merge migration) or \`migcheck rebase --app <app>\`, then push again`,
  pushGoesOn: (local: string) => `pushing ${local} anyway ("onConflict": "warn")`,
} as const;

// ---------------------------------------------------------------------------------------------
// install / uninstall (src/io/hooks.ts)

export const installMessages = {
  notARepo: (cwd: string) => `not a git repository: ${cwd} (run \`migcheck install\` inside the repository whose hooks should check migrations)`,
  bare: () => 'this is a bare repository: it has no commits made in it to guard (install the hooks in a clone)',
  driverName: () => 'migcheck: max_migration.txt (joins both sides with a merge migration)',
  huskyNotActive: (hooksPath: string | null) =>
    `.husky/ is not active in this clone (core.hooksPath is ${hooksPath ? `'${hooksPath}'` : 'unset'}): run \`npx husky\` (or \`npm install\`, whose prepare script runs it), or \`migcheck install\` without .husky/ to use git's hooks folder`,
  huskyMissingDispatch: (hooks: readonly string[]) =>
    `this Husky does not run ${list(hooks)} (.husky/_/ has no such file): upgrade Husky (9.1 runs them all) so a clean merge is checked too`,
  globalBin: () =>
    'migcheck is not a dependency of this repository: the hooks call `migcheck` from PATH (a global install), and skip quietly where it is not installed. `npm install --save-dev migcheck` makes them work for everyone',
  configChange: (action: 'set' | 'unset', key: string, value: string | null, dryRun: boolean) =>
    action === 'set'
      ? `${dryRun ? 'Would set' : 'Set'} git config ${key} "${value}"`
      : `${dryRun ? 'Would remove' : 'Removed'} git config ${key}`,
  fileChange: (action: 'create' | 'add' | 'update' | 'remove' | 'delete', file: string, line: string | null, dryRun: boolean) => {
    const verb = {
      create: dryRun ? 'Would create' : 'Created',
      add: dryRun ? 'Would add a line to' : 'Added a line to',
      update: dryRun ? 'Would update the migcheck line in' : 'Updated the migcheck line in',
      remove: dryRun ? 'Would remove the migcheck line from' : 'Removed the migcheck line from',
      delete: dryRun ? 'Would delete' : 'Deleted',
    }[action];
    // A dry run shows the line; a real run says where it went.
    const shown = action === 'delete' ? ` (nothing but migcheck's line was in it)` : dryRun && line && action !== 'remove' ? `:\n    ${line}` : '';
    return `${verb} ${file}${shown}`;
  },
  userLine: (file: string) => `${file} already runs migcheck (a line of your own): left as it is`,
  nothingToDo: (dir: string) => `Nothing to change: the migcheck hooks (in ${dir}) and merge driver are installed.`,
  installed: (dir: string, husky: boolean) =>
    `migcheck now checks commits, merges, rebases and pushes (${husky ? 'Husky, ' : ''}${dir}). MIGCHECK=0 skips it once; \`migcheck uninstall\` removes it.`,
  nothingToRemove: () => 'Nothing to remove: no migcheck hook lines or merge driver found.',
} as const;

// ---------------------------------------------------------------------------------------------
// merge driver (src/commands/merge-driver.ts)

export const driverMessages = {
  oddFile: (file: string) => `${file}: one side does not read as a single migration name`,
  notALockfile: (file: string) => `${file} is not a max_migration.txt: the driver only merges those`,
  noWorkTree: () => 'no work tree to write a merge migration into',
  notAMerge: () =>
    'this is not a `git merge` (a rebase, cherry-pick or simulated merge): a merge migration does not belong in a rewritten commit',
  migrationClash: (file: string) => `both sides changed ${file}: resolve that first`,
  noApp: (dir: string) => `${dir} is not the migrations folder of an app both sides share`,
  targetExists: (file: string) => `${file} already exists and is not the merge migration this merge needs`,
  failed: (why: string) => `could not decide: ${why}`,
  resolvedWithMerge: (file: string, name: string, wrote: string, reused: boolean) =>
    `${file}: both sides added migrations; ${reused ? 'using' : 'wrote'} ${wrote}, the merge migration that joins them, and set ${file} to ${name}. The pre-merge-commit hook stages it (or \`git add ${wrote}\`)`,
  resolved: (file: string, name: string) => `${file}: merged to ${name}, the app's only leaf`,
  conflict: (file: string, why: string) => `left a conflict in ${file} (both sides kept): ${why}`,
} as const;

// ---------------------------------------------------------------------------------------------
// operation clashes and irreversible steps (src/core/ops.ts, src/core/clashes.ts)

interface ClashFacts {
  reason: string;
  same: boolean | null;
  target: string;
  left: { migration: string; path: string; line: number; label: string };
  right: { migration: string; path: string; line: number; label: string };
}
const CLASH_WHY: Record<string, (c: ClashFacts) => string> = {
  'model-created-twice': (c) =>
    `both create ${c.target}${c.same === true ? ', with the same fields' : c.same === false ? ', with different fields' : ''}; the second CreateModel fails: the table already exists`,
  'model-deleted-twice': (c) => `both delete ${c.target}; the second DeleteModel fails: the model is already gone`,
  'model-renamed-twice': (c) => `both rename ${c.target}; the second RenameModel fails: the old name is already gone`,
  'model-lifecycle': (c) => `one side creates, deletes or renames ${c.target} and the other changes it; whichever runs second fails or changes the wrong model`,
  'field-added-twice': (c) =>
    `both add ${c.target}, with ${c.same ? 'the same definition' : 'different definitions'}; the second AddField fails: the column already exists`,
  'field-removed-twice': (c) => `both remove ${c.target}; the second RemoveField fails: the column is already gone`,
  'field-removed-and-altered': (c) => `one side removes ${c.target} and the other alters it; the AlterField fails once the field is gone (or the RemoveField drops the change)`,
  'field-renamed': (c) => `one side renames ${c.target} and the other changes it under its old or new name; whichever runs second fails`,
  'field-added-and-changed': (c) => `one side adds ${c.target} as new and the other changes it as existing; they cannot both be right, and one of them fails`,
  'field-altered-differently': (c) => `both alter ${c.target}, differently; whichever runs last wins and the other branch's change is lost`,
  'field-still-used': (c) => `one side removes or renames ${c.target} and the other adds an index, constraint or together option on it; that one fails`,
  'table-changed-differently': (c) => `both set the table of ${c.target}, to different names; whichever runs last wins`,
  'together-changed-differently': (c) => `both change the same together option of ${c.target}, differently; the later one drops the other's`,
  'index-twice': (c) => `both add or remove ${c.target}; the second fails`,
  'constraint-twice': (c) => `both add or remove ${c.target}; the second fails`,
  'same-table': (c) => `two different models get ${c.target}; the second fails: the table already exists`,
};

export const opsMessages = {
  clash: (app: string, c: ClashFacts) =>
    `app '${app}': ${c.left.migration} and ${c.right.migration} clash: ${c.left.label} (${c.left.path}:${c.left.line}) and ${c.right.label} (${c.right.path}:${c.right.line}): ` +
    `${(CLASH_WHY[c.reason] ?? ((x: ClashFacts) => `both act on ${x.target}`))(c)}. A merge migration joins the graph, but \`migrate\` will not get past this.`,
  clashHint: (app: string, c: ClashFacts) =>
    `make one branch build on the other: rebase it (\`migcheck rebase --app ${app} --force\`) and drop or rewrite ${c.right.label} in ${c.right.migration} (or ${c.left.label} in ${c.left.migration}), then run \`makemigrations --check\``,
  irreversible: (app: string, name: string, file: string, line: number, kind: string, missing: string, via: string | null) =>
    `${app}.${name}: ${kind}${via ? ` inside ${via}'s database_operations` : ''} has no ${missing} (${file}:${line}), so this new migration cannot be unapplied: rolling it back (\`migrate ${app} <earlier>\`) stops with IrreversibleError`,
  mergeClash: (app: string, count: number) =>
    `refusing to merge app '${app}': its branches clash on ${count === 1 ? 'an operation' : `${count} operations`} (see the operation-clash findings of \`migcheck check\`); a merge migration would only join the graph, and \`migrate\` would fail later`,
  mergeClashHint: (app: string) =>
    `fix the migrations so one branch builds on the other (\`migcheck rebase --app ${app} --force\`, then edit the clashing operation), or run \`migcheck merge --app ${app} --force\` to write the merge migration anyway`,
} as const;

/** What a predicted merge leaves in files both sides changed. */
export const mergeTextMessages = {
  markers: (file: string) => `${file} is left with git's conflict markers after the merge: Python cannot import it (SyntaxError)`,
  markersHint: () => 'resolve the conflict in this file (keep one version, or merge both by hand) before running migrate',
} as const;

// ---------------------------------------------------------------------------------------------
// rebase (src/commands/rebase.ts, src/io/rebase.ts)

export const rebaseMessages = {
  whyOnto: (onto: string) => `as asked: --onto ${onto}`,
  whyRebase: () => 'not in HEAD: the rebase in progress is replaying it',
  whyMerging: () => 'not in HEAD: the merge in progress brings it in',
  whyMerged: () => "not in HEAD's first parent: the merge brought it in",
  whyTarget: (target: string) => `not in ${target}, the target branch`,
  whyUpstream: () => 'not in the upstream branch (@{upstream})',
  whyFirstParent: () => "not in HEAD's first parent",
  ontoNotALeaf: (app: string, onto: string, leaves: readonly string[]) =>
    `--onto ${onto}: not a leaf of app '${app}' (its leaves: ${list(leaves)})`,
  severalOntos: (app: string, ref: string, leaves: readonly string[]) =>
    `cannot tell which side is this branch's in app '${app}': ${ref} has ${list(leaves)}; say which leaf to rebase onto with --onto`,
  noSide: (app: string, leaves: readonly string[]) =>
    `cannot tell which of ${list(leaves)} (app '${app}') is this branch's: no rebase or merge in progress, and the target branch, the upstream and HEAD's first parent have all of them or none. Say which leaf stays with --onto (\`migcheck rebase --app ${app} --onto ${leaves[0]}\`)`,
  unknownApp: (app: string) => `No installed app with label '${app}'. (migcheck knows the apps that have a migrations folder; run \`migcheck check\` to list them)`,
  severalProjects: (app: string, projects: readonly string[]) =>
    `app label '${app}' exists in ${projects.length} Django projects (${list(projects.map((p) => p || '.'))}); run migcheck with --cwd in the one to rebase`,
  badLabel: (label: string) => `--app ${JSON.stringify(label)} is not an app label (a Python identifier: [A-Za-z_][A-Za-z0-9_]*)`,
  badOnto: (name: string) => `--onto ${JSON.stringify(name)} is not a migration name ([A-Za-z0-9_])`,
  nothing: (app: string, leaf: string | null) =>
    `Nothing to rebase: app '${app}' has one leaf${leaf ? ` (${leaf})` : ''}. Bring the other branch in first (\`git rebase <target>\` or \`git merge <target>\`), then run this again.`,
  sides: (app: string, moving: readonly string[], onto: string, why: string) =>
    `app '${app}': ${list(moving)} ${moving.length === 1 ? 'moves' : 'move'} on top of ${onto} (${why})`,
  graphBroken: (app: string, why: string) => `cannot rebase app '${app}': the migration graph does not load: ${why}`,
  applied: (app: string, names: readonly string[], where: string) =>
    `refusing to rebase app '${app}': ${list(names)} ${names.length === 1 ? 'is' : 'are'} applied in ${where}; renamed, ${names.length === 1 ? 'it' : 'they'} would run again there under the new name`,
  appliedHint: (app: string, base: string) =>
    `unapply first (\`python manage.py migrate ${app} ${base}\`), rebase, then migrate again; or pass --force and rename the rows (migcheck prints the SQL)`,
  renameRows: (app: string, pairs: ReadonlyArray<readonly [string, string]>) =>
    `the database still records the old names: ${pairs.map(([from, to]) => `UPDATE django_migrations SET name = '${to}' WHERE app = '${app}' AND name = '${from}';`).join(' ')}`,
  clash: (app: string, count: number) =>
    `refusing to rebase app '${app}': its branches clash on ${count === 1 ? 'an operation' : `${count} operations`}; renumbered, the clashing migration still fails at \`migrate\``,
  clashHint: (app: string) => `pass --force to rebase anyway, then edit the clashing operation (\`migcheck check\` shows where) before you commit: after the rebase app '${app}' has one leaf and the clash is no longer reported`,
  clashForced: (app: string) => `app '${app}' still has the operation clash shown above: edit the rebased migration before you commit`,
  cannot: (app: string, why: string) => `cannot rebase app '${app}': ${why}`,
  wouldBreak: (app: string, why: string) => `refusing to rebase app '${app}': the result would not load: ${why}`,
  notAFile: (file: string) => `refusing to rebase: ${file} is not a regular file (a symlink?); nothing was changed`,
  changedMeanwhile: (file: string) => `refusing to rebase: ${file} changed while migcheck was reading it; nothing was changed, run again`,
  targetExists: (file: string) => `refusing to rebase: ${file} already exists and migcheck never overwrites a file; nothing was changed`,
  unsafePath: (file: string) => `refusing to rebase: ${file} leaves the app's migrations folder or the repository; nothing was changed`,
  wroteNothing: () => 'nothing was changed',
  wouldRename: (from: string, to: string) => `Would rename ${from} -> ${to}`,
  renamed: (from: string, to: string, viaGit: boolean) => `Renamed ${from} -> ${to}${viaGit ? ' (git mv)' : ''}`,
  updated: (file: string, changes: ReadonlyArray<{ line: number; from: string; to: string }>) =>
    `Updated ${file}${changes.length ? `: ${changes.map((c) => `line ${c.line} ${c.from} -> ${c.to}`).join(', ')}` : ''}`,
  dryRun: () => 'Dry run: nothing was changed. The changes, as a diff:',
  done: (app: string, leaf: string) => `App '${app}' has one leaf again: ${leaf}. Review with \`git diff\` and \`git status\`, then commit.`,
} as const;

// ---------------------------------------------------------------------------------------------
// The GitHub Action (action.yml, src/action.ts)

export const actionMessages = {
  summaryTitle: () => '## migcheck: Django migrations',
  clean: (source: string) => `No migration problems in \`${source}\`.`,
  counts: (errors: number, warnings: number) => `**${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}**`,
  predicted: (target: string) => `Predicted merge with \`${target}\`.`,
  noBase: () => 'no base branch to predict the merge with (not a pull request, and no `base` input): checked this commit only',
  baseMissing: (ref: string) => `${ref} is not in this checkout even after \`git fetch\`: checked this commit only (check out with \`fetch-depth: 0\`)`,
  branchesTitle: (target: string) => `### Every branch against \`${target}\``,
  noBranchConflicts: () => 'No branch will conflict.',
  badInput: (name: string, value: string, allowed: string) => `input ${name} is ${JSON.stringify(value)}: use ${allowed}`,
} as const;
