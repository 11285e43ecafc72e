import type { Report } from '../api.js';
import type { Io } from '../cli.js';
import { colorEnabled, paint } from '../render/color.js';
import { renderHuman } from '../render/human.js';
import { cachedReport } from '../io/report-cache.js';

export interface OutputOptions {
  format: 'human' | 'json' | 'github' | 'sarif';
  quiet?: boolean;
  strict?: boolean;
}

/** 0 when no error findings, 1 when there are (warnings count with --strict). */
export function exitCodeFor(report: Pick<Report, 'summary'>, strict = false): number {
  return report.summary.errors > 0 || (strict && report.summary.warnings > 0) ? 1 : 0;
}

/** The report in its format. Renderers other than the default are loaded when asked for. */
export async function writeReport(report: Report, options: OutputOptions, io: Io): Promise<void> {
  if (options.format === 'json') {
    io.stdout.write((await import('../render/json.js')).renderJson(report));
    return;
  }
  if (options.format === 'github') {
    io.stdout.write((await import('../render/github.js')).renderGithub(report));
    return;
  }
  if (options.format === 'sarif') {
    const [{ renderSarif }, { VERSION }] = await Promise.all([import('../render/sarif.js'), import('../version.js')]);
    io.stdout.write(renderSarif(report, VERSION));
    return;
  }
  const p = paint(colorEnabled(io.stdout.isTTY, io.env));
  io.stdout.write(renderHuman(report, p, { quiet: options.quiet }));
  if (report.against) {
    const count = (target: string) =>
      report.findings.filter((f) => f.code === 'branch-conflict' && (f as { target?: string }).target === target).length;
    const { renderPredictions } = await import('../render/predictions.js');
    io.stdout.write(renderPredictions(report.against, count, p, options.quiet));
  }
}

export async function checkCommand(
  options: OutputOptions & { staged?: boolean; ref?: string; against?: string[]; verbose?: boolean; all?: boolean },
  io: Io,
): Promise<number> {
  const started = performance.now();
  const against = (options.against ?? []).filter((t) => t !== '');
  // A report cached for exactly this state is answered without loading the parser and the graph.
  const probe = against.length || options.all ? null : await cachedReport({ cwd: io.cwd, staged: options.staged, ref: options.ref, env: io.env });
  const cached = probe?.report ?? null;
  const report =
    cached ??
    (await (await import('../api.js')).check({ cwd: io.cwd, staged: options.staged, ref: options.ref, against, prepared: probe?.prepared, allDuplicates: options.all }));
  await writeReport(report, options, io);
  if (options.verbose) {
    const migrations = report.apps.reduce((n, a) => n + a.migrations, 0);
    io.stderr.write(
      `migcheck: ${report.source}: ${report.apps.length} apps, ${migrations} migrations, ` +
        `${report.summary.errors} errors, ${report.summary.warnings} warnings in ${Math.round(performance.now() - started)} ms` +
        `${cached ? ' (report cache hit)' : ''}\n`,
    );
    for (const app of report.apps) io.stderr.write(`  ${app.label}  ${app.path}  ${app.migrations} migrations, leaves: ${app.leaves.join(', ')}\n`);
  }
  return exitCodeFor(report, options.strict);
}
