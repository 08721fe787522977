import { apiClient, jobEnd, NO_RATE_LIMITS, startStack, StreamClient, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

const terminal = (m: any) => m.type === 'event' && m.event.type === 'state' && ['succeeded', 'failed', 'canceled'].includes(m.event.status);

/** Checks that one job's events, as received, are exactly seq from..to with no gap or duplicate. */
function expectDense(events: any[], from: number) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => from + i));
}

/** Live progress over WebSockets against two API instances, a worker and a simulated GPU. */
describe('WebSocket stream', () => {
  let stack: TestStack;
  let second: string;
  let admin: ReturnType<typeof apiClient>;
  const clients: StreamClient[] = [];
  const connect = async (url: string, opts: Parameters<typeof StreamClient.connect>[1]) => {
    const c = await StreamClient.connect(url, opts);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 10, simOptions: { previews: true }, workerEnv: { GANTRY_PREVIEW_INTERVAL_MS: '100' }, apiEnv: { GANTRY_WS_AUTH_TIMEOUT_MS: '1500', GANTRY_WS_ALLOWED_ORIGINS: 'https://studio.example' } });
    second = (await stack.startApi()).api.url;
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(() => stack.close());

  it('delivers a snapshot then every event in order, on both instances', async () => {
    const all = await connect(second, { key: stack.adminKey });
    await all.next((m) => m.type === 'ready');
    all.send({ type: 'subscribe', all: true });
    await all.next((m) => m.type === 'subscribed');

    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 30 }) })).body;
    const one = await connect(stack.url, { key: stack.adminKey, authVia: 'message' });
    await one.next((m) => m.type === 'ready');
    one.send({ type: 'subscribe', jobId: job.id, since: 0 });
    const snapshot = await one.next((m) => m.type === 'snapshot');
    expect(snapshot.job.id).toBe(job.id);
    await one.next(terminal);
    await all.next((m) => terminal(m) && m.jobId === job.id);

    const stored = (await admin('GET', `/api/v1/jobs/${job.id}/events`)).body.items;
    const received = one.events(job.id);
    expectDense(received, 1);
    expect(received.map((e) => e.event)).toEqual(stored.map((e: any) => e.event));
    const viaAll = all.events(job.id);
    expectDense(viaAll, viaAll[0].seq);
    expect(viaAll[viaAll.length - 1].seq).toBe(stored[stored.length - 1].seq);
    const overall = received.filter((e) => e.event.type === 'progress').map((e) => e.event.overall);
    expect(overall.length).toBeGreaterThan(0);
    expect([...overall].sort((a, b) => a - b)).toEqual(overall);
    expect(received.map((e) => e.event.status).filter(Boolean)).toEqual(['queued', 'dispatched', 'running', 'succeeded']);
  });

  it("shows an ended job's snapshot as GET /jobs/{id} does, and replays nothing to a client that has every event", async () => {
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) })).body;
    expect((await jobEnd(admin, job.id, 60_000)).status).toBe('succeeded');
    const { items } = (await admin('GET', `/api/v1/jobs/${job.id}/events`)).body;
    const lastSeq = items[items.length - 1].seq;
    const view = (await admin('GET', `/api/v1/jobs/${job.id}`)).body;
    const client = await connect(second, { key: stack.adminKey });
    await client.next((m) => m.type === 'ready');
    client.send({ type: 'subscribe', jobId: job.id, since: lastSeq });
    const snapshot = await client.next((m) => m.type === 'snapshot');
    expect(snapshot.lastSeq).toBe(lastSeq);
    expect(snapshot.job).toEqual(view);
    await client.next((m) => m.type === 'subscribed');
    // A ping answered after the subscription: nothing of the job came in between.
    client.send({ type: 'ping' });
    await client.next((m) => m.type === 'pong');
    expect(client.events(job.id)).toEqual([]);
    // A job of nobody (or of another tenant) is refused, and leaves nothing followed.
    client.send({ type: 'subscribe', jobId: '01a20153-556b-7000-93cf-d0697e9d81d1' });
    const refused = await client.next((m) => m.type === 'error');
    expect(refused.code).toBe('NOT_FOUND');
  });

  it('resumes with since after a forced disconnect: no gap, no duplicate', async () => {
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 60 }) })).body;
    const first = await connect(stack.url, { key: stack.adminKey });
    first.send({ type: 'subscribe', jobId: job.id, since: 0 });
    await first.next((m) => m.type === 'event' && m.event.type === 'progress', 60_000);
    first.close();
    const seen = first.events(job.id);
    const last = seen[seen.length - 1].seq;

    const again = await connect(second, { key: stack.adminKey });
    again.send({ type: 'subscribe', jobId: job.id, since: last });
    await again.next(terminal, 120_000);
    const rest = again.events(job.id);
    expect(rest[0].seq).toBe(last + 1);
    const joined = [...seen, ...rest];
    expectDense(joined, 1);
    const stored = (await admin('GET', `/api/v1/jobs/${job.id}/events`)).body.items;
    expect(joined.map((e) => e.seq)).toEqual(stored.map((e: any) => e.seq));
  });

  it('never shows one tenant anything of another tenant', async () => {
    const keyA = (await admin('POST', '/api/v1/api-keys', { tenant: 'ws-a', scopes: ['submit', 'read'] })).body.key;
    const keyB = (await admin('POST', '/api/v1/api-keys', { tenant: 'ws-b', scopes: ['submit', 'read'] })).body.key;
    const b = await connect(second, { key: keyB });
    b.send({ type: 'subscribe', all: true });
    await b.next((m) => m.type === 'subscribed');
    const a = await connect(stack.url, { key: keyA });
    a.send({ type: 'subscribe', all: true });
    await a.next((m) => m.type === 'subscribed');

    const jobA = (await apiClient(stack.url, keyA)('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 5 }) })).body;
    await a.next((m) => terminal(m) && m.jobId === jobA.id);
    b.send({ type: 'subscribe', jobId: jobA.id });
    const refused = await b.next((m) => m.type === 'error');
    expect(refused.code).toBe('NOT_FOUND');
    expect(b.messages.some((m) => JSON.stringify(m).includes(jobA.id) && m.type !== 'error')).toBe(false);
  });

  it('refuses bad keys, silence, and foreign origins', async () => {
    const silent = await connect(stack.url, {});
    expect((await silent.closed).code).toBe(4401);
    const wrong = await connect(stack.url, { key: 'gty_AAAAAAAAAAAA_' + 'x'.repeat(43) });
    expect((await wrong.closed).code).toBe(4401);
    const wrongMsg = await connect(stack.url, { key: stack.adminKey + 'x', authVia: 'message' });
    expect((await wrongMsg.closed).code).toBe(4401);
    const early = await connect(stack.url, { authVia: 'none' });
    early.send({ type: 'subscribe', all: true });
    expect((await early.next((m) => m.type === 'error')).code).toBe('UNAUTHENTICATED');
    await expect(StreamClient.connect(stack.url, { key: stack.adminKey, origin: 'https://evil.example' })).rejects.toThrow(/403/);
    const allowed = await connect(stack.url, { key: stack.adminKey, origin: 'https://studio.example' });
    await allowed.next((m) => m.type === 'ready');
  });

  it('answers bad messages with errors, limits size and floods', async () => {
    const c = await connect(stack.url, { key: stack.adminKey });
    await c.next((m) => m.type === 'ready');
    c.send('not json');
    expect((await c.next((m) => m.type === 'error')).code).toBe('MALFORMED_JSON');
    c.send({ type: 'launch-missiles' });
    expect((await c.next((m) => m.type === 'error' && m.code === 'VALIDATION_FAILED')).details).toBeDefined();
    c.send({ type: 'subscribe', jobId: 'nope' });
    await c.next((m) => m.type === 'error' && m.code === 'VALIDATION_FAILED' && JSON.stringify(m.details).includes('jobId'));
    c.send({ type: 'ping', id: 'p1' });
    expect(await c.next((m) => m.type === 'pong')).toEqual({ type: 'pong', id: 'p1' });
    for (let i = 0; i < 400; i++) c.send({ type: "ping" });
    expect((await c.next((m) => m.type === 'error' && m.code === 'RATE_LIMITED')).message).toMatch(/slow down/);
    expect((await c.closed).code).toBe(4429);

    const big = await connect(stack.url, { key: stack.adminKey });
    await big.next((m) => m.type === 'ready');
    big.send({ type: 'ping', id: 'x'.repeat(70 * 1024) });
    expect((await big.closed).code).toBe(1009);
  });

  it('drops a client that does not read, telling it to resume', async () => {
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) })).body;
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${job.id}`)).body.status === 'succeeded' ? true : undefined));
    // A long history (as a long render would leave), replayed to a client that stopped reading.
    const db = stack.apiResources.deps.db;
    await db.$executeRawUnsafe(
      `INSERT INTO job_events (job_id, seq, type, payload)
       SELECT $1::uuid, s, 'progress', jsonb_build_object('type','progress','node','3','value',s,'max',1,'overall',0.5,'pad',repeat('x', 400))
       FROM generate_series((SELECT last_seq + 1 FROM jobs WHERE id = $1::uuid), (SELECT last_seq + 30000 FROM jobs WHERE id = $1::uuid)) s`,
      job.id,
    );
    await db.$executeRawUnsafe(`UPDATE jobs SET last_seq = last_seq + 30000 WHERE id = $1::uuid`, job.id);
    const slow = await connect(stack.url, { key: stack.adminKey });
    await slow.next((m) => m.type === 'ready');
    (slow.ws as any)._socket.pause();
    const drops = async () => (await stack.apiResources.deps.metrics.getSingleMetric('gantry_ws_slow_consumer_drops_total')!.get()).values[0]?.value ?? 0;
    const before = await drops();
    slow.send({ type: 'subscribe', jobId: job.id, since: 0 });
    // Keep not reading until the server has given up on this socket, however slow the machine is.
    await waitUntil(async () => ((await drops()) > before ? true : undefined), 60_000, 100);
    (slow.ws as any)._socket.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(4408);
    expect(closed.reason).toMatch(/since/);
    expect(slow.events(job.id).length).toBeLessThan(30000);
  }, 180_000);

  it('streams rate-limited preview images only to clients that ask for them', async () => {
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 60 }) })).body;
    const wants = await connect(stack.url, { key: stack.adminKey });
    wants.send({ type: 'subscribe', jobId: job.id, previews: true });
    const plain = await connect(second, { key: stack.adminKey });
    plain.send({ type: 'subscribe', jobId: job.id });
    const preview = await wants.next((m) => m.type === 'preview');
    expect(preview).toMatchObject({ jobId: job.id, mime: expect.stringMatching(/^image\//) });
    const bytes = Buffer.from(preview.data, 'base64');
    expect(bytes.length).toBeGreaterThan(16);
    await wants.next(terminal);
    await plain.next(terminal);
    expect(plain.messages.some((m) => m.type === 'preview')).toBe(false);
    // At most one preview per 100 ms (GANTRY_PREVIEW_INTERVAL_MS) while the job ran: fewer than steps.
    const done = (await admin('GET', `/api/v1/jobs/${job.id}`)).body;
    const ranMs = new Date(done.finishedAt).getTime() - new Date(done.startedAt).getTime();
    const count = wants.messages.filter((m) => m.type === 'preview').length;
    expect(count).toBeLessThanOrEqual(Math.ceil(ranMs / 100) + 1);
    expect(count).toBeLessThan(60);
  });

  it('stops sending a job after unsubscribe', async () => {
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 200 }) })).body;
    const c = await connect(stack.url, { key: stack.adminKey });
    c.send({ type: 'subscribe', jobId: job.id });
    await c.next((m) => m.type === 'event' && m.event.type === 'progress', 30_000);
    c.send({ type: 'unsubscribe', jobId: job.id });
    const ack = await c.next((m) => m.type === 'unsubscribed');
    expect(ack.jobIds).toEqual([job.id]);
    const countAtAck = c.messages.indexOf(ack);
    // A second socket still follows the job; the job is canceled (its end does not wait for the
    // machine to render 200 steps), and once the witness saw the end, a ping on the first socket
    // is answered after anything the instance sent it for that same event.
    const witness = await connect(stack.url, { key: stack.adminKey });
    witness.send({ type: 'subscribe', jobId: job.id });
    await witness.next((m) => m.type === 'subscribed');
    await admin('POST', `/api/v1/jobs/${job.id}/cancel`);
    await witness.next((m) => m.type === 'event' && m.event.type === 'state' && m.event.status === 'canceled', 60_000);
    c.send({ type: 'ping', id: 'after-end' });
    await c.next((m) => m.type === 'pong' && m.id === 'after-end');
    expect(c.messages.slice(countAtAck + 1).filter((m) => m.jobId === job.id)).toEqual([]);
    witness.close();
  });

  it('closes sockets with going-away when an instance shuts down', async () => {
    const extra = await stack.startApi();
    const c = await connect(extra.api.url, { key: stack.adminKey });
    await c.next((m) => m.type === 'ready');
    extra.api.close(1000).catch(() => undefined);
    expect((await c.closed).code).toBe(1001);
  });
});

describe('WebSocket heartbeat', () => {
  it('terminates a socket that stops answering pings', async () => {
    const stack = await startStack({ gpus: 0, worker: false, apiEnv: { GANTRY_WS_PING_MS: '300' } });
    try {
      const c = await StreamClient.connect(stack.url, { key: stack.adminKey });
      await c.next((m) => m.type === 'ready');
      (c.ws as any)._socket.pause(); // a dead peer: pings go unanswered
      // Wait for the server to drop it (its only socket), not for a guessed number of rounds.
      await waitUntil(async () => (stack.api.stream.connections === 0 ? true : undefined), 30_000, 20);
      (c.ws as any)._socket.resume();
      expect((await c.closed).code).toBe(1006); // cut off without a close frame
      const alive = await StreamClient.connect(stack.url, { key: stack.adminKey });
      let pings = 0;
      alive.ws.on('ping', () => pings++);
      // Answers pings: stays open through four heartbeat rounds (each checks the previous pong).
      await waitUntil(async () => (pings >= 4 ? true : undefined), 30_000, 20);
      alive.send({ type: 'ping', id: 'still-here' });
      expect((await alive.next((m) => m.type === 'pong')).id).toBe('still-here');
      alive.close();
    } finally {
      await stack.close();
    }
  });

  it("terminates a hung client fed a trickle of events: the kernel's buffers taking them is no sign of life", async () => {
    const stack = await startStack({ gpus: 1, apiEnv: { GANTRY_WS_PING_MS: '300', ...NO_RATE_LIMITS } });
    try {
      const c = await StreamClient.connect(stack.url, { key: stack.adminKey });
      await c.next((m) => m.type === 'ready');
      c.send({ type: 'subscribe', all: true });
      await c.next((m) => m.type === 'subscribed');
      (c.ws as any)._socket.pause(); // hung: reads nothing, while its kernel still accepts bytes
      const admin = apiClient(stack.url, stack.adminKey);
      let accepted = 0;
      // A trickle of the tenant's events (a job submitted and run every 100 ms) until the server drops the socket.
      await waitUntil(
        async () => {
          if (stack.api.stream.connections === 0) return true;
          if ((await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) })).status === 202) accepted += 1;
          return undefined;
        },
        30_000,
        100,
      );
      expect(accepted).toBeGreaterThan(0);
      (c.ws as any)._socket.resume();
      expect((await c.closed).code).toBe(1006);
    } finally {
      await stack.close();
    }
  });
});
