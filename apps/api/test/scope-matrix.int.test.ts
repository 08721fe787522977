import { randomUUID } from 'node:crypto';
import { apiClient, startStack, StreamClient, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow, insertStoredKey } from './fixtures';
import { png } from './images';

type Json = Record<string, any>;
type Scope = 'read' | 'submit' | 'tenant-admin' | 'operator';
type Outcome = '2xx' | 401 | 403 | 404;

/**
 * Every kind of caller, and what it holds, written out here (not imported from the code under
 * test): the model the routes must follow (docs/security.md).
 */
interface Caller {
  name: string;
  key: string | null;
  /** `a`: tenant studio-a, whose data the routes are called on; else another tenant (or none). */
  tenant: 'a' | 'b' | 'default' | 'legacy' | null;
  grants: Scope[];
}

/**
 * Whose data a request touches, which decides what a caller with the right scope gets:
 * - `own`: the caller's own tenant (lists, submits): 2xx;
 * - `a-job`: a job of studio-a: 2xx in studio-a, else 404 (operators too: jobs are tenant data,
 *   docs/security.md; an operator's answers never contain A's job or output ids);
 * - `a-key`: a key of studio-a by id: 2xx in studio-a or for operators, else 404 (as if missing);
 * - `a-name`: studio-a named (path, query or body): 2xx in studio-a or for operators, else 403;
 * - `fleet`: the shared GPU fleet: 2xx;
 * - `public`: no key needed: 2xx for everyone.
 */
type Reach = 'own' | 'a-job' | 'a-key' | 'a-name' | 'fleet' | 'public';

interface Case {
  reach: Reach;
  /** Built per call: mutating operations get fresh targets, so each caller meets the same state. */
  request: () => Promise<{ method: string; path: string; body?: unknown; raw?: Buffer }>;
}

interface Recipe {
  /** The scope the document must declare (`public`: none). */
  scope: Scope | 'public';
  cases: Case[];
}

function expected(caller: Caller, scope: Scope | 'public', reach: Reach): Outcome {
  if (reach === 'public' || scope === 'public') return '2xx';
  if (!caller.key || caller.tenant === null) return 401;
  if (!caller.grants.includes(scope)) return 403;
  const operator = caller.grants.includes('operator');
  switch (reach) {
    case 'own':
    case 'fleet':
      return '2xx';
    case 'a-job':
      return caller.tenant === 'a' ? '2xx' : 404;
    case 'a-key':
      return caller.tenant === 'a' || operator ? '2xx' : 404;
    case 'a-name':
      return caller.tenant === 'a' || operator ? '2xx' : 403;
  }
}

function outcomeOf(status: number): Outcome | number {
  return status >= 200 && status < 300 ? '2xx' : status;
}

/**
 * The route × caller matrix: every operation of the served OpenAPI document (a new route fails
 * here until it has a recipe) called by every kind of caller (none, a bad key, read, submit,
 * tenant-admin of A, tenant-admin of B, operator, a legacy `admin` key), each answer's status
 * class as the scope model says, and nothing of tenant A in any answer to a caller outside A.
 * Then the same over the WebSocket: authenticate, subscribe to A's job, subscribe to `all`.
 */
