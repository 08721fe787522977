import { ManualClock } from '@gantry/domain';
import { StallWatchdog } from './stall-watchdog.js';

describe('StallWatchdog', () => {
  it('aborts after the timeout of silence; progress restarts the count; stop disarms it', () => {
    const clock = new ManualClock();
    const watchdog = new StallWatchdog(1000, clock);
    clock.advance(999);
    watchdog.touch();
    clock.advance(999);
    expect(watchdog.stalled).toBe(false);
    clock.advance(1);
    expect(watchdog.stalled).toBe(true);
    expect((watchdog.controller.signal.reason as Error).message).toBe('stalled');

    const stopped = new StallWatchdog(1000, clock);
    stopped.stop();
    clock.advance(5000);
    expect(stopped.stalled).toBe(false);
    expect(clock.pending).toBe(0);
  });
});
