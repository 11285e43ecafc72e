// Named migration-graph shapes, each committed to a real repository and judged twice: by the real
// `migcheck check --format json` and by Django 3.2's MigrationLoader. They must agree. Django 4.2
// and 5.2 then judge every shape too, and must say what 3.2 says (docs/django-versions.md).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  describeBoth,
  disagreement,
  djangoOutcome,
  expectedExitCode,
  type Outcome,
  type ReportLike,
} from './helpers/compare.js';
import { djangoRelease, djangoVerdicts, DJANGO_SERIES, requireDjango, type Verdict } from './helpers/django.js';
import { commitAll, makeRepo, parseJsonReport, removeDir, runCli } from './helpers/repo.js';
import { migrationSource as migrationText, oracleTree, writeTree, type MigrationSpec, type TreeSpec } from './helpers/trees.js';

interface Shape {
  spec: TreeSpec;
  /** What Django 3.2 says, written down so that a change in the oracle shows up too. */
  django: Outcome | Record<string, string[]>;
  /** Anything else Django must say about this shape. */
  djangoAlso?: (verdict: Verdict) => void;
  /** Anything else migcheck must say about this shape. */
  also?: (report: ReportLike) => void;
}

const chain = (app: string, names: string[], from?: string): MigrationSpec[] =>
  names.map((name, i) => {
    const parent = i === 0 ? from : names[i - 1];
    return { name, deps: parent ? [[app, parent] as const] : [] };
  });
const on = (app: string, name: string, ...parents: string[]): MigrationSpec => ({
  name,
  deps: parents.map((p) => [app, p] as const),
});

const NOT_A_MIGRATION = `"""Helpers shared by data migrations."""


def forwards(apps, schema_editor):
    pass
`;

