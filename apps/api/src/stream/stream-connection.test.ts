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

/** A snapshot read the test settles by hand. */
type Read = () => Promise<ActiveSnapshot>;
const noActiveJob: Read = async () => ({ jobs: [], frames: null });

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** A connection on fake ws, socket and hub objects that record what they are asked; authenticated, nothing subscribed. */
function connection(maxBufferedBytes = 1 << 20, read: Read = noActiveJob) {
  const writes: Buffer[] = [];
  const corks: number[] = [];
  const closes: number[] = [];
  const texts: Array<Record<string, unknown>> = [];
  const ws = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: 0,
    send: (text: string) => texts.push(JSON.parse(text)),
    ping: () => undefined,
    close: (code: number) => closes.push(code),
    terminate: () => undefined,
  };
  const socket = { write: (b: Buffer) => writes.push(b), cork: () => corks.push(writes.length), uncork: () => undefined, bytesWritten: 0, writableLength: 0 };
  const noop = () => undefined;
  const log = { info: noop, warn: noop, error: noop, debug: noop } as unknown as Logger;
  const deps = { metrics: createMetricsRegistry('api', { processMetrics: false }), db: { job: { findMany: async () => [] } } } as unknown as ApiDeps;
  const byJob = new Set<string>();
  const tenants: string[] = [];
  const hub = {
    addTenant: (t: string) => tenants.push(t),
    removeTenant: (t: string) => tenants.splice(tenants.indexOf(t), 1),
    addJob: (id: string) => byJob.add(id),
    removeJob: (id: string) => byJob.delete(id),
  } as unknown as EventHub;
  const options = { maxBufferedBytes, messageRate: 100, messageBurst: 100, maxSubscriptions: 100, clock: new ManualClock() } as unknown as StreamOptions;
  const snapshots = new CoalescedReads<string, ActiveSnapshot>({ read, onError: noop, onReadError: noop, sliceSize: 128, sliceBudgetMs: 5, now: () => 0 });
  const conn = new StreamConnection(ws as unknown as WebSocket, socket as unknown as Duplex, deps, hub, options, log, new SocketQuota(0), snapshots);
  conn.principal = { keyId: 'k', tenantId: TENANT, tenantName: 't', scopes: ['read'] };
  return { conn, writes, corks, closes, socket, texts, byJob, tenants, ws };
}

/** A connection on fake ws and socket objects that records every write; `all` subscribed. */
async function allConnection(maxBufferedBytes = 1 << 20) {
  const c = connection(maxBufferedBytes);
  c.conn.handle(JSON.stringify({ type: 'subscribe', all: true }));
  // The subscription reads the tenant's active jobs (none) before it is complete.
  await turns();
  return c;
}

/** A snapshot of jobs (each at lastSeq 1) whose frames are `bytes` long each. */
function snapshotOf(jobIds: string[], bytes = 100): ActiveSnapshot {
  const frames = jobIds.map((id) => textFrame(JSON.stringify({ type: 'snapshot', job: { id, pad: 'x'.repeat(bytes) }, lastSeq: 1 }).slice(0, bytes)));
  return { jobs: jobIds.map((id) => ({ id, lastSeq: 1 })), frames: Buffer.concat(frames) };
}

