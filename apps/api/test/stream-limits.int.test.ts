import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { apiClient, startStack, StreamClient, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

/** Opens a stream socket and resolves with how the upgrade ended: 101, or the refusal's status and headers. */
async function upgrade(baseUrl: string, key: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; ws: WebSocket }> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/stream`, ['gantry.v1', `gantry.key.${key}`], { headers });
  return new Promise((resolve, reject) => {
    ws.once('upgrade', (res) => resolve({ status: 101, headers: res.headers, ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, ws });
      res.resume();
    });
    ws.once('error', reject);
  });
}

/**
 * The stream's abuse limits (docs/websocket.md#limits): sockets per key and per client IP,
 * upgrades per IP in the shared Redis limiter, unknown keys remembered, duplicate job ids in one
 * subscription ignored.
 */
describe('WebSocket stream limits', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  const clients: StreamClient[] = [];
  const connect = async (url: string, opts: Parameters<typeof StreamClient.connect>[1]) => {
    const c = await StreamClient.connect(url, opts);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    // Every instance of this stack: two sockets per key, unknown keys remembered for a minute.
    stack = await startStack({ gpus: 0, worker: false, apiEnv: { GANTRY_WS_MAX_SOCKETS_PER_KEY: '2', GANTRY_AUTH_NEGATIVE_CACHE_TTL_MS: '60000' } });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(() => stack.close());

  async function readKey(tenant: string): Promise<string> {
    return (await admin('POST', '/api/v1/api-keys', { tenant, scopes: ['read'] })).body.key;
  }

  it('closes a key over its socket cap with 4429, and takes it again once one closed', async () => {
    const key = await readKey('cap-key');
    const first = await connect(stack.url, { key });
    const second = await connect(stack.url, { key });
    await first.next((m) => m.type === 'ready');
    await second.next((m) => m.type === 'ready');
    const third = await connect(stack.url, { key, authVia: 'message' });
    expect(await third.closed).toEqual({ code: 4429, reason: 'too many sockets for this API key' });
    // Another key is not affected.
    const other = await connect(stack.url, { key: stack.adminKey });
    await other.next((m) => m.type === 'ready');

    first.close();
    const again = await waitUntil(async () => {
      const c = await connect(stack.url, { key });
      const outcome = await Promise.race([c.next((m) => m.type === 'ready').then(() => 'ready'), c.closed.then(() => 'closed')]);
      return outcome === 'ready' ? c : undefined;
    }, 15_000, 50);
    expect(again.messages[0]).toMatchObject({ type: 'ready' });
  });

  it('refuses an IP over its socket cap with 429 before the upgrade, by the trusted client address', async () => {
    const { api, resources } = await stack.startApi({ GANTRY_WS_MAX_SOCKETS_PER_IP: '4', GANTRY_TRUST_PROXY: 'loopback' });
    const keys = await Promise.all([1, 2, 3].map((i) => readKey(`cap-ip-${i}`)));
    const crowd = { 'x-forwarded-for': '198.51.100.20' };
    const open: WebSocket[] = [];
    for (const key of [keys[0]!, keys[0]!, keys[1]!, keys[1]!]) {
      const res = await upgrade(api.url, key, crowd);
      expect(res.status).toBe(101);
      open.push(res.ws);
    }
    const refused = await upgrade(api.url, keys[2]!, crowd);
    expect(refused.status).toBe(429);
    // Another client (as the trusted proxy reports it) is counted apart.
    const elsewhere = await upgrade(api.url, keys[2]!, { 'x-forwarded-for': '198.51.100.21' });
    expect(elsewhere.status).toBe(101);
    open.push(elsewhere.ws);

    open[0]!.terminate();
    const after = await waitUntil(async () => {
      const res = await upgrade(api.url, keys[2]!, crowd);
      if (res.status === 101) return res;
      return undefined;
    }, 15_000, 50);
    open.push(after.ws);
    const refusals = await resources.deps.metrics.getSingleMetric('gantry_ws_refused_total')!.get();
    expect(refusals.values.find((v) => v.labels.reason === 'ip_sockets')?.value).toBeGreaterThanOrEqual(1);
    for (const ws of open) ws.terminate();
  });

  it('rate limits upgrades per IP through the shared Redis limiter (429 with Retry-After)', async () => {
    // Two instances, one quota: the limiter lives in Redis.
    const one = await stack.startApi({ GANTRY_WS_UPGRADES_PER_MINUTE: '2', GANTRY_TRUST_PROXY: 'loopback' });
    const two = await stack.startApi({ GANTRY_WS_UPGRADES_PER_MINUTE: '2', GANTRY_TRUST_PROXY: 'loopback' });
    const client = { 'x-forwarded-for': '203.0.113.50' };
    const a = await upgrade(one.api.url, stack.adminKey, client);
    const b = await upgrade(two.api.url, stack.adminKey, client);
    expect([a.status, b.status]).toEqual([101, 101]);
    const limited = await upgrade(one.api.url, stack.adminKey, client);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // A bad key costs an upgrade too: a reconnect loop with it is bounded the same way.
    expect((await upgrade(two.api.url, 'gty_AAAAAAAAAAAA_' + 'x'.repeat(43), client)).status).toBe(429);
    const other = await upgrade(two.api.url, stack.adminKey, { 'x-forwarded-for': '203.0.113.51' });
    expect(other.status).toBe(101);
    for (const ws of [a.ws, b.ws, other.ws]) ws.terminate();
  });

  it('remembers an unknown key: repeating it does not reach the database each time', async () => {
    const metrics = stack.apiResources.deps.metrics;
    const unknownHits = async () => (await metrics.getSingleMetric('gantry_auth_key_lookups_total')!.get()).values.find((v) => v.labels.result === 'unknown_hit')?.value ?? 0;
    const before = await unknownHits();
    const bad = 'gty_BBBBBBBBBBBB_' + 'y'.repeat(43);
    for (let i = 0; i < 3; i++) {
      const c = await connect(stack.url, { key: bad });
      expect((await c.closed).code).toBe(4401);
    }
    expect(await unknownHits()).toBe(before + 2);
  });

  it('subscribes to a job listed several times in one message once', async () => {
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow() })).body;
    const c = await connect(stack.url, { key: stack.adminKey });
    await c.next((m) => m.type === 'ready');
    const ids = [job.id, job.id, job.id.toUpperCase(), job.id];
    c.send({ type: 'subscribe', jobIds: ids, sinceByJob: { [job.id.toUpperCase()]: 0 } });
    const ack = await c.next((m) => m.type === 'subscribed');
    expect(ack.jobIds).toEqual([job.id]);
    // Snapshots and replays come before the acknowledgement: everything for this message is in.
    expect(c.messages.filter((m) => m.type === 'snapshot')).toHaveLength(1);
    expect(c.events(job.id).map((e) => e.seq)).toEqual([1]); // since 0: the one stored event, once

    // `all` twice: the second is acknowledged without sending the snapshots again.
    c.send({ type: 'subscribe', all: true });
    const firstAll = c.messages.length;
    await c.next((m) => m.type === 'subscribed' && m.all, 45_000, firstAll);
    c.send({ type: 'ping', id: 'after-first-all' });
    await c.next((m) => m.type === 'pong');
    const snapshotsAfterFirst = c.messages.filter((m) => m.type === 'snapshot').length;
    c.send({ type: 'subscribe', all: true });
    c.send({ type: 'ping', id: 'after-second-all' });
    await c.next((m) => m.type === 'pong' && m.id === 'after-second-all');
    expect(c.messages.filter((m) => m.type === 'snapshot')).toHaveLength(snapshotsAfterFirst);
    expect(c.messages.filter((m) => m.type === 'subscribed' && m.all)).toHaveLength(2);
  });
});

/**
 * An `all` socket's memory does not grow with the jobs it has seen: a job's cursor goes once its
 * end was sent, a late event of an ended job does not bring it back, and jobs whose end never
 * came are bounded. Events are published on the bus directly (no worker: the counts are exact).
 */
describe('WebSocket stream: `all` sockets stay flat', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // A small send buffer: a burst delivered in one round must still fit (see the last test).
    stack = await startStack({ gpus: 0, worker: false, apiEnv: { GANTRY_WS_MAX_BUFFER_BYTES: '16384' } });
  });
  afterAll(() => stack.close());

  it('keeps no cursor per ended job, and at most 1000 for jobs that never end', async () => {
    const { metrics, publisher, db } = stack.apiResources.deps;
    const followed = async () => (await metrics.getSingleMetric('gantry_ws_followed_jobs')!.get()).values[0]?.value ?? 0;
    const admin = apiClient(stack.url, stack.adminKey);
    const key = (await admin('POST', '/api/v1/api-keys', { tenant: 'flat', scopes: ['read'] })).body.key;
    const tenantId = (await db.$queryRawUnsafe<{ id: string }[]>(`SELECT id::text FROM tenants WHERE name = 'flat'`))[0]!.id;
    const c = await StreamClient.connect(stack.url, { key });
    try {
      c.send({ type: 'subscribe', all: true });
      await c.next((m) => m.type === 'subscribed');
      const at = new Date(0).toISOString();
      const publish = (jobId: string, seq: number, event: object) => publisher.publishEvent({ jobId, seq, at, event: event as never, tenantId });

      const ended = Array.from({ length: 300 }, () => randomUUID());
      for (const jobId of ended) {
        await publish(jobId, 2, { type: 'state', status: 'running', attempt: 1 });
        await publish(jobId, 3, { type: 'state', status: 'succeeded', attempt: 1 });
      }
      const last = ended[ended.length - 1];
      await c.next((m) => m.type === 'event' && m.jobId === last && m.seq === 3, 60_000);
      expect(ended.every((id) => c.events(id).map((e) => e.seq).join() === '2,3')).toBe(true);
      expect(await followed()).toBe(0);

      // A late event of an ended job (published out of order) is not sent and follows nothing.
      await publish(ended[0]!, 2, { type: 'progress', node: '3', value: 1, max: 2, overall: 0.5 });
      c.send({ type: 'ping', id: 'after-late' });
      await c.next((m) => m.type === 'pong' && m.id === 'after-late');
      expect(c.events(ended[0]!)).toHaveLength(2);
      expect(await followed()).toBe(0);

      // Jobs whose end never comes over the bus: bounded, the oldest let go.
      const open = Array.from({ length: 1100 }, () => randomUUID());
      for (const jobId of open) await publish(jobId, 2, { type: 'state', status: 'running', attempt: 1 });
      await c.next((m) => m.type === 'event' && m.jobId === open[open.length - 1], 60_000);
      expect(open.every((id) => c.events(id).length === 1)).toBe(true);
      expect(await followed()).toBe(1000);
    } finally {
      c.close();
    }
    await waitUntil(async () => ((await followed()) === 0 ? true : undefined), 30_000, 20);
  }, 120_000);

  it('does not take a reading client for slow when a burst comes in one round', async () => {
    const { publisher, db } = stack.apiResources.deps;
    const admin = apiClient(stack.url, stack.adminKey);
    const key = (await admin('POST', '/api/v1/api-keys', { tenant: 'burst', scopes: ['read'] })).body.key;
    const tenantId = (await db.$queryRawUnsafe<{ id: string }[]>(`SELECT id::text FROM tenants WHERE name = 'burst'`))[0]!.id;
    const c = await StreamClient.connect(stack.url, { key });
    try {
      c.send({ type: 'subscribe', all: true });
      await c.next((m) => m.type === 'subscribed');
      // 400 events of ~250 bytes (100 KB, six times the socket's 16 KiB limit) published at once.
      const jobId = randomUUID();
      const at = new Date(0).toISOString();
      await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          publisher.publishEvent({ jobId, seq: i + 2, at, event: { type: 'progress', node: '3', value: i, max: 400, overall: i / 400 } as never, tenantId }),
        ),
      );
      await c.next((m) => m.type === 'event' && m.seq === 401, 60_000);
      expect(c.events(jobId).map((e) => e.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 2));
    } finally {
      c.close();
    }
  }, 120_000);
});
