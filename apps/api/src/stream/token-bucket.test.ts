import { ManualClock } from '@gantry/domain';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('lets the burst through, then refills at the rate, never above the burst', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(10, 3, clock);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    clock.advance(99);
    expect(bucket.take()).toBe(false);
    clock.advance(1); // 100 ms at 10/s: one token
    expect(bucket.take()).toBe(true);
    clock.advance(60_000);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });
});