const SHAPES: Record<string, Shape> = {
  linear: {
    spec: { apps: [{ label: 'blog', migrations: chain('blog', ['0001_initial', '0002_post_body', '0003_post_slug']) }] },
    django: 'ok',
  },
  'two siblings': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [on('blog', '0001_initial'), on('blog', '0002_post_body', '0001_initial'), on('blog', '0002_post_slug', '0001_initial')],
        },
      ],
    },
    django: { blog: ['0002_post_body', '0002_post_slug'] },
  },
  'three siblings': {
    spec: {
      apps: [
        {
          label: 'shop',
          migrations: [
            on('shop', '0001_initial'),
            on('shop', '0002_product_price', '0001_initial'),
            on('shop', '0002_product_sku', '0001_initial'),
            on('shop', '0002_remove_product_stock', '0001_initial'),
          ],
        },
      ],
    },
    django: { shop: ['0002_product_price', '0002_product_sku', '0002_remove_product_stock'] },
  },
  'uneven branches': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [
            ...chain('blog', ['0001_initial', '0002_a', '0003_a1', '0004_a2', '0005_a3']),
            on('blog', '0002_b', '0001_initial'),
          ],
        },
      ],
    },
    django: { blog: ['0002_b', '0005_a3'] },
  },
  'conflict already merged': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [
            on('blog', '0001_initial'),
            on('blog', '0002_post_body', '0001_initial'),
            on('blog', '0002_post_slug', '0001_initial'),
            { ...on('blog', '0003_merge_0002_post_body_0002_post_slug', '0002_post_body', '0002_post_slug'), ops: '' },
          ],
        },
      ],
    },
    django: 'ok',
  },
  'squash with the replaced files': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [
            ...chain('blog', ['0001_initial', '0002_post_body', '0003_post_slug', '0004_post_tags', '0005_post_author']),
            {
              name: '0001_squashed_0004_post_tags',
              replaces: ['0001_initial', '0002_post_body', '0003_post_slug', '0004_post_tags'].map((n) => ['blog', n] as const),
            },
          ],
        },
      ],
    },
    django: 'ok',
  },
  'squash without the replaced files': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [
            {
              name: '0001_squashed_0004_post_tags',
              replaces: ['0001_initial', '0002_post_body', '0003_post_slug', '0004_post_tags'].map((n) => ['blog', n] as const),
            },
            // Still names the deleted 0004: Django re-points it at the squash.
            on('blog', '0005_post_author', '0004_post_tags'),
          ],
        },
        // Another app still depending on a replaced migration that is gone.
        { label: 'shop', migrations: [{ name: '0001_initial', deps: [['blog', '0002_post_body']] }] },
      ],
    },
    django: 'ok',
  },
  'squash replaces a leaf': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [
            ...chain('blog', ['0001_initial', '0002_post_body', '0003_post_slug']),
            // A sibling of the squashed leaf: its parent is replaced too, so it hangs off the squash.
            on('blog', '0003_post_tags', '0002_post_body'),
            {
              name: '0001_squashed_0003_post_slug',
              replaces: ['0001_initial', '0002_post_body', '0003_post_slug'].map((n) => ['blog', n] as const),
            },
          ],
        },
      ],
    },
    django: 'ok',
  },
  'run_before removes a leaf': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [
            on('blog', '0001_initial'),
            { ...on('blog', '0002_post_body', '0001_initial'), runBefore: [['blog', '0002_post_slug']] },
            on('blog', '0002_post_slug', '0001_initial'),
          ],
        },
      ],
    },
    django: 'ok',
  },
  'same-app __first__ makes a second root': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [on('blog', '0001_initial'), on('blog', '0002_post_body', '0001_initial'), on('blog', '0002_post_slug', '__first__')],
        },
      ],
    },
    django: { blog: ['0002_post_body', '0002_post_slug'] },
  },
  'cross-app __first__ and __latest__': {
    spec: {
      apps: [
        { label: 'blog', migrations: chain('blog', ['0001_initial', '0002_post_body', '0003_post_slug']) },
        {
          label: 'shop',
          migrations: [
            { name: '0001_initial', deps: [['blog', '__first__']] },
            { name: '0002_product_post', deps: [['shop', '0001_initial'], ['blog', '__latest__']] },
            { name: '0002_product_price', deps: [['shop', '0001_initial'], ['blog', '0002_post_body']] },
          ],
        },
      ],
    },
    django: { shop: ['0002_product_post', '0002_product_price'] },
  },
  'swappable dependency': {
    spec: {
      apps: [
        {
          label: 'accounts',
          migrations: [
            { name: '0001_initial', deps: [{ swappable: 'AUTH_USER_MODEL' }] },
            { name: '0002_profile_avatar', deps: [['accounts', '0001_initial'], { swappable: 'AUTH_USER_MODEL' }, ['auth', '0012_alter_user_first_name_max_length']] },
          ],
        },
      ],
      settings: { AUTH_USER_MODEL: 'auth.User' },
    },
    django: 'ok',
  },
  'label differs from the folder name': {
    spec: {
      apps: [
        {
          label: 'wagtailcore',
          dir: 'wagtail/migrations',
          migrations: [
            on('wagtailcore', '0001_initial'),
            on('wagtailcore', '0002_page_title', '0001_initial'),
            on('wagtailcore', '0002_page_slug', '0001_initial'),
          ],
        },
      ],
    },
    django: { wagtailcore: ['0002_page_slug', '0002_page_title'] },
  },
  'private, temporary and nested modules are not migrations': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: chain('blog', ['0001_initial', '0002_post_body']),
          extraFiles: {
            // Each would be a second leaf (or a BadMigrationError) if Django loaded it.
            '_helpers.py': NOT_A_MIGRATION,
            '~0002_post_slug.py': migrationText(on('blog', '0002_post_slug', '0001_initial')),
            '0003.backup.py': migrationText(on('blog', '0003_backup', '0001_initial')),
            'old/__init__.py': '',
            'old/0002_old.py': migrationText(on('blog', '0002_old', '0001_initial')),
          },
        },
      ],
    },
    django: 'ok',
  },
  'migrations folder without __init__.py': {
    spec: {
      apps: [
        {
          label: 'blog',
          init: false,
          migrations: [on('blog', '0001_initial'), on('blog', '0002_post_body', '0001_initial'), on('blog', '0002_post_slug', '0001_initial')],
        },
        { label: 'shop', migrations: chain('shop', ['0001_initial', '0002_product_price']) },
      ],
    },
    django: 'ok',
    // Django imports the folder as a namespace package and treats the app as unmigrated.
    djangoAlso: (v) => assert.equal(v.nodes, [['shop', '0001_initial'], ['shop', '0002_product_price']]),
    also: (report) => {
      const warnings = report.findings.filter((f) => f.code === 'not-a-package');
      assert.is(warnings.length, 1, 'one not-a-package finding');
      assert.is(warnings[0].severity, 'warning');
      assert.match(warnings[0].file ?? '', 'blog/migrations');
      assert.is(report.summary.errors, 0);
    },
  },
  'missing parent': {
    spec: { apps: [{ label: 'blog', migrations: [on('blog', '0001_initial'), on('blog', '0002_post_body', '0001_missing')] }] },
    django: 'missing-dependency',
  },
  cycle: {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [
            on('blog', '0001_initial'),
            on('blog', '0002_post_body', '0001_initial', '0003_post_slug'),
            on('blog', '0003_post_slug', '0002_post_body'),
          ],
        },
      ],
    },
    django: 'circular-dependency',
  },
  'module without a Migration class': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [on('blog', '0001_initial')],
          extraFiles: { '0002_helpers.py': NOT_A_MIGRATION },
        },
      ],
    },
    django: 'parse-error',
  },
  'conflict markers left in a migration': {
    spec: {
      apps: [
        {
          label: 'blog',
          migrations: [on('blog', '0001_initial')],
          extraFiles: {
            '0002_post_body.py': migrationText(on('blog', '0002_post_body', '0001_initial')).replace(
              "        ('blog', '0001_initial'),\n",
              "<<<<<<< HEAD\n        ('blog', '0001_initial'),\n=======\n        ('blog', '0001_other'),\n>>>>>>> feature\n",
            ),
          },
        },
      ],
    },
    django: 'parse-error',
  },
  'many apps at once': manyApps(),
};

