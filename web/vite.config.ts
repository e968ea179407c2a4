import react from '@vitejs/plugin-react';
import type { ProxyOptions } from 'vite';
import { defineConfig } from 'vitest/config';

// The api's routes carry no /api prefix. The browser calls /api/... on Battle Station's
// own origin (so the session cookie is first-party), and whatever serves the app strips
// the prefix: nginx.conf and vercel.json in production, this proxy in dev and preview.
const api: Record<string, ProxyOptions> = {
  '/api/': {
    target: process.env.MC_API_URL ?? 'http://127.0.0.1:8000',
    rewrite: (path) => path.replace(/^\/api/, ''),
  },
};

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy: api },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, proxy: api },
  build: { target: 'es2022' },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup.ts'],
    restoreMocks: true,
  },
});
