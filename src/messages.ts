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
    'two branches picked the same number and nothing joins them yet: a merge migration will (`migcheck merge`), or renumber one with `migcheck rebase`',
  duplicateIntroduced: (app: string, target: string, ours: readonly string[], theirs: readonly string[]) =>
    `app '${app}': merging ${target} gives ${list(ours)} (new here) the number of ${list(theirs)} (already on ${target})`,
  duplicateIntroducedHint: (app: string, target: string) =>
    `Django accepts it once a merge migration joins them; to keep one migration per number, renumber this side's on top of ${target} with \`migcheck rebase --app ${app}\``,

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

  overlappingSquashes: (app: string, a: string, b: string, shared: string) =>
    `squashes ${app}.${a} and ${app}.${b} both replace ${shared}. Django applies an app's squashes in the order of a Python set of module names, which changes from run to run (PYTHONHASHSEED): which squash stands in for ${shared}, and so the graph Django migrates, depends on hash order.`,
  overlappingSquashesHint: (shared: string) =>
    `let one squash replace ${shared}: remove it from the other's \`replaces\` (or delete the older squash and its replaced files once every database has applied them)`,
  nestedSquashes: (app: string, outer: string, inner: string) =>
    `squash ${app}.${outer} replaces the squash ${app}.${inner}. Django before 6.0 applies squashes in the order of a Python set of module names, which changes from run to run (PYTHONHASHSEED): on runs that reach ${outer} first, ${inner} is gone by its turn and Django fails with NodeNotFoundError "Unable to find replacement node"; on others it loads.`,
  nestedSquashesHint: (outer: string, inner: string) =>
    `in ${outer}'s \`replaces\`, list the migrations ${inner} replaces instead of ${inner}; if the project runs Django 6.0 or later (which resolves nested squashes), set "djangoVersion" in the migcheck config`,
  replacementLoop: (walk: readonly string[]) =>
    `squashes replace each other in a loop: ${walk.join(' -> ')} -> ${walk[0]}. Django cannot apply them: NodeNotFoundError "Unable to find replacement node" before 6.0, CommandError "Cyclical squash replacement found" from 6.0.`,
  replacementLoopHint: () => 'a squash replaces only older migrations: remove the loop from the `replaces` lists',

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

/** `deploy-check` against the database's tables (src/core/schema-check.ts). */
interface DifferenceFacts {
  missing: readonly string[];
  extra: readonly string[];
  types: ReadonlyArray<{ column: string; database: string; code: string }>;
  nullable: ReadonlyArray<{ column: string; database: boolean; code: boolean }>;
  both: readonly string[];
}
interface OpFacts {
  label: string;
  line: number;
  target: string;
  status: string;
  differences: DifferenceFacts | null;
  note: string | null;
}
interface StepFacts {
  verdict: string;
  fails: string | null;
  ops: readonly OpFacts[];
}
interface DatabaseFacts {
  verdict: string;
  git: 'same' | 'differs' | null;
  agrees: boolean | null;
  conflicts: readonly string[];
}
const sqlmigrate = (app: string, name: string) => `\`python manage.py sqlmigrate ${app} ${name}\``;
const columns = (names: readonly string[]) => `${names.length === 1 ? 'column' : 'columns'} ${list(names)}`;
const nullText = (nullable: boolean) => (nullable ? 'NULL' : 'NOT NULL');

/** `columns total and currency missing, amount has another type (numeric(10,2) here, numeric(12,2) in the code)`. */
function differenceText(d: DifferenceFacts): string {
  const out: string[] = [];
  if (d.missing.length) out.push(`${columns(d.missing)} missing`);
  if (d.extra.length) out.push(`${columns(d.extra)} not in the code`);
  for (const t of d.types) out.push(`${t.column} has another type (${t.database} in the database, ${t.code} in the code)`);
  for (const n of d.nullable) out.push(`${n.column} is ${nullText(n.database)} in the database, ${nullText(n.code)} in the code`);
  if (d.both.length) out.push(`both ${list(d.both)} exist`);
  return out.join(', ');
}

