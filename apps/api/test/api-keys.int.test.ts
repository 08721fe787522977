import { apiClient, startStack, StreamClient, waitUntil, type TestStack } from '@gantry/testing';

/**
 * API key administration: list (never secrets), revoke and rotate, effective on every API
 * instance within seconds (cache invalidation over Redis pub/sub), open WebSockets closed.
 */
describe('API keys: list, revoke, rotate', () => {
  let stack: TestStack;
  let second: string;
  let admin: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    // A long cache TTL on both instances: a revocation seen within seconds proves the pub/sub path.
    stack = await startStack({ worker: false, apiEnv: { GANTRY_AUTH_CACHE_TTL_MS: '60000' } });
    second = (await stack.startApi()).api.url;
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  async function createKey(body: Record<string, unknown>) {
    const res = await admin('POST', '/api/v1/api-keys', body);
    expect(res.status).toBe(201);
    return res.body as { id: string; key: string };
  }

  it('lists the tenant\'s keys without secrets, newest first, paginated', async () => {
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await createKey({ tenant: 'default', scopes: ['read'], name: `list-${i}` }));
    const page1 = await admin('GET', '/api/v1/api-keys?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.headers.get('cache-control')).toBe('no-store');
    expect(page1.body.items.map((k: any) => k.id)).toEqual([made[2]!.id, made[1]!.id]);
    expect(page1.body.items[0]).toEqual({
      id: made[2]!.id, tenant: 'default', name: 'list-2', scopes: ['read'], status: 'active',
      createdAt: expect.any(String), lastUsedAt: null, revokedAt: null,
    });
    const page2 = await admin('GET', `/api/v1/api-keys?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((k: any) => k.id)).toContain(made[0]!.id);
    const everything = JSON.stringify([page1.body, page2.body]);
    for (const m of made) expect(everything).not.toContain(m.key);
    expect(everything).not.toMatch(/"(hash|key|prefix)"/);
    // Another tenant's keys are not listed.
    const other = await createKey({ tenant: 'elsewhere', scopes: ['read'] });
    const all = await admin('GET', '/api/v1/api-keys?limit=200');
    expect(all.body.items.map((k: any) => k.id)).not.toContain(other.id);
    expect((await admin('GET', '/api/v1/api-keys?limit=0')).status).toBe(422);
    expect((await admin('GET', '/api/v1/api-keys?cursor=nope')).status).toBe(422);
  });

  it('needs the admin scope', async () => {
    const reader = apiClient(stack.url, (await createKey({ tenant: 'default', scopes: ['read', 'submit'] })).key);
    expect((await reader('GET', '/api/v1/api-keys')).status).toBe(403);
    expect((await reader('DELETE', `/api/v1/api-keys/${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}`)).status).toBe(403);
    expect((await reader('GET', '/api/v1/audit-events')).status).toBe(403);
  });

  it('revokes a key on every instance within seconds and closes its WebSockets', async () => {
    const victim = await createKey({ tenant: 'default', scopes: ['read'] });
    const onFirst = apiClient(stack.url, victim.key);
    const onSecond = apiClient(second, victim.key);
    // Both instances have the key cached (TTL 60 s).
    expect((await onFirst('GET', '/api/v1/jobs')).status).toBe(200);
    expect((await onSecond('GET', '/api/v1/jobs')).status).toBe(200);
    const socket = await StreamClient.connect(second, { key: victim.key });
    await socket.next((m) => m.type === 'ready');

    const revoked = await admin('DELETE', `/api/v1/api-keys/${victim.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: victim.id, status: 'revoked', revokedAt: expect.any(String) });
    expect((await onFirst('GET', '/api/v1/jobs')).status).toBe(401);
    await waitUntil(async () => ((await onSecond('GET', '/api/v1/jobs')).status === 401 ? true : undefined), 15_000, 100);
    expect(await socket.closed).toEqual({ code: 4401, reason: 'API key revoked' });
    // Idempotent; unknown and malformed ids are not found.
    expect((await admin('DELETE', `/api/v1/api-keys/${victim.id}`)).status).toBe(200);
    expect((await admin('DELETE', '/api/v1/api-keys/not-a-uuid')).status).toBe(404);
    expect((await admin('DELETE', '/api/v1/api-keys/01900000-0000-7000-8000-000000000000')).status).toBe(404);
  });

  it("does not let one tenant's admin touch another tenant's keys", async () => {
    const otherAdmin = apiClient(stack.url, (await createKey({ tenant: 'rival', scopes: ['admin'] })).key);
    const mine = await createKey({ tenant: 'default', scopes: ['read'] });
    expect((await otherAdmin('DELETE', `/api/v1/api-keys/${mine.id}`)).status).toBe(404);
    expect((await otherAdmin('POST', `/api/v1/api-keys/${mine.id}/rotate`)).status).toBe(404);
    expect((await apiClient(stack.url, mine.key)('GET', '/api/v1/jobs')).status).toBe(200);
  });

  it('rotates a key: a new secret at once, the old one stops (after an optional grace period)', async () => {
    const original = await createKey({ tenant: 'default', scopes: ['read', 'submit'], name: 'ci' });
    const rotated = await admin('POST', `/api/v1/api-keys/${original.id}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.headers.get('location')).toBe(`/api/v1/api-keys/${rotated.body.id}`);
    expect(rotated.body).toMatchObject({ tenant: 'default', scopes: ['read', 'submit'], name: 'ci', replaced: { id: original.id, status: 'revoked' } });
    expect(rotated.body.key).toMatch(/^gty_/);
    expect(rotated.body.id).not.toBe(original.id);
    expect((await apiClient(stack.url, original.key)('GET', '/api/v1/jobs')).status).toBe(401);
    await waitUntil(async () => ((await apiClient(second, original.key)('GET', '/api/v1/jobs')).status === 401 ? true : undefined), 15_000, 100);
    expect((await apiClient(second, rotated.body.key)('GET', '/api/v1/jobs')).status).toBe(200);
    // A rotated (revoked) key cannot be rotated again.
    expect((await admin('POST', `/api/v1/api-keys/${original.id}/rotate`)).status).toBe(409);

    // With a grace period both secrets work until it ends; a revocation ends it early.
    const graced = await createKey({ tenant: 'default', scopes: ['read'] });
    const socket = await StreamClient.connect(stack.url, { key: graced.key });
    await socket.next((m) => m.type === 'ready');
    const long = await admin('POST', `/api/v1/api-keys/${graced.id}/rotate`, { graceSeconds: 3600 });
    expect(long.status).toBe(201);
    expect(long.body.replaced).toMatchObject({ id: graced.id, status: 'expiring' });
    expect((await apiClient(second, graced.key)('GET', '/api/v1/jobs')).status).toBe(200);
    expect((await apiClient(second, long.body.key)('GET', '/api/v1/jobs')).status).toBe(200);
    // lastUsedAt is written in the background (at most once a minute per key and instance).
    const listed = await waitUntil(async () => {
      const row = (await admin('GET', '/api/v1/api-keys?limit=200')).body.items.find((k: any) => k.id === graced.id);
      return row?.lastUsedAt ? row : undefined;
    });
    expect(listed.status).toBe('expiring');
    expect((await admin('DELETE', `/api/v1/api-keys/${graced.id}`)).body.status).toBe('revoked');
    await waitUntil(async () => ((await apiClient(second, graced.key)('GET', '/api/v1/jobs')).status === 401 ? true : undefined), 15_000, 100);
    expect((await socket.closed).code).toBe(4401);

    // A short grace period ends by itself.
    const brief = await createKey({ tenant: 'default', scopes: ['read'] });
    const briefSocket = await StreamClient.connect(second, { key: brief.key });
    await briefSocket.next((m) => m.type === 'ready');
    expect((await admin('POST', `/api/v1/api-keys/${brief.id}/rotate`, { graceSeconds: 1 })).status).toBe(201);
    await waitUntil(async () => ((await apiClient(second, brief.key)('GET', '/api/v1/jobs')).status === 401 ? true : undefined), 15_000, 100);
    expect((await briefSocket.closed).code).toBe(4401);
  });

  it('refuses bad rotation requests', async () => {
    const key = await createKey({ tenant: 'default', scopes: ['read'] });
    expect((await admin('POST', `/api/v1/api-keys/${key.id}/rotate`, { graceSeconds: -1 })).status).toBe(422);
    expect((await admin('POST', `/api/v1/api-keys/${key.id}/rotate`, { graceSeconds: 86_401 })).status).toBe(422);
    expect((await admin('POST', `/api/v1/api-keys/${key.id}/rotate`, { grace: 5 })).status).toBe(422);
    expect((await admin('POST', `/api/v1/api-keys/${key.id}/rotate`, 'graceSeconds=5', { 'content-type': 'text/plain' })).status).toBe(415);
    // The key from GANTRY_ADMIN_KEY is rotated by configuration, not through the API.
    const adminRow = (await admin('GET', '/api/v1/api-keys?limit=200')).body.items.find((k: any) => k.name === 'GANTRY_ADMIN_KEY');
    const refused = await admin('POST', `/api/v1/api-keys/${adminRow.id}/rotate`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('INVALID_STATE');
    expect((await admin('POST', '/api/v1/api-keys', { tenant: 'default', scopes: ['read'], name: 'GANTRY_ADMIN_KEY' })).status).toBe(422);
    // Still valid after all that.
    expect((await apiClient(stack.url, key.key)('GET', '/api/v1/jobs')).status).toBe(200);
  });

  it('revokes the previous GANTRY_ADMIN_KEY when an instance starts with a new one', async () => {
    const oldKey = stack.adminKey;
    const newKey = `new-admin-key-${Date.now()}-rotated`;
    const third = await stack.startApi({ GANTRY_ADMIN_KEY: newKey });
    const fresh = apiClient(third.api.url, newKey);
    expect((await fresh('GET', '/api/v1/api-keys')).status).toBe(200);
    await waitUntil(async () => ((await apiClient(second, oldKey)('GET', '/api/v1/jobs')).status === 401 ? true : undefined), 15_000, 100);
    const events = await fresh('GET', '/api/v1/audit-events?action=api_key.revoked');
    expect(events.body.items[0]).toMatchObject({ actorKeyId: null, details: { reason: 'GANTRY_ADMIN_KEY changed' }, target: { type: 'api_key' } });
  });
});
