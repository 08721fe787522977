import { ReusedRead } from './reused-read.js';

/**
 * The fleet's recent throughput for the wait estimate: jobs of all tenants that succeeded in the
 * last 10 minutes, per minute. The count is an index range scan over the window's entries
 * (`countSucceededSince`, index `jobs (status, finished_at)`): its cost grows with the fleet's
 * throughput, not with the history. A count of at least CACHE_FROM jobs is reused for up to a
 * second (at most one such scan per second per process, concurrent views share the read in
 * flight); a smaller one costs next to nothing and is counted again for each view, so a quiet
 * fleet's estimate is exact the moment a job succeeds. A second-old figure over a 10-minute
 * window of a busy fleet changes nothing a client could notice.
 */
export const THROUGHPUT_WINDOW_MS = 10 * 60_000;
const MAX_AGE_MS = 1_000;
/** Below this many jobs in the window the count is cheaper than remembering it (bench/README.md, "Reads"). */
const CACHE_FROM = 1_000;

export class RecentThroughput {
  private readonly reused: ReusedRead<{ count: number; perMinute: number }>;

  constructor(countSince: (since: Date) => Promise<number>, now: () => number = Date.now) {
    this.reused = new ReusedRead(
      async (at) => {
        const count = await countSince(new Date(at - THROUGHPUT_WINDOW_MS));
        return { count, perMinute: count / (THROUGHPUT_WINDOW_MS / 60_000) };
      },
      MAX_AGE_MS,
      now,
      ({ count }) => count >= CACHE_FROM,
    );
  }

  /** Jobs per minute over the window. */
  async perMinute(): Promise<number> {
    return (await this.reused.get()).perMinute;
  }
}