/** One operation that meets something in the database: what it finds. */
function opConflict(o: OpFacts): string {
  switch (o.status) {
    case 'exists':
      return o.target.startsWith('table ') ? `${o.target} exists with the same columns` : `${o.target} exists as the code makes it`;
    case 'gone':
      return `${o.target} is already gone`;
    case 'differs':
      return `${o.target} exists but differs: ${o.differences ? differenceText(o.differences) : 'not as the code makes it'}`;
    case 'missing':
      return `${o.label} needs ${o.target}, which does not exist`;
    case 'opaque':
      return `${o.label} (line ${o.line}) is opaque: migcheck does not guess what it does`;
    default:
      return o.target;
  }
}

const differing = (ops: readonly OpFacts[]) => ops.filter((o) => o.status === 'differs').map((o) => o.target);
/** `table a`, `table b` -> `tables a and b`; mixed kinds are listed as they are. */
function targets(names: readonly string[]): string {
  const kind = names[0]?.split(' ')[0];
  if (names.length < 2 || !names.every((n) => n.startsWith(`${kind} `))) return list(names);
  return `${kind}s ${list(names.map((n) => n.slice(kind.length + 1)))}`;
}

/** What a step finds, problems first, then same-as-code tables and columns grouped; `brief` names what differs without the columns. */
function found(ops: readonly OpFacts[], withOpaque: boolean, brief = false): string[] {
  const same = (kind: string) => ops.filter((o) => o.status === 'exists' && o.target.startsWith(`${kind} `)).map((o) => o.target.slice(kind.length + 1));
  const differ = differing(ops);
  const out = brief
    ? [...(differ.length ? [`${targets(differ)} ${differ.length === 1 ? 'exists but differs' : 'exist but differ'} from the code`] : []), ...ops.filter((o) => o.status === 'missing').map(opConflict)]
    : ops.filter((o) => o.status === 'differs' || o.status === 'missing').map(opConflict);
  const tables = same('table');
  const cols = same('column');
  if (tables.length) out.push(`${tables.length === 1 ? 'table' : 'tables'} ${list(tables)} ${tables.length === 1 ? 'exists' : 'exist'} with the same columns`);
  if (cols.length) out.push(`${columns(cols)} ${cols.length === 1 ? 'exists' : 'exist'} as the code makes ${cols.length === 1 ? 'it' : 'them'}`);
  for (const o of ops) {
    if (o.status === 'gone' || (o.status === 'exists' && !/^(table|column) /.test(o.target)) || (withOpaque && o.status === 'opaque')) out.push(opConflict(o));
  }
  return out;
}

const toDo = (ops: readonly OpFacts[]) => ops.filter((o) => o.status === 'new').map((o) => o.label);

