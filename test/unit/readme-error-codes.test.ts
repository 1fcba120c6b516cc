/** Error codes are a contract too: each one is in the README's exit-code table, in its exit status's row. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { EXIT_BY_CODE } from '../../src/errors.js';

describe('README documents every error code with its exit status', () => {
  it('each code of src/errors.ts sits in the row of its exit status, and the table names no other code', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('\n## ', readme.indexOf('## Exit codes') + 1));
    const rows = new Map<string, number>();
    for (const m of section.matchAll(/^\| (\d+) \|(.*)\|$/gm)) {
      for (const c of m[2]!.matchAll(/`([A-Z]+(?:_[A-Z]+)*)`/g)) rows.set(c[1]!, Number(m[1]));
    }
    const expected = Object.fromEntries(Object.entries(EXIT_BY_CODE).sort());
    expect(Object.fromEntries([...rows.entries()].sort())).toEqual(expected);
    expect(expected.STATE_LOCKED).toBe(69);
  });
});
