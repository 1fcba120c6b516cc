/**
 * What every provider emulator offers tests. An emulator is a loopback HTTP server speaking one
 * provider's documented API closely enough that the real SDK cannot tell; these switches make it
 * misbehave the way the real service does.
 */
export type EmulatorFault =
  | { kind: 'auth' } // 401 with the provider's error body
  | { kind: 'forbidden' } // 403
  | { kind: 'rate-limit'; retryAfterSeconds: number | null } // 429, with or without Retry-After
  | { kind: 'server-error' } // 500 with the provider's error body
  | { kind: 'malformed' } // 200 whose body is not valid JSON/XML
  | { kind: 'reset' } // the connection is destroyed mid-response
  | { kind: 'slow'; delayMs: number }; // the response comes after delayMs

export interface ProviderEmulator {
  /** Base URL as the endpoint variable wants it. */
  baseUrl: string;
  /** Environment that points the real SDK here with obviously fake credentials. */
  env: Record<string, string>;
  /** Names of the credential variables (a PROVIDER_AUTH message must name one). */
  credentialEnv: string[];
  /** Make the next `times` requests (default 1) fail this way; `times` 0 clears the fault. */
  fail(fault: EmulatorFault, times?: number): void;
  /** The provider now sees the domain's DNS as correct. */
  setVerified(domain: string): void;
  /** The domain exists at the provider already (adoption). */
  seed(domain: string): void;
  hasDomain(domain: string): boolean;
  /** Every request received, in order. */
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}
