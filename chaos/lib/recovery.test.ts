import type { LedgerJob } from './ledger';
import { computeRecovery } from './recovery';

/** A job whose state events happened at the given times, e.g. [['queued', 0], ['dispatched', 100]]. */
function job(id: string, events: Array<[string, number]>): LedgerJob {
  return {
    id,
    status: events.at(-1)![0],
    attempts: 1,
    errorCode: null,
    key: id,
    states: events.map(([status, at], i) => ({ seq: i + 1, status, at, backend: null })),
    outputEvents: [],
    artifacts: [],
  };
}

describe('computeRecovery', () => {
  const orphan = job('orphan', [['queued', 0], ['dispatched', 100], ['running', 200], ['queued', 40_000], ['dispatched', 40_100], ['succeeded', 41_000]]);
  const bystander = job('by', [['queued', 0], ['dispatched', 900], ['running', 950], ['succeeded', 1500]]);
  const later = job('later', [['queued', 0], ['dispatched', 1600], ['running', 1700], ['succeeded', 2500]]);

  it('lasts until the last job in flight at the fault moved on, when that comes after the first success and the queue check', () => {
    expect(computeRecovery({ hits: [1000], end: 1000 }, [orphan, bystander, later], 1200)).toEqual({
      ms: 39_000,
      reason: 'last job in flight at the fault moved on (queued)',
      inFlightAtFault: 2,
    });
  });

  it('lasts until every unfinished job is back in the queue when that is last', () => {
    expect(computeRecovery({ hits: [1000], end: 1000 }, [bystander, later], 9000)).toEqual({ ms: 8000, reason: 'every waiting job back in the queue', inFlightAtFault: 1 });
  });

  it('counts from the end of a lasting fault, and jobs in flight at any hit', () => {
    const r = computeRecovery({ hits: [150, 1000], end: 3000 }, [orphan, bystander, later], 3000);
    // Only the orphan was left after the end: nothing succeeded before it did.
    expect(r).toEqual({ ms: 38_000, reason: 'first job succeeded after the fault', inFlightAtFault: 2 });
  });

  it('never recovers when a job in flight never moves, nothing succeeds afterwards, or jobs stay out of the queue', () => {
    const stuck = job('stuck', [['queued', 0], ['dispatched', 100]]);
    expect(computeRecovery({ hits: [1000], end: 1000 }, [stuck], 1000)).toMatchObject({ ms: null, reason: expect.stringContaining('never moved on') });
    const failedAfter = job('f', [['queued', 0], ['dispatched', 1100], ['failed', 1200]]);
    const waiting = job('w', [['queued', 0]]);
    expect(computeRecovery({ hits: [1000], end: 1000 }, [failedAfter, waiting], 1000)).toMatchObject({ ms: null, reason: 'no job succeeded after the fault' });
    expect(computeRecovery({ hits: [1000], end: 1000 }, [bystander, later], null)).toMatchObject({ ms: null, reason: 'waiting accepted jobs missing from the queue' });
  });

  it('is 0 when the fault found nothing to do and everything had ended', () => {
    expect(computeRecovery({ hits: [5000], end: 5000 }, [bystander, later], 5000)).toEqual({ ms: 0, reason: 'every waiting job back in the queue', inFlightAtFault: 0 });
  });
});
