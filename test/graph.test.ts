import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyze } from '../src/core/findings.js';
import { buildGraph, findCycles, type MigrationInput } from '../src/core/graph.js';
import { findMigrationDirs, moduleName, otherFolderNames } from '../src/core/layout.js';
import { dirInfo } from '../src/core/scope.js';
import { compareStrings } from '../src/core/order.js';
import type { DependencyRef, ParsedMigration } from '../src/core/types.js';

type Ref = [string, string] | { swappable: string };
const ref = (r: Ref, line = 1): DependencyRef =>
  Array.isArray(r) ? { app: r[0], name: r[1], line } : { app: '', name: '__first__', swappable: r.swappable, line };

function mig(app: string, name: string, deps: Ref[] = [], extra: { replaces?: Ref[]; runBefore?: Ref[] } = {}): MigrationInput {
  const parsed: ParsedMigration = {
    hasMigrationClass: true,
    classLine: 5,
    dependencies: deps.map((d) => ref(d)),
    replaces: (extra.replaces ?? []).map((d) => ref(d)),
    runBefore: (extra.runBefore ?? []).map((d) => ref(d)),
    initial: null,
    atomic: null,
    operations: [],
    error: null,
  };
  return { app, name, path: `${app}/migrations/${name}.py`, parsed };
}

const leaves = (ms: MigrationInput[], app: string) => buildGraph(ms).leafNodes(app).map((n) => n.name);
const roots = (ms: MigrationInput[], app: string) => buildGraph(ms).rootNodes(app).map((n) => n.name);

test('a chain has one leaf', () => {
  const ms = [mig('a', '0001_i'), mig('a', '0002_x', [['a', '0001_i']]), mig('a', '0003_y', [['a', '0002_x']])];
  assert.equal(leaves(ms, 'a'), ['0003_y']);
});

test('siblings on one parent are two leaves', () => {
  const ms = [mig('a', '0001_i'), mig('a', '0002_x', [['a', '0001_i']]), mig('a', '0002_y', [['a', '0001_i']])];
  assert.equal(leaves(ms, 'a'), ['0002_x', '0002_y']);
});

test('run_before makes this migration a parent of the target, removing a leaf', () => {
  const ms = [
    mig('a', '0001_i'),
    mig('a', '0002_x', [['a', '0001_i']], { runBefore: [['a', '0002_y']] }),
    mig('a', '0002_y', [['a', '0001_i']]),
  ];
  assert.equal(leaves(ms, 'a'), ['0002_y']);
});

test('same-app __first__ is skipped, which makes a second root', () => {
  const ms = [mig('a', '0001_i'), mig('a', '0002_x', [['a', '__first__']])];
  assert.equal(roots(ms, 'a'), ['0001_i', '0002_x']);
});

test('same-app __latest__ is not skipped: it is a missing node', () => {
  const g = buildGraph([mig('a', '0001_i'), mig('a', '0002_x', [['a', '__latest__']])]);
  assert.equal(g.missingNodes().map((n) => n.name), ['__latest__']);
});

test('cross-app __first__ and __latest__ resolve to the first root and first leaf', () => {
  const ms = [
    mig('a', '0001_i'),
    mig('a', '0002_x', [['a', '0001_i']]),
    mig('a', '0002_y', [['a', '0001_i']]),
    mig('b', '0001_i', [['a', '__latest__']]),
    mig('b', '0002_j', [['b', '0001_i'], ['a', '__first__']]),
  ];
  const g = buildGraph(ms);
  assert.equal([...g.get('b', '0001_i')!.parents].map((n) => n.name), ['0002_x']);
  assert.equal([...g.get('b', '0002_j')!.parents].map((n) => `${n.app}.${n.name}`).sort(), ['a.0001_i', 'b.0001_i']);
});

test('__latest__ is resolved before squashes are applied (the squash counts as a leaf)', () => {
  const ms = [
    mig('a', '0001_i'),
    mig('a', '0002_x', [['a', '0001_i']]),
    mig('a', '0001_squashed_0002_x', [], { replaces: [['a', '0001_i'], ['a', '0002_x']] }),
    mig('b', '0001_i', [['a', '__latest__']]),
  ];
  const g = buildGraph(ms);
  assert.equal([...g.get('b', '0001_i')!.parents].map((n) => n.name), ['0001_squashed_0002_x']);
});

