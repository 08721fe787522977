import { isIP } from 'node:net';
import { withTimeout } from '@gantry/domain';
import { forbiddenAddressReason } from './address-policy.js';
import type { WebhookAllowlist } from './allowlist.js';
import { bareHostname } from './ip-address.js';
import type { HostResolver, ResolvedAddress } from './resolver.js';

/** A webhook URL that the SSRF rules refuse; `reason` is safe to show to the client. */
export class WebhookTargetForbidden extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'WebhookTargetForbidden';
  }
}

/** The host could not be resolved (a network condition: worth a retry at delivery time). */
export class WebhookHostUnresolved extends Error {
  constructor(hostname: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(`cannot resolve ${hostname}${typeof code === 'string' ? ` (${code})` : ''}`, { cause });
    this.name = 'WebhookHostUnresolved';
  }
}

/** Where a vetted webhook may be sent: the URL and the one address to connect to. */
export interface VettedTarget {
  url: URL;
  /** Hostname for the Host header and TLS (SNI, certificate check). */
  hostname: string;
  /** The vetted address the connection is pinned to. */
  address: ResolvedAddress;
}

export interface TargetPolicy {
  allowlist: WebhookAllowlist;
  resolver: HostResolver;
  /** Bound on the DNS resolution (default 5000 ms); past it the host counts as unresolved. */
  resolveTimeoutMs?: number;
}

/** Syntax only: an absolute http(s) URL with a host and no credentials. */
export function parseWebhookUrl(value: string): URL {
  if (!URL.canParse(value)) throw new WebhookTargetForbidden('not an absolute URL');
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookTargetForbidden('only http and https URLs are allowed');
  if (url.username !== '' || url.password !== '') throw new WebhookTargetForbidden('credentials in the URL are not allowed');
  if (bareHostname(url.hostname) === '') throw new WebhookTargetForbidden('the URL has no host');
  return url;
}

/**
 * Applies the SSRF rules to a webhook URL and returns the address to connect to. The host (an IP
 * literal as WHATWG URL normalises it, e.g. `http://2130706433/` is 127.0.0.1, or every address a
 * name resolves to) must be public unicast, unless the hostname or the address is allowlisted. A
 * name with any forbidden address is refused as a whole. Throws WebhookTargetForbidden, or
 * WebhookHostUnresolved when DNS gives no answer.
 */
export async function vetWebhookTarget(value: string, policy: TargetPolicy): Promise<VettedTarget> {
  const url = parseWebhookUrl(value);
  const hostname = bareHostname(url.hostname);
  const hostAllowed = policy.allowlist.allowsHost(hostname);
  const literal = isIP(hostname);
  let addresses: ResolvedAddress[];
  if (literal !== 0) {
    addresses = [{ address: hostname, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      const ms = policy.resolveTimeoutMs ?? 5000;
      addresses = await withTimeout(policy.resolver(hostname), ms, () => Object.assign(new Error(`DNS lookup timed out after ${ms} ms`), { code: 'ETIMEOUT' }));
    } catch (err) {
      throw new WebhookHostUnresolved(hostname, err);
    }
    if (addresses.length === 0) throw new WebhookHostUnresolved(hostname, null);
  }
  if (!hostAllowed) {
    for (const a of addresses) {
      if (policy.allowlist.allowsAddress(a.address)) continue;
      const why = forbiddenAddressReason(a.address);
      if (why !== null) {
        // For a name, the address itself is not repeated: it may be internal DNS the client should not learn.
        const what = literal === 0 ? `${hostname} resolves to a ${why} address` : `${hostname} is a ${why} address`;
        throw new WebhookTargetForbidden(`${what}; an operator can allow it with GANTRY_WEBHOOK_ALLOWED_HOSTS`);
      }
    }
  }
  return { url, hostname, address: addresses[0]! };
}
