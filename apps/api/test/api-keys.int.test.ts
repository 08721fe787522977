import { apiClient, startStack, StreamClient, waitUntil, type TestStack } from '@gantry/testing';
import { insertStoredKey } from './fixtures';

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

  it('needs the tenant-admin scope', async () => {
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
    const otherAdmin = apiClient(stack.url, (await createKey({ tenant: 'rival', scopes: ['tenant-admin'] })).key);
    const mine = await createKey({ tenant: 'default', scopes: ['read'] });
    expect((await otherAdmin('DELETE', `/api/v1/api-keys/${mine.id}`)).status).toBe(404);
    expect((await otherAdmin('POST', `/api/v1/api-keys/${mine.id}/rotate`)).status).toBe(404);
    expect((await otherAdmin('GET', '/api/v1/api-keys?tenant=default')).status).toBe(403);
    expect((await apiClient(stack.url, mine.key)('GET', '/api/v1/jobs')).status).toBe(200);
  });

  it('lets a tenant admin manage its own tenant, never minting an operator key or leaving its tenant', async () => {
    const tenantAdmin = await createKey({ tenant: 'studio-t', scopes: ['tenant-admin'], name: 'studio admin' });
    const ta = apiClient(stack.url, tenantAdmin.key);
    const reader = await ta('POST', '/api/v1/api-keys', { tenant: 'studio-t', scopes: ['read', 'submit'] });
    expect(reader.status).toBe(201);
    expect(reader.body).toMatchObject({ tenant: 'studio-t', scopes: ['read', 'submit'] });
    expect((await ta('POST', '/api/v1/api-keys', { tenant: 'studio-t', scopes: ['tenant-admin'] })).status).toBe(201);

    for (const scopes of [['operator'], ['admin'], ['read', 'operator']]) {
      const refused = await ta('POST', '/api/v1/api-keys', { tenant: 'studio-t', scopes });
      expect({ scopes, status: refused.status, body: refused.body }).toMatchObject({ scopes, status: 403, body: { code: 'FORBIDDEN', errors: { reason: 'scope_not_grantable' } } });
    }
    // Another tenant, existing or not: refused the same way, and no tenant is created.
    for (const tenant of ['default', 'no-such-studio']) {
      const refused = await ta('POST', '/api/v1/api-keys', { tenant, scopes: ['read'] });
      expect({ tenant, status: refused.status, body: refused.body }).toMatchObject({ tenant, status: 403, body: { code: 'FORBIDDEN', errors: { reason: 'other_tenant' } } });
    }
    expect((await admin('GET', '/api/v1/tenants/no-such-studio')).status).toBe(404);

    // Its own keys: listed, rotated, revoked. The operator key of its tenant is out of reach.
    const listed = (await ta('GET', '/api/v1/api-keys?limit=200')).body.items;
    expect(listed.map((k: any) => k.tenant)).toEqual(listed.map(() => 'studio-t'));
    expect(listed.map((k: any) => k.id)).toEqual(expect.arrayContaining([tenantAdmin.id, reader.body.id]));
    expect((await ta('POST', `/api/v1/api-keys/${reader.body.id}/rotate`)).status).toBe(201);
    const operatorHere = await createKey({ tenant: 'studio-t', scopes: ['operator'] });
    expect((await ta('DELETE', `/api/v1/api-keys/${operatorHere.id}`)).status).toBe(403);
    expect((await ta('POST', `/api/v1/api-keys/${operatorHere.id}/rotate`)).status).toBe(403);
    expect((await apiClient(stack.url, operatorHere.key)('GET', '/api/v1/backends')).status).toBe(200);
    // The fleet is not a tenant's.
    expect((await ta('POST', '/api/v1/backends', { id: 'tenant-gpu', url: 'http://127.0.0.1:9' })).status).toBe(403);
    expect((await ta('POST', '/api/v1/backends/sim0/drain')).status).toBe(403);
  });

  it('lets an operator manage every tenant\'s keys, and keeps legacy admin keys working as operator keys', async () => {
    const ta = await createKey({ tenant: 'studio-o', scopes: ['tenant-admin'] });
    const theirs = await apiClient(stack.url, ta.key)('POST', '/api/v1/api-keys', { tenant: 'studio-o', scopes: ['read'] });
    const listed = await admin('GET', '/api/v1/api-keys?tenant=studio-o&limit=200');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((k: any) => k.id).sort()).toEqual([ta.id, theirs.body.id].sort());
    expect((await admin('GET', '/api/v1/api-keys?tenant=no-such-tenant')).status).toBe(404);
    const rotated = await admin('POST', `/api/v1/api-keys/${theirs.body.id}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.body.tenant).toBe('studio-o');
    expect((await admin('DELETE', `/api/v1/api-keys/${rotated.body.id}`)).body).toMatchObject({ status: 'revoked', tenant: 'studio-o' });

    // `admin` is accepted on input and stored as operator.
    const aliased = await createKey({ tenant: 'studio-o', scopes: ['admin', 'read'] });
    expect((await admin('GET', '/api/v1/api-keys?tenant=studio-o&limit=1')).body.items[0]).toMatchObject({ id: aliased.id, scopes: ['operator', 'read'] });
    // A key stored with `admin` by an earlier version: an operator key, listed as such.
    const legacy = await insertStoredKey(stack.apiResources.deps.db, 'studio-o', ['admin']);
    const asLegacy = apiClient(stack.url, legacy.key);
    expect((await asLegacy('GET', '/api/v1/api-keys?tenant=default&limit=1')).status).toBe(200);
    expect((await asLegacy('POST', '/api/v1/backends', { id: 'legacy-gpu', url: 'http://127.0.0.1:9' })).status).toBe(201);
    expect((await asLegacy('DELETE', '/api/v1/backends/legacy-gpu')).status).toBe(204);
    expect((await admin('GET', '/api/v1/api-keys?tenant=studio-o&limit=1')).body.items[0]).toMatchObject({ id: legacy.id, scopes: ['operator'] });
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
