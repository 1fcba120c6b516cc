/**
 * A throw-away certificate authority for HTTPS/SMTP tests: a CA and leaf certificates made with the
 * openssl CLI in a temporary directory (node:crypto cannot issue X.509). Children trust the CA through
 * `NODE_EXTRA_CA_CERTS=<ca.pem>`, the way a user adds a private CA; nothing touches the system store.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = ['/usr/bin/openssl', '/usr/local/bin/openssl', '/bin/openssl'].find((p) => existsSync(p)) ?? null;

export interface Leaf { key: string; cert: string; certPath: string }
export interface TestCa { dir: string; caPath: string; caPem: string; leaf(names: string[], opts?: { days?: number; selfSigned?: boolean }): Leaf }

let serial = 1000;

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'mailsetup-ca-'));
  const ossl = (...args: string[]) => execFileSync(OPENSSL!, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-subj', '/CN=mailsetup test CA', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const caPath = join(dir, 'ca.pem');
  return {
    dir, caPath, caPem: readFileSync(caPath, 'utf8'),
    /** A leaf for `names` (SAN DNS names); `days: -1` makes one that expired yesterday; `selfSigned` one no CA vouches for. */
    leaf(names, opts = {}) {
      const n = serial++;
      const ext = join(dir, `leaf${n}.ext`);
      writeFileSync(ext, `subjectAltName=${names.map((x) => `DNS:${x}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
      ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `leaf${n}.key`, '-out', `leaf${n}.csr`, '-subj', `/CN=${names[0]}`);
      const sign = opts.selfSigned ? ['-signkey', `leaf${n}.key`] : ['-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(n)];
      ossl('x509', '-req', '-in', `leaf${n}.csr`, ...sign, '-days', String(opts.days ?? 2), '-extfile', ext, '-out', `leaf${n}.pem`);
      const certPath = join(dir, `leaf${n}.pem`);
      return { key: readFileSync(join(dir, `leaf${n}.key`), 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath };
    },
  };
}
