import { defineConfig } from 'vitest/config';

// The browser end-to-end run: one stack (database, api, `vite preview`) for every file,
// files one after another so the roster timing is not measured beside another page.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/stack.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
