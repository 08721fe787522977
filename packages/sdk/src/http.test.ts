import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GantryClient } from './client.js';
import { backoffDelay, parseRetryAfter } from './signals.js';

/** A real HTTP server answering from a script of responses, recording what it got. */
async function scripted(responses: { status: number; headers?: Record<string, string>; body?: unknown }[]) {
  const seen: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req);
    const next = responses[Math.min(seen.length - 1, responses.length - 1)]!;
    res.writeHead(next.status, { 'content-type': next.status >= 400 ? 'application/problem+json' : 'application/json', ...next.headers });
    res.end(next.body === undefined ? '' : JSON.stringify(next.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const job = { id: '0190a4c5-0000-7000-8000-000000000000', status: 'queued', artifacts: [] };
const busy = { status: 503, headers: { 'retry-after': '0' }, body: { code: 'SERVICE_UNAVAILABLE', title: 'Service unavailable', status: 503, detail: 'queue down' } };

describe('transport retries', () => {
  it('retries idempotent calls on 503 and 429, honouring Retry-After', async () => {
    const s = await scripted([busy, { status: 429, headers: { 'retry-after': '0' }, body: { code: 'TENANT_QUEUE_FULL' } }, { status: 200, body: job }]);
    try {
      const client = new GantryClient({ url: s.url, apiKey: 'k', retry: { baseDelayMs: 1 } });
      expect((await client.get(job.id)).id).toBe(job.id);
      expect(s.seen).toHaveLength(3);
      expect(s.seen[0]!.headers.authorization).toBe('Bearer k');
    } finally {
      await s.close();
    }
  });

  it('retries a submit only when it carries an idempotency key', async () => {
    const s = await scripted([busy, busy, { status: 202, body: job }]);
    try {
      const client = new GantryClient({ url: s.url, apiKey: 'k', retry: { baseDelayMs: 1 } });
      await expect(client.submit({ workflow: {} })).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', detail: 'queue down' });
      expect(s.seen).toHaveLength(1);
      const { job: got } = await client.submit({ workflow: {} }, { idempotencyKey: 'abc' });
      expect(got.id).toBe(job.id);
      expect(s.seen).toHaveLength(3);
      expect(s.seen[2]!.headers['idempotency-key']).toBe('abc');
    } finally {
      await s.close();
    }
  });

  it('retries a job retry only when it carries an idempotency key, and reports a replay', async () => {
    const s = await scripted([busy, busy, { status: 202, headers: { 'idempotent-replayed': 'true' }, body: job }]);
    try {
      const client = new GantryClient({ url: s.url, apiKey: 'k', retry: { baseDelayMs: 1 } });
      await expect(client.retry('old/id')).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(s.seen).toHaveLength(1);
      expect(s.seen[0]!.method).toBe('POST');
      expect(s.seen[0]!.url).toBe('/api/v1/jobs/old%2Fid/retry');
      const got = await client.retry('old-id', { idempotencyKey: 'again' });
      expect(got).toMatchObject({ job: { id: job.id }, replayed: true });
      expect(s.seen).toHaveLength(3);
      expect(s.seen[2]!.headers['idempotency-key']).toBe('again');
    } finally {
      await s.close();
    }
  });

  it('gives up after the configured retries and keeps the last problem', async () => {
    const s = await scripted([busy]);
    try {
      const client = new GantryClient({ url: s.url, retry: { retries: 2, baseDelayMs: 1 } });
      await expect(client.get(job.id)).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: 0 });
      expect(s.seen).toHaveLength(3);
    } finally {
      await s.close();
    }
  });

  it('never sends the key to another origin', async () => {
    const s = await scripted([{ status: 200, body: {} }]);
    try {
      const client = new GantryClient({ url: 'http://127.0.0.1:9', apiKey: 'secret' });
      await client.download(`${s.url}/elsewhere.png`);
      expect(s.seen[0]!.headers.authorization).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});

describe('backoff and Retry-After', () => {
  it('doubles the ceiling per attempt, capped, with jitter in its upper half', () => {
    expect(backoffDelay(0, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(800);
    expect(backoffDelay(20, 100, 10_000, () => 1)).toBe(10_000);
  });

  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('7')).toBe(7);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
  });
});
