import { BackendPace, betterWaitForFaster, freeFastestFirst, jobsToPlace, slotTimeMs, slotsFreeInMs, worthStartingOn, worthStartingOnAnyway, type PacedBackend } from './placement';

const gpu = (id: string, expectedMs: number, used: number, capacity = 1): PacedBackend => ({ id, capacity, used, expectedMs });

describe('BackendPace', () => {
  it('knows a pace only after three observations, then follows a moving average', () => {
    const pace = new BackendPace();
    pace.observe('a', 100);
    pace.observe('a', 100);
    expect(pace.expectedMs('a')).toBeNull();
    pace.observe('a', 100);
    expect(pace.expectedMs('a')).toBe(100);
    pace.observe('a', 200);
    expect(pace.expectedMs('a')).toBeCloseTo(120);
    pace.observe('a', Number.NaN); // ignored
    expect(pace.expectedMs('a')).toBeCloseTo(120);
    expect(pace.expectedMs('unknown')).toBeNull();
  });
});

describe('slotTimeMs', () => {
  it('is the lease → the prompt\'s end for a prompt that started once the backend took it', () => {
    expect(slotTimeMs({ leasedAt: 1000, sentAt: 1010, startedAt: 1008, endedAt: 1110 })).toBe(110); // started before the POST returned
    expect(slotTimeMs({ leasedAt: 1000, sentAt: 1010, startedAt: 1012, endedAt: 1110 })).toBe(108); // its start's latency left out
  });

  it('leaves out the time a prompt sent ahead waited on the backend behind another', () => {
    // Leased and sent 100 ms before the GPU was free (queue-ahead): 100 ms of its own, not 200.
    expect(slotTimeMs({ leasedAt: 1000, sentAt: 1005, startedAt: 1105, endedAt: 1200 })).toBe(100);
  });

  it('is the whole lease → end without both times (a driver that reports neither), and never negative', () => {
    expect(slotTimeMs({ leasedAt: 1000, sentAt: null, startedAt: 1105, endedAt: 1200 })).toBe(200);
    expect(slotTimeMs({ leasedAt: 1000, sentAt: 1005, startedAt: null, endedAt: 1200 })).toBe(200);
    expect(slotTimeMs({ leasedAt: 1000, sentAt: 1000, startedAt: 1300, endedAt: 1200 })).toBe(0);
  });
});

