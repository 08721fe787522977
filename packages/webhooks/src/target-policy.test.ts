import { forbiddenAddressReason } from './address-policy';
import { WebhookAllowlist } from './allowlist';
import { mappedIpv4 } from './ip-address';
import type { HostResolver } from './resolver';
import { systemResolver } from './resolver';
import { WebhookHostUnresolved, WebhookTargetForbidden, vetWebhookTarget } from './target-policy';

/** An injected DNS: rebind.example.test → 127.0.0.1, public.example.test → a public address. */
const fakeDns: HostResolver = async (host) => {
  const table: Record<string, { address: string; family: 4 | 6 }[]> = {
    'rebind.example.test': [{ address: '127.0.0.1', family: 4 }],
    'mixed.example.test': [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ],
    'v6.example.test': [{ address: '::ffff:169.254.169.254', family: 6 }],
    'public.example.test': [{ address: '93.184.215.14', family: 4 }],
    'public6.example.test': [{ address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }],
  };
  const found = table[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

const none = WebhookAllowlist.parse('');
const policy = (allow = none, resolver: HostResolver = fakeDns) => ({ allowlist: allow, resolver });

async function reason(url: string, allow = none, resolver: HostResolver = fakeDns): Promise<string | null> {
  try {
    await vetWebhookTarget(url, policy(allow, resolver));
    return null;
  } catch (err) {
    if (err instanceof WebhookTargetForbidden) return err.reason;
    throw err;
  }
}

describe('forbidden addresses', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '198.18.0.1', '192.0.2.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a00:1',
    '64:ff9b::a9fe:a9fe', '2001:db8::1', '2002:7f00:1::1', '::127.0.0.1',
  ])('%s is forbidden', (address) => {
    expect(forbiddenAddressReason(address)).not.toBeNull();
  });

  it.each(['93.184.215.14', '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    '%s is public',
    (address) => {
      expect(forbiddenAddressReason(address)).toBeNull();
    },
  );

  it('reads the IPv4 inside IPv4-mapped and NAT64 addresses', () => {
    expect(mappedIpv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(mappedIpv4('::FFFF:169.254.169.254')).toBe('169.254.169.254');
    expect(mappedIpv4('64:ff9b::0a00:0001')).toBe('10.0.0.1');
    expect(mappedIpv4('2606:4700::1111')).toBeNull();
    expect(mappedIpv4('not-an-ip')).toBeNull();
  });
});

describe('vetWebhookTarget', () => {
  it.each([
    ['http://127.0.0.1/hook', 'loopback'],
    ['http://[::1]:8080/hook', 'unspecified, loopback'],
    ['http://10.0.0.5/hook', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[::ffff:127.0.0.1]/hook', 'IPv4 in IPv6'],
    ['http://0.0.0.0:8080/', 'unspecified'],
    ['http://2130706433/', 'loopback'], // decimal 127.0.0.1
    ['http://0x7f000001/', 'loopback'], // hex
    ['http://0x7f.1/', 'loopback'], // mixed short form
    ['http://017700000001/', 'loopback'], // octal
    ['http://0/', 'unspecified'],
    ['http://[fd00::1]/', 'unique local'],
    ['http://100.64.1.1/', 'carrier-grade NAT'],
    ['http://rebind.example.test/hook', 'rebind.example.test resolves to a loopback address'],
    ['http://mixed.example.test/hook', 'private'],
    ['http://v6.example.test/hook', 'link-local'],
  ])('refuses %s', async (url, expected) => {
    expect(await reason(url)).toContain(expected);
  });

  it('refuses `localhost` through the system resolver', async () => {
    expect(await reason('http://localhost:9/hook', none, systemResolver)).toContain('loopback');
  });

  it('never repeats a resolved internal address to the client', async () => {
    expect(await reason('http://mixed.example.test/hook')).not.toContain('10.0.0.7');
  });

  it('refuses other schemes and credentials', async () => {
    expect(await reason('ftp://public.example.test/x')).toContain('http');
    expect(await reason('file:///etc/passwd')).toContain('http');
    expect(await reason('http://user:pw@public.example.test/')).toContain('credentials');
    expect(await reason('/relative')).toContain('absolute');
  });

  it('accepts public hosts and pins the resolved address', async () => {
    const t = await vetWebhookTarget('https://public.example.test:8443/h?x=1', policy());
    expect(t).toMatchObject({ hostname: 'public.example.test', address: { address: '93.184.215.14', family: 4 } });
    expect((await vetWebhookTarget('http://public6.example.test/', policy())).address.family).toBe(6);
    expect((await vetWebhookTarget('http://8.8.8.8/', policy())).address.address).toBe('8.8.8.8');
  });

  it('reports a name that does not resolve as unresolved, not forbidden', async () => {
    await expect(vetWebhookTarget('http://nowhere.example.test/', policy())).rejects.toBeInstanceOf(WebhookHostUnresolved);
  });

  it('gives up on a resolver that does not answer in time', async () => {
    const hanging: HostResolver = () => new Promise(() => undefined);
    const err = await vetWebhookTarget('http://slow.example.test/', { allowlist: none, resolver: hanging, resolveTimeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookHostUnresolved);
    expect((err as Error).message).toContain('ETIMEOUT');
  });

  it('lets allowlisted hostnames, addresses and CIDRs through', async () => {
    const allow = WebhookAllowlist.parse('rebind.example.test, 10.0.0.0/8 ::1 127.0.0.1');
    expect(await reason('http://rebind.example.test/hook', allow)).toBeNull();
    expect(await reason('http://mixed.example.test/hook', allow)).toBeNull();
    expect(await reason('http://[::1]:80/', allow)).toBeNull();
    expect(await reason('http://127.0.0.1:9/', allow)).toBeNull();
    expect(await reason('http://2130706433/', allow)).toBeNull();
    expect(await reason('http://[::ffff:127.0.0.1]/', allow)).toBeNull();
    expect(await reason('http://127.0.0.2/', allow)).toContain('loopback');
    expect(await reason('http://169.254.169.254/', allow)).toContain('link-local');
    // An allowlisted name is matched exactly: no suffix or prefix tricks.
    expect(await reason('http://v6.example.test/', WebhookAllowlist.parse('example.test'))).toContain('link-local');
  });

  it('rejects a malformed allowlist with the variable named', () => {
    expect(() => WebhookAllowlist.parse('10.0.0.0/33')).toThrow(/GANTRY_WEBHOOK_ALLOWED_HOSTS.*CIDR/);
    expect(() => WebhookAllowlist.parse('bad host!')).toThrow(/GANTRY_WEBHOOK_ALLOWED_HOSTS/);
    expect(() => WebhookAllowlist.parse('*.example.com')).toThrow(/GANTRY_WEBHOOK_ALLOWED_HOSTS/);
    expect(() => WebhookAllowlist.parse('10.0.0.0/')).toThrow(/CIDR/);
  });
});