/** A read that waits for the test: `settle` resolves or rejects the next one. */
function manualRead() {
  const pending: Array<{ resolve: (s: ActiveSnapshot) => void; reject: (e: unknown) => void }> = [];
  const read: Read = () => new Promise((resolve, reject) => pending.push({ resolve, reject }));
  return { read, pending };
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

function preview(jobId: string, bytes: number): HubEntry {
  return { kind: 'preview', jobId, tenantId: TENANT, seq: 0, terminal: false, afterEnd: false, frame: textFrame('p'.repeat(bytes)), order: order++ };
}

describe('StreamConnection: an `all` subscription waiting for its shared snapshot read', () => {
  it('holds only the events it would be sent, counted apart from the send buffer: previews while it waits neither close it nor come later', async () => {
    const { read, pending } = manualRead();
    const c = connection(1 << 20, read);
    c.conn.handle(JSON.stringify({ type: 'subscribe', all: true, previews: true }));
    await turns();
    expect(pending).toHaveLength(1);
    // A busy tenant's previews (4 x ~341 KiB) and events while the read runs: more than the 1 MiB cap.
    const big = [preview('j1', 341 * 1024), preview('j1', 341 * 1024), entry('j1', 2), preview('j1', 341 * 1024), preview('j1', 341 * 1024)];
    c.conn.deliver(big);
    c.conn.deliver([entry('j1', 3), entry('j2', 1)]);
    expect(c.closes).toEqual([]);
    expect(c.writes).toEqual([]);
    pending[0]!.resolve(snapshotOf(['j1']));
    await turns();
    expect(c.closes).toEqual([]);
    // The snapshot, then the held events (seq 2 and 3 of j1 after its snapshot at 1, j2 seen live), no preview.
    expect(c.writes.map((w) => w.length)).toEqual([snapshotOf(['j1']).frames!.length, big[2]!.frame.length, joined([entry('j1', 3), entry('j2', 1)]).length]);
    expect(c.writes.some((w) => w.length > 300 * 1024)).toBe(false);
  });

  it('is dropped as a slow consumer (4408) past 10 000 held events, whatever their bytes', async () => {
    const { read, pending } = manualRead();
    const c = connection(1 << 30, read);
    c.conn.handle(JSON.stringify({ type: 'subscribe', all: true }));
    await turns();
    c.conn.deliver(Array.from({ length: 10_000 }, (_, i) => entry('j1', i + 2)));
    expect(c.closes).toEqual([]);
    c.conn.deliver([entry('j1', 10_002)]);
    expect(c.closes).toEqual([STREAM_CLOSE.SLOW_CONSUMER]);
    pending[0]!.resolve(snapshotOf(['j1']));
    await turns();
    expect(c.writes).toEqual([]);
  });

  it('writes its snapshots even when they together exceed the send-buffer cap (they are bounded by themselves)', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `job-${i}`);
    const snapshot = snapshotOf(ids, 500);
    expect(snapshot.frames!.length).toBeGreaterThan(16 * 1024);
    const c = connection(16 * 1024, async () => snapshot);
    c.conn.handle(JSON.stringify({ type: 'subscribe', all: true }));
    await turns();
    expect(c.closes).toEqual([]);
    expect(c.writes).toEqual([snapshot.frames]);
  });

  it('a failed read undoes the subscription and says so; subscribing again reads again and gets the snapshots', async () => {
    const { read, pending } = manualRead();
    const c = connection(1 << 20, read);
    c.conn.handle(JSON.stringify({ type: 'subscribe', all: true }));
    await turns();
    c.conn.deliver([entry('j1', 2)]);
    pending[0]!.reject(new Error('connection terminated at 10.0.0.7'));
    await turns();
    expect(c.texts).toEqual([
      { type: 'subscribed', all: true },
      { type: 'error', code: 'INTERNAL', message: 'An unexpected error occurred' },
    ]);
    expect(c.tenants).toEqual([]);
    expect(c.writes).toEqual([]); // the held event went with the subscription
    c.conn.deliver([entry('j1', 3)]); // not subscribed: nothing
    expect(c.writes).toEqual([]);
    c.conn.handle(JSON.stringify({ type: 'subscribe', all: true }));
    await turns();
    expect(pending).toHaveLength(2);
    pending[1]!.resolve(snapshotOf(['j1']));
    await turns();
    expect(c.writes).toEqual([snapshotOf(['j1']).frames]);
    expect(c.tenants).toEqual([TENANT]);
  });

  it('a failed read still delivers the held events of a job followed by id (its end is not lost)', async () => {
    const { read, pending } = manualRead();
    const c = connection(1 << 20, read);
    // Followed by id at seq 1 (as a `jobId` subscription leaves it), then `all` asked for.
    (c.conn as unknown as { track(id: string, lastSeq: number, byJob: boolean): unknown }).track('j5', 1, true);
    c.conn.handle(JSON.stringify({ type: 'subscribe', all: true }));
    await turns();
    const end = entry('j5', 2);
    c.conn.deliver([end, entry('j6', 1)]); // held while the read runs
    pending[0]!.reject(new Error('read failed'));
    await turns();
    expect(c.texts.map((t) => t.type)).toEqual(['subscribed', 'error']);
    expect(Buffer.concat(c.writes)).toEqual(end.frame); // j5's event went out; j6 (followed by nobody here) did not
  });

  it('a failed read of a job followed by id leaves nothing followed (no cursor left holding its events)', async () => {
    const c = connection(); // its database fake cannot serve the read: it fails
    c.conn.handle(JSON.stringify({ type: 'subscribe', jobId: '01a20153-556b-7000-93cf-d0697e9d81d1' }));
    await turns();
    expect(c.texts.map((t) => t.type)).toEqual(['error']);
    expect(c.byJob.size).toBe(0);
    expect((c.conn as unknown as { cursors: Map<string, unknown> }).cursors.size).toBe(0);
  });

  it('the next message is handled even if handing out the snapshot threw', async () => {
    const c = connection(1 << 20, async () => snapshotOf(['j1']));
    c.socket.write = () => {
      throw new Error('write failed');
    };
    c.conn.handle(JSON.stringify({ type: 'subscribe', all: true }));
    await turns();
    c.conn.handle(JSON.stringify({ type: 'ping', id: 'x' }));
    await turns();
    expect(c.texts.at(-1)).toEqual({ type: 'pong', id: 'x' });
  });

  it("registers its snapshots' jobs by job only on `unsubscribe all`, and only those (not jobs seen live)", async () => {
    const c = connection(1 << 20, async () => snapshotOf(['j1', 'j2']));
    c.conn.handle(JSON.stringify({ type: 'subscribe', all: true }));
    await turns();
    c.conn.deliver([entry('j3', 1)]); // seen live: followed under `all`
    expect(c.byJob).toEqual(new Set());
    c.conn.handle(JSON.stringify({ type: 'unsubscribe', all: true }));
    await turns();
    expect(c.byJob).toEqual(new Set(['j1', 'j2']));
  });
});
