import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ManualClock, STREAM_CLOSE } from '@gantry/domain';
import type { Logger } from '@gantry/logger';
import { createMetricsRegistry } from '@gantry/metrics';
import type { ApiDeps } from '../context';
import type { EventHub, HubEntry } from './event-hub';
import type { ActiveSnapshot } from './active-snapshot';
import { CoalescedReads } from './coalesced-reads';
import { SocketQuota } from './socket-quota';
import { StreamConnection } from './stream-connection';
import type { StreamOptions } from './stream-options';
import { textFrame } from './ws-frame';

const TENANT = 'tenant-1';

/** A connection on fake ws and socket objects that records every write; `all` subscribed. */
async function allConnection(maxBufferedBytes = 1 << 20) {
  const writes: Buffer[] = [];
  const corks: number[] = [];
  const closes: number[] = [];
  const ws = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: 0,
    send: () => undefined,
    ping: () => undefined,
    close: (code: number) => closes.push(code),
    terminate: () => undefined,
  };
  const socket = { write: (b: Buffer) => writes.push(b), cork: () => corks.push(writes.length), uncork: () => undefined, bytesWritten: 0, writableLength: 0 };
  const noop = () => undefined;
  const log = { info: noop, warn: noop, error: noop, debug: noop } as unknown as Logger;
  const deps = { metrics: createMetricsRegistry('api', { processMetrics: false }), db: { job: { findMany: async () => [] } } } as unknown as ApiDeps;
  const hub = { addTenant: noop, removeTenant: noop, addJob: noop, removeJob: noop } as unknown as EventHub;
  const options = { maxBufferedBytes, messageRate: 100, messageBurst: 100, maxSubscriptions: 100, clock: new ManualClock() } as unknown as StreamOptions;
  // The tenant has no active job.
  const snapshots = new CoalescedReads<string, ActiveSnapshot>({ read: async () => ({ jobs: [], frames: null }), onError: noop, sliceSize: 128, sliceBudgetMs: 5, now: () => 0 });
  const conn = new StreamConnection(ws as unknown as WebSocket, socket as unknown as Duplex, deps, hub, options, log, new SocketQuota(0), snapshots);
  conn.principal = { keyId: 'k', tenantId: TENANT, tenantName: 't', scopes: ['read'] };
  conn.handle(JSON.stringify({ type: 'subscribe', all: true }));
  // The subscription reads the tenant's active jobs (none) before it is complete.
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  return { conn, writes, corks, closes, socket };
}

let order = 0;
function entry(jobId: string, seq: number): HubEntry {
  const wire = JSON.stringify({ type: 'event', jobId, seq, at: '2026-01-01T00:00:00Z', event: { type: 'progress', value: seq } });
  return { kind: 'event', jobId, tenantId: TENANT, seq, terminal: false, afterEnd: false, frame: textFrame(wire), order: order++ };
}

const joined = (entries: HubEntry[]) => Buffer.concat(entries.map((e) => e.frame));

describe('StreamConnection.draining', () => {
  it('says whether the kernel took more than a ping of the socket since the last sweep (bytes still queued in the stream do not count)', async () => {
    const { conn, socket } = await allConnection();
    expect(conn.draining()).toBe(false);
    socket.bytesWritten = 200_000; // handed to the socket, of which 150,000 still wait in the stream
    socket.writableLength = 150_000;
    expect(conn.draining()).toBe(true); // 50,000 taken by the kernel
    expect(conn.draining()).toBe(false); // nothing since
    socket.bytesWritten += 2; // the heartbeat's own ping
    expect(conn.draining()).toBe(false);
    socket.writableLength = 0; // the peer read on: the rest went out
    expect(conn.draining()).toBe(true);
  });
});

describe('StreamConnection.deliver', () => {
  it('writes a round to each socket as one shared buffer when it gets every entry', async () => {
    const a = await allConnection();
    const b = await allConnection();
    const round = [entry('j1', 2), entry('j1', 3), entry('j2', 2)];
    a.conn.deliver(round);
    b.conn.deliver(round);
    expect(a.writes).toHaveLength(1);
    expect(a.writes[0]!.equals(joined(round))).toBe(true);
    expect(b.writes[0]).toBe(a.writes[0]); // built once for the list, not per socket
  });

  it('writes only what a socket gets, in order, in one corked write, when it skips some', async () => {
    const { conn, writes, corks } = await allConnection();
    const first = [entry('j1', 2), entry('j1', 3)];
    conn.deliver(first);
    // seq 3 again (a duplicate on the bus): dropped; 4 and 5 go.
    const second = [entry('j1', 3), entry('j1', 4), entry('j1', 5)];
    conn.deliver(second);
    expect(writes).toHaveLength(3);
    expect(Buffer.concat(writes.slice(1)).equals(joined(second.slice(1)))).toBe(true);
    expect(corks).toEqual([1]); // the two frames of the second round under one cork
    // One entry left for this socket: its frame as it is.
    conn.deliver([entry('j1', 5), entry('j1', 6)]);
    expect(writes).toHaveLength(4);
  });

  it('writes nothing after dropping a slow consumer during a round (its close frame is last)', async () => {
    const round = [entry('j1', 2), entry('j1', 3)];
    const { conn, writes, closes } = await allConnection(round[0]!.frame.length + 1);
    conn.deliver(round);
    expect(closes).toEqual([STREAM_CLOSE.SLOW_CONSUMER]);
    expect(writes).toEqual([]);
  });
});
