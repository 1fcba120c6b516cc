import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Tests never leave loopback: every worker runs with the network guard (and so does every CLI child).
    setupFiles: ['test/setup/net-guard.ts'],
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // CI machines have 2 cores; subprocess-heavy suites behave better with few workers.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
