import { apiClient, startStack, type TestStack } from '@gantry/testing';

/** Administrative actions leave audit events: who, what, from where, in the change's transaction. */
describe('audit log', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  const proxy = { 'x-forwarded-for': '198.51.100.7' };

  beforeAll(async () => {
    stack = await startStack({ worker: false, apiEnv: { GANTRY_TRUST_PROXY: 'loopback' } });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  async function adminKeyId(): Promise<string> {
    const keys = (await admin('GET', '/api/v1/api-keys?limit=200')).body.items;
    return keys.find((k: any) => k.name === 'GANTRY_ADMIN_KEY').id;
  }

  it('records key and backend actions with actor, request id and client IP', async () => {
    const created = await admin('POST', '/api/v1/api-keys', { tenant: 'default', scopes: ['read'], name: 'audited' }, { ...proxy, 'x-request-id': 'req-create-1' });
    expect(created.status).toBe(201);
    await admin('POST', `/api/v1/api-keys/${created.body.id}/rotate`, { graceSeconds: 60 });
    const rotatedId = (await admin('GET', '/api/v1/api-keys?limit=1')).body.items[0].id;
    await admin('DELETE', `/api/v1/api-keys/${rotatedId}`);
    const backend = { id: 'audit-gpu', url: 'http://127.0.0.1:9/', capacity: 2, tags: ['x'] };
    expect((await admin('POST', '/api/v1/backends', backend)).status).toBe(201);
    expect((await admin('POST', '/api/v1/backends/audit-gpu/drain')).status).toBe(200);
    expect((await admin('POST', '/api/v1/backends/audit-gpu/undrain')).status).toBe(200);
    expect((await admin('DELETE', '/api/v1/backends/audit-gpu')).status).toBe(204);

    const res = await admin('GET', '/api/v1/audit-events');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.items.map((e: any) => e.action)).toEqual([
      'backend.deleted', 'backend.undrained', 'backend.drained', 'backend.created', 'api_key.revoked', 'api_key.rotated', 'api_key.created',
    ]);
    const actor = await adminKeyId();
    const [deleted, undrained, drained, registered, revoked, rotated, keyCreated] = res.body.items;
    expect(keyCreated).toEqual({
      id: expect.any(String), action: 'api_key.created', target: { type: 'api_key', id: created.body.id }, actorKeyId: actor,
      details: { tenant: 'default', scopes: ['read'], name: 'audited' }, requestId: 'req-create-1', ip: '198.51.100.7', createdAt: expect.any(String),
    });
    expect(rotated).toMatchObject({ target: { id: created.body.id }, details: { newKeyId: rotatedId, graceSeconds: 60 }, ip: '127.0.0.1' });
    expect(revoked).toMatchObject({ target: { type: 'api_key', id: rotatedId }, details: { self: false } });
    expect(registered).toMatchObject({ target: { type: 'backend', id: 'audit-gpu' }, details: { kind: 'comfyui', capacity: 2, tags: ['x'] } });
    expect(drained.details).toEqual({ wasDraining: false });
    expect(undrained.details).toEqual({ wasDraining: true });
    expect(deleted.details).toMatchObject({ force: false, inFlight: 0 });
    for (const e of res.body.items) expect(e.requestId).toEqual(expect.any(String));
    // Secrets never reach the log.
    expect(JSON.stringify(res.body)).not.toContain(created.body.key);
  });

  it('writes nothing for an action that failed', async () => {
    const before = (await admin('GET', '/api/v1/audit-events?limit=200')).body.items.length;
    expect((await admin('POST', '/api/v1/backends', { id: 'dup-gpu', url: 'http://127.0.0.1:9/' })).status).toBe(201);
    expect((await admin('POST', '/api/v1/backends', { id: 'dup-gpu', url: 'http://127.0.0.1:9/' })).status).toBe(409);
    expect((await admin('POST', '/api/v1/backends/no-such-gpu/drain')).status).toBe(404);
    expect((await admin('DELETE', '/api/v1/api-keys/01900000-0000-7000-8000-000000000000')).status).toBe(404);
    expect((await admin('GET', '/api/v1/audit-events?limit=200')).body.items.length).toBe(before + 1);
  });

  it('filters by action and pages with a cursor', async () => {
    const drains = await admin('GET', '/api/v1/audit-events?action=backend.drained');
    expect(drains.body.items.map((e: any) => e.action)).toEqual(['backend.drained']);
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res: any = await admin('GET', `/api/v1/audit-events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...res.body.items.map((e: any) => e.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    const all = (await admin('GET', '/api/v1/audit-events?limit=200')).body.items.map((e: any) => e.id);
    expect(ids).toEqual(all);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await admin('GET', '/api/v1/audit-events?action=job.deleted')).status).toBe(422);
    expect((await admin('GET', '/api/v1/audit-events?limit=201')).status).toBe(422);
    expect((await admin('GET', '/api/v1/audit-events?cursor=abc')).status).toBe(422);
    expect((await admin('GET', '/api/v1/audit-events?unknown=1')).status).toBe(422);
  });

  it("is tenant-scoped; an operator's action on another tenant shows in both logs", async () => {
    const other = await admin('POST', '/api/v1/api-keys', { tenant: 'studio-x', scopes: ['tenant-admin'] });
    const otherAdmin = apiClient(stack.url, other.body.key);
    const theirs = (await otherAdmin('GET', '/api/v1/audit-events')).body.items;
    expect(theirs).toHaveLength(1);
    expect(theirs[0]).toMatchObject({ action: 'api_key.created', target: { id: other.body.id }, details: { tenant: 'studio-x', scopes: ['tenant-admin'] } });
    const ours = (await admin('GET', '/api/v1/audit-events?action=api_key.created')).body.items;
    expect(ours[0]).toMatchObject({ target: { id: other.body.id } });
    // Their own actions stay in their log.
    const reader = await otherAdmin('POST', '/api/v1/api-keys', { tenant: 'studio-x', scopes: ['read'] });
    expect((await otherAdmin('GET', '/api/v1/audit-events?action=api_key.created')).body.items.map((e: any) => e.target.id)).toEqual([reader.body.id, other.body.id]);
    expect((await admin('GET', '/api/v1/audit-events?action=api_key.created')).body.items.map((e: any) => e.target.id)).not.toContain(reader.body.id);
    // The operator reads any tenant's log; a tenant admin only its own.
    const viaOperator = (await admin('GET', '/api/v1/audit-events?tenant=studio-x&action=api_key.created')).body.items;
    expect(viaOperator.map((e: any) => e.target.id)).toEqual([reader.body.id, other.body.id]);
    expect((await otherAdmin('GET', '/api/v1/audit-events?tenant=default')).status).toBe(403);
    // An operator rotating and revoking another tenant's keys: in both logs (same request ids).
    const rotated = await admin('POST', `/api/v1/api-keys/${reader.body.id}/rotate`);
    await admin('DELETE', `/api/v1/api-keys/${rotated.body.id}`);
    const actions = ['api_key.rotated', 'api_key.revoked'];
    const inTheirs = (await otherAdmin('GET', '/api/v1/audit-events?limit=200')).body.items.filter((e: any) => actions.includes(e.action));
    expect(inTheirs.map((e: any) => [e.action, e.target.id])).toEqual([['api_key.revoked', rotated.body.id], ['api_key.rotated', reader.body.id]]);
    const operatorLog = (await admin('GET', '/api/v1/audit-events?limit=200')).body.items;
    for (const event of inTheirs) {
      expect(operatorLog.filter((e: any) => e.requestId === event.requestId).map((e: any) => [e.action, e.target.id])).toEqual([[event.action, event.target.id]]);
    }
    expect(inTheirs.every((e: any) => e.actorKeyId === inTheirs[0].actorKeyId)).toBe(true);
  });

  it('records tenant settings changes (retention), with the values before and after', async () => {
    expect((await admin('PATCH', '/api/v1/tenants/current', { retentionDays: 30 })).status).toBe(200);
    expect((await admin('PATCH', '/api/v1/tenants/current', { retentionDays: null })).status).toBe(200);
    const events = (await admin('GET', '/api/v1/audit-events?action=tenant.updated')).body.items;
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ action: 'tenant.updated', target: { type: 'tenant' }, details: { retentionDays: { from: 30, to: null } } });
    expect(events[1]).toMatchObject({ details: { retentionDays: { from: null, to: 30 } } });
    // A refused change leaves no trace.
    expect((await admin('PATCH', '/api/v1/tenants/current', { retentionDays: -1 })).status).toBe(422);
    expect((await admin('GET', '/api/v1/audit-events?action=tenant.updated')).body.items).toHaveLength(2);
  });
});
