// The production bundle's budget: under 250 KB of JavaScript, gzipped, everything the
// app can load (the roster's entry chunk and the client page's lazy one).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { record } from './browser';

const ASSETS = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'assets');
const BUDGET_BYTES = 250 * 1000;

describe('the production build', () => {
  it(`ships under ${BUDGET_BYTES / 1000} KB of gzipped JavaScript`, () => {
    const chunks = readdirSync(ASSETS)
      .filter((name) => name.endsWith('.js'))
      .map((name) => {
        const code = readFileSync(join(ASSETS, name));
        return { name, bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
      });
    const total = chunks.reduce((sum, chunk) => sum + chunk.gzip, 0);
    const entry = chunks.find((chunk) => chunk.name.startsWith('index-'));
    record('bundle', {
      js_gzip_bytes: total,
      entry_gzip_bytes: entry?.gzip,
      chunks: Object.fromEntries(chunks.map((c) => [c.name, { bytes: c.bytes, gzip: c.gzip }])),
    });
    console.info('bundle', { total, chunks });
    expect(chunks.length).toBeGreaterThan(0);
    expect(total).toBeLessThan(BUDGET_BYTES);
  });
});