describe('route × key matrix', () => {
  let stack: TestStack;
  let operatorClient: ReturnType<typeof apiClient>;
  let callers: Caller[];
  const a: { jobId: string; artifactId: string; artifactUrl: string; tenantId: string; keyIds: string[]; adminKey: string; uploadId: string } = {
    jobId: '', artifactId: '', artifactUrl: '', tenantId: '', keyIds: [], adminKey: '', uploadId: '',
  };
  let uploads = 0;
  /** An upload of tenant A (new bytes each time). */
  const uploadOfA = async () => {
    uploads += 1;
    const res = await fetch(`${stack.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${a.adminKey}` }, body: png(4, 4, [uploads % 256, Math.floor(uploads / 256), 7]) });
    return created({ status: res.status, body: await res.json() });
  };

  async function created(res: { status: number; body: any }): Promise<any> {
    if (res.status >= 300) throw new Error(`setup failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
  const newKey = async (tenant: string, scopes: string[]) => created(await operatorClient('POST', '/api/v1/api-keys', { tenant, scopes }));
  const queuedJobOf = async (key: string) => created(await apiClient(stack.url, key)('POST', '/api/v1/jobs', { workflow: defaultWorkflow() }));
  const newBackend = async () => (await created(await operatorClient('POST', '/api/v1/backends', { id: `m-${randomUUID().slice(0, 8)}`, url: 'http://127.0.0.1:9' }))).id as string;

  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 2, apiEnv: { GANTRY_WS_AUTH_TIMEOUT_MS: '1000' } });
    operatorClient = apiClient(stack.url, stack.adminKey);
    const readA = await newKey('studio-a', ['read']);
    const submitA = await newKey('studio-a', ['submit']);
    const adminA = await newKey('studio-a', ['tenant-admin']);
    const adminB = await newKey('studio-b', ['tenant-admin']);
    await newKey('legacy', ['read']); // the tenant of the legacy key
    const legacy = await insertStoredKey(stack.apiResources.deps.db, 'legacy', ['admin']);
    callers = [
      { name: 'none', key: null, tenant: null, grants: [] },
      { name: 'bad key', key: `gty_ZZZZZZZZZZZZ_${'z'.repeat(43)}`, tenant: null, grants: [] },
      { name: 'read (A)', key: readA.key, tenant: 'a', grants: ['read'] },
      { name: 'submit (A)', key: submitA.key, tenant: 'a', grants: ['submit'] },
      { name: 'tenant-admin (A)', key: adminA.key, tenant: 'a', grants: ['read', 'submit', 'tenant-admin'] },
      { name: 'tenant-admin (B)', key: adminB.key, tenant: 'b', grants: ['read', 'submit', 'tenant-admin'] },
      { name: 'operator', key: stack.adminKey, tenant: 'default', grants: ['read', 'submit', 'tenant-admin', 'operator'] },
      { name: 'legacy admin', key: legacy.key, tenant: 'legacy', grants: ['read', 'submit', 'tenant-admin', 'operator'] },
    ];
    a.keyIds = [readA.id, submitA.id, adminA.id];
    a.adminKey = adminA.key;

    // One finished job of A with an output; then no worker, so later jobs stay queued.
    const job = await queuedJobOf(adminA.key);
    const done = await waitUntil(async () => {
      const res = await apiClient(stack.url, adminA.key)('GET', `/api/v1/jobs/${job.id}`);
      return res.body.status === 'succeeded' ? res.body : undefined;
    }, 90_000, 100);
    await stack.worker!.close();
    a.jobId = done.id;
    a.artifactId = done.artifacts[0].id;
    a.artifactUrl = done.artifacts[0].url;
    a.tenantId = (await created(await operatorClient('GET', '/api/v1/tenants/studio-a'))).id;
    a.uploadId = (await uploadOfA()).id;
  }, 180_000);
  afterAll(() => stack?.close());

  const fixed = (method: string, path: () => string, body?: unknown) => async () => ({ method, path: path(), ...(body === undefined ? {} : { body }) });

  /** One recipe per operationId of the document. */
  const recipes: Record<string, Recipe> = {
    createJob: { scope: 'submit', cases: [{ reach: 'own', request: fixed('POST', () => '/api/v1/jobs', { workflow: defaultWorkflow() }) }] },
    createJobBatch: { scope: 'submit', cases: [{ reach: 'own', request: fixed('POST', () => '/api/v1/jobs/batch', { jobs: [{ workflow: defaultWorkflow() }] }) }] },
    listJobs: { scope: 'read', cases: [{ reach: 'own', request: fixed('GET', () => '/api/v1/jobs') }] },
    getJob: { scope: 'read', cases: [{ reach: 'a-job', request: fixed('GET', () => `/api/v1/jobs/${a.jobId}`) }] },
    cancelJob: {
      scope: 'submit',
      cases: [{ reach: 'a-job', request: async () => ({ method: 'POST', path: `/api/v1/jobs/${(await queuedJobOf(a.adminKey)).id}/cancel` }) }],
    },
    retryJob: { scope: 'submit', cases: [{ reach: 'a-job', request: fixed('POST', () => `/api/v1/jobs/${a.jobId}/retry`) }] },
    listJobEvents: { scope: 'read', cases: [{ reach: 'a-job', request: fixed('GET', () => `/api/v1/jobs/${a.jobId}/events`) }] },
    listJobWebhookDeliveries: { scope: 'read', cases: [{ reach: 'a-job', request: fixed('GET', () => `/api/v1/jobs/${a.jobId}/webhook-deliveries`) }] },
    getJobArtifact: { scope: 'read', cases: [{ reach: 'a-job', request: fixed('GET', () => a.artifactUrl) }] },

    createUpload: { scope: 'submit', cases: [{ reach: 'own', request: async () => ({ method: 'POST', path: '/api/v1/uploads', raw: png(3, 3, [1, 2, 3]) }) }] },
    getUpload: { scope: 'read', cases: [{ reach: 'a-job', request: fixed('GET', () => `/api/v1/uploads/${a.uploadId}`) }] },
    getUploadContent: { scope: 'read', cases: [{ reach: 'a-job', request: fixed('GET', () => `/api/v1/uploads/${a.uploadId}/content`) }] },
    deleteUpload: { scope: 'submit', cases: [{ reach: 'a-job', request: async () => ({ method: 'DELETE', path: `/api/v1/uploads/${(await uploadOfA()).id}` }) }] },

    createApiKey: { scope: 'tenant-admin', cases: [{ reach: 'a-name', request: fixed('POST', () => '/api/v1/api-keys', { tenant: 'studio-a', scopes: ['read'] }) }] },
    listApiKeys: {
      scope: 'tenant-admin',
      cases: [
        { reach: 'own', request: fixed('GET', () => '/api/v1/api-keys') },
        { reach: 'a-name', request: fixed('GET', () => '/api/v1/api-keys?tenant=studio-a') },
      ],
    },
    revokeApiKey: {
      scope: 'tenant-admin',
      cases: [{ reach: 'a-key', request: async () => ({ method: 'DELETE', path: `/api/v1/api-keys/${(await newKey('studio-a', ['read'])).id}` }) }],
    },
    rotateApiKey: {
      scope: 'tenant-admin',
      cases: [{ reach: 'a-key', request: async () => ({ method: 'POST', path: `/api/v1/api-keys/${(await newKey('studio-a', ['read'])).id}/rotate` }) }],
    },

    listBackends: { scope: 'read', cases: [{ reach: 'fleet', request: fixed('GET', () => '/api/v1/backends') }] },
    getBackend: { scope: 'read', cases: [{ reach: 'fleet', request: fixed('GET', () => '/api/v1/backends/sim0') }] },
    createBackend: {
      scope: 'operator',
      cases: [{ reach: 'fleet', request: async () => ({ method: 'POST', path: '/api/v1/backends', body: { id: `m-${randomUUID().slice(0, 8)}`, url: 'http://127.0.0.1:9' } }) }],
    },
    drainBackend: { scope: 'operator', cases: [{ reach: 'fleet', request: async () => ({ method: 'POST', path: `/api/v1/backends/${await newBackend()}/drain` }) }] },
    undrainBackend: { scope: 'operator', cases: [{ reach: 'fleet', request: async () => ({ method: 'POST', path: `/api/v1/backends/${await newBackend()}/undrain` }) }] },
    deleteBackend: { scope: 'operator', cases: [{ reach: 'fleet', request: async () => ({ method: 'DELETE', path: `/api/v1/backends/${await newBackend()}` }) }] },
    listModels: { scope: 'read', cases: [{ reach: 'fleet', request: fixed('GET', () => '/api/v1/models') }] },

    getTenant: {
      scope: 'tenant-admin',
      cases: [
        { reach: 'own', request: fixed('GET', () => '/api/v1/tenants/current') },
        { reach: 'a-name', request: fixed('GET', () => '/api/v1/tenants/studio-a') },
      ],
    },
    updateTenant: { scope: 'tenant-admin', cases: [{ reach: 'a-name', request: fixed('PATCH', () => '/api/v1/tenants/studio-a', { retentionDays: 30 }) }] },

    listAuditEvents: {
      scope: 'tenant-admin',
      cases: [
        { reach: 'own', request: fixed('GET', () => '/api/v1/audit-events') },
        { reach: 'a-name', request: fixed('GET', () => '/api/v1/audit-events?tenant=studio-a') },
      ],
    },

    getLiveness: { scope: 'public', cases: [{ reach: 'public', request: fixed('GET', () => '/livez') }] },
    getReadiness: { scope: 'public', cases: [{ reach: 'public', request: fixed('GET', () => '/readyz') }] },
    getMetrics: { scope: 'public', cases: [{ reach: 'public', request: fixed('GET', () => '/metrics') }] },
    getHealth: { scope: 'public', cases: [{ reach: 'public', request: fixed('GET', () => '/api/v1/health') }] },
    getOpenApiDocument: { scope: 'public', cases: [{ reach: 'public', request: fixed('GET', () => '/api/v1/openapi.json') }] },
    getApiDocs: { scope: 'public', cases: [{ reach: 'public', request: fixed('GET', () => '/api/v1/docs') }] },
    getApiDocsAsset: { scope: 'public', cases: [{ reach: 'public', request: fixed('GET', () => '/api/v1/docs/init.js') }] },
  };

  /** Everything of tenant A a response to a caller outside A must not contain. */
  const markersOfA = () => [a.jobId, a.artifactId, a.tenantId, a.uploadId, ...a.keyIds, 'studio-a'];
  /** What of tenant A even an operator's answers must not contain: its jobs, their outputs and its uploads. */
  const jobMarkersOfA = () => [a.jobId, a.artifactId, a.artifactUrl, a.uploadId];

  it('answers every operation of the served document, for every caller, as the scope model says', async () => {
    const doc = (await apiClient(stack.url)('GET', '/api/v1/openapi.json')).body as Json;
    const operations: { id: string; scopes: string[] }[] = [];
    for (const item of Object.values(doc.paths as Record<string, Json>)) {
      for (const op of Object.values(item as Record<string, Json>)) {
        if (!op['x-websocket']) operations.push({ id: op.operationId, scopes: op['x-scopes'] });
      }
    }
    // A new operation needs a recipe (what it touches, whom it is for); a removed one, its recipe gone.
    expect({ withoutRecipe: operations.map((o) => o.id).filter((id) => !(id in recipes)), staleRecipes: Object.keys(recipes).filter((id) => !operations.some((o) => o.id === id)) }).toEqual({
      withoutRecipe: [],
      staleRecipes: [],
    });
    expect(Object.fromEntries(operations.map((o) => [o.id, o.scopes]))).toEqual(
      Object.fromEntries(operations.map((o) => [o.id, recipes[o.id]!.scope === 'public' ? [] : [recipes[o.id]!.scope]])),
    );

    const mismatches: string[] = [];
    const leaks: string[] = [];
    for (const { id } of operations) {
      const recipe = recipes[id]!;
      for (const testCase of recipe.cases) {
        for (const caller of callers) {
          const { method, path, body, raw } = await testCase.request();
          const res = raw
            ? await fetch(`${stack.url}${path}`, { method, headers: caller.key ? { authorization: `Bearer ${caller.key}` } : {}, body: raw }).then(async (r) => ({ status: r.status, body: await r.text() }))
            : await apiClient(stack.url, caller.key ?? undefined)(method, path, body);
          const want = expected(caller, recipe.scope, testCase.reach);
          const got = outcomeOf(res.status);
          if (got !== want) mismatches.push(`${id} ${method} ${path} as ${caller.name}: want ${want}, got ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
          // Outside A, nothing of A; operators see A's keys, settings and audit log, but never its jobs (docs/security.md).
          const operator = caller.grants.includes('operator');
          if (caller.tenant !== 'a' && recipe.scope !== 'public') {
            // What the caller sent itself (an id in the path, a name in the body) is no leak.
            const sent = `${path} ${JSON.stringify(body ?? null)}`;
            const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
            for (const marker of (operator ? jobMarkersOfA() : markersOfA()).filter((m) => !sent.includes(m))) {
              if (text.includes(marker)) leaks.push(`${id} ${path} as ${caller.name}: answer contains ${marker}`);
            }
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(leaks).toEqual([]);
  }, 300_000);

  it('holds over the WebSocket: who may connect, whose jobs it may follow, what `all` shows', async () => {
    const sockets: { caller: Caller; client: StreamClient }[] = [];
    try {
      for (const caller of callers) sockets.push({ caller, client: await StreamClient.connect(stack.url, caller.key ? { key: caller.key } : {}) });
      const readers = sockets.filter(({ caller }) => caller.grants.includes('read'));
      for (const { caller, client } of sockets) {
        if (!caller.grants.includes('read')) {
          expect({ caller: caller.name, closed: (await client.closed).code }).toEqual({ caller: caller.name, closed: 4401 });
          continue;
        }
        const ready = await client.next((m) => m.type === 'ready' || m.type === 'error');
        expect({ caller: caller.name, tenant: ready.tenant }).toEqual({ caller: caller.name, tenant: caller.tenant === 'a' ? 'studio-a' : caller.tenant === 'b' ? 'studio-b' : caller.tenant });
      }

      // Another tenant's job is not found, operator keys included; A's own readers get its snapshot.
      for (const { caller, client } of readers) {
        client.send({ type: 'subscribe', jobId: a.jobId });
        const answer = await client.next((m) => m.type === 'snapshot' || m.type === 'error');
        expect({ caller: caller.name, answer: answer.type === 'snapshot' ? answer.job.id : answer.code }).toEqual({ caller: caller.name, answer: caller.tenant === 'a' ? a.jobId : 'NOT_FOUND' });
      }

      // `all`: an event of A reaches A's sockets only. Each other socket then gets an event of its
      // own tenant, published after A's on the same ordered channel: had A's reached it, it would be there.
      for (const { client } of readers) {
        const from = client.messages.length;
        client.send({ type: 'subscribe', all: true });
        await client.next((m) => m.type === 'subscribed' && m.all === true, 45_000, from);
      }
      const jobOfA = await queuedJobOf(a.adminKey);
      await created(await apiClient(stack.url, a.adminKey)('POST', `/api/v1/jobs/${jobOfA.id}/cancel`));
      const sentinels = new Map<string, string>();
      for (const { caller } of readers.filter(({ caller }) => caller.tenant !== 'a')) {
        const own = await queuedJobOf(caller.key!);
        await created(await apiClient(stack.url, caller.key!)('POST', `/api/v1/jobs/${own.id}/cancel`));
        sentinels.set(caller.name, own.id);
      }
      for (const { caller, client } of readers) {
        const awaited = caller.tenant === 'a' ? jobOfA.id : sentinels.get(caller.name)!;
        await client.next((m) => m.type === 'event' && m.jobId === awaited && m.event.status === 'canceled');
        if (caller.tenant === 'a') continue;
        // (A's first job id is in the refusal of the subscribe this socket sent itself.)
        const text = JSON.stringify(client.messages);
        const markers = [jobOfA.id, ...markersOfA()].filter((m) => m !== a.jobId);
        expect({ caller: caller.name, leaked: markers.filter((m) => text.includes(m)) }).toEqual({ caller: caller.name, leaked: [] });
      }
    } finally {
      for (const { client } of sockets) client.close();
    }
  }, 120_000);
});
