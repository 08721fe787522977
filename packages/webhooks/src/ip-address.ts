import { isIP } from 'node:net';

/**
 * The eight 16-bit groups of an IPv6 address (with `::` expanded and a trailing dotted IPv4 part
 * converted), or null when the text is not an IPv6 address.
 */
export function ipv6Groups(address: string): number[] | null {
  if (isIP(address) !== 6) return null;
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a, b, c, d] = dotted[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const left = parse(head);
  if (tail === undefined) return left.length === 8 ? left : null;
  const right = parse(tail);
  const zeros = 8 - left.length - right.length;
  if (zeros < 0) return null;
  return [...left, ...new Array<number>(zeros).fill(0), ...right];
}

/** The IPv4 address embedded in an IPv4-mapped (`::ffff:a.b.c.d`) IPv6 address, else null. */
export function mappedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (!g) return null;
  const isMapped = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
  // NAT64 well-known prefix 64:ff9b::/96 also reaches the embedded IPv4 address.
  const isNat64 = g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0;
  if (!isMapped && !isNat64) return null;
  const hi = g[6] ?? 0;
  const lo = g[7] ?? 0;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** A URL's hostname without the brackets of an IPv6 literal, lowercased, without a trailing dot. */
export function bareHostname(hostname: string): string {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return h.toLowerCase().replace(/\.$/, '');
}
