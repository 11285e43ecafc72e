// The equivalence between migcheck's JSON report (DESIGN §6) and Django's verdict on one tree.
import type { Verdict } from './django.js';

export interface FindingLike {
  code: string;
  severity: string;
  app: string | null;
  migrations: string[];
  message?: string;
  file?: string | null;
  line?: number | null;
  /** `branch-conflict` findings: what the merge breaks. */
  cause?: string;
}

export interface ReportLike {
  version: number;
  apps: { label: string; path: string; migrations: number; leaves: string[] }[];
  findings: FindingLike[];
  summary: { errors: number; warnings: number };
}

/** The one thing both sides must agree on, in the order Django finds it. */
export type Outcome = 'parse-error' | 'missing-dependency' | 'circular-dependency' | 'ok' | `django:${string}`;

const IMPORT_FAILURES = new Set(['BadMigrationError', 'SyntaxError', 'IndentationError', 'TabError']);

/**
 * Django stops at the first problem, in this order: loading modules (BadMigrationError,
 * SyntaxError), then missing nodes (validate_consistency), then cycles (ensure_not_cyclic).
 */
export function djangoOutcome(v: Verdict): Outcome {
  if (!v.error) return 'ok';
  if (IMPORT_FAILURES.has(v.error.type)) return 'parse-error';
  if (v.error.type === 'NodeNotFoundError') return 'missing-dependency';
  if (v.error.type === 'CircularDependencyError') return 'circular-dependency';
  return `django:${v.error.type}`;
}

/** migcheck reports every problem at once; read its findings with Django's precedence. */
export function ourOutcome(report: ReportLike): Outcome {
  const codes = new Set(report.findings.map((f) => f.code));
  if (codes.has('parse-error')) return 'parse-error';
  if (codes.has('missing-dependency')) return 'missing-dependency';
  if (codes.has('circular-dependency')) return 'circular-dependency';
  return 'ok';
}

/** The `multiple-leaves` findings as Django's detect_conflicts() shape: app -> sorted leaves. */
export function ourConflicts(report: ReportLike): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of report.findings) {
    if (f.code !== 'multiple-leaves' || !f.app) continue;
    out[f.app] = [...(out[f.app] ?? []), ...f.migrations].sort(byCodePoint);
  }
  return sortKeys(out);
}

export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortKeys(o: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.keys(o).sort(byCodePoint).map((k) => [k, [...o[k]].sort(byCodePoint)]));
}

/** The exit code DESIGN §5 promises for this report: 1 with error findings, else 0. */
export function expectedExitCode(report: ReportLike): number {
  return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
}

/** null when migcheck and Django agree on the tree, else why not. */
export function disagreement(report: ReportLike, verdict: Verdict): string | null {
  const theirs = djangoOutcome(verdict);
  const ours = ourOutcome(report);
  if (theirs.startsWith('django:')) return `Django failed with ${verdict.error!.type}, which migcheck has no code for`;
  if (theirs !== ours) return `Django says ${theirs}, migcheck says ${ours}`;
  if (theirs !== 'ok') return null;
  const a = JSON.stringify(ourConflicts(report));
  const b = JSON.stringify(sortKeys(verdict.conflicts));
  return a === b ? null : `multiple-leaves differ: Django ${b}, migcheck ${a}`;
}

/** Both verdicts, short enough to read in a failing test. */
export function describeBoth(report: ReportLike | null, verdict: Verdict): string {
  const django = verdict.error
    ? `${verdict.error.type}: ${verdict.error.message}`
    : `conflicts ${JSON.stringify(verdict.conflicts)}, leaves ${JSON.stringify(verdict.leaves)}`;
  const ours = report
    ? report.findings.map((f) => `${f.severity} ${f.code} ${f.app ?? ''} [${f.migrations.join(', ')}]`).join('; ') ||
      'no findings'
    : 'no report';
  return `  Django:   ${django}\n  migcheck: ${ours}`;
}
