import { describe, expect, it } from 'vitest';
import { loginPath, safeNext } from './next';

describe('where to go after login', () => {
  it('keeps a page of this app', () => {
    expect(safeNext('/clients/abc?x=1')).toBe('/clients/abc?x=1');
  });

  it.each(['//evil.example/x', 'https://evil.example', 'javascript:alert(1)', '/login?next=/x', '', null])(
    'refuses %s',
    (next) => {
      expect(safeNext(next)).toBe('/');
    },
  );

  it('sends the roster to a bare login', () => {
    expect(loginPath('/')).toBe('/login');
    expect(loginPath('/flags')).toBe('/login?next=%2Fflags');
  });
});
