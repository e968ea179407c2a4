// A stand-in for the api at the fetch boundary: routes like 'GET /clients/:id' answer
// with a body (200), a `reply(...)`, or a function of the request. Every request is
// recorded, so a test can say what the page asked for.
import { vi } from 'vitest';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

type Handler = (call: Call) => unknown;
/** A body (answered 200), a `reply(...)`, or a handler returning either. */
type Answer = Handler | object | null;

const REPLY = Symbol('reply');

export function reply(status: number, body?: unknown, headers?: Record<string, string>): Reply {
  return { [REPLY]: true, status, body, headers } as Reply;
}

export function apiError(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return reply(status, { error: { code, message } }, headers);
}

function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && REPLY in value;
}

function matches(pattern: string, path: string): boolean {
  const expected = pattern.split('/');
  const actual = path.split('/');
  return expected.length === actual.length && expected.every((part, i) => part.startsWith(':') || part === actual[i]);
}

/** Stub fetch with these routes (`/api` is the app's prefix, left out here). */
export function mockApi(routes: Record<string, Answer>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (request: Request) => {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/api/, '');
    const text = await request.text();
    const call: Call = { method: request.method, path, query: url.searchParams, body: text ? JSON.parse(text) : undefined };
    calls.push(call);
    const route = Object.keys(routes).find((key) => {
      const [method, pattern] = key.split(' ');
      return method === request.method && pattern !== undefined && matches(pattern, path);
    });
    if (route === undefined) throw new Error(`no mock for ${request.method} ${path}`);
    const answer = routes[route];
    const value: unknown = typeof answer === 'function' ? await (answer as Handler)(call) : answer;
    const { status, body, headers } = isReply(value) ? value : { status: 200, body: value, headers: {} };
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  });
  vi.stubGlobal('fetch', fetch);
  return {
    calls,
    /** The requests made to `method path` (path pattern as in the routes). */
    to: (method: string, pattern: string) => calls.filter((c) => c.method === method && matches(pattern, c.path)),
  };
}

/** A promise the test settles: holds an answer back to look at the loading state. */
export function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
