/**
 * The apply loop of every writer that writes one change at a time (Cloudflare, ResellerClub, the
 * zone-file host): changes in order; before each write the change's name is re-read (all types) and
 * must hold what the plan saw plus what this apply wrote there, else the change — and every later
 * change at that name — is a HOST_CONFLICT and nothing is written there; other names go ahead. A
 * hard failure stops the loop, and the report says exactly what was applied, refused, failed and
 * never attempted. Atomic hosts (Route 53, RFC 2136) build their own report.
 */
import { MailsetupError } from '../errors.js';
import { expectedAt, hostConflict, nameOf, pinDiff } from './pin.js';
import type { ApplyReport, HostChange, HostRecord } from './types.js';

export const emptyReport = (): ApplyReport => ({ applied: [], failed: null, skipped: [], conflicts: [] });

export interface PinnedIo {
  /** Every record at `name` (all types), as the host holds it now. */
  read(name: string): Promise<HostRecord[]>;
  /** Write one change. A host-side precondition that fails throws HOST_CONFLICT. */
  write(change: HostChange): Promise<void>;
}

export async function applySequentially(changes: HostChange[], io: PinnedIo): Promise<ApplyReport> {
  const report = emptyReport();
  const refused = new Map<string, MailsetupError>();
  for (const [i, change] of changes.entries()) {
    const name = nameOf(change);
    const earlier = refused.get(name);
    if (earlier) { report.conflicts.push({ change, error: earlier }); continue; }
    try {
      const diff = pinDiff(expectedAt(change.seen, report.applied.filter((a) => nameOf(a) === name)), await io.read(name));
      if (diff) throw hostConflict(name, diff);
      await io.write(change);
      report.applied.push(change);
    } catch (e) {
      if (e instanceof MailsetupError && e.code === 'HOST_CONFLICT') {
        refused.set(name, e);
        report.conflicts.push({ change, error: e });
        continue;
      }
      report.failed = { change, error: e instanceof Error ? e : new Error(String(e)) };
      report.skipped = changes.slice(i + 1);
      break;
    }
  }
  return report;
}
