import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { sendJson } from './send-json';

/** sendJson answers as `res.json` does in the app (no ETag, no JSON settings): the same bytes and headers. */
describe('sendJson', () => {
  const body = { a: 'é ü \u2028 "q" \\ \n', '10': 1, '2': [1.5, 1e-7, 1e21, null], nested: { x: 0.1 }, empty: '' };
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    app.set('etag', false);
    app.all('/json', (_req, res) => void res.json(body));
    app.all('/send', (_req, res) => sendJson(res, body));
    app.all('/json-small', (_req, res) => void res.json({ ok: true }));
    app.all('/send-small', (_req, res) => sendJson(res, { ok: true }));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const answer = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, init);
    const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== 'date'));
    return { status: res.status, headers, bytes: Buffer.from(await res.arrayBuffer()).toString('hex') };
  };

  it.each([
    ['a page', '', {}],
    ['a small body', '-small', {}],
    ['HEAD', '', { method: 'HEAD' }],
    ['a conditional GET', '', { headers: { 'if-none-match': '*' } }],
  ] as const)('%s', async (_name, suffix, init) => {
    const viaJson = await answer(`/json${suffix}`, init);
    expect(await answer(`/send${suffix}`, init)).toEqual(viaJson);
    expect(viaJson.headers['content-type']).toBe('application/json; charset=utf-8');
  });
});
