import { apiClient, startStack, StreamClient, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

/** CORS allowlist and the JSON nesting limit, through HTTP. */
describe('CORS and JSON limits', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  const allowed = 'https://studio.example.com';

  beforeAll(async () => {
    stack = await startStack({
      worker: false,
      apiEnv: { GANTRY_CORS_ORIGINS: `${allowed},http://localhost:5173`, GANTRY_JSON_MAX_DEPTH: '12', GANTRY_RATE_LIMIT_PER_MINUTE: '1000' },
    });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(() => stack.close());

  function preflight(origin: string, method = 'POST') {
    return fetch(`${stack.url}/api/v1/jobs`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
      signal: AbortSignal.timeout(20_000),
    });
  }

  it('answers preflights of allowed origins, without credentials', async () => {
    const res = await preflight(allowed);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, PATCH, DELETE');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/);
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it('refuses preflights of other origins with a problem', async () => {
    const res = await preflight('https://evil.example.net');
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as { code: string }).code).toBe('FORBIDDEN');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    // Exact match only: a suffix, another scheme or port is another origin.
    expect((await preflight('https://studio.example.com.evil.net')).status).toBe(403);
    expect((await preflight('http://studio.example.com')).status).toBe(403);
    expect((await preflight('http://localhost:5174')).status).toBe(403);
  });

  it('lets allowed origins read the API\'s headers', async () => {
    const res = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) }, { origin: 'http://localhost:5173' });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy', 'Retry-After', 'Location', 'X-Request-Id']));
    expect(res.headers.get('ratelimit')).toMatch(/"key";r=\d+/);
    const foreign = await admin('GET', '/api/v1/jobs', undefined, { origin: 'https://evil.example.net' });
    expect(foreign.status).toBe(200); // the browser, not the server, withholds the response
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    // helmet's headers are still there.
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('lets CORS origins open the WebSocket stream', async () => {
    const socket = await StreamClient.connect(stack.url, { key: stack.adminKey, origin: allowed });
    await socket.next((m) => m.type === 'ready');
    socket.close();
    await expect(StreamClient.connect(stack.url, { key: stack.adminKey, origin: 'https://evil.example.net' })).rejects.toThrow(/403/);
  });

  it('refuses JSON nested deeper than GANTRY_JSON_MAX_DEPTH with 400 JSON_TOO_DEEP', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 12; i++) deep = { n: deep };
    const res = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }), metadata: { deep } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'JSON_TOO_DEEP', status: 400, detail: 'JSON nested deeper than 12 levels' });
    // A pathological body (a million levels, 2 MB) is refused the same way, and the API lives on.
    const bomb = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    expect((await admin('POST', '/api/v1/jobs', bomb, { 'content-type': 'application/json' })).body.code).toBe('JSON_TOO_DEEP');
    // Brackets inside strings do not count; depth within the limit passes.
    let ok: unknown = '[[[[[[[[[[[[[[[[[[[[';
    for (let i = 0; i < 8; i++) ok = { n: ok };
    const accepted = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }), metadata: { ok } });
    expect(accepted.status).toBe(202);
    expect((await admin('GET', '/api/v1/health')).status).toBe(200);
  });

  it('rejects a bad CORS or depth configuration at start', async () => {
    await expect(stack.startApi({ GANTRY_CORS_ORIGINS: 'https://ok.example.com/path' })).rejects.toThrow(/GANTRY_CORS_ORIGINS/);
    await expect(stack.startApi({ GANTRY_JSON_MAX_DEPTH: '0' })).rejects.toThrow(/GANTRY_JSON_MAX_DEPTH/);
  });
});
