// The e2e run's world, started once for every e2e file (vitest globalSetup): a throwaway
// PostgreSQL database (migrated, demo-seeded, grown to 1,000 clients), the real api as a
// process with the dev login, and the production build served by `vite preview` with
// its /api proxy. Everything is torn down after, the database dropped.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    clients: number;
  }
}

const WEB = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = join(WEB, '..');
const UV = process.env.UV ?? 'uv';
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
/** The roster size the timing is measured at (issue: 1,000+ clients). */
const CLIENTS = 1000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** Run a command to completion; its stdout, or an error carrying all its output. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, timeout: timeoutMs });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${out}\n${err}`)),
    );
  });
}

/** A long-running server; its output is kept to explain a failed start. */
function serve(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => output };
}

async function waitFor(url: string, server: ReturnType<typeof serve>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) break;
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s\n${server.output()}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const database = new URL(ADMIN_URL);
  database.pathname = `/mc_web_e2e_${runId}`;
  const databaseUrl = database.toString();
  const keyPrefix = `mcweb:${runId}:`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    DATABASE_DIRECT_URL: databaseUrl,
    REDIS_URL,
    MC_KEY_PREFIX: keyPrefix,
    MC_ENVIRONMENT: 'development',
    MC_LOG_LEVEL: 'WARNING',
  };
  const uv = (...args: string[]) => run(UV, ['run', '--frozen', '--all-packages', ...args], env);
  const started: ChildProcess[] = [];
  const teardown = async () => {
    await Promise.all(started.map(stop));
    await uv('python', 'web/e2e/fixtures.py', 'drop', databaseUrl, REDIS_URL, keyPrefix);
  };

  try {
    const [apiPort, webPort] = [await freePort(), await freePort()];
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const baseUrl = `http://127.0.0.1:${webPort}`;
    // The built app is served while the database is prepared.
    const preview = serve(
      process.execPath,
      [join(WEB, 'node_modules/vite/bin/vite.js'), 'preview', '--port', String(webPort), '--strictPort'],
      { ...process.env, MC_API_URL: apiUrl },
      WEB,
    );
    started.push(preview.child);

    await uv('monstercoach', 'migrate');
    await uv('monstercoach', 'seed-demo');
    const coachId = (await uv('python', 'web/e2e/fixtures.py', 'grow', databaseUrl, String(CLIENTS))).trim();
    // One scheduler tick plans every client's next fires: the Schedule page's "coming up".
    await uv('monstercoach', 'tick');

    const api = serve(
      UV,
      ['run', '--frozen', '--all-packages', 'monstercoach-api', '--host', '127.0.0.1', '--port', String(apiPort)],
      {
        ...env,
        COACH_DISCORD_IDS: coachId,
        API_DEV_LOGIN: 'true',
        API_COOKIE_SECURE: 'false',
        API_WEB_URL: `${baseUrl}/`,
        // The run's own requests (a browser per test, from one address) would otherwise
        // meet the production limit of 100 a minute; 429s are covered by unit tests.
        API_RATE_LIMIT: '100000/minute',
      },
      ROOT,
    );
    started.push(api.child);
    await Promise.all([waitFor(`${apiUrl}/health`, api), waitFor(`${baseUrl}/login`, preview)]);
    // A message the api's consumer must dead-letter: the System page's replay has one.
    await uv('python', 'web/e2e/fixtures.py', 'poison', REDIS_URL, keyPrefix);

    project.provide('baseUrl', baseUrl);
    project.provide('clients', CLIENTS);
  } catch (error) {
    await teardown().catch(() => undefined);
    throw error;
  }
  return teardown;
}
