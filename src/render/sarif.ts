import type { Report } from '../api.js';

/** Every finding code with its severity and what it means: the SARIF rules. */
export const RULES: ReadonlyArray<{ id: string; level: 'error' | 'warning'; text: string }> = [
  { id: 'multiple-leaves', level: 'error', text: 'An app has more than one leaf migration: Django refuses to migrate.' },
  { id: 'duplicate-number', level: 'warning', text: 'Two migrations of one app share a number.' },
  { id: 'missing-dependency', level: 'error', text: 'A dependency or run_before names a migration that does not exist.' },
  { id: 'circular-dependency', level: 'error', text: 'Migrations depend on each other in a cycle.' },
  { id: 'parse-error', level: 'error', text: 'A migration cannot be read statically, or has no Migration class.' },
  { id: 'duplicate-label', level: 'error', text: 'Two migrations folders claim one app label in one project.' },
  { id: 'not-a-package', level: 'warning', text: 'A migrations folder without __init__.py: Django ignores it.' },
  { id: 'branch-conflict', level: 'error', text: 'Merging this branch with a target would create multiple leaves.' },
  { id: 'operation-clash', level: 'error', text: 'Sibling migrations touch the same model, field or table incompatibly.' },
  { id: 'irreversible', level: 'warning', text: 'RunPython without reverse_code, or RunSQL without reverse_sql.' },
  { id: 'stale-lockfile', level: 'error', text: 'max_migration.txt disagrees with the migration graph.' },
  { id: 'applied-missing', level: 'error', text: 'The database applied a migration the code no longer has.' },
  { id: 'inconsistent-history', level: 'error', text: 'A migration is applied before its dependency.' },
  { id: 'schema-conflict', level: 'error', text: "A pending migration meets the database's tables: what it creates exists, or what it changes is missing." },
];

/** SARIF 2.1.0 for code scanning: one run, a rule per finding code, a result per finding. */
export function renderSarif(report: Report, version: string): string {
  const index = new Map(RULES.map((r, i) => [r.id, i] as const));
  const rules = RULES.map((r) => ({
    id: r.id,
    name: r.id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
    shortDescription: { text: r.text },
    defaultConfiguration: { level: r.level },
  }));
  const results = report.findings.map((f) => {
    const result: Record<string, unknown> = {
      ruleId: f.code,
      level: f.severity === 'error' ? 'error' : 'warning',
      message: { text: f.hint ? `${f.message} Fix: ${f.hint}` : f.message },
    };
    if (index.has(f.code)) result.ruleIndex = index.get(f.code);
    if (f.file) {
      result.locations = [
        {
          physicalLocation: {
            artifactLocation: { uri: encodeURI(f.file), uriBaseId: '%SRCROOT%' },
            ...(f.line ? { region: { startLine: f.line } } : {}),
          },
        },
      ];
    }
    if (f.app) result.properties = { app: f.app, migrations: f.migrations, ...(f.parent ? { parent: f.parent } : {}) };
    return result;
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'migcheck', version, informationUri: 'https://www.npmjs.com/package/migcheck', rules } },
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The repository root.' } } },
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
