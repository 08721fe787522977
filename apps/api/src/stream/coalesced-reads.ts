import { runSlice, type SliceLimits } from './slice.js';

/** What a request gets: the read's value, or why it failed. */
export type ReadResult<V> = { ok: true; value: V } | { ok: false; error: unknown };

interface Flight<V> {
  /** Requests for the next read (not started yet). */
  waiting: Array<(result: ReadResult<V>) => void>;
  scheduled: boolean;
  running: boolean;
}

export interface CoalescedReadsOptions<K, V> extends SliceLimits {
  read: (key: K) => Promise<V>;
  /** A requester's callback threw (the others still get the result). */
  onError: (err: unknown) => void;
  /** A read failed: called once for it, whatever the number of requests that shared it (each gets the error). */
  onReadError: (err: unknown, key: K) => void;
}

/**
 * Single-flight reads by key: every request made before a key's read starts shares that one read,
 * and gets its result through its callback, the callbacks run in slices (SliceLimits, the event
 * loop free in between: thousands of sockets waiting for one read are served like a fan-out round).
 *
 * No result is ever older than its request: a request made while the key's read is in flight waits
 * for the next read, which starts once that one settled (with every request made meanwhile). So what
 * a requester set up before asking (a socket's live-event subscription) is in place before the data
 * it gets was read: whatever changed after the read reaches it live. Nothing is cached: a read's
 * result is dropped once handed out. A burst of requests costs one read per read-duration, not one
 * per request; a key has one read in flight at most.
 */
export class CoalescedReads<K, V> {
  private readonly flights = new Map<K, Flight<V>>();

  constructor(private readonly options: CoalescedReadsOptions<K, V>) {}

  request(key: K, done: (result: ReadResult<V>) => void): void {
    let flight = this.flights.get(key);
    if (!flight) this.flights.set(key, (flight = { waiting: [], scheduled: false, running: false }));
    flight.waiting.push(done);
    this.schedule(key, flight);
  }

  /** The next read starts in a later turn of the event loop: requests of this turn join it. */
  private schedule(key: K, flight: Flight<V>): void {
    if (flight.running || flight.scheduled) return;
    flight.scheduled = true;
    setImmediate(() => void this.start(key, flight));
  }

  private async start(key: K, flight: Flight<V>): Promise<void> {
    flight.scheduled = false;
    flight.running = true;
    const waiters = flight.waiting.splice(0);
    let result: ReadResult<V>;
    try {
      result = { ok: true, value: await this.options.read(key) };
    } catch (error) {
      result = { ok: false, error };
      this.options.onReadError(error, key);
    }
    flight.running = false;
    if (flight.waiting.length > 0) this.schedule(key, flight);
    else this.flights.delete(key);
    this.handOut(waiters, 0, result);
  }

  private handOut(waiters: Array<(result: ReadResult<V>) => void>, from: number, result: ReadResult<V>): void {
    const next = runSlice(waiters, from, (done) => {
      try {
        done(result);
      } catch (err) {
        this.options.onError(err);
      }
    }, this.options);
    if (next < waiters.length) setImmediate(() => this.handOut(waiters, next, result));
  }
}