/** 10 apps, conflicts in 3 of them, cross-app dependencies in between. */
function manyApps(): Shape {
  const labels = ['accounts', 'billing', 'blog', 'catalog', 'inventory', 'orders', 'polls', 'reviews', 'shop', 'wiki'];
  const conflicted = new Set(['billing', 'orders', 'wiki']);
  const apps = labels.map((label, i) => {
    const migrations = chain(label, ['0001_initial', '0002_first_change', '0003_second_change']);
    if (i > 0) migrations[0].deps = [...migrations[0].deps!, [labels[i - 1], '0002_first_change']];
    if (conflicted.has(label)) migrations.push(on(label, '0003_other_change', '0002_first_change'));
    return { label, migrations };
  });
  const expected = Object.fromEntries([...conflicted].map((l) => [l, ['0003_other_change', '0003_second_change']]));
  return { spec: { apps }, django: expected };
}

// ---------------------------------------------------------------------------------------------

interface Prepared {
  repos: Map<string, string>;
  verdicts: Map<string, Verdict>;
}

let prepared: Promise<Prepared> | undefined;
const tempDirs: string[] = [];

/** Build every shape's repository and ask Django about all of them in one batch (once). */
function prepare(): Promise<Prepared> {
  prepared ??= (async () => {
    requireDjango();
    const repos = new Map<string, string>();
    for (const [name, shape] of Object.entries(SHAPES)) {
      const dir = makeRepo('migcheck-shape-');
      tempDirs.push(dir);
      repos.set(name, dir);
      writeTree(dir, shape.spec);
      commitAll(dir, name);
    }
    const names = Object.keys(SHAPES);
    const verdicts = await djangoVerdicts(names.map((n) => oracleTree(repos.get(n)!, SHAPES[n].spec)));
    return { repos, verdicts: new Map(names.map((n, i) => [n, verdicts[i]])) };
  })();
  return prepared;
}

const django = suite('Django 3.2 on each shape');
for (const [name, shape] of Object.entries(SHAPES)) {
  django(name, async () => {
    const { verdicts } = await prepare();
    const v = verdicts.get(name)!;
    if (typeof shape.django === 'string') {
      assert.is(djangoOutcome(v), shape.django, v.error ? `${v.error.type}: ${v.error.message}` : JSON.stringify(v));
    } else {
      assert.is(v.error, null, v.error ? `${v.error.type}: ${v.error.message}` : '');
      assert.equal(v.conflicts, shape.django);
    }
    shape.djangoAlso?.(v);
  });
}
django.run();

const later = suite('Django 4.2 and 5.2 on each shape: what 3.2 says');
for (const series of DJANGO_SERIES.filter((s) => s !== '3.2')) {
  later(`Django ${djangoRelease(series)}`, async () => {
    const { repos, verdicts } = await prepare();
    const names = Object.keys(SHAPES);
    const got = await djangoVerdicts(names.map((n) => oracleTree(repos.get(n)!, SHAPES[n].spec)), { django: series });
    const differ: string[] = [];
    names.forEach((name, i) => {
      const v = got[i];
      const before = verdicts.get(name)!;
      // The same outcome, conflicts, leaves and nodes (error messages may be worded differently).
      const facts = (x: Verdict) => JSON.stringify({ outcome: djangoOutcome(x), conflicts: x.conflicts, leaves: x.leaves, nodes: x.nodes });
      if (facts(v) !== facts(before)) differ.push(`${name}:\n  3.2: ${facts(before)}\n  ${series}: ${facts(v)}${v.error ? `\n  ${v.error.type}: ${v.error.message}` : ''}`);
      else SHAPES[name].djangoAlso?.(v);
    });
    assert.equal(differ, [], differ.join('\n'));
  });
}
later.run();

const agree = suite('migcheck check agrees with Django');
for (const [name, shape] of Object.entries(SHAPES)) {
  agree(name, async () => {
    const { repos, verdicts } = await prepare();
    const verdict = verdicts.get(name)!;
    const result = runCli(['check', '--format', 'json'], { cwd: repos.get(name)! });
    const report = parseJsonReport<ReportLike>(result);
    assert.is(report.version, 1);
    const why = disagreement(report, verdict);
    assert.ok(why === null, `${name}: ${why}\n${describeBoth(report, verdict)}\nstderr: ${result.stderr}`);
    assert.is(result.code, expectedExitCode(report), `exit code\n${describeBoth(report, verdict)}`);
    shape.also?.(report);
  });
}
agree.after(() => {
  tempDirs.forEach(removeDir);
});
agree.run();
