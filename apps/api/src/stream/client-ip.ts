import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '../http/security-env.js';

/** Which hops to trust, compiled the way Express compiles its `trust proxy` setting. */
function compileTrust(trust: TrustProxy): (addr: string, hop: number) => boolean {
  if (trust === true) return () => true;
  if (typeof trust === 'number') return (_addr, hop) => hop < trust;
  return proxyaddr.compile(trust === false ? [] : trust);
}

/**
 * The client address of a request that never reaches Express (a WebSocket upgrade), by the rule
 * Express applies to `req.ip` (GANTRY_TRUST_PROXY), so the stream's per-IP limits charge the
 * same address as the HTTP ones, and a client cannot pick its own by sending X-Forwarded-For.
 */
export function clientIpResolver(trust: TrustProxy): (req: IncomingMessage) => string {
  const trusted = compileTrust(trust);
  return (req) => proxyaddr(req, trusted);
}
