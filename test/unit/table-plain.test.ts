/** renderTable's borderless layout (`plain`), used by health, its history, warmup and the reports' sources. */
import { describe, expect, it } from 'vitest';
import { displayWidth, renderTable, type TableColumn } from '../../src/render/table.js';

const cols: TableColumn[] = [{ head: 'source', stack: 'title' }, { head: 'class', stack: 'title' }, { head: 'msgs', align: 'right' }, { head: 'pass', align: 'right' }];
const rows = [['Amazon SES (acme.test/abcdefgh…)', 'authorized', '3000', '100.0 %'], ['forwarded via 192.0.2.0/24', 'forwarder', '12', '0.0 %']];

describe('renderTable, plain', () => {
  it('no borders: columns two spaces apart under a header, figures right-aligned, no trailing spaces', () => {
    expect(renderTable(cols, rows, { width: 100, colorLevel: 0, plain: true })).toEqual([
      'source                            class       msgs     pass',
      'Amazon SES (acme.test/abcdefgh…)  authorized  3000  100.0 %',
      'forwarded via 192.0.2.0/24        forwarder     12    0.0 %',
    ]);
  });
  it('narrower than its natural width: cells wrap at spaces, every line within the width', () => {
    const out = renderTable(cols, rows, { width: 50, colorLevel: 0, plain: true });
    for (const l of out) expect(displayWidth(l)).toBeLessThanOrEqual(50);
    expect(out.join('\n')).toContain('(acme.test/abcdefgh…)');
    expect(out.some((l) => l.includes('─') || l.includes('│'))).toBe(false);
  });
  it('too narrow for the longest token: stacked, one block per row', () => {
    const out = renderTable(cols, rows, { width: 30, colorLevel: 0, plain: true });
    expect(out[0]).toBe('Amazon SES');
    expect(out).toContain('  msgs: 3000 · pass: 100.0 %');
  });
});
