/** Credential presence is decided offline (no SDK, no network, never instance metadata). */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providerCredentials } from '../../src/providers/credentials.js';

const home = mkdtempSync(join(tmpdir(), 'mailsetup-creds-'));
const empty = join(home, 'empty');
mkdirSync(empty);
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('providerCredentials', () => {
  it('API-key providers: present exactly when their variable is set and non-empty', () => {
    for (const [p, v] of [['sendgrid', 'SENDGRID_API_KEY'], ['mailgun', 'MAILGUN_API_KEY'], ['resend', 'RESEND_API_KEY']] as const) {
      expect(providerCredentials(p, { [v]: 'k-123456789' })).toEqual({ present: true, source: v });
      expect(providerCredentials(p, { [v]: '' })).toEqual({ present: false, source: v });
      expect(providerCredentials(p, { SENDGRID_API_KEY: p === 'sendgrid' ? '' : 'x' }).present).toBe(false);
    }
  });

  it('SES: static keys, a profile, web identity, a container endpoint, or an ~/.aws file; never a value in the answer', () => {
    const h = { HOME: empty };
    expect(providerCredentials('ses', h).present).toBe(false);
    expect(providerCredentials('ses', { ...h, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }).present).toBe(false); // half a key pair
    const keys = providerCredentials('ses', { ...h, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-value-123' });
    expect(keys).toEqual({ present: true, source: 'AWS_ACCESS_KEY_ID' });
    expect(JSON.stringify(keys)).not.toContain('secret-value-123');
    expect(providerCredentials('ses', { ...h, AWS_PROFILE: 'prod' }).present).toBe(true);
    expect(providerCredentials('ses', { ...h, AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' }).present).toBe(true);
    expect(providerCredentials('ses', { ...h, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/creds' }).present).toBe(true);
    // Instance metadata is never probed: on its own it does not count.
    expect(providerCredentials('ses', { ...h, AWS_EC2_METADATA_DISABLED: 'false' }).present).toBe(false);
    const withFile = join(home, 'withfile');
    mkdirSync(join(withFile, '.aws'), { recursive: true });
    writeFileSync(join(withFile, '.aws', 'credentials'), '[default]\n');
    expect(providerCredentials('ses', { HOME: withFile })).toEqual({ present: true, source: join(withFile, '.aws', 'credentials') });
    expect(providerCredentials('ses', { HOME: empty, AWS_CONFIG_FILE: join(withFile, '.aws', 'credentials') }).present).toBe(true);
  });

  it('the demo-only sandbox is never "present"', () => {
    expect(providerCredentials('sandbox', {}).present).toBe(false);
  });
});
