import { decodeCursor, encodeCursor, fetchLimit, pageOf } from './cursor';

describe('keyset pages', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `0190a0b0-0000-7000-8000-00000000000${i}` }));

  it('gives a next cursor only when the extra row came back', () => {
    expect(fetchLimit(2)).toBe(3);
    const full = pageOf(rows(3), 2);
    expect(full.page).toHaveLength(2);
    expect(decodeCursor(full.nextCursor!)).toBe(full.page[1]!.id);
    expect(pageOf(rows(2), 2)).toEqual({ page: rows(2), nextCursor: null });
    expect(pageOf([], 2)).toEqual({ page: [], nextCursor: null });
  });

  it('refuses a cursor this API did not make', () => {
    expect(() => decodeCursor(encodeCursor('not-an-id'))).toThrow(/cursor is invalid/);
  });
});
