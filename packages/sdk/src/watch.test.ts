import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { Job, JobEvent } from './types.js';
import { JobWatch } from './watch.js';
import type { WebSocketConstructor } from './websocket.js';

const ID = '0190a4c5-0000-7000-8000-000000000001';

const job = (status: Job['status'], progress = 0): Job => ({
  id: ID, kind: 'workflow', status, priority: 0, progress, attempts: 1, backend: 'gpu0', requirements: null, metadata: null,
  timeoutSeconds: null, webhook: null, createdAt: '2026-01-01T00:00:00Z', startedAt: null, finishedAt: null, error: null,
  artifacts: [], lastError: null, retryOf: null, reusedFrom: null, links: { self: `/api/v1/jobs/${ID}`, cancel: '', events: '' },
});
const event = (seq: number, body: JobEvent['event']) => ({ type: 'event', jobId: ID, seq, at: '2026-01-01T00:00:01Z', event: body });
const progress = (seq: number, overall: number) => event(seq, { type: 'progress', node: '3', value: seq, max: 20, overall });

/**
 * A real WebSocket server playing the stream's side from a script: each connection gets the
 * next handler, which sees what the client subscribed with.
 */
async function scriptedStream(connections: ((ws: WebSocket, subscribe: Record<string, unknown>, protocols: string[]) => void)[]) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: (p) => (p.has('gantry.v1') ? 'gantry.v1' : false) });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const subscribes: Record<string, unknown>[] = [];
  let n = 0;
  server.on('connection', (ws, req) => {
    const script = connections[Math.min(n++, connections.length - 1)]!;
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (m.type !== 'subscribe') return;
      subscribes.push(m);
      script(ws, m, protocols);
    });
    ws.send(JSON.stringify({ type: 'ready', tenant: 't', protocol: 'gantry.v1' }));
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/stream`;
  return { url, subscribes, connections: () => n, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const send = (ws: WebSocket, ...messages: object[]) => messages.forEach((m) => ws.send(JSON.stringify(m)));
const config = (url: string) => ({ streamUrl: url, apiKey: 'key-123', WebSocket: WebSocket as unknown as WebSocketConstructor });
const fast = { reconnect: { baseDelayMs: 10, maxDelayMs: 20 }, heartbeatMs: 0 };

describe('JobWatch against a scripted stream', () => {
  it('drops duplicates, resumes after a close with the last seq, and ends on the terminal state', async () => {
    const stream = await scriptedStream([
      (ws, _sub, protocols) => {
        expect(protocols).toEqual(['gantry.v1', 'gantry.key.key-123']);
        send(ws, { type: 'snapshot', job: job('running', 0.1), lastSeq: 2 }, progress(3, 0.2), progress(3, 0.2), progress(4, 0.3));
        ws.close(1001, 'going away'); // after the frames above, in order
      },
      (ws) => {
        send(ws, { type: 'snapshot', job: job('succeeded', 1), lastSeq: 5 }, progress(4, 0.3), event(5, { type: 'state', status: 'succeeded', attempt: 1 }));
      },
    ]);
    try {
      const seen: number[] = [];
      const reconnects: number[] = [];
      const watch = new JobWatch(ID, config(stream.url), { onEvent: (e) => seen.push(e.seq), onReconnecting: (i) => reconnects.push(i.code) }, fast);
      const [final] = await watch.done;
      expect(seen).toEqual([3, 4, 5]);
      expect(reconnects).toEqual([1001]);
      expect(stream.subscribes).toEqual([
        { type: 'subscribe', jobIds: [ID], previews: false },
        { type: 'subscribe', jobIds: [ID], sinceByJob: { [ID]: 4 }, previews: false },
      ]);
      expect(final).toMatchObject({ id: ID, status: 'succeeded', progress: 1 });
    } finally {
      await stream.close();
    }
  });

  it('ends at once for a job that is already terminal, and resumes from a given since', async () => {
    const stream = await scriptedStream([(ws) => send(ws, { type: 'snapshot', job: job('failed'), lastSeq: 7 })]);
    try {
      const watch = new JobWatch([ID], config(stream.url), {}, { ...fast, since: 50 });
      const [final] = await watch.done;
      expect(final!.status).toBe('failed');
      expect(stream.subscribes[0]).toMatchObject({ sinceByJob: { [ID]: 50 } });
    } finally {
      await stream.close();
    }
  });

  it('stops on 4401 without reconnecting, and on an unknown job', async () => {
    const stream = await scriptedStream([(ws) => ws.close(4401, 'invalid API key')]);
    try {
      const watch = new JobWatch(ID, config(stream.url), {}, fast);
      await expect(watch.done).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      expect(stream.connections()).toBe(1);
    } finally {
      await stream.close();
    }
    const missing = await scriptedStream([(ws) => send(ws, { type: 'error', code: 'NOT_FOUND', message: `No such job: ${ID}`, details: { jobId: ID } })]);
    try {
      const messages = [];
      const watch = new JobWatch(ID, config(missing.url), {}, fast);
      await expect(async () => {
        for await (const m of watch) messages.push(m);
      }).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await missing.close();
    }
  });

  it('gives up after maxAttempts failed reconnects', async () => {
    const stream = await scriptedStream([(ws) => ws.terminate()]);
    try {
      const watch = new JobWatch(ID, config(stream.url), {}, { ...fast, reconnect: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
      await expect(watch.done).rejects.toMatchObject({ code: 'STREAM_CLOSED' });
      expect(stream.connections()).toBe(3);
    } finally {
      await stream.close();
    }
  });
});