export const schemaMessages = {
  /** The facts behind an applied-missing replacement's verdict. */
  conflicts: (ops: readonly OpFacts[]) => found(ops, true),
  /** The line under a plan step, or null when there is nothing to say. */
  stepVerdict: (app: string, name: string, c: StepFacts): string | null => {
    const facts = found(c.ops, false, true).join('; ');
    const opaque = c.ops.filter((o) => o.status === 'opaque').map((o) => `${o.label} (line ${o.line})`);
    const code = opaque.length ? `; it also runs ${list(opaque)}, which migcheck does not guess` : '';
    switch (c.verdict) {
      case 'fake':
        return `${facts} → \`python manage.py migrate ${app} ${name} --fake\` is safe`;
      case 'differs':
        return `${facts} → do not fake it: make the database match the code first (the differences are below)`;
      case 'partial':
        return `${facts}, but not the rest (${list(toDo(c.ops))}) → do not fake it: apply the rest by hand first`;
      case 'opaque':
        return `${facts}${code} → fake it only once you know that code ran here`;
      default:
        return opaque.length ? `opaque: ${list(opaque)}: migcheck does not guess what ${opaque.length === 1 ? 'it does' : 'they do'}` : null;
    }
  },
  stepsReconcile: (app: string, name: string, c: StepFacts): string[] => {
    const facts = found(c.ops, true);
    if (c.verdict === 'opaque') {
      return [`check by hand whether the code in ${name} already ran on this database (${facts.join('; ')}); only then \`python manage.py migrate ${app} ${name} --fake\``];
    }
    const problems = [...differing(c.ops), ...c.ops.filter((o) => o.status === 'missing').map((o) => `create ${o.target}`)];
    const rest = toDo(c.ops);
    return [
      `do not fake ${name} yet: make ${targets(problems)} match it by hand` +
        (rest.length ? `, and apply what it still has to do (${list(rest)})` : '') +
        `; ${sqlmigrate(app, name)} prints the SQL the code expects`,
      `once the tables match, record ${name} as applied with \`migrate --fake\`, and \`deploy-check\` again`,
    ];
  },
  missingReplacedByDatabase: (d: MissingFacts, db: DatabaseFacts) => {
    const head = `the database applied ${d.app}.${d.missing}, which the code no longer has; the code will run ${d.sibling} in its place${onParent(d)}. `;
    const fails = d.fails ? `: \`migrate\` will fail: ${d.fails}` : '';
    const facts = db.conflicts.join('; ');
    const body =
      db.verdict === 'fake'
        ? `The database already has what ${d.sibling} makes (${facts})${fails}.`
        : db.verdict === 'runs'
          ? `The database has none of what ${d.sibling} makes: \`migrate\` will run it, and ignore the old record.`
          : db.verdict === 'opaque'
            ? `The database already has its tables (${facts})${fails}.`
            : `The database has some of what ${d.sibling} makes, but not as it makes it (${facts})${fails}.`;
    const source = d.source
      ? db.agrees === false
        ? ` The copy of ${d.missing} in git history (${d.source.path} at ${d.source.commit.slice(0, 12)}) ${db.git === 'same' ? 'makes the same changes as' : 'makes other changes than'} ${d.sibling}, but the database's tables say otherwise: going by the database.`
        : ''
      : ` ${d.missing}.py is in no commit: judged by the database's tables.`;
    return head + body + source;
  },
  missingReplacedByDatabaseHint: (d: MissingFacts, db: DatabaseFacts) =>
    db.verdict === 'fake'
      ? `record ${d.sibling} as applied without running it: \`python manage.py migrate ${d.app} ${d.sibling} --fake\``
      : db.verdict === 'runs'
        ? `to tidy up, delete the old record: DELETE FROM django_migrations WHERE app = ${sqlString(d.app)} AND name = ${sqlString(d.missing)};`
        : db.verdict === 'opaque'
          ? `check by hand whether the code in ${d.sibling} already ran here before faking it (steps below)`
          : `do not fake ${d.sibling}: make the database match it first (steps below)`,
  schemaConflict: (app: string, name: string, c: StepFacts) => {
    const facts = found(c.ops, true).join('; ');
    const note = c.ops.find((o) => o.note)?.note;
    return c.fails ? `${app}.${name} will fail: ${c.fails}: ${facts}` : `${app}.${name} meets the database's tables: ${facts}${note ? `. ${note}` : ''}`;
  },
  schemaConflictHint: (app: string, name: string, c: StepFacts) =>
    c.verdict === 'fake'
      ? `the database already has what it makes: \`python manage.py migrate ${app} ${name} --fake\` is safe`
      : c.verdict === 'opaque'
        ? `check by hand whether its code already ran here; only then \`python manage.py migrate ${app} ${name} --fake\``
        : `do not fake it: make the database match ${name} first (${sqlmigrate(app, name)} prints the SQL the code expects), then \`deploy-check\` again`,
  databaseSummary: (tables: number, schemas: readonly string[]) =>
    `${tables} table${tables === 1 ? '' : 's'}${schemas.length ? ` in ${list(schemas)}` : ''}`,
} as const;

/** `check --against` and `branches`: what merging would do, said before anyone merges. */
interface SideList {
  ref: string;
  migrations: readonly string[];
  files: readonly string[];
}
const sideText = (s: SideList) =>
  s.migrations.length ? `${s.ref} adds ${list(s.files)}` : `${s.ref} adds nothing to this app`;

