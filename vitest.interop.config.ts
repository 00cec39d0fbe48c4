import { defineConfig } from 'vitest/config';

// `npm run test:interop`: against third-party peers installed by scripts/install-peers.sh.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
