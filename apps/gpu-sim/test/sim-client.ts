import type { GpuSimHandle } from '../src/index.js';

export interface Reply {
  status: number;
  headers: Headers;
  json: any;
  body: Buffer;
}

/** Plain HTTP against a sim; a body that is a string is sent verbatim (to test malformed JSON). */
export async function call(sim: GpuSimHandle, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const buffer = Buffer.from(await res.arrayBuffer());
  let json: unknown;
  try {
    json = buffer.length ? JSON.parse(buffer.toString('utf8')) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, body: buffer };
}

/** Polls `/history/{id}` until the prompt has finished (bounded). */
export async function waitForHistory(sim: GpuSimHandle, promptId: string, timeoutMs = 5000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await call(sim, 'GET', `/history/${promptId}`);
    if (reply.json?.[promptId]) return reply.json[promptId];
    if (Date.now() > deadline) throw new Error(`no history for ${promptId}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