/** Up to three names, then how many more. */
const few = (names: readonly string[]) => (names.length <= 3 ? list(names) : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`);

export const branchMessages = {
  leaves: (target: string, app: string, leaves: readonly string[], parent: string | null, sides: readonly SideList[]) =>
    `merging ${target} gives app '${app}' ${leaves.length} leaf migrations: ${list(leaves)}` +
    (parent ? `, all on top of ${parent}` : ', with no common parent') +
    (sides.length ? ` (${sides.map(sideText).join('; ')})` : '') +
    '. Django will refuse to migrate after the merge.',
  leavesHint: (app: string, target: string) =>
    `merge ${target}, then run \`migcheck merge --app ${app}\` and commit the merge migration; or run \`migcheck rebase --app ${app}\` to renumber this branch's migrations on top of ${target}'s`,
  breaks: (target: string, what: string) => `after merging ${target}: ${what}`,
  /** What a root cause takes down with it, folded into its message. */
  dependents: (n: number) => (n ? ` (and ${n} ${n === 1 ? 'migration that depends' : 'migrations that depend'} on it)` : ''),
  leavesLockHint: (app: string, target: string, lockfile: string) =>
    `run \`migcheck rebase --app ${app}\` to renumber this branch's migrations on top of ${target}'s (it rewrites ${lockfile} too); ` +
    `or merge ${target} with migcheck's merge driver installed (\`migcheck install\`): it writes the merge migration and resolves ${lockfile}, ` +
    'which both sides change and git would otherwise stop on',
  /**
   * Files git stops on in one app: `content` both sides changed differently, `deleted` one side
   * deleted while the other changed.
   */
  stops: (
    target: string,
    app: string | null,
    content: readonly string[],
    deleted: ReadonlyArray<{ file: string; deleter: string; changer: string }>,
    dependents: number,
    added: boolean,
  ) => {
    const parts: string[] = [];
    if (content.length === 1) parts.push(`both sides ${added ? 'add' : 'change'} ${content[0]} differently`);
    else if (content.length > 1) parts.push(`both sides change ${content.length} files${app ? ` of app '${app}'` : ''} differently (${few(content)})`);
    if (deleted.length === 1) parts.push(`${deleted[0].deleter} deletes ${deleted[0].file}, which ${deleted[0].changer} changes`);
    else if (deleted.length > 1) {
      parts.push(`${deleted[0].deleter} deletes ${deleted.length} files${app ? ` of app '${app}'` : ''} that ${deleted[0].changer} changes (${few(deleted.map((d) => d.file))})`);
    }
    const them = content.length + deleted.length === 1 ? 'it' : 'them';
    const follow = dependents ? `${dependents} ${dependents === 1 ? 'migration that depends' : 'migrations that depend'} on ${them}` : '';
    const after = content.length ? ` (and Django cannot import a file with conflict markers${follow ? `, nor the ${follow}` : ''})` : follow ? ` (and ${follow})` : '';
    return `merging ${target}: ${parts.join('; ')}, so git will stop with a conflict in ${them}${after}`;
  },
  contentHint: (file: string, target: string) =>
    `keep one version of ${file} (or rename this branch's migration and fix what depends on it) before merging ${target}`,
  deleteHint: (d: { file: string; deleter: string; changer: string }, target: string) =>
    `while merging ${target}, keep the deletion (\`git rm ${d.file}\`) when ${d.deleter} removed it on purpose (a squash replaced it), ` +
    `and carry ${d.changer}'s change over if it still matters; or restore the file in ${d.deleter}`,
  lockfile: (target: string, file: string) =>
    `merging ${target}: both sides change ${file} (django-linear-migrations' lock, which Django never imports), so git will stop on it ` +
    "unless migcheck's merge driver is installed",
  lockfileHint: (file: string, leaf: string | null) =>
    `\`migcheck install\` sets up the merge driver, which resolves it during \`git merge\`${leaf ? ` (to ${leaf})` : ''}; ` +
    `without it, take either side of ${file}, then run \`migcheck lock\``,
  missingObject: (oid: string, path?: string) =>
    `object ${oid.slice(0, 12)}${path ? ` (${path})` : ''} is missing from this repository, and git could not fetch it (a partial clone whose promisor remote is out of reach, or a damaged clone)`,
  /** A branch the scan could not read: a note instead of its verdict. */
  skipped: (why: string) => `skipped: ${why}`,
  skippedHint: () => 'fetch the missing objects (`git fetch`, with the promisor remote reachable) and scan again',
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
    `run \`migcheck merge --app ${app}\` to join the leaves, then \`migcheck lock\` (with \`migcheck install\`, the merge driver and the hooks do both in the commit that concludes a merge)`,
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
  wroteFinishMerge: (files: readonly string[]) =>
    `wrote ${list(files)} and staged ${files.length === 1 ? 'it' : 'them'}; run \`git commit\` to finish the merge`,

  committedAfterRebase: (files: readonly string[]) =>
    `the rebase left ${files.length === 1 ? 'a merge migration' : 'merge migrations'} to write: wrote ${list(files)} and committed ${files.length === 1 ? 'it' : 'them'} on top of the rebased branch`,
  rebaseCommitMessage: (files: readonly string[]) =>
    `Merge migrations\n\nWritten by migcheck's post-rewrite hook after a rebase, to join the leaf migrations both sides added:\n${files.map((f) => `  ${f}`).join('\n')}\n`,
  squashPending: (apps: readonly string[]) =>
    `the squashed merge is not committed yet: \`git commit\` makes it, and its pre-commit hook checks it (with the merge driver, or "onConflict": "generate", it writes the merge migration of ${apps.length === 1 ? 'app' : 'apps'} ${quoted(apps)})`,
  afterMerge: () => 'the merge is committed; fix it in the next commit (`migcheck check` shows the state of the work tree)',
  commitPending: (files: readonly string[]) =>
    `${list(files)}, the merge migration the merge needs, is in the work tree but not in the merge commit: commit it with \`git add ${files.join(' ')} && git commit -m "Merge migrations"\``,
  wroteCommitIt: (files: readonly string[], generated: boolean) =>
    `wrote ${list(files)} (${generated ? '"onConflict": "generate"' : 'the merge migration max_migration.txt names, which the merge driver chose'}); the merge commit cannot take ${files.length === 1 ? 'it' : 'them'}: commit with \`git add ${files.join(' ')} && git commit -m "Merge migrations"\``,
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
    'this is neither a `git merge` nor a rebase (a cherry-pick, a revert, a simulated merge): no hook concludes it, so a merge migration has nowhere to go',
  migrationClash: (file: string) => `both sides changed ${file}: resolve that first`,
  noApp: (dir: string) => `${dir} is not the migrations folder of an app both sides share`,
  targetExists: (file: string) => `${file} already exists and is not the merge migration this merge needs`,
  failed: (why: string) => `could not decide: ${why}`,
  resolvedWithMerge: (file: string, name: string, migration: string, reused: boolean, kind: 'merge' | 'rebase') =>
    `${file}: both sides added migrations; set it to ${name}, the merge migration that joins them` +
    (reused ? ` (${migration} is already in the work tree)` : '') +
    (kind === 'merge'
      ? `. migcheck's hooks write ${migration} into the commit that concludes this merge (a merge without other conflicts stops before its commit for it: then run \`git commit\`)`
      : `. migcheck's post-rewrite hook writes ${migration} and commits it when the rebase ends`),
  hooksMissing: (app: string, dir: string, kind: 'merge' | 'rebase') =>
    `both sides added migrations to app '${app}', and migcheck's hooks, which write the merge migration into the commit that concludes the ${kind}, are not installed here (\`migcheck install\`). ` +
    `Run: \`migcheck merge --app ${app} && migcheck lock --app ${app} && git add ${dir}\`, then \`${kind === 'merge' ? 'git commit' : 'git rebase --continue'}\``,
  resolved: (file: string, name: string) => `${file}: merged to ${name}, the app's only leaf`,
  conflict: (file: string, why: string) => `left a conflict in ${file} (both sides kept): ${why}`,
} as const;

