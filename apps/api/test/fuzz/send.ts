import { type Agent, request } from 'node:http';
import type { FuzzRequest } from './requests';

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends a request exactly as generated (raw path, raw bytes, any method) over node:http: fetch
 * would normalise the path and refuse some methods and headers, hiding what the fuzz means to send.
 * Resolves with the answer or rejects (no answer within `timeoutMs`, a reset connection).
 */
export function send(baseUrl: string, req: FuzzRequest, agent: Agent, timeoutMs = 20_000): Promise<FuzzResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body) headers['content-length'] = String(req.body.length);
    const outgoing = request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** The request as a reproducer: everything needed to send it again, binary bodies as base64. */
export function reproducer(req: FuzzRequest, seed: number): string {
  const body = req.body === undefined ? undefined : Buffer.from(req.body.toString('utf8'), 'utf8').equals(req.body) ? { utf8: req.body.toString('utf8').slice(0, 2000) } : { base64: req.body.toString('base64').slice(0, 2000) };
  const clipped = req.body && req.body.length > 2000 ? ` (body clipped: ${req.body.length} bytes)` : '';
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, k === 'authorization' ? v.replace(/gty_\w+_\S+|test-admin-\w+/, `<${req.caller} key>`) : v.slice(0, 300)]));
  return `#${req.index} (seed ${seed}) ${req.operationId} as ${req.caller}, ${req.kind}${clipped}\n  ${JSON.stringify({ method: req.method, path: req.path.slice(0, 500), headers, body })}`;
}
