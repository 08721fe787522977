import { corsOriginsSchema, isExactOrigin, parseTrustProxy, trustProxySchema } from './security-env';

describe('GANTRY_TRUST_PROXY', () => {
  it('accepts what Express accepts', () => {
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8,fd00::/8, 192.168.1.7')).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.168.1.7']);
  });

  it('refuses anything else', () => {
    for (const bad of ['yes-please', '10.0.0.0/33', '::1/129', '10.0.0.1/8/2', 'example.com', '1.2.3']) {
      expect(parseTrustProxy(bad)).toBeNull();
      expect(trustProxySchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe('GANTRY_CORS_ORIGINS', () => {
  it('takes exact origins and *', () => {
    expect(corsOriginsSchema.parse('https://app.example.com, http://localhost:5173')).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(corsOriginsSchema.parse('*')).toEqual(['*']);
    expect(corsOriginsSchema.parse(undefined)).toEqual([]);
  });

  it('refuses paths, trailing slashes and other schemes', () => {
    expect(isExactOrigin('https://app.example.com/')).toBe(false);
    expect(isExactOrigin('https://app.example.com/x')).toBe(false);
    expect(isExactOrigin('ftp://app.example.com')).toBe(false);
    expect(corsOriginsSchema.safeParse('https://ok.example.com,https://bad.example.com/').success).toBe(false);
  });
});