test('swappable dependency resolves through settings, external app ignored', () => {
  const g = buildGraph([mig('a', '0001_i', [{ swappable: 'AUTH_USER_MODEL' }])]);
  assert.equal(g.missingNodes(), []);
  const g2 = buildGraph([mig('accounts', '0001_i'), mig('a', '0001_i', [{ swappable: 'AUTH_USER_MODEL' }])], {
    settings: { AUTH_USER_MODEL: 'accounts.User' },
  });
  assert.equal([...g2.get('a', '0001_i')!.parents].map((n) => `${n.app}.${n.name}`), ['accounts.0001_i']);
});

test('squash with the replaced files: edges move to the squash', () => {
  const ms = [
    mig('a', '0001_i'),
    mig('a', '0002_x', [['a', '0001_i']]),
    mig('a', '0001_squashed_0002_x', [], { replaces: [['a', '0001_i'], ['a', '0002_x']] }),
    mig('a', '0003_y', [['a', '0002_x']]),
  ];
  const g = buildGraph(ms);
  assert.equal(g.appNodes('a').map((n) => n.name).sort(compareStrings), ['0001_squashed_0002_x', '0003_y']);
  assert.equal(g.leafNodes('a').map((n) => n.name), ['0003_y']);
  assert.equal(g.missingNodes(), []);
});

test('squash without the replaced files: a dependency on a replaced name is remapped', () => {
  const ms = [
    mig('a', '0001_squashed_0002_x', [], { replaces: [['a', '0001_i'], ['a', '0002_x']] }),
    mig('a', '0003_y', [['a', '0002_x']]),
  ];
  const g = buildGraph(ms);
  assert.equal(g.missingNodes(), []);
  assert.equal(g.leafNodes('a').map((n) => n.name), ['0003_y']);
});

test('a missing parent is reported with the file and line of the reference', () => {
  const { findings } = analyze(
    findMigrationDirs(['a/migrations/__init__.py', 'a/migrations/0001_i.py', 'a/migrations/0002_x.py']),
    new Map([
      ['a/migrations/0001_i.py', mig('a', '0001_i').parsed],
      ['a/migrations/0002_x.py', { ...mig('a', '0002_x').parsed, dependencies: [ref(['a', '0001_missing'], 9)] }],
    ]),
  );
  const f = findings.find((x) => x.code === 'missing-dependency')!;
  assert.is(f.file, 'a/migrations/0002_x.py');
  assert.is(f.line, 9);
  assert.is(f.parent, 'a.0001_missing');
});

test('a cycle is found and walked in order', () => {
  const g = buildGraph([mig('a', '0001_i', [['a', '0002_x']]), mig('a', '0002_x', [['a', '0001_i']])]);
  const cycles = findCycles(g);
  assert.is(cycles.length, 1);
  assert.equal(cycles[0].map((n) => n.name), ['0001_i', '0002_x']);
});

test('multiple-leaves names the common parent', () => {
  const paths = ['a/migrations/__init__.py', ...['0001_i', '0002_p', '0003_x', '0003_y', '0004_x2'].map((n) => `a/migrations/${n}.py`)];
  const parsed = new Map([
    ['a/migrations/0001_i.py', mig('a', '0001_i').parsed],
    ['a/migrations/0002_p.py', mig('a', '0002_p', [['a', '0001_i']]).parsed],
    ['a/migrations/0003_x.py', mig('a', '0003_x', [['a', '0002_p']]).parsed],
    ['a/migrations/0003_y.py', mig('a', '0003_y', [['a', '0002_p']]).parsed],
    ['a/migrations/0004_x2.py', mig('a', '0004_x2', [['a', '0003_x']]).parsed],
  ]);
  const { findings, apps } = analyze(findMigrationDirs(paths), parsed);
  const f = findings.find((x) => x.code === 'multiple-leaves')!;
  assert.equal(f.migrations, ['0003_y', '0004_x2']);
  assert.is(f.parent, '0002_p');
  assert.equal(apps[0].leaves, ['0003_y', '0004_x2']);
  assert.ok(findings.some((x) => x.code === 'duplicate-number' && x.severity === 'warning'));
});

