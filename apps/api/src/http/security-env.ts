import { isIP } from 'node:net';
import { listEnv, splitList } from '@gantry/domain';
import { z } from 'zod';

/** What Express's `trust proxy` setting accepts, parsed from GANTRY_TRUST_PROXY. */
export type TrustProxy = boolean | number | string[];

const PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function validProxyAddress(entry: string): boolean {
  if (PRESETS.has(entry)) return true;
  const [address, bits, extra] = entry.split('/');
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * `false` (default: the socket's address is the client), `true` (trust every hop: only behind a
 * proxy that overwrites X-Forwarded-For), a hop count, or comma-separated IPs/CIDRs/presets of the
 * proxies to trust.
 */
export function parseTrustProxy(raw: string): TrustProxy | null {
  const value = raw.trim().toLowerCase();
  if (value === 'false' || value === '0' || value === '') return false;
  if (value === 'true') return true;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = splitList(value);
  return entries.length > 0 && entries.every(validProxyAddress) ? entries : null;
}

export const trustProxySchema = z
  .string()
  .default('false')
  .transform((raw, ctx) => {
    const parsed = parseTrustProxy(raw);
    if (parsed === null) {
      ctx.addIssue({ code: 'custom', message: 'false, true, a hop count, or comma-separated IPs/CIDRs (or loopback, linklocal, uniquelocal)' });
      return z.NEVER;
    }
    return parsed;
  });

/** An exact origin: `scheme://host[:port]`, nothing else (no path, no trailing slash). */
export function isExactOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

export const corsOriginsSchema = listEnv({
  check: (origin) => origin === '*' || isExactOrigin(origin),
  message: 'comma-separated exact origins like https://app.example.com (no path), or *',
});
