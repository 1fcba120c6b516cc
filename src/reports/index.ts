/**
 * The reports analysis, offline: read the inputs and analyse them, with the live `_dmarc` records
 * and the state given (no DNS, no state file read). Returns the full analysis (per-day maps, the
 * parsed reports), not the `--json` document: the package's `reports()` — the document `mailsetup
 * reports --json` prints, reading DNS like the CLI — is in src/lib/insights.ts (core/reports.ts).
 */
import { analyze, type ReportsDocument } from './analyze.js';
import { readInputs } from './read.js';
import type { StateFile } from '../state/schema.js';
import type { Thresholds } from './readiness.js';

export interface ReportsOptions {
  /** Window length in seconds (default 30 days). */
  sinceSeconds?: number;
  /** End of the window (default now). */
  to?: Date;
  domains?: string[];
  state?: StateFile | null;
  live?: Map<string, string | null>;
  thresholds?: Partial<Thresholds>;
  strict?: boolean;
}

export async function reports(paths: string[], options: ReportsOptions = {}): Promise<ReportsDocument> {
  const read = await readInputs(paths);
  return analyze(read, {
    now: options.to ?? new Date(),
    sinceSeconds: options.sinceSeconds ?? 30 * 86_400,
    domains: options.domains,
    state: options.state ?? null,
    live: options.live,
    thresholds: options.thresholds,
    strict: options.strict,
  });
}

export type { ReportsDocument, DomainAnalysis, Source, SourceClass } from './analyze.js';
export type { Readiness, Verdict, Thresholds } from './readiness.js';
