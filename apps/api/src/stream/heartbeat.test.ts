import { ManualClock } from '@gantry/domain';
import { MAX_EXCUSED_SWEEPS, startHeartbeat, type HeartbeatTarget } from './heartbeat';

class Target implements HeartbeatTarget {
  alive = true;
  pings = 0;
  terminated = false;
  draining?: () => boolean;
  ping(): void {
    this.pings += 1;
  }
  terminate(): void {
    this.terminated = true;
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs the event loop's check phase until `done` (bounded: a broken sweep fails, never hangs). */
async function turns(done: () => boolean, max = 100): Promise<number> {
  for (let i = 0; i < max; i++) {
    if (done()) return i;
    await turn();
  }
  throw new Error('not done after the bounded number of turns');
}

describe('startHeartbeat', () => {
  it('pings in slices, with the event loop free in between, not every socket in one go', async () => {
    const clock = new ManualClock();
    const targets = Array.from({ length: 300 }, () => new Target());
    const stop = startHeartbeat(() => targets, { clock, intervalMs: 1000, sliceSize: 100, now: () => 0 });
    const pinged = () => targets.filter((t) => t.pings === 1).length;
    clock.advance(1000);
    expect(pinged()).toBe(100); // the first slice, in the timer's own turn
    let between = -1;
    setImmediate(() => (between = pinged()));
    expect(await turns(() => pinged() === 300)).toBe(2);
    expect(between).toBe(200); // other work ran after the second slice, before the third
    stop();
  });

  it('goes on past a socket whose ping throws, and sweeps again at the next interval', async () => {
    const clock = new ManualClock();
    const targets = Array.from({ length: 3 }, () => new Target());
    targets[0]!.ping = () => {
      throw new Error('socket gone');
    };
    const stop = startHeartbeat(() => targets, { clock, intervalMs: 1000, sliceSize: 100, now: () => 0 });
    clock.advance(1000);
    expect(targets.map((t) => t.pings)).toEqual([0, 1, 1]);
    targets[1]!.alive = true;
    clock.advance(1000);
    await turns(() => targets[1]!.pings === 2);
    expect(targets[0]!.terminated).toBe(true); // it never answered
    expect(targets[2]!.terminated).toBe(true);
    stop();
  });

  it('ends a slice when its time budget is spent', async () => {
    const clock = new ManualClock();
    let t = 0;
    const targets = Array.from({ length: 64 }, () => {
      const target = new Target();
      target.ping = () => {
        target.pings += 1;
        t += 1; // each ping "takes" 1 ms
      };
      return target;
    });
    const stop = startHeartbeat(() => targets, { clock, intervalMs: 1000, sliceSize: 1000, sliceBudgetMs: 5, now: () => t });
    clock.advance(1000);
    // The budget is read every 16 sockets: 16 in the first slice, not 64.
    expect(targets.filter((x) => x.pings === 1)).toHaveLength(16);
    await turns(() => targets.every((x) => x.pings === 1));
    stop();
  });

  it('terminates the sockets that did not answer the previous ping and pings the others again', async () => {
    const clock = new ManualClock();
    const targets = Array.from({ length: 5 }, () => new Target());
    const stop = startHeartbeat(() => targets, { clock, intervalMs: 1000, sliceSize: 2, now: () => 0 });
    clock.advance(1000);
    await turns(() => targets.every((x) => x.pings === 1));
    targets[1]!.alive = true; // its pong came
    targets[3]!.alive = true;
    clock.advance(1000);
    await turns(() => targets[4]!.terminated);
    expect(targets.map((x) => x.terminated)).toEqual([true, false, true, false, true]);
    expect(targets.map((x) => x.pings)).toEqual([1, 2, 1, 2, 1]);
    stop();
  });

  it('keeps a socket that did not answer while its peer keeps taking data (far behind, not dead), and cuts it off once that stops', async () => {
    const clock = new ManualClock();
    const behind = new Target();
    let moving = true;
    let asked = 0;
    behind.draining = () => {
      asked += 1;
      return moving;
    };
    const stop = startHeartbeat(() => [behind], { clock, intervalMs: 1000, sliceSize: 10, now: () => 0 });
    clock.advance(1000);
    clock.advance(1000); // no pong: its ping is queued behind what it has not read yet
    clock.advance(1000);
    expect(behind.terminated).toBe(false);
    expect(behind.pings).toBe(3);
    expect(asked).toBe(3); // asked every sweep, so each answer covers one interval
    moving = false; // a dead peer: the kernel takes nothing more
    clock.advance(1000);
    expect(behind.terminated).toBe(true);
    stop();
  });

  it('keeps a silent socket that takes data for MAX_EXCUSED_SWEEPS sweeps in a row at most (a hung peer whose kernel absorbs a trickle)', async () => {
    const clock = new ManualClock();
    const hung = new Target();
    hung.draining = () => true; // its kernel keeps accepting bytes
    const answering = new Target();
    answering.draining = () => true;
    const stop = startHeartbeat(() => [hung, answering], { clock, intervalMs: 1000, sliceSize: 10, now: () => 0 });
    clock.advance(1000); // both pinged
    for (let sweep = 1; sweep <= MAX_EXCUSED_SWEEPS; sweep++) {
      answering.alive = true; // its pong came
      clock.advance(1000);
      expect(hung.terminated).toBe(false); // excused: sweep `sweep` without a pong
    }
    answering.alive = true;
    clock.advance(1000);
    expect(hung.terminated).toBe(true);
    expect(answering.terminated).toBe(false);
    // A pong resets the count: a socket that answers now and then is never cut off for it.
    const sometimes = new Target();
    sometimes.draining = () => true;
    const stop2 = startHeartbeat(() => [sometimes], { clock, intervalMs: 1000, sliceSize: 10, now: () => 0 });
    for (let sweep = 0; sweep < 3 * MAX_EXCUSED_SWEEPS; sweep++) {
      if (sweep % MAX_EXCUSED_SWEEPS === 0) sometimes.alive = true;
      clock.advance(1000);
    }
    expect(sometimes.terminated).toBe(false);
    stop();
    stop2();
  });

  it('does not start a sweep while the last one is still going, and stops', async () => {
    const clock = new ManualClock();
    const targets = Array.from({ length: 4 }, () => new Target());
    const stop = startHeartbeat(() => targets, { clock, intervalMs: 1000, sliceSize: 1, now: () => 0 });
    clock.advance(1000);
    clock.advance(1000); // due again before the first sweep got past its first socket
    await turns(() => targets.every((x) => x.pings === 1));
    expect(targets.map((x) => x.terminated)).toEqual([false, false, false, false]);
    stop();
    clock.advance(5000);
    await turn();
    expect(targets.map((x) => x.pings)).toEqual([1, 1, 1, 1]);
    expect(clock.pending).toBe(0);
  });
});
