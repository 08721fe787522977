import { BlockList, isIP } from 'node:net';
import { mappedIpv4 } from './ip-address.js';

/**
 * Address ranges a webhook may never reach (unless allowlisted): they lead into the operator's own
 * network, the machine itself, cloud metadata services or nowhere routable.
 */
const FORBIDDEN_V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified / "this network"'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved / broadcast'],
];

const FORBIDDEN_V6: [string, number, string][] = [
  ['::', 8, 'unspecified, loopback or IPv4-compatible'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001::', 23, 'IETF protocol assignments (Teredo, ORCHID, ...)'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

const lists = (() => {
  const v4 = FORBIDDEN_V4.map(([net, prefix, label]) => {
    const list = new BlockList();
    list.addSubnet(net, prefix, 'ipv4');
    return { list, label };
  });
  const v6 = FORBIDDEN_V6.map(([net, prefix, label]) => {
    const list = new BlockList();
    list.addSubnet(net, prefix, 'ipv6');
    return { list, label };
  });
  return { v4, v6 };
})();

/**
 * Why an IP address is not a public unicast address a webhook may reach, or null when it is one.
 * IPv4-mapped IPv6 (`::ffff:127.0.0.1`) and NAT64 (`64:ff9b::7f00:1`) forms are judged by the IPv4
 * address they carry. A string that is not an IP address is refused.
 */
export function forbiddenAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const embedded = mappedIpv4(address);
    if (embedded !== null) {
      const inner = forbiddenAddressReason(embedded);
      return inner === null ? null : `${inner} (IPv4 in IPv6)`;
    }
    for (const { list, label } of lists.v6) if (list.check(address, 'ipv6')) return label;
    return null;
  }
  for (const { list, label } of lists.v4) if (list.check(address, 'ipv4')) return label;
  return null;
}
