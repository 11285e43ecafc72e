// Random trees whose app folders are not named after their labels: each label is declared only in
// the app's apps.py (`name = "pkg_<label>"`, `label = "<label>"`), as wagtail does. Django 3.2,
// with the same labels and migrations modules, is the oracle: migcheck must read the labels from
// apps.py and agree with it on every tree.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkMany } from './helpers/check-many.js';
import { describeBoth, disagreement } from './helpers/compare.js';
import { djangoVerdicts, requireDjango } from './helpers/django.js';
import { gitAsync, inPool, removeDir, tempDir } from './helpers/repo.js';
import { oracleTree, randomTreeSpec, writeTree, type TreeSpec } from './helpers/trees.js';

const COUNT = Number(process.env.MIGCHECK_LAYOUT_COUNT ?? 40);

/** The seed's tree with every app moved to `pkg_<label>/` and its label given in apps.py. */
function relabelled(seed: number): TreeSpec {
  const spec = randomTreeSpec(seed);
  const files: Record<string, string> = { ...(spec.files ?? {}) };
  const apps = spec.apps.map((app) => {
    const pkg = `pkg_${app.label}`;
    files[`${pkg}/apps.py`] = `from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = "${pkg}"\n    label = "${app.label}"\n`;
    return { ...app, dir: `${pkg}/migrations` };
  });
  return { ...spec, apps, files };
}

let base = '';
test.after(() => base && removeDir(base));

test(`labels from apps.py agree with Django on ${COUNT} random trees whose folders are not their labels`, async () => {
  requireDjango();
  base = tempDir('migcheck-layout-oracle-');
  const trees = Array.from({ length: COUNT }, (_, i) => {
    const root = join(base, `seed-${i + 1}`);
    const spec = relabelled(i + 1);
    writeTree(root, spec);
    return { seed: i + 1, root, spec };
  });
  await inPool(trees, 4, (t) => gitAsync(t.root, ['init', '-q', '-b', 'main']).then(() => undefined));
  const verdicts = await djangoVerdicts(trees.map((t) => oracleTree(t.root, t.spec)));
  const outcomes = await checkMany(trees.map((t) => t.root));
  const wrong: string[] = [];
  trees.forEach((t, i) => {
    const o = outcomes[i];
    if (!o.report) return void wrong.push(`seed ${t.seed}: ${o.error}`);
    const labels = o.report.apps.map((a) => a.label).sort();
    const expected = t.spec.apps.filter((a) => a.migrations.length).map((a) => a.label).sort();
    const why = disagreement(o.report, verdicts[i]) ?? (labels.every((l) => expected.includes(l)) ? null : `labels ${labels} not ${expected}`);
    if (why) wrong.push(`seed ${t.seed}: ${why}\n${describeBoth(o.report, verdicts[i])}`);
  });
  assert.equal(wrong, [], wrong.slice(0, 3).join('\n'));
});

test.run();
