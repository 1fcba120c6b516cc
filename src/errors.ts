/**
 * One error type for everything the user can cause or the world can break. It carries a stable code,
 * the documented exit status and a hint; `src/cli/main.ts` is the only place that renders it.
 */

export const EXIT = {
  OK: 0,
  PENDING: 1,
  FAILED: 2,
  USAGE: 64,
  UNAVAILABLE: 69,
  AUTH: 77,
  CONFIG: 78,
} as const;

export type ErrorCode =
  | 'DOMAIN_INVALID'
  | 'DOMAIN_NOT_FOUND'
  | 'DOMAIN_EXISTS'
  | 'USAGE'
  | 'PROVIDER_AUTH'
  | 'PROVIDER_UNAVAILABLE'
  | 'PROVIDER_UNSUPPORTED'
  | 'DNS_UNAVAILABLE'
  | 'CONFIG_INVALID'
  | 'CONFIRMATION_REQUIRED'
  | 'VERIFICATION_FAILED'
  | 'STATE_LOCKED'
  /** The DNS host's zone is not what the plan saw: nothing was written at that name. */
  | 'HOST_CONFLICT'
  | 'INTERNAL';

/** Exported for the README check (test/unit/readme-error-codes.test.ts). */
export const EXIT_BY_CODE: Record<ErrorCode, number> = {
  DOMAIN_INVALID: EXIT.USAGE,
  DOMAIN_NOT_FOUND: EXIT.USAGE,
  DOMAIN_EXISTS: EXIT.USAGE,
  USAGE: EXIT.USAGE,
  CONFIRMATION_REQUIRED: EXIT.USAGE,
  PROVIDER_AUTH: EXIT.AUTH,
  PROVIDER_UNAVAILABLE: EXIT.UNAVAILABLE,
  PROVIDER_UNSUPPORTED: EXIT.USAGE,
  DNS_UNAVAILABLE: EXIT.UNAVAILABLE,
  CONFIG_INVALID: EXIT.CONFIG,
  VERIFICATION_FAILED: EXIT.FAILED,
  // Another process holds the state file's lock: busy, not broken — try again (DESIGN.md exit 69).
  STATE_LOCKED: EXIT.UNAVAILABLE,
  // Needs a human to look at the zone (someone else edited it); retrying blindly would not help.
  HOST_CONFLICT: EXIT.FAILED,
  INTERNAL: 70,
};

export class MailsetupError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly hint: string | null;
  /** The --json document the command printed beside this error, when there is one (autoconfig's partial apply). */
  readonly document?: unknown;

  constructor(code: ErrorCode, message: string, options: { hint?: string | null; cause?: unknown; exitCode?: number; document?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MailsetupError';
    this.code = code;
    this.exitCode = options.exitCode ?? EXIT_BY_CODE[code];
    this.hint = options.hint ?? null;
    if (options.document !== undefined) this.document = options.document;
  }
}

/** Environment variables whose values must never be printed, logged or stored. */
export const SECRET_ENV = [
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID',
  'SENDGRID_API_KEY', 'MAILGUN_API_KEY', 'RESEND_API_KEY',
  'CLOUDFLARE_API_TOKEN', 'RESELLERCLUB_API_KEY', 'MAILSETUP_TSIG_KEY',
];

/** Replace every secret value found in the environment by `***` (values shorter than 4 are ignored). */
export function redact(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  for (const key of SECRET_ENV) {
    const value = env[key];
    if (value && value.length >= 4) out = out.split(value).join('***');
  }
  return out;
}
