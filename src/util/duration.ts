import { MailsetupError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `10m`, `1h` (a bare number means seconds) → milliseconds; USAGE error otherwise. */
export function parseDuration(text: string, flag = '--timeout'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) {
    throw new MailsetupError('USAGE', `${flag}: "${text}" is not a duration`, { hint: 'Use a number with a unit: 500ms, 30s, 10m or 1h.' });
  }
  const ms = Number(m[1]) * UNITS[m[2] ?? 's']!;
  if (ms <= 0) throw new MailsetupError('USAGE', `${flag}: the duration must be positive`, { hint: 'Use a value such as 30s.' });
  return Math.round(ms);
}
