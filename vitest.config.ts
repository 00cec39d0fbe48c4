import { defineConfig } from 'vitest/config';

// `npm test`: unit and integration tests that need only Node and npm.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'examples/vitest/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests spawn processes and bind sockets; two cores here.
    pool: 'forks',
  },
});
