import { defineConfig } from 'vitest/config';

// `npx vitest run --config examples/vitest/vitest.config.ts` (needs `npm run build` first).
export default defineConfig({
  test: { include: ['examples/vitest/**/*.test.ts'], testTimeout: 20_000, hookTimeout: 20_000 },
});
