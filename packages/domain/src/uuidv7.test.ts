import { isUuid, uuidv7 } from './uuidv7';

describe('uuidv7', () => {
  it('is a version-7, variant-10 UUID carrying the timestamp', () => {
    const id = uuidv7(0x0123456789ab);
    expect(isUuid(id)).toBe(true);
    expect(id.startsWith('01234567-89ab-7')).toBe(true);
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
  });

  it('sorts in creation order, also within one millisecond', () => {
    const now = Date.now() + 10_000;
    const ids = Array.from({ length: 2000 }, () => uuidv7(now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('draws a fresh random tail for every id, across refills of its random pool', () => {
    const ids = Array.from({ length: 3000 }, () => uuidv7(0x0123456789ab)); // 3000 ids: the 8 KiB pool refills twice
    const tails = ids.map((id) => id.slice(19).replace('-', '').slice(1)); // the 60 random bits after the variant
    expect(new Set(tails).size).toBe(ids.length);
    expect(ids.every((id) => isUuid(id) && ['8', '9', 'a', 'b'].includes(id[19]!))).toBe(true);
  });
});
