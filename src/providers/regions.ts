/**
 * `--region` checked when the command line is read (issue 12 item 8): a region the provider does
 * not have is bad usage (64) with a did-you-mean, before any credential or network step — not a
 * provider error seconds later. No SDK is imported here (the lists of the fixed-region providers
 * are restated, and test/unit/regions.test.ts holds them equal to the adapters' own).
 *
 * SES gains regions over time, so its list is never used to refuse a well-formed region: only a
 * name that is not shaped like an AWS region (`eu-wst-1`, `europe`) is refused, with the nearest
 * known region suggested.
 */
import { MailsetupError } from '../errors.js';
import { choiceHint, closest } from '../util/did-you-mean.js';

/** Commercial and GovCloud regions with the SES v2 API (AWS General Reference). */
export const SES_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'af-south-1', 'ap-east-1', 'ap-south-1', 'ap-south-2',
  'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3',
  'ap-southeast-5', 'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'il-central-1', 'me-central-1', 'me-south-1', 'sa-east-1',
  'us-gov-east-1', 'us-gov-west-1',
] as const;

export const FIXED_REGIONS: Record<string, readonly string[]> = {
  sendgrid: ['global', 'eu'],
  mailgun: ['us', 'eu'],
  resend: ['us-east-1', 'eu-west-1', 'sa-east-1', 'ap-northeast-1'],
};

const AWS_REGION_SHAPE = /^[a-z]{2}(-gov|-iso[a-z]?)?-(east|west|north|south|central|northeast|northwest|southeast|southwest)-\d{1,2}$/;

const NAMES: Record<string, string> = { ses: 'SES', sendgrid: 'SendGrid', mailgun: 'Mailgun', resend: 'Resend' };

/** The USAGE error for a region `provider` cannot have, or null when it may. */
export function regionProblem(provider: string, region: string): MailsetupError | null {
  const r = region.trim().toLowerCase();
  if (provider === 'ses') {
    if (AWS_REGION_SHAPE.test(r)) return null;
    const near = closest(r, SES_REGIONS);
    return new MailsetupError('USAGE', `--region: "${region}" is not an AWS region`, {
      hint: `${near ? `Did you mean --region ${near}? ` : ''}SES regions look like eu-west-1 or us-east-1.`,
    });
  }
  const fixed = FIXED_REGIONS[provider];
  if (!fixed || fixed.includes(r)) return null;
  return new MailsetupError('USAGE', `--region: ${NAMES[provider] ?? provider} has no region "${region}"`, { hint: choiceHint(r, fixed, '--region') });
}
