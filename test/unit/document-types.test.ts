/**
 * The library's document types (src/lib/documents.ts) are generated from schemas/: a schema changed
 * without regenerating them fails here, so the types and the schemas the tests hold every --json
 * document to cannot drift apart.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('src/lib/documents.ts', () => {
  it('is what scripts/document-types.mjs generates from the schemas today', () => {
    const script = fileURLToPath(new URL('../../scripts/document-types.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 30_000);
});
