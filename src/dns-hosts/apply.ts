/**
 * The apply loop of every writer that writes one change at a time (Cloudflare, ResellerClub,
 * RFC 2136): changes in order, stop at the first failure, and report exactly what was applied,
 * what failed and what was never attempted. Route 53 sends atomic batches and builds its own report.
 */
import type { ApplyReport, HostChange } from './types.js';

export async function applySequentially(changes: HostChange[], applyOne: (change: HostChange) => Promise<void>): Promise<ApplyReport> {
  const report: ApplyReport = { applied: [], failed: null, skipped: [] };
  for (const [i, change] of changes.entries()) {
    try {
      await applyOne(change);
      report.applied.push(change);
    } catch (e) {
      report.failed = { change, error: e instanceof Error ? e : new Error(String(e)) };
      report.skipped = changes.slice(i + 1);
      break;
    }
  }
  return report;
}
