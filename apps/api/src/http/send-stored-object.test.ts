import { matchesIfNoneMatch } from './send-stored-object';

describe('If-None-Match', () => {
  const etag = '"ab12"';
  it('matches the ETag in a list, weak or strong, and *', () => {
    expect(matchesIfNoneMatch('"ab12"', etag)).toBe(true);
    expect(matchesIfNoneMatch('"x", W/"ab12"', etag)).toBe(true);
    expect(matchesIfNoneMatch(' * ', etag)).toBe(true);
  });
  it('does not match another tag, an unquoted one, or no header', () => {
    expect(matchesIfNoneMatch('"ab1"', etag)).toBe(false);
    expect(matchesIfNoneMatch('ab12', etag)).toBe(false);
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false);
  });
});
