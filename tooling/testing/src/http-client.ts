/** A small fetch wrapper for tests: JSON in, parsed JSON (or text) out, status kept. */
export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export function apiClient(baseUrl: string, key?: string) {
  return async function call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<TestResponse<T>> {
    const init: RequestInit = {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      signal: AbortSignal.timeout(20_000),
    };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${baseUrl}${path}`, init);
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') ? await res.json() : type.startsWith('image/') ? Buffer.from(await res.arrayBuffer()) : await res.text();
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
}

/** Polls until `check` returns a value (not undefined), bounded in time. */
export async function waitUntil<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Polls `GET /api/v1/jobs/{id}` with `call` (an `apiClient`) until the job has ended (succeeded, failed or canceled); returns its view. */
export function jobEnd(call: ReturnType<typeof apiClient>, id: string, timeoutMs = 30_000): Promise<any> {
  return waitUntil(async () => {
    const res = await call('GET', `/api/v1/jobs/${id}`);
    return ['succeeded', 'failed', 'canceled'].includes(res.body?.status) ? res.body : undefined;
  }, timeoutMs);
}