describe('speed-aware placement', () => {
  // The bench's mixed fleet: job slot times 100, 200, 400, 800 ms.
  const fleet = (usedFast: number, usedSlow: number) => [gpu('fast', 100, usedFast), gpu('mid', 200, 1), gpu('slow', 800, usedSlow)];

  it('tries free backends fastest first', () => {
    expect(freeFastestFirst([gpu('slow', 800, 0), gpu('busy', 50, 1), gpu('fast', 100, 0)]).map((b) => b.id)).toEqual(['fast', 'slow']);
  });

  it('in the tail, leaves a job for a much faster busy GPU rather than start it on a slow free one', () => {
    const backends = fleet(1, 0);
    expect(worthStartingOn(backends, 1).map((b) => b.id)).toEqual(['fast']);
    // Within 800 ms the fast GPU finishes 7 more jobs and the mid one 3: 10 waiting jobs are better off waiting.
    expect(betterWaitForFaster(backends, 1)).toBe(true);
    expect(betterWaitForFaster(backends, 10)).toBe(true);
  });

  it('knows without the leases when a backend is worth starting on: nothing much faster, or more jobs to place than the faster ones could take', () => {
    const backends = [gpu('fast', 100, 0), gpu('fast2', 110, 0), gpu('mid', 200, 0), gpu('slow', 800, 0)];
    // Nothing is much faster than the fastest GPUs: always, even for the last job.
    expect(worthStartingOnAnyway(backends, 'fast', 1)).toBe(true);
    expect(worthStartingOnAnyway(backends, 'fast2', 1)).toBe(true);
    // Within 200 ms the two fast GPUs could take 2 + 1 jobs at most.
    expect(worthStartingOnAnyway(backends, 'mid', 3)).toBe(false);
    expect(worthStartingOnAnyway(backends, 'mid', 4)).toBe(true);
    // Within 800 ms: 8 + 7 + 4.
    expect(worthStartingOnAnyway(backends, 'slow', 19)).toBe(false);
    expect(worthStartingOnAnyway(backends, 'slow', 20)).toBe(true);
    expect(worthStartingOnAnyway(backends, 'unknown', 100)).toBe(false);
    // Whenever it says so, the lease-aware rule agrees, whatever the leases and their ages.
    for (const used of [0, 1]) {
      for (const heldMs of [0, 50, 100, 1000]) {
        const live = backends.map((b) => ({ ...b, used: b.id === 'mid' ? 0 : used, heldMs: used ? [heldMs] : [] }));
        for (const waiting of [1, 3, 4, 19, 20]) {
          for (const b of backends) {
            if (worthStartingOnAnyway(backends, b.id, waiting) && b.id === 'mid') expect(worthStartingOn(live, waiting).map((x) => x.id)).toContain('mid');
          }
        }
      }
    }
  });

  it('with a backlog, every free slot works, slow ones too', () => {
    expect(betterWaitForFaster(fleet(1, 0), 11)).toBe(false);
    expect(betterWaitForFaster(fleet(1, 0), 500)).toBe(false);
  });

  it('never waits when the free backend is the fastest, when nothing is free, or when the busy ones are not much faster', () => {
    expect(betterWaitForFaster(fleet(0, 1), 1)).toBe(false);
    expect(betterWaitForFaster([gpu('a', 100, 1), gpu('b', 100, 1)], 1)).toBe(false);
    expect(worthStartingOn([gpu('a', 90, 1), gpu('b', 100, 0)], 1).map((b) => b.id)).toEqual(['a', 'b']);
    expect(betterWaitForFaster([gpu('a', 90, 1), gpu('b', 100, 0)], 1)).toBe(false);
  });

  it('counts as still to place the queued jobs and the ones workers took without a slot, at least the one asking', () => {
    expect(jobsToPlace({ queued: 0, taken: 8 }, 2)).toBe(6); // the tail: nothing queued, 6 held looking for a slot
    expect(jobsToPlace({ queued: 40, taken: 10 }, 8)).toBe(42);
    expect(jobsToPlace({ queued: 0, taken: 3 }, 5)).toBe(1); // counts read a moment apart
    // Fast GPU busy, slow one free: the fast and mid ones finish 10 jobs within its 800 ms (above).
    // 6 held jobs wait for them; 11 held do not (counting only the queue, they all would have).
    expect(betterWaitForFaster(fleet(1, 0), jobsToPlace({ queued: 0, taken: 7 }, 1))).toBe(true);
    expect(betterWaitForFaster(fleet(1, 0), jobsToPlace({ queued: 0, taken: 13 }, 2))).toBe(false);
  });

  it('knows when each busy GPU frees from its leases’ start times, and places the last jobs where they finish first', () => {
    // A 350 ms GPU, busy; an 800 ms one free; two jobs to place. Half-way through its job the
    // fast GPU would free in 175 ms and finish only one more within 800 ms: the slow one takes a job.
    const busy = (heldMs?: (number | null)[]) => [{ ...gpu('fast', 350, 1), ...(heldMs ? { heldMs } : {}) }, gpu('slow', 800, 0)];
    expect(betterWaitForFaster(busy(), 2)).toBe(false);
    expect(betterWaitForFaster(busy([null]), 2)).toBe(false); // start unknown: half-way
    // Its job began 300 ms ago: it frees in 50 ms and finishes both by 750 ms, before the slow GPU would finish one.
    expect(betterWaitForFaster(busy([300]), 2)).toBe(true);
    // Its job just began: it frees in 350 ms and finishes one more by 700 ms; the other goes to the slow GPU now.
    expect(betterWaitForFaster(busy([0]), 2)).toBe(false);
    expect(betterWaitForFaster(busy([0]), 1)).toBe(true);
  });

  it('a slot frees when its job’s expected time is up (at once when overdue), half-way when its start is unknown', () => {
    expect(slotsFreeInMs({ id: 'g', capacity: 3, used: 3, expectedMs: 100, heldMs: [90, 500, null] })).toEqual([0, 10, 50]);
    expect(slotsFreeInMs({ id: 'g', capacity: 2, used: 2, expectedMs: 100 })).toEqual([50, 50]);
    // Over capacity (lowered meanwhile): one entry per slot, and the first opens only once the surplus ended too.
    expect(slotsFreeInMs({ id: 'g', capacity: 1, used: 2, expectedMs: 100, heldMs: [10, 80] })).toEqual([90]);
    expect(slotsFreeInMs({ id: 'g', capacity: 2, used: 3, expectedMs: 100, heldMs: [10, 80, 50] })).toEqual([50, 90]);
  });

  it('counts the wait behind a prompt whose slot was freed before its end (queue-ahead): a job sent there starts after it', () => {
    // The fast GPU frees in 100 ms and finishes 3 more jobs within the mid one's 400 ms: with 4
    // to place, the mid GPU takes one now. While a prompt freed early still runs there for 100 ms,
    // a job sent now ends in 500 ms, by which the fast GPU finishes all 4: it waits for that one.
    const fleet = (aheadMs: number) => [{ ...gpu('fast', 100, 1), heldMs: [0] }, { ...gpu('mid', 400, 0), aheadMs }];
    expect(betterWaitForFaster(fleet(0), 4)).toBe(false);
    expect(worthStartingOn(fleet(0), 4).map((b) => b.id)).toEqual(['fast', 'mid']);
    expect(betterWaitForFaster(fleet(100), 4)).toBe(true);
    expect(worthStartingOn(fleet(100), 4).map((b) => b.id)).toEqual(['fast']);
    // A busy GPU's leased jobs wait behind it too: each frees a whole slot time after it, whatever it held.
    expect(slotsFreeInMs({ id: 'g', capacity: 1, used: 1, expectedMs: 100, heldMs: [60], aheadMs: 30 })).toEqual([130]);
    expect(slotsFreeInMs({ id: 'g', capacity: 1, used: 1, expectedMs: 100, heldMs: [60], aheadMs: 0 })).toEqual([40]);
    // The fast GPU behind a 100 ms prompt frees in 200 ms: it finishes 2 more within 400 ms, and the mid one takes the job.
    expect(betterWaitForFaster([{ ...gpu('fast', 100, 1), heldMs: [0], aheadMs: 100 }, gpu('mid', 400, 0)], 3)).toBe(false);
    expect(betterWaitForFaster([{ ...gpu('fast', 100, 1), heldMs: [0] }, gpu('mid', 400, 0)], 3)).toBe(true);
  });

  it('without the leases, keeps a backend only when the faster ones could not take the waiting jobs within its time and the longest wait ahead there', () => {
    const backends = [gpu('fast', 100, 0), gpu('mid', 200, 0)];
    expect(worthStartingOnAnyway(backends, 'mid', 3)).toBe(true); // 2 jobs at most within 200 ms
    expect(worthStartingOnAnyway(backends, 'mid', 3, 100)).toBe(false); // 3 within 300 ms
    expect(worthStartingOnAnyway(backends, 'mid', 4, 100)).toBe(true);
    expect(worthStartingOnAnyway(backends, 'fast', 1, 100)).toBe(true); // nothing is much faster
    // Whenever it says so, the lease-aware rule agrees for any leases and any wait up to that bound.
    for (const waiting of [1, 2, 3, 4, 5, 8]) {
      if (!worthStartingOnAnyway(backends, 'mid', waiting, 100)) continue;
      for (const aheadMs of [0, 50, 100]) {
        for (const heldMs of [0, 50, 100, 1000]) {
          const live = [{ ...gpu('fast', 100, 1), heldMs: [heldMs] }, { ...gpu('mid', 200, 0), aheadMs }];
          expect(worthStartingOn(live, waiting).map((b) => b.id)).toContain('mid');
        }
      }
    }
  });

  it('leaves the slow GPUs out of the lease in the tail even while a fast one is free, so losing that one to another worker does not start the job on a slow one', () => {
    const backends = [gpu('fast-free', 100, 0), gpu('fast-busy', 100, 1), gpu('slow', 800, 0)];
    expect(betterWaitForFaster(backends, 2)).toBe(false); // a fast GPU is free: take it
    expect(worthStartingOn(backends, 2).map((b) => b.id)).toEqual(['fast-free', 'fast-busy']);
    // With a backlog every GPU is worth starting on.
    expect(worthStartingOn(backends, 50).map((b) => b.id)).toEqual(['fast-free', 'fast-busy', 'slow']);
  });
});
