import { generateKeyPairSync } from 'node:crypto';

/** A base64 SubjectPublicKeyInfo for a fresh RSA key of `bits` (tests only; never a committed key). */
export function rsaPublicKey(bits: number): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}
