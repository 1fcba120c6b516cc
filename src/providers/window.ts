/** The `health` window: the last `days` UTC days, today included (today is partial). */
import type { DeliveryWindow } from './types.js';

export function healthWindow(days: number, now: Date): DeliveryWindow {
  const today = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`);
  return { from: new Date(today - (days - 1) * 86_400_000), to: now, days };
}

/** Every UTC day of the window, oldest first, as `YYYY-MM-DD`. */
export function windowDates(w: DeliveryWindow): string[] {
  const out: string[] = [];
  const last = w.to.toISOString().slice(0, 10);
  for (let t = Date.parse(`${w.from.toISOString().slice(0, 10)}T00:00:00Z`); out.length < 400; t += 86_400_000) {
    const d = new Date(t).toISOString().slice(0, 10);
    out.push(d);
    if (d >= last) break;
  }
  return out;
}
