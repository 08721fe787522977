import { jsonDepthExceeds, jsonDepthGuard, JsonTooDeepError } from './json-depth';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('jsonDepthExceeds', () => {
  it('counts objects and arrays, not brackets in strings', () => {
    expect(jsonDepthExceeds('{"a":{"b":[1,2]}}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":[1,2]}}', 2)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[[{{{{"}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[["}', 1)).toBe(false);
    expect(jsonDepthExceeds('"plain"', 0)).toBe(false);
  });

  it('handles UTF-8 bytes like strings', () => {
    const text = '{"ü":["€",{"x":"🎨"}]}';
    expect(jsonDepthExceeds(Buffer.from(text, 'utf8'), 3)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(text, 'utf8'), 2)).toBe(true);
  });

  it('scans a million levels without a stack overflow', () => {
    expect(jsonDepthExceeds(Buffer.from(nested(1_000_000)), 64)).toBe(true);
    expect(jsonDepthExceeds(nested(64), 64)).toBe(false);
    expect(jsonDepthExceeds(nested(65), 64)).toBe(true);
  });

  it('guard throws a typed error for body-parser', () => {
    const guard = jsonDepthGuard(2);
    expect(() => guard({} as never, {}, Buffer.from('[[1]]'), 'utf-8')).not.toThrow();
    expect(() => guard({} as never, {}, Buffer.from('[[[1]]]'), 'utf-8')).toThrow(JsonTooDeepError);
  });
});
