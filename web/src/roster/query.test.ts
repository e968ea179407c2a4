import { describe, expect, it } from 'vitest';
import { DEFAULT_SORT, readView, toQuery, writeView } from './query';

describe('the roster view in the address', () => {
  it('round-trips', () => {
    const params = new URLSearchParams('q=ava&status=active&status=paused&severity=high&tz=Europe%2FLondon&sort=name%3Adesc&size=100&page=3');
    expect(writeView(readView(params)).toString()).toBe(params.toString());
  });

  it('ignores what it does not know', () => {
    const view = readView(new URLSearchParams('status=sleeping&severity=urgent&sort=shoe:asc&size=7&page=-2'));
    expect(view).toEqual({ q: '', statuses: [], severities: [], timeZone: '', sort: DEFAULT_SORT, size: 50, page: 1 });
  });

  it('asks the api for the page shown', () => {
    const query = toQuery(readView(new URLSearchParams('q=%20%20&size=25&page=4')));
    expect(query).toMatchObject({ q: undefined, limit: 25, offset: 75, sort: 'open_flags', order: 'desc' });
  });
});
