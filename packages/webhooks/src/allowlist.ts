import { BlockList, isIP } from 'node:net';
import { bareHostname, mappedIpv4 } from './ip-address.js';

/**
 * `GANTRY_WEBHOOK_ALLOWED_HOSTS`: hosts a webhook may reach even though they are internal. Entries
 * (comma or whitespace separated) are exact hostnames (`hooks.internal`, no wildcards), IP
 * addresses (`10.1.2.3`, `::1`) or CIDRs (`10.0.0.0/8`, `fd00::/8`).
 */
export class WebhookAllowlist {
  private readonly hosts = new Set<string>();
  private readonly networks = new BlockList();
  private empty = true;

  /** Throws (naming the variable and the entry) on an entry that is neither a hostname nor an IP/CIDR. */
  static parse(value: string, variable = 'GANTRY_WEBHOOK_ALLOWED_HOSTS'): WebhookAllowlist {
    const allow = new WebhookAllowlist();
    for (const raw of value.split(/[\s,]+/).filter(Boolean)) {
      const entry = raw.trim();
      const slash = entry.indexOf('/');
      if (slash >= 0) {
        const net = bareHostname(entry.slice(0, slash));
        const prefix = Number(entry.slice(slash + 1));
        const family = isIP(net);
        const max = family === 4 ? 32 : 128;
        if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || entry.slice(slash + 1) === '') {
          throw new Error(`${variable}: "${entry}" is not a valid CIDR`);
        }
        allow.networks.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6');
      } else {
        const host = bareHostname(entry);
        const family = isIP(host);
        if (family !== 0) allow.networks.addAddress(host, family === 4 ? 'ipv4' : 'ipv6');
        else if (/^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/.test(host) && host.length <= 253) allow.hosts.add(host);
        else throw new Error(`${variable}: "${entry}" is neither a hostname, an IP address nor a CIDR`);
      }
      allow.empty = false;
    }
    return allow;
  }

  /** An exact hostname on the list (IP literals are matched as addresses). */
  allowsHost(hostname: string): boolean {
    return this.hosts.has(bareHostname(hostname));
  }

  /** An address inside an allowed IP/CIDR (IPv4-mapped IPv6 addresses match their IPv4 entries too). */
  allowsAddress(address: string): boolean {
    if (this.empty) return false;
    const family = isIP(address);
    if (family === 0) return false;
    if (this.networks.check(address, family === 4 ? 'ipv4' : 'ipv6')) return true;
    const embedded = family === 6 ? mappedIpv4(address) : null;
    return embedded !== null && this.networks.check(embedded, 'ipv4');
  }
}
