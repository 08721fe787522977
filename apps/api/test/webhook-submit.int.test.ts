import { apiClient, startStack, type TestStack } from '@gantry/testing';
import type { HostResolver } from '@gantry/webhooks';
import { defaultWorkflow } from './fixtures';

/** A job's webhook at submit: schema, SSRF rules (after DNS), storage, the deliveries endpoint. */
describe('job webhooks at submit', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    stack = await startStack({ worker: false, apiEnv: { GANTRY_WEBHOOK_ALLOWED_HOSTS: 'hooks.internal.test, 10.20.0.0/16' } });
    const dns: HostResolver = async (host) => {
      const table: Record<string, string> = {
        'rebind.example.test': '127.0.0.1',
        'metadata.example.test': '169.254.169.254',
        'hooks.internal.test': '10.9.9.9',
        'public.example.test': '93.184.215.14',
        'office.example.test': '10.20.3.4',
      };
      const address = table[host];
      if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return [{ address, family: 4 }];
    };
    // `localhost` goes to the system resolver (the real DNS path); the rest to the table.
    stack.apiResources.deps.webhooks.policy.resolver = async (host) =>
      host === 'localhost' ? (await import('@gantry/webhooks')).systemResolver(host) : dns(host);
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  const submit = (webhook: unknown) => admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }), webhook });

  it.each([
    'http://127.0.0.1/hook',
    'http://[::1]/hook',
    'http://10.0.0.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:7f00:1]/hook',
    'http://0.0.0.0/hook',
    'http://2130706433/hook',
    'http://0x7f000001/hook',
    'http://0177.0.0.1/hook',
    'http://127.1/hook',
    'http://100.64.0.1/hook',
    'http://[fe80::1]/hook',
    'http://[fd00::1]/hook',
    'http://localhost:8080/hook',
    'http://rebind.example.test/hook',
    'http://metadata.example.test/hook',
    'http://does-not-exist.example.test/hook',
  ])('refuses %s with 422 WEBHOOK_URL_FORBIDDEN', async (url) => {
    const res = await submit({ url });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'WEBHOOK_URL_FORBIDDEN', type: 'urn:gantry:error:webhook_url_forbidden', title: 'Webhook URL not allowed' });
    expect(res.body.errors[0]).toMatchObject({ path: 'webhook.url' });
  });

  it('does not reveal which internal address a name resolves to', async () => {
    const res = await submit({ url: 'http://metadata.example.test/' });
    expect(JSON.stringify(res.body)).not.toContain('169.254');
    expect(res.body.detail).toContain('link-local');
  });

  it.each([
    [{ url: 'ftp://public.example.test/x' }, 'webhook.url'],
    [{ url: 'file:///etc/passwd' }, 'webhook.url'],
    [{ url: 'http://user:secret@public.example.test/' }, 'webhook.url'],
    [{ url: 'not a url' }, 'webhook.url'],
    [{ url: `http://public.example.test/${'x'.repeat(3000)}` }, 'webhook.url'],
    [{ url: 'http://public.example.test/', events: ['job.started'] }, 'webhook.events.0'],
    [{ url: 'http://public.example.test/', events: [] }, 'webhook.events'],
    [{ url: 'http://public.example.test/', secret: 'x' }, 'webhook'],
    ['http://public.example.test/', 'webhook'],
  ])('refuses a malformed webhook %j with 422 VALIDATION_FAILED', async (webhook, path) => {
    const res = await submit(webhook);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('accepts public hosts and allowlisted hostnames and CIDRs, and shows the webhook on the job', async () => {
    for (const url of ['https://public.example.test/hooks/gantry?token=abc', 'http://hooks.internal.test:9000/h', 'http://office.example.test/h', 'http://10.20.0.7/h']) {
      const res = await submit({ url });
      expect(res.status).toBe(202);
      expect(res.body.webhook).toEqual({ url, events: ['job.succeeded', 'job.failed', 'job.canceled'] });
    }
    const picky = await submit({ url: 'http://public.example.test/', events: ['job.canceled', 'job.succeeded', 'job.canceled'] });
    expect(picky.status).toBe(202);
    expect(picky.body.webhook.events).toEqual(['job.succeeded', 'job.canceled']);
    expect((await admin('GET', `/api/v1/jobs/${picky.body.id}`)).body.webhook).toEqual(picky.body.webhook);
    const plain = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) });
    expect(plain.body.webhook).toBeNull();
  });

  it('lists deliveries per job, tenant-scoped, with the read scope', async () => {
    const job = (await submit({ url: 'http://public.example.test/' })).body;
    expect((await admin('GET', `/api/v1/jobs/${job.id}/webhook-deliveries`)).body).toEqual({ items: [] });
    const canceled = await admin('POST', `/api/v1/jobs/${job.id}/cancel`);
    expect(canceled.status).toBe(200);
    const { items } = (await admin('GET', `/api/v1/jobs/${job.id}/webhook-deliveries`)).body;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ event: 'job.canceled', status: 'pending', attempts: 0, url: 'http://public.example.test/', lastStatusCode: null, deliveredAt: null });

    const reader = apiClient(stack.url, (await admin('POST', '/api/v1/api-keys', { tenant: 'default', scopes: ['read'] })).body.key);
    expect((await reader('GET', `/api/v1/jobs/${job.id}/webhook-deliveries`)).body.items).toHaveLength(1);
    const other = apiClient(stack.url, (await admin('POST', '/api/v1/api-keys', { tenant: 'other-tenant', scopes: ['read', 'submit'] })).body.key);
    const hidden = await other('GET', `/api/v1/jobs/${job.id}/webhook-deliveries`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe('NOT_FOUND');
    expect((await other('GET', '/api/v1/jobs/not-a-uuid/webhook-deliveries')).status).toBe(404);
    expect((await apiClient(stack.url)('GET', `/api/v1/jobs/${job.id}/webhook-deliveries`)).status).toBe(401);
  });
});
