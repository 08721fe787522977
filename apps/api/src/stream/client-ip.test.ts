import type { IncomingMessage } from 'node:http';
import { clientIpResolver } from './client-ip';

function upgrade(peer: string, forwardedFor?: string): IncomingMessage {
  return { headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}, socket: { remoteAddress: peer } } as unknown as IncomingMessage;
}

describe('clientIpResolver', () => {
  it('ignores X-Forwarded-For unless the peer is a trusted proxy', () => {
    expect(clientIpResolver(false)(upgrade('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
    expect(clientIpResolver(['loopback'])(upgrade('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
    expect(clientIpResolver(['loopback'])(upgrade('127.0.0.1', '198.51.100.1'))).toBe('198.51.100.1');
  });

  it('takes the rightmost untrusted address, or trusts a number of hops', () => {
    const viaTwo = upgrade('127.0.0.1', '198.51.100.1, 10.0.0.7');
    expect(clientIpResolver(['loopback', '10.0.0.0/8'])(viaTwo)).toBe('198.51.100.1');
    expect(clientIpResolver(['loopback'])(viaTwo)).toBe('10.0.0.7');
    expect(clientIpResolver(1)(viaTwo)).toBe('10.0.0.7');
    expect(clientIpResolver(2)(viaTwo)).toBe('198.51.100.1');
    expect(clientIpResolver(true)(viaTwo)).toBe('198.51.100.1');
  });
});
