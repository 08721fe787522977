import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import { apiClient, findChromium, startStack, waitUntil, type TestResponse, type TestStack } from '@gantry/testing';
import { openApiDocument } from '../src/openapi/document';
import { JsonSchemaChecker } from './openapi/json-schema-check';
import { STREAM_PATH } from '../src/stream/stream-server';
import { png } from './images';
import { defaultWorkflow } from './fixtures';
import { OpenApiContract } from './openapi-contract';

type Json = Record<string, any>;
type Client = ReturnType<typeof apiClient>;

/**
 * Operations whose responses this file does not check, by operationId, each with the reason (for
 * example: needs a setup another suite has). Keep it short: the point is to check them all.
 */
const NOT_EXERCISED_HERE: Record<string, string> = {};

/** Webhooks of this suite go to a receiver on loopback, allowed for the API and the worker (which signs). */
const WEBHOOK_ENV = { GANTRY_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', GANTRY_WEBHOOK_SECRET: 'whsec-contract-0123456789abcdef' };
const METRICS_TOKEN = 'contract-metrics-token-0123456789';

/**
 * The OpenAPI document against the running API: live responses match the document; the document
 * and its docs page are served (the page renders in a real browser under helmet's CSP). That every
 * operation is served, once, at its path, the API checks itself at start (bindOperation,
 * assertCatalogBound).
 */
describe('OpenAPI contract', () => {
  const doc = openApiDocument().document as Json;
  const contract = new OpenApiContract(doc);
  let stack: TestStack;
  let admin: Client;
  let reader: Client;
  let receiver: Server;
  let hookUrl: string;
  /** A canceled job whose webhook delivery waits for a worker. */
  let webhookJobId: string | undefined;

  /** Calls the API and checks the response against the document. */
  async function call(client: Client, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse> {
    const res = await client(method, path, body, headers);
    const { issues } = contract.check(method, path, res);
    expect({ call: `${method} ${path} → ${res.status}`, issues }).toEqual({ call: `${method} ${path} → ${res.status}`, issues: [] });
    return res;
  }

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    stack = await startStack({ gpus: 1, worker: false, apiEnv: WEBHOOK_ENV, workerEnv: WEBHOOK_ENV });
    admin = apiClient(stack.url, stack.adminKey);
    const created = await admin('POST', '/api/v1/api-keys', { tenant: 'contract-reader', scopes: ['read'] });
    reader = apiClient(stack.url, created.body.key);
  });
  afterAll(async () => {
    await stack?.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('serves the uploads as documented', async () => {
    const bytes = png(4, 4);
    const post = async () => {
      const raw = await fetch(`${stack.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'image/png' }, body: bytes });
      const res = { status: raw.status, headers: raw.headers, body: await raw.json() };
      expect(contract.check('POST', '/api/v1/uploads', res).issues).toEqual([]);
      return res;
    };
    const created = await post();
    expect(created.status).toBe(201);
    expect((await post()).status).toBe(200);
    const id = (created.body as { id: string }).id;
    await call(admin, 'GET', `/api/v1/uploads/${id}`);
    expect((await call(admin, 'GET', `/api/v1/uploads/${id}/content`)).status).toBe(200);
    expect((await call(admin, 'DELETE', `/api/v1/uploads/${id}`)).status).toBe(204);
    expect((await call(admin, 'GET', `/api/v1/uploads/${id}`)).status).toBe(404);
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
    const executablePath = findChromium();
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

  it('answers a queued job as documented, with its wait and its webhook (no worker yet)', async () => {
    const submitted = await call(admin, 'POST', '/api/v1/jobs', { workflow: defaultWorkflow(), webhook: { url: hookUrl, events: ['job.canceled'] } });
    expect(submitted.body.webhook).toEqual({ url: hookUrl, events: ['job.canceled'] });
    const queued = await call(admin, 'GET', `/api/v1/jobs/${submitted.body.id}`);
    expect(queued.body).toMatchObject({ status: 'queued', queue: { position: expect.any(Number), eligibleBackends: 0 } });
    expect((await call(admin, 'GET', `/api/v1/jobs/${submitted.body.id}/webhook-deliveries`)).body).toEqual({ items: [] });
    expect((await call(admin, 'POST', `/api/v1/jobs/${submitted.body.id}/retry`)).status).toBe(409);
    const canceled = await call(admin, 'POST', `/api/v1/jobs/${submitted.body.id}/cancel`);
    expect(canceled.body.status).toBe('canceled');
    // The cancel records the delivery with the transition; a worker delivers it later.
    const deliveries = await call(admin, 'GET', `/api/v1/jobs/${submitted.body.id}/webhook-deliveries`);
    expect(deliveries.body.items).toEqual([expect.objectContaining({ event: 'job.canceled', url: hookUrl, status: 'pending', attempts: 0 })]);
    webhookJobId = submitted.body.id;
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
    const batch = await call(admin, 'POST', '/api/v1/jobs/batch', { jobs: [{ workflow: defaultWorkflow({ steps: 1 }) }, { workflow: defaultWorkflow({ steps: 2 }) }] }, { 'idempotency-key': `contract-${randomUUID()}` });
    expect(batch.status).toBe(202);
    expect(batch.body.items).toHaveLength(2);
    const refused = await call(admin, 'POST', '/api/v1/jobs/batch', { jobs: [{ workflow: defaultWorkflow() }, { priority: 1 }] });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ index: 1, code: 'VALIDATION_FAILED' })]);

    const events = await call(admin, 'GET', `/api/v1/jobs/${id}/events`);
    expect(new Set(events.body.items.map((e: Json) => e.event.type))).toEqual(new Set(['state', 'progress', 'output']));
    await call(admin, 'GET', `/api/v1/jobs/${id}/events?since=${events.body.lastSeq}`);

    const artifact = await call(admin, 'GET', job.body.artifacts[0].url);
    expect(artifact.status).toBe(200);
    expect(artifact.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);

    expect((await call(admin, 'POST', `/api/v1/jobs/${id}/cancel`)).status).toBe(409);

    const retryKey = `contract-retry-${randomUUID()}`;
    const retried = await call(admin, 'POST', `/api/v1/jobs/${id}/retry`, undefined, { 'idempotency-key': retryKey });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued', retryOf: id });
    expect(retried.headers.get('location')).toBe(`/api/v1/jobs/${retried.body.id}`);
    const replayed = await call(admin, 'POST', `/api/v1/jobs/${id}/retry`, undefined, { 'idempotency-key': retryKey });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');

    // The worker delivered the canceled job's webhook.
    if (!webhookJobId) throw new Error('the queued-job test did not run');
    const path = `/api/v1/jobs/${webhookJobId}/webhook-deliveries`;
    await waitUntil(async () => ((await admin('GET', path)).body.items[0]?.status === 'delivered' ? true : undefined), 60_000, 200);
    const delivered = await call(admin, 'GET', path);
    expect(delivered.body.items).toEqual([expect.objectContaining({ status: 'delivered', lastStatusCode: 204 })]);
  }, 210_000);

  it('answers the fleet operations as documented', async () => {
    await call(admin, 'GET', '/api/v1/backends');
    await call(reader, 'GET', '/api/v1/backends');
    await call(admin, 'GET', '/api/v1/backends/sim0');
    await call(admin, 'GET', '/api/v1/models');
    await call(reader, 'GET', '/api/v1/models?kind=lora');

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
      [admin, 'POST', `/api/v1/jobs/${randomUUID()}/retry`, undefined, undefined, 404],
      [reader, 'POST', `/api/v1/jobs/${randomUUID()}/retry`, undefined, undefined, 403],
      [admin, 'POST', `/api/v1/jobs/${randomUUID()}/retry`, undefined, { 'idempotency-key': 'has space' }, 400],
      [admin, 'GET', `/api/v1/jobs/${randomUUID()}/artifacts/${randomUUID()}`, undefined, undefined, 404],
      [admin, 'POST', '/api/v1/jobs', '{"workflow":', { 'content-type': 'application/json' }, 400],
      [admin, 'POST', '/api/v1/jobs', `{"workflow":${'['.repeat(500)}${']'.repeat(500)}}`, { 'content-type': 'application/json' }, 400],
      [admin, 'POST', '/api/v1/jobs', { workflow: defaultWorkflow(), webhook: { url: 'http://169.254.169.254/latest/' } }, undefined, 422],
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
      [reader, 'GET', '/api/v1/models?kind=embedding', undefined, undefined, 422],
      [admin, 'POST', '/api/v1/backends/no-such-gpu/undrain', undefined, undefined, 404],
    ];
    for (const [client, method, path, body, headers, status] of problems) {
      const res = await call(client, method, path, body, headers);
      expect({ call: `${method} ${path}`, status: res.status }).toEqual({ call: `${method} ${path}`, status });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('answers the API key, tenant and audit operations as documented', async () => {
    const tenant = await call(admin, 'GET', '/api/v1/tenants/current');
    const tenantName = tenant.body.name as string;
    expect((await call(admin, 'GET', `/api/v1/tenants/${tenantName}`)).body).toEqual(tenant.body);
    expect((await call(admin, 'PATCH', '/api/v1/tenants/current', { retentionDays: 30 })).body).toMatchObject({ name: tenantName, retentionDays: 30 });
    expect((await call(admin, 'PATCH', '/api/v1/tenants/current', { retentionDays: null })).body.retentionDays).toBeNull();

    const created = await call(admin, 'POST', '/api/v1/api-keys', { tenant: tenantName, scopes: ['read'], name: 'contract-rotate' });
    const rotated = await call(admin, 'POST', `/api/v1/api-keys/${created.body.id}/rotate`, { graceSeconds: 60 });
    expect(rotated.status).toBe(201);
    expect(rotated.headers.get('location')).toBe(`/api/v1/api-keys/${rotated.body.id}`);
    expect(rotated.body.replaced).toMatchObject({ id: created.body.id, status: 'expiring' });
    const again = await call(admin, 'POST', `/api/v1/api-keys/${rotated.body.id}/rotate`); // no body: no grace
    expect(again.body.replaced).toMatchObject({ id: rotated.body.id, status: 'revoked' });
    const revoked = await call(admin, 'DELETE', `/api/v1/api-keys/${again.body.id}`);
    expect(revoked.body).toMatchObject({ id: again.body.id, status: 'revoked' });

    const first = await call(admin, 'GET', '/api/v1/api-keys?limit=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    await call(admin, 'GET', `/api/v1/api-keys?limit=200&cursor=${first.body.nextCursor}`);

    const audit = await call(admin, 'GET', '/api/v1/audit-events?action=api_key.rotated');
    expect(audit.body.items.map((e: Json) => e.target.id)).toEqual([rotated.body.id, created.body.id]);
    await call(admin, 'GET', '/api/v1/audit-events?limit=1');

    const problems: [Client, string, string, unknown, Record<string, string> | undefined, number][] = [
      [reader, 'GET', '/api/v1/api-keys', undefined, undefined, 403],
      [admin, 'GET', '/api/v1/api-keys?limit=1000', undefined, undefined, 422],
      [admin, 'DELETE', `/api/v1/api-keys/${randomUUID()}`, undefined, undefined, 404],
      [admin, 'POST', `/api/v1/api-keys/${randomUUID()}/rotate`, undefined, undefined, 404],
      [admin, 'POST', `/api/v1/api-keys/${created.body.id}/rotate`, undefined, undefined, 409],
      [admin, 'POST', `/api/v1/api-keys/${created.body.id}/rotate`, 'graceSeconds=1', { 'content-type': 'text/plain' }, 415],
      [admin, 'POST', `/api/v1/api-keys/${created.body.id}/rotate`, { graceSeconds: -1 }, undefined, 422],
      [reader, 'GET', '/api/v1/tenants/current', undefined, undefined, 403],
      [admin, 'GET', '/api/v1/tenants/no-such-tenant', undefined, undefined, 404],
      [admin, 'PATCH', '/api/v1/tenants/current', { retentionDays: 'forever' }, undefined, 422],
      [admin, 'PATCH', '/api/v1/tenants/current', 'retentionDays=1', { 'content-type': 'text/plain' }, 415],
      [admin, 'GET', '/api/v1/audit-events?action=job.deleted', undefined, undefined, 422],
      [admin, 'GET', '/api/v1/audit-events?cursor=not-a-cursor', undefined, undefined, 422],
      [admin, 'GET', `/api/v1/jobs/${randomUUID()}/webhook-deliveries`, undefined, undefined, 404],
    ];
    for (const [client, method, path, body, headers, status] of problems) {
      const res = await call(client, method, path, body, headers);
      expect({ call: `${method} ${path}`, status: res.status }).toEqual({ call: `${method} ${path}`, status });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('serves the dashboard page outside the contract (a listed handler mount)', async () => {
    const page = await apiClient(stack.url)('GET', '/dashboard/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(contract.operation('GET', '/dashboard/')).toBeUndefined();
  });

  it('answers the probes and metrics as documented', async () => {
    const anonymous = apiClient(stack.url);
    expect((await call(anonymous, 'GET', '/livez')).body.status).toBe('alive');
    expect((await call(anonymous, 'GET', '/readyz')).body).toMatchObject({ status: 'ready', checks: { migrations: { status: 'up', pending: [] } } });
    const metrics = await call(anonymous, 'GET', '/metrics');
    expect(metrics.body).toContain('gantry_http_requests_total');
  });

  it('documents rate limits and the metrics token where a configured API applies them', async () => {
    // A second API of the stack with tiny quotas and a metrics token.
    const { api } = await stack.startApi({ GANTRY_RATE_LIMIT_PER_MINUTE: '5', GANTRY_IP_RATE_LIMIT_PER_MINUTE: '1', GANTRY_METRICS_TOKEN: METRICS_TOKEN });
    const anonymous = apiClient(api.url);
    const limitedAdmin = apiClient(api.url, stack.adminKey);

    // Every response is checked: a RateLimit header on an operation the document says is not
    // limited (health, probes, metrics) would be an undocumented header.
    const jobs = await call(limitedAdmin, 'GET', '/api/v1/jobs?limit=1');
    expect(jobs.headers.get('ratelimit-policy')).toBe('"key";q=5;w=60');
    expect((await call(anonymous, 'GET', '/api/v1/health')).status).toBe(200);
    expect((await call(anonymous, 'GET', '/livez')).status).toBe(200);
    const doc1 = await call(anonymous, 'GET', '/api/v1/openapi.json');
    expect(doc1.status).toBe(200);
    expect(doc1.headers.get('ratelimit')).toMatch(/^"ip";r=0;t=\d+$/);
    const limited = await call(anonymous, 'GET', '/api/v1/openapi.json');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const refused = await call(anonymous, 'GET', '/metrics');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const metrics = await call(apiClient(api.url, METRICS_TOKEN), 'GET', '/metrics');
    expect(metrics.status).toBe(200);
  });

  it('has exercised every documented HTTP operation against the running API', () => {
    const all = Object.values(doc.paths as Record<string, Json>).flatMap((item) => Object.values(item)).filter((op) => !op['x-websocket']);
    const notExercised = all.map((op) => op.operationId as string).filter((id) => !contract.seen.has(id) && !(id in NOT_EXERCISED_HERE));
    // A new operation: add a `call(...)` of it above (or, with a reason, to NOT_EXERCISED_HERE).
    expect({ notExercised }).toEqual({ notExercised: [] });
  });
});
