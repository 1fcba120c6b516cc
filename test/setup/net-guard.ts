/**
 * vitest setupFiles entry: every worker runs with the loopback guard (test/helpers/net-guard.mjs),
 * and a test during which anything tried to send off loopback fails — even when the code under
 * test caught the guard's exception and carried on.
 */
import { afterEach } from 'vitest';
import { takeNetGuardViolations } from '../helpers/net-guard.mjs';

// Children that inherit this environment (named, unbound, nsupdate, dig, node) never ask the EC2
// metadata service either; helpers that build a child's environment from scratch set it themselves.
process.env.AWS_EC2_METADATA_DISABLED = 'true';

afterEach(() => {
  const seen = takeNetGuardViolations();
  if (seen.length > 0) throw new Error(`this test tried to leave loopback:\n${seen.join('\n')}`);
});