// ---------------------------------------------------------------------------------------------
// operation clashes and irreversible steps (src/core/ops.ts, src/core/clashes.ts)

interface ClashFacts {
  reason: string;
  /** 'error': `migrate` fails or loses data; 'warning': it runs, and the result depends on the order. */
  severity: 'error' | 'warning';
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
  'options-changed-differently': (c) => `both change the options of ${c.target}, differently; whichever runs last wins`,
  'index-twice': (c) => `both add or remove ${c.target}; the second fails`,
  'constraint-twice': (c) => `both add or remove ${c.target}; the second fails`,
  'same-table': (c) => `two different models get ${c.target}; the second fails: the table already exists`,
};

export const opsMessages = {
  clash: (app: string, c: ClashFacts) =>
    `app '${app}': ${c.left.migration} and ${c.right.migration} clash: ${c.left.label} (${c.left.path}:${c.left.line}) and ${c.right.label} (${c.right.path}:${c.right.line}): ` +
    `${(CLASH_WHY[c.reason] ?? ((x: ClashFacts) => `both act on ${x.target}`))(c)}. ` +
    (c.severity === 'error'
      ? 'A merge migration joins the graph, but `migrate` will not get past this.'
      : '`migrate` runs, but the result depends on which branch runs first.'),
  clashHint: (app: string, c: ClashFacts) =>
    c.severity === 'warning'
      ? `both run and the later one wins: after \`migcheck merge --app ${app}\`, run \`makemigrations --check\` and, if ${c.target} is not what you want, add a migration that sets it (or rebase one branch on the other: \`migcheck rebase --app ${app}\`)`
      : `make one branch build on the other: rebase it (\`migcheck rebase --app ${app} --force\`) and drop or rewrite ${c.right.label} in ${c.right.migration} (or ${c.left.label} in ${c.left.migration}), then run \`makemigrations --check\``,
  irreversible: (app: string, name: string, file: string, line: number, kind: string, missing: string, via: string | null) =>
    `${app}.${name}: ${kind}${via ? ` inside ${via}'s database_operations` : ''} has no ${missing} (${file}:${line}), so this new migration cannot be unapplied: rolling it back (\`migrate ${app} <earlier>\`) stops with IrreversibleError`,
  mergeClash: (app: string, count: number) =>
    `refusing to merge app '${app}': its branches clash on ${count === 1 ? 'an operation' : `${count} operations`} (see the operation-clash findings of \`migcheck check\`); a merge migration would only join the graph, and \`migrate\` would fail later`,
  mergeClashWarning: (message: string) => `warning: ${message}`,
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

/** The `no-migrations` warning: a Django project in which migcheck found nothing to check. */
export const layoutMessages = {
  noMigrations: (manage: string, settings: readonly string[]) =>
    `${manage} makes this a Django project, but migcheck found no migrations in it: it looked for folders named \`migrations\` in apps` +
    (settings.length ? ` and for MIGRATION_MODULES in ${list(settings)}` : ' (no settings module could be read from manage.py\'s DJANGO_SETTINGS_MODULE)') +
    ', so nothing was checked',
  noMigrationsHint: () =>
    'point migcheck at the migrations: set "migrationModules" in migcheck.config.json (for example {"migrationModules": {"shop": "shop.db_migrations"}}, as Django\'s MIGRATION_MODULES), or check "include"/"exclude" there',
} as const;

// ---------------------------------------------------------------------------------------------
// config with conflict markers, mid-merge (src/io/config-fallback.ts)

const CONFIG_VERSION = {
  ours: 'our side of the merge (index stage 2)',
  theirs: 'the side being merged in (index stage 3)',
  head: 'the last commit (HEAD)',
} as const;

export const configMessages = {
  sidesAgree: (file: string) => `${file} has conflict markers; both sides agree on its "migcheck" key: using it`,
  usingVersion: (file: string, which: keyof typeof CONFIG_VERSION) => `${file} has conflict markers; using its version from ${CONFIG_VERSION[which]} until the conflict is resolved`,
  goingOnWithout: (file: string) => `${file} has conflict markers and no version of it reads as JSON; going on without it until the conflict is resolved`,
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
