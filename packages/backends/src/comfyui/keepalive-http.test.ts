import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeepAliveHttp } from './keepalive-http';

/** A server that drops a kept-alive socket when a second request arrives on it (a server's idle close racing the request). */
async function droppingServer(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const perSocket = new WeakMap<object, number>();
  const server = http.createServer((req, res) => {
    requests += 1;
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (n > 1) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function text(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('KeepAliveHttp', () => {
  it('sends a GET again on a fresh socket when the server closed the kept-alive one', async () => {
    const server = await droppingServer();
    const client = new KeepAliveHttp(server.url);
    try {
      expect(await text(await client.send({ method: 'GET', path: '/a', signal: AbortSignal.timeout(10_000) }))).toBe('ok');
      expect(await text(await client.send({ method: 'GET', path: '/b', signal: AbortSignal.timeout(10_000) }))).toBe('ok');
      expect(server.requests()).toBe(3); // the second went out twice
    } finally {
      client.close();
      server.close().catch(() => undefined);
    }
  });

  it('does not send a POST twice: the stale socket is reported as the reset it was', async () => {
    const server = await droppingServer();
    const client = new KeepAliveHttp(server.url);
    try {
      await text(await client.send({ method: 'POST', path: '/prompt', body: '{}', signal: AbortSignal.timeout(10_000) }));
      await expect(client.send({ method: 'POST', path: '/prompt', body: '{}', signal: AbortSignal.timeout(10_000) })).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(server.requests()).toBe(2);
    } finally {
      client.close();
      server.close().catch(() => undefined);
    }
  });
});
