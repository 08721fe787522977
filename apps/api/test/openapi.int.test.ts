import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Express } from 'express';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { apiClient, startStack, waitUntil, type TestResponse, type TestStack } from '@gantry/testing';
import { openApiDocument } from '../src/openapi/document';
import { JsonSchemaChecker } from '../src/openapi/json-schema-check';
import { servedRoutes } from '../src/openapi/served-routes';
import { STREAM_PATH } from '../src/stream/stream-server';
import { defaultWorkflow } from './fixtures';
import { OpenApiContract } from './openapi-contract';

type Json = Record<string, any>;
type Client = ReturnType<typeof apiClient>;

/** Chromium here, Google Chrome on GitHub's runners. */
const BROWSERS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/**
 * Operations whose responses this file does not check, by operationId, each with the reason (for
 * example: needs a setup another suite has). Keep it short: the point is to check them all.
 */
const NOT_EXERCISED_HERE: Record<string, string> = {};

/**
 * The OpenAPI document against the running API: every served route is documented and every
 * documented operation is served; live responses match the document; the document and its docs
 * page are served (the page renders in a real browser under helmet's CSP).
 */
describe('OpenAPI contract', () => {
  const doc = openApiDocument().document as Json;
  const contract = new OpenApiContract(doc);
  let stack: TestStack;
  let admin: Client;
  let reader: Client;

  /** Calls the API and checks the response against the document. */
  async function call(client: Client, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse> {
    const res = await client(method, path, body, headers);
    const { issues } = contract.check(method, path, res);
    expect({ call: `${method} ${path} → ${res.status}`, issues }).toEqual({ call: `${method} ${path} → ${res.status}`, issues: [] });
    return res;
  }

  beforeAll(async () => {
    stack = await startStack({ gpus: 1, worker: false });
    admin = apiClient(stack.url, stack.adminKey);
    const created = await admin('POST', '/api/v1/api-keys', { tenant: 'contract-reader', scopes: ['read'] });
    reader = apiClient(stack.url, created.body.key);
  });
  afterAll(() => stack.close());

  it('documents every route the API serves, and the API serves every documented operation', () => {
    const app = stack.api.server.listeners('request')[0] as unknown as Express;
    const served = servedRoutes(app).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    const documented: string[] = [];
    const upgrades: string[] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(item)) {
        (op['x-websocket'] ? upgrades : documented).push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(served.length).toBeGreaterThanOrEqual(17);
    expect({
      servedButNotDocumented: served.filter((r) => !documented.includes(r)),
      documentedButNotServed: documented.filter((r) => !served.includes(r)),
    }).toEqual({ servedButNotDocumented: [], documentedButNotServed: [] });
    // The one route outside Express: the HTTP server's upgrade handler serves the stream.
    expect(upgrades).toEqual([`GET ${STREAM_PATH}`]);
  });

  it('upgrades the documented stream path to a WebSocket (101)', async () => {
    const ws = new WebSocket(`${stack.url.replace(/^http/, 'ws')}${STREAM_PATH}`, ['gantry.v1', `gantry.key.${stack.adminKey}`]);
    const ready = new Promise<Json>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)) as Json)));
    try {
      const upgrade = await new Promise<IncomingMessage>((resolve, reject) => {
        ws.once('upgrade', resolve);
        ws.once('error', reject);
      });
      const documented = doc.paths[STREAM_PATH].get.responses;
      expect(upgrade.statusCode).toBe(101);
      expect(Object.keys(documented)).toContain('101');
      const checker = new JsonSchemaChecker(doc);
      const protocolHeader = doc.components.headers['Sec-WebSocket-Protocol'].schema;
      expect(checker.check(protocolHeader, upgrade.headers['sec-websocket-protocol'])).toEqual([]);
      expect(await ready).toMatchObject({ type: 'ready', protocol: 'gantry.v1' });
    } finally {
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close();
      await closed;
    }
  });

  it('serves the document with an ETag and answers 304 to a revalidation', async () => {
    const anonymous = apiClient(stack.url);
    const res = await call(anonymous, 'GET', '/api/v1/openapi.json');
    expect(res.body).toEqual(doc);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(res.headers.get('cache-control')).toMatch(/public/);
    const again = await call(anonymous, 'GET', '/api/v1/openapi.json', undefined, { 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect((await call(anonymous, 'GET', '/api/v1/openapi.json', undefined, { 'if-none-match': '"stale"' })).status).toBe(200);
  });

  it('serves the docs page and every asset it loads, with a CSP that allows no inline script', async () => {
    const anonymous = apiClient(stack.url);
    const page = await call(anonymous, 'GET', '/api/v1/docs');
    expect(page.status).toBe(200);
    const html = page.body as string;
    const csp = page.headers.get('content-security-policy') ?? '';
    const scriptSrc = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src ([^;]*)/.exec(csp)?.[1];
    expect(scriptSrc).toBeDefined();
    expect(scriptSrc).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/); // the page must work over plain HTTP too
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a file
    expect(html).not.toMatch(/https?:\/\//); // no CDN
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/api/v1/docs/swagger-ui-bundle.js', '/api/v1/docs/init.js', '/api/v1/docs/swagger-ui.css']));
    for (const asset of assets) {
      const res = await call(anonymous, 'GET', asset);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect(res.body.length).toBeGreaterThan(100);
    }
    const init = await anonymous('GET', '/api/v1/docs/init.js');
    expect(init.body).toContain("url: '/api/v1/openapi.json'");
    const missing = await call(anonymous, 'GET', '/api/v1/docs/package.json');
    expect(missing.status).toBe(404);
    expect((await anonymous('GET', '/api/v1/docs/..%2F..%2Fpackage.json')).status).toBe(404);
  });

  it('renders the docs page in a browser: every operation, no script or CSP error', async () => {
    const executablePath = BROWSERS.find((p) => existsSync(p));
    if (!executablePath) throw new Error(`no Chromium or Chrome at ${BROWSERS.join(', ')}`);
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], timeout: 60_000 });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (err) => errors.push(err.message));
      const failed: string[] = [];
      page.on('requestfailed', (req) => failed.push(req.url()));
      page.on('response', (res) => {
        if (res.status() >= 400) failed.push(`${res.status()} ${res.url()}`);
      });
      await page.goto(`${stack.url}/api/v1/docs`, { timeout: 60_000 });
      const operationCount = Object.values(doc.paths as Record<string, Json>).reduce((n, item) => n + Object.keys(item).length, 0);
      await page.waitForFunction(`document.querySelectorAll('.opblock').length === ${operationCount}`, undefined, { timeout: 60_000 });
      expect(await page.textContent('.info .title')).toContain('Gantry API');
      // "Try it out" works: the page calls this API (same origin, the document's server).
      const health = page.locator('#operations-Operations-getHealth');
      await health.locator('.opblock-summary').click();
      await health.locator('button.try-out__btn').click();
      const [response] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/health', { timeout: 60_000 }),
        health.locator('button.execute').click(),
      ]);
      expect(response.url()).toBe(`${stack.url}/api/v1/health`);
      expect(response.status()).toBe(200);
      expect({ errors, failed }).toEqual({ errors: [], failed: [] });
    } finally {
      await browser.close();
    }
  }, 180_000);

  it('answers a queued job as documented, with its wait (no worker yet)', async () => {
    const submitted = await call(admin, 'POST', '/api/v1/jobs', { workflow: defaultWorkflow() });
    const queued = await call(admin, 'GET', `/api/v1/jobs/${submitted.body.id}`);
    expect(queued.body).toMatchObject({ status: 'queued', queue: { position: expect.any(Number), eligibleBackends: 0 } });
    const canceled = await call(admin, 'POST', `/api/v1/jobs/${submitted.body.id}/cancel`);
    expect(canceled.body.status).toBe('canceled');
  });

  it('answers the job operations as documented', async () => {
    await stack.startWorker();
    const submitted = await call(admin, 'POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 4 }) }, { 'idempotency-key': `contract-${randomUUID()}` });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    expect(submitted.headers.get('location')).toBe(`/api/v1/jobs/${id}`);

    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${id}`)).body.status === 'succeeded' ? true : undefined), 90_000, 200);
    const job = await call(admin, 'GET', `/api/v1/jobs/${id}`);
    expect(job.body.artifacts.length).toBeGreaterThan(0);

    const page = await call(admin, 'GET', '/api/v1/jobs?limit=1');
    expect(page.body.items.map((j: Json) => j.id)).toEqual([id]);
    await call(admin, 'GET', '/api/v1/jobs?status=succeeded');

    const events = await call(admin, 'GET', `/api/v1/jobs/${id}/events`);
    expect(new Set(events.body.items.map((e: Json) => e.event.type))).toEqual(new Set(['state', 'progress', 'output']));
    await call(admin, 'GET', `/api/v1/jobs/${id}/events?since=${events.body.lastSeq}`);

    const artifact = await call(admin, 'GET', job.body.artifacts[0].url);
    expect(artifact.status).toBe(200);
    expect(artifact.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);

    expect((await call(admin, 'POST', `/api/v1/jobs/${id}/cancel`)).status).toBe(409);
  }, 150_000);

  it('answers the fleet operations as documented', async () => {
    await call(admin, 'GET', '/api/v1/backends');
    await call(reader, 'GET', '/api/v1/backends');
    await call(admin, 'GET', '/api/v1/backends/sim0');

    const created = await call(admin, 'POST', '/api/v1/backends', { id: 'contract-gpu', url: 'http://127.0.0.1:9', tags: ['contract'] });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/backends/contract-gpu');
    await call(admin, 'POST', '/api/v1/backends/contract-gpu/drain');
    await call(admin, 'POST', '/api/v1/backends/contract-gpu/undrain');
    expect((await call(admin, 'DELETE', '/api/v1/backends/contract-gpu?force=true')).status).toBe(204);
    expect((await call(admin, 'GET', '/api/v1/backends/contract-gpu')).status).toBe(404);
  });

  it('answers keys, health and problems as documented', async () => {
    expect((await call(admin, 'POST', '/api/v1/api-keys', { tenant: 'contract', scopes: ['submit', 'read'], name: 'sdk' })).status).toBe(201);
    expect((await call(apiClient(stack.url), 'GET', '/api/v1/health')).status).toBe(200);

    const problems: [Client, string, string, unknown, Record<string, string> | undefined, number][] = [
      [apiClient(stack.url), 'GET', '/api/v1/jobs', undefined, undefined, 401],
      [reader, 'POST', '/api/v1/backends', { id: 'x', url: 'http://127.0.0.1:9' }, undefined, 403],
      [reader, 'POST', '/api/v1/jobs', { workflow: defaultWorkflow() }, undefined, 403],
      [admin, 'GET', `/api/v1/jobs/${randomUUID()}`, undefined, undefined, 404],
      [admin, 'GET', `/api/v1/jobs/${randomUUID()}/events`, undefined, undefined, 404],
      [admin, 'POST', `/api/v1/jobs/${randomUUID()}/cancel`, undefined, undefined, 404],
      [admin, 'GET', `/api/v1/jobs/${randomUUID()}/artifacts/${randomUUID()}`, undefined, undefined, 404],
      [admin, 'POST', '/api/v1/jobs', '{"workflow":', { 'content-type': 'application/json' }, 400],
      [admin, 'POST', '/api/v1/jobs', { workflow: defaultWorkflow() }, { 'idempotency-key': 'has space' }, 400],
      [admin, 'POST', '/api/v1/jobs', 'workflow=1', { 'content-type': 'text/plain' }, 415],
      [admin, 'POST', '/api/v1/jobs', { workflow: { '1': { inputs: {} } }, priority: 'high' }, undefined, 422],
      [admin, 'POST', '/api/v1/jobs', { workflow: defaultWorkflow(), requirements: { tags: ['no-such-tag'] } }, undefined, 422],
      [admin, 'GET', '/api/v1/jobs?limit=0', undefined, undefined, 422],
      [admin, 'GET', `/api/v1/jobs/${randomUUID()}/events?since=-1`, undefined, undefined, 422],
      [admin, 'POST', '/api/v1/api-keys', { tenant: 'Bad Name', scopes: [] }, undefined, 422],
      [admin, 'POST', '/api/v1/backends', { id: 'sim0', url: 'http://127.0.0.1:9' }, undefined, 409],
      [admin, 'DELETE', '/api/v1/backends/sim0?force=maybe', undefined, undefined, 422],
      [admin, 'POST', '/api/v1/backends/no-such-gpu/drain', undefined, undefined, 404],
      [admin, 'POST', '/api/v1/backends/no-such-gpu/undrain', undefined, undefined, 404],
    ];
    for (const [client, method, path, body, headers, status] of problems) {
      const res = await call(client, method, path, body, headers);
      expect({ call: `${method} ${path}`, status: res.status }).toEqual({ call: `${method} ${path}`, status });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('has exercised every documented HTTP operation against the running API', () => {
    const all = Object.values(doc.paths as Record<string, Json>).flatMap((item) => Object.values(item)).filter((op) => !op['x-websocket']);
    const notExercised = all.map((op) => op.operationId as string).filter((id) => !contract.seen.has(id) && !(id in NOT_EXERCISED_HERE));
    // A new operation: add a `call(...)` of it above (or, with a reason, to NOT_EXERCISED_HERE).
    expect({ notExercised }).toEqual({ notExercised: [] });
  });
});
