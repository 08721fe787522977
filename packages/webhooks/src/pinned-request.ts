import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { VettedTarget } from './target-policy.js';

/**
 * A `lookup` that answers with the vetted address only: the connection goes exactly where the
 * SSRF check said, whatever DNS says by now (no DNS rebinding between check and connect).
 */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

export interface PinnedRequestOptions {
  target: VettedTarget;
  method: 'GET' | 'POST';
  headers: http.OutgoingHttpHeaders;
  signal: AbortSignal;
  /** TLS: extra trusted CAs (tests); the default is the system's. */
  ca?: string | Buffer;
}

/**
 * One request to a vetted URL, the way every outbound call to a tenant's URL goes: the connection
 * pinned to the vetted address, a fresh agent (no pooled socket to another address is reused), no
 * redirect followed (Node's http never follows them). TLS: SNI and the certificate check use the
 * hostname (the agent derives them from `host`).
 */
export function pinnedRequest(options: PinnedRequestOptions, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
  const { target } = options;
  const isHttps = target.url.protocol === 'https:';
  const request = isHttps ? https.request : http.request;
  return request(
    {
      protocol: target.url.protocol,
      host: target.hostname,
      port: target.url.port || (isHttps ? 443 : 80),
      path: `${target.url.pathname}${target.url.search}`,
      method: options.method,
      headers: options.headers,
      lookup: pinnedLookup(target.address.address, target.address.family),
      agent: false,
      signal: options.signal,
      ...(isHttps && options.ca ? { ca: options.ca } : {}),
    },
    onResponse,
  );
}
