import { performance } from 'node:perf_hooks';
import type { Clock } from '@gantry/domain';
import { runSlice, type SliceLimits } from './slice.js';

/** A socket the heartbeat checks: `alive` is set again when its pong arrives. */
export interface HeartbeatTarget {
  alive: boolean;
  /**
   * Whether the peer took more of this socket's bytes since the previous call than a ping's
   * (asked once per sweep). A peer that reads but is far behind cannot answer a ping queued
   * behind megabytes in time; it is not dead, so it is not cut off while it keeps taking data.
   */
  draining?(): boolean;
  ping(): void;
  terminate(): void;
}

/**
 * How many sweeps in a row a socket that does not answer is kept while its peer takes data
 * (`draining`): a live client that far behind (4 × GANTRY_WS_PING_MS, 2 min by default) is cut
 * off and resumes with `since` when it reconnects; a hung one whose kernel keeps absorbing a
 * trickle of events is not kept for the hours its buffers could take.
 */
export const MAX_EXCUSED_SWEEPS = 4;

export interface HeartbeatOptions extends Partial<SliceLimits> {
  clock: Clock;
  intervalMs: number;
}

/**
 * Every `intervalMs`, each socket that did not answer the previous ping (half-open TCP, a dead
 * peer) is terminated and every other one is pinged. A ping is one socket write (a system call):
 * thousands of them in one go would hold the event loop for tens of milliseconds, so the sockets
 * are gone through in slices (128 or 5 ms, as the fan-out), with the event loop free in between.
 * A sweep that has not ended when the next is due is not started twice. Returns `stop`.
 */
export function startHeartbeat(targets: () => Iterable<HeartbeatTarget>, options: HeartbeatOptions): () => void {
  const limits: SliceLimits = {
    sliceSize: options.sliceSize ?? 128,
    sliceBudgetMs: options.sliceBudgetMs ?? 5,
    now: options.now ?? (() => performance.now()),
  };
  let sweep: HeartbeatTarget[] | null = null;
  let next = 0;
  let stopped = false;
  /** Sockets kept without a pong, and for how many sweeps in a row. */
  const excused = new WeakMap<HeartbeatTarget, number>();
  const check = (t: HeartbeatTarget): void => {
    try {
      // Asked every sweep, so that it measures from the previous one.
      const draining = t.draining?.() ?? false;
      if (t.alive) excused.delete(t);
      else {
        const times = excused.get(t) ?? 0;
        if (!draining || times >= MAX_EXCUSED_SWEEPS) return t.terminate();
        excused.set(t, times + 1);
      }
      t.alive = false;
      t.ping();
    } catch {
      // One socket's failure must not end the sweep half-way: no later sweep would ever start.
    }
  };
  const slice = () => {
    if (stopped || !sweep) return;
    next = runSlice(sweep, next, check, limits);
    if (next < sweep.length) setImmediate(slice);
    else sweep = null;
  };
  const timer = options.clock.setInterval(() => {
    if (sweep) return;
    sweep = [...targets()];
    next = 0;
    slice();
  }, options.intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    sweep = null;
    options.clock.clear(timer);
  };
}