test('module names follow pkgutil.iter_modules and Django', () => {
  assert.equal(moduleName('0001_initial.py'), { name: '0001_initial', compiled: false });
  assert.equal(moduleName('0005-hyphen.py'), { name: '0005-hyphen', compiled: false });
  assert.is(moduleName('0004.foo.py'), null);
  assert.is(moduleName('_helpers.py'), null);
  assert.is(moduleName('~0003.py'), null);
  assert.is(moduleName('__init__.py'), null);
  assert.is(moduleName('README.md'), null);
  assert.equal(moduleName('0002_x.pyc'), { name: '0002_x', compiled: true });
});

test('projects are scoped by the nearest manage.py', () => {
  const dirs = findMigrationDirs(['one/manage.py', 'one/blog/migrations/__init__.py', 'two/blog/migrations/__init__.py', 'two/blog/migrations/sub/0001.py']);
  assert.equal(dirs.map((d) => [d.dir, d.project]), [['one/blog/migrations', 'one'], ['two/blog/migrations', '']]);
  assert.equal(dirs[1].modules, []);
});

test('a reference to a same-named migration of the app next door does not relabel a folder', () => {
  const paths = ['shop/migrations/__init__.py', 'shop/migrations/0001_initial.py', 'shop/migrations/0002_x.py', 'reviews/migrations/__init__.py', 'reviews/migrations/0001_initial.py'];
  const parsed = new Map([
    ['shop/migrations/0001_initial.py', mig('shop', '0001_initial').parsed],
    ['shop/migrations/0002_x.py', mig('shop', '0002_x', [['shop', '__first__'], ['reviews', '0001_initial']]).parsed],
    ['reviews/migrations/0001_initial.py', mig('reviews', '0001_initial').parsed],
  ]);
  const { apps, findings } = analyze(findMigrationDirs(paths), parsed);
  assert.equal(apps.map((a) => a.label), ['reviews', 'shop']);
  assert.not.ok(findings.some((f) => f.code === 'duplicate-label'));
  // `branches` remembers each folder's label on its own (by tree id): the same rule applies there.
  const dirs = findMigrationDirs(paths);
  const othersOf = otherFolderNames(dirs);
  assert.equal(dirs.map((d) => dirInfo(d, parsed, {}, {}, othersOf(d)).app.split('\0')[1]), ['reviews', 'shop']);
  assert.equal([...othersOf(dirs[1])], ['reviews']);
  // wagtail keeps `wagtailcore` in `wagtail/migrations`: no other folder is called wagtailcore.
  const wagtail = ['wagtail/migrations/__init__.py', 'wagtail/migrations/0001_initial.py', 'wagtail/migrations/0002_x.py'];
  const w = analyze(findMigrationDirs(wagtail), new Map([
    ['wagtail/migrations/0001_initial.py', mig('wagtailcore', '0001_initial').parsed],
    ['wagtail/migrations/0002_x.py', mig('wagtailcore', '0002_x', [['wagtailcore', '0001_initial']]).parsed],
  ]));
  assert.equal(w.apps.map((a) => a.label), ['wagtailcore']);
});

test('code point order, not UTF-16 order', () => {
  assert.ok(compareStrings('\u{1F600}', '\uFFFD') > 0);
  assert.ok(compareStrings('a', 'B') > 0);
  assert.ok(compareStrings('0002', '0002_a') < 0);
});

test('forwards_plan terminates on a cycle and is Django\'s order otherwise', () => {
  const cyclic = buildGraph([mig('a', '0001_i', [['a', '0002_x']]), mig('a', '0002_x', [['a', '0001_i']])]);
  assert.is(cyclic.forwardsPlan(cyclic.get('a', '0002_x')!).length, 2);
  const g = buildGraph([
    mig('a', '0001_i'),
    mig('b', '0001_i'),
    mig('a', '0002_x', [['a', '0001_i'], ['b', '0001_i']]),
  ]);
  // Parents are pushed sorted, so the last in sorted order (b) is walked first.
  assert.equal(g.forwardsPlan(g.get('a', '0002_x')!).map((n) => `${n.app}.${n.name}`), ['b.0001_i', 'a.0001_i', 'a.0002_x']);
});

test.run();
