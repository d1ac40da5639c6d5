import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['actors/**/*.test.ts', 'engine/**/*.test.ts', 'storage/**/*.test.ts', 'gateway/**/*.test.ts', 'loadtest/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI asks for a JSON report too, to print its closing "N passed, N failed" line.
    reporters: process.env.OO_TEST_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.OO_TEST_REPORT ? { json: process.env.OO_TEST_REPORT } : undefined,
  },
});
