import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { makeAsset, type AssetSet } from './assets.js';
import { DASHBOARD_CSP, dashboard } from './handler.js';

const js = makeAsset('app.0123456789ab.js', Buffer.from('console.log("dashboard");'.repeat(50)), 'text/javascript; charset=utf-8');
const set: AssetSet = {
  template: '<!doctype html><script type="module" src="%BASE%/assets/app.0123456789ab.js"></script>',
  files: new Map([[js.name, js]]),
};

let server: Server;
let base: string;
let failing = false;

beforeAll(async () => {
  const handler = dashboard({ basePath: '/ui/', assets: async () => (failing ? Promise.reject(new Error('bundle broke')) : set) });
  server = createServer((req, res) =>
    handler(req, res, (err) => {
      res.statusCode = err ? 500 : 404;
      res.end(err ? 'error' : 'next');
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
  fetch(base + path, { method, headers: { 'accept-encoding': 'identity', ...headers } });

test('serves the page with the mount path filled in, its own CSP and no-cache', async () => {
  const res = await get('/');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
  expect(res.headers.get('cache-control')).toBe('no-cache');
  expect(await res.text()).toContain('src="/ui/assets/app.0123456789ab.js"');
  expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
  expect(DASHBOARD_CSP).toContain("img-src 'self' blob: data:");
});

test('hashed assets are immutable, ETag-validated and precompressed', async () => {
  const res = await get('/assets/app.0123456789ab.js', { 'accept-encoding': 'gzip, deflate' });
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(res.headers.get('content-encoding')).toBe('gzip');
  expect(res.headers.get('vary')).toBe('Accept-Encoding');
  const etag = res.headers.get('etag')!;
  expect(etag).toMatch(/^"[\w-]+"$/);
  // fetch decodes gzip itself; the bytes are the original script.
  expect(Buffer.from(await res.arrayBuffer()).equals(js.body)).toBe(true);
  expect(gunzipSync(js.gzip).equals(js.body)).toBe(true);

  const br = await get('/assets/app.0123456789ab.js', { 'accept-encoding': 'gzip;q=0.5, br' });
  expect(br.headers.get('content-encoding')).toBe('br');
  await br.arrayBuffer();
  const identity = await get('/assets/app.0123456789ab.js', { 'accept-encoding': 'gzip;q=0' });
  expect(identity.headers.get('content-encoding')).toBeNull();
  expect(Number(identity.headers.get('content-length'))).toBe(js.body.length);
  await identity.arrayBuffer();

  const again = await get('/assets/app.0123456789ab.js', { 'if-none-match': `W/"x", ${etag}` });
  expect(again.status).toBe(304);
  expect(await again.text()).toBe('');
});

test('HEAD has headers and no body', async () => {
  const res = await get('/assets/app.0123456789ab.js', {}, 'HEAD');
  expect(res.status).toBe(200);
  expect(Number(res.headers.get('content-length'))).toBe(js.body.length);
  expect(await res.text()).toBe('');
});

test('unknown paths, unknown assets and other methods go to next()', async () => {
  for (const [path, method] of [
    ['/assets/app.ffffffffffff.js', 'GET'],
    ['/assets/../../etc/passwd', 'GET'],
    ['/nope', 'GET'],
    ['/', 'POST'],
    ['/assets/app.0123456789ab.js', 'DELETE'],
  ] as const) {
    const res = await get(path, {}, method);
    expect([path, res.status, await res.text()]).toEqual([path, 404, 'next']);
  }
});

test('a bundle that fails to build is an error passed to next()', async () => {
  failing = true;
  try {
    const res = await get('/');
    expect(res.status).toBe(500);
  } finally {
    failing = false;
  }
});
