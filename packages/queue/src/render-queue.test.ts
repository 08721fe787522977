import { FAIR_SHARE_RANKS, jobIdOfEntry, renderEntryId, toBullPriority } from './render-queue';

describe('toBullPriority', () => {
  it('serves higher Gantry priorities first', () => {
    expect(toBullPriority(100)).toBeLessThan(toBullPriority(0));
    expect(toBullPriority(0)).toBeLessThan(toBullPriority(-100));
    expect(toBullPriority(100)).toBe(1);
  });

  it('interleaves tenants by rank inside a band', () => {
    const burstLast = toBullPriority(0, 9_000);
    const otherFirst = toBullPriority(0, 0);
    expect(otherFirst).toBeLessThan(burstLast);
    expect(toBullPriority(0, 1)).toBeLessThan(toBullPriority(0, 2));
  });

  it('never lets rank cross into another band, and stays within BullMQ limits', () => {
    expect(toBullPriority(1, 1e9)).toBeLessThan(toBullPriority(0, 0));
    expect(toBullPriority(-100, FAIR_SHARE_RANKS * 5)).toBeLessThanOrEqual(2 ** 21);
    expect(toBullPriority(1000)).toBe(toBullPriority(100));
  });
});

describe('renderEntryId and jobIdOfEntry', () => {
  it('name a job\'s entries by generation and read the job id back from any of them', () => {
    const id = '01a24623-a638-7000-9e41-91fc0a7da390';
    expect(renderEntryId(id)).toBe(id);
    expect(renderEntryId(id, 3)).toBe(`${id}.r3`);
    for (const generation of [0, 1, 12]) expect(jobIdOfEntry(renderEntryId(id, generation))).toBe(id);
  });
});
