import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookAllowlist } from './allowlist';
import { postWebhook } from './post-webhook';
import { vetWebhookTarget } from './target-policy';

/** A receiver on 127.0.0.1 whose answer each test chooses. */
describe('postWebhook', () => {
  let server: http.Server;
  let port: number;
  const seen: { method: string; url: string; host: string; body: string; headers: http.IncomingHttpHeaders }[] = [];
  let respond: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end('ok');

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, host: req.headers.host!, body: Buffer.concat(chunks).toString(), headers: req.headers });
        respond(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  // rebind.example.test exists nowhere; the injected resolver answers 127.0.0.1, and only the pinned
  // lookup can take the connection there (the system resolver would fail with ENOTFOUND).
  const target = (path = '/hook?x=1') =>
    vetWebhookTarget(`http://rebind.example.test:${port}${path}`, {
      allowlist: WebhookAllowlist.parse('rebind.example.test'),
      resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    });

  it('connects to the vetted address with the original Host, path and headers', async () => {
    respond = (_req, res) => res.writeHead(204).end();
    const result = await postWebhook({ target: await target(), body: '{"a":1}', headers: { 'X-Test': 'yes', 'Content-Type': 'application/json' }, timeoutMs: 10_000 });
    expect(result).toMatchObject({ kind: 'response', statusCode: 204 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/hook?x=1', host: `rebind.example.test:${port}`, body: '{"a":1}' });
    expect(seen[0]!.headers['x-test']).toBe('yes');
  });

  it('never follows a redirect', async () => {
    respond = (req, res) => {
      if (req.url === '/moved') res.writeHead(307, { Location: `http://127.0.0.1:${port}/elsewhere` }).end();
      else res.end('should not be reached');
    };
    const result = await postWebhook({ target: await target('/moved'), body: '{}', headers: {}, timeoutMs: 10_000 });
    expect(result).toMatchObject({ kind: 'response', statusCode: 307 });
    expect(seen.map((s) => s.url)).toEqual(['/moved']);
  });

  it('reports status, Retry-After and a bounded piece of the body', async () => {
    respond = (_req, res) => res.writeHead(503, { 'Retry-After': '7' }).end('x'.repeat(100_000));
    const result = await postWebhook({ target: await target(), body: '{}', headers: {}, timeoutMs: 10_000 });
    expect(result).toMatchObject({ kind: 'response', statusCode: 503, retryAfter: '7' });
    if (result.kind === 'response') expect(result.bodySnippet.length).toBeLessThanOrEqual(200);
  });

  it('times out a receiver that never answers', async () => {
    respond = () => undefined; // holds the request open
    const result = await postWebhook({ target: await target(), body: '{}', headers: {}, timeoutMs: 300 });
    expect(result).toMatchObject({ kind: 'error', timedOut: true });
  });

  it('reports a refused connection as an error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const t = await vetWebhookTarget(`http://127.0.0.1:${deadPort}/`, { allowlist: WebhookAllowlist.parse('127.0.0.1'), resolver: async () => [] });
    const result = await postWebhook({ target: t, body: '{}', headers: {}, timeoutMs: 10_000 });
    expect(result).toMatchObject({ kind: 'error', timedOut: false });
    if (result.kind === 'error') expect(result.error).toContain('ECONNREFUSED');
  });
});
