import { commonEnvSchema, parseEnv, withRedisKeyPrefix } from './config';
import { hasHashTag, parseRedisTarget, redisKeyPrefix } from './redis-target';

describe('parseRedisTarget', () => {
  it('passes redis:// and rediss:// through unchanged (ioredis reads them as before)', () => {
    for (const url of ['redis://127.0.0.1:6379', 'redis://:pw@cache:6380/2', 'rediss://user:pw@cache.example:6380']) {
      expect(parseRedisTarget(url)).toEqual({ mode: 'standalone', url });
    }
  });

  it('reads sentinels, the master name, the database and both sets of credentials', () => {
    const target = parseRedisTarget('redis-sentinel://app:p%40ss@s1:26380,s2,[::1]:26381/my-master/3?sentinelPassword=s%3Acret&sentinelUsername=watch');
    expect(target).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      masterName: 'my-master',
      db: 3,
      username: 'app',
      password: 'p@ss',
      sentinelUsername: 'watch',
      sentinelPassword: 's:cret',
    });
    expect(parseRedisTarget('redis-sentinel://10.0.0.1/mymaster')).toEqual({ mode: 'sentinel', sentinels: [{ host: '10.0.0.1', port: 26379 }], masterName: 'mymaster', db: 0 });
  });

  it('reads cluster seed nodes with a password only', () => {
    expect(parseRedisTarget('redis-cluster://:secret@n1:7000,n2:7001,n3')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
        { host: 'n3', port: 6379 },
      ],
      password: 'secret',
    });
  });

  it.each([
    ['http://cache:6379', /unsupported scheme "http"/],
    ['cache:6379', /unsupported scheme/],
    ['redis-sentinel://s1:26379', /master name/],
    ['redis-sentinel://s1:26379/m/x', /database index/],
    ['redis-sentinel://s1:26379/m/1/2', /master name/],
    ['redis-sentinel://s1/m?sentinelPasword=x', /unknown redis-sentinel:\/\/ parameter "sentinelPasword"/],
    ['redis-cluster://n1:7000/2', /only database 0/],
    ['redis-cluster://n1:7000?x=1', /no query parameters/],
    ['redis-cluster://n1:7000,,n2', /host 2 of the host list/],
    ['redis-cluster://n1:99999', /host 1 of the host list/],
    ['rediss-cluster://n1:7000', /TLS is available with rediss:\/\/ \(one server\) only/],
    ['redis-sentinel://:%E0%A4%A@s1/m', /password is not percent-encoded/],
  ])('refuses %s', (url, message) => {
    expect(() => parseRedisTarget(url)).toThrow(message);
  });

  it('never repeats the URL (or a misplaced password) in its errors', () => {
    // An unencoded '@' in the password pushes part of it into the host list.
    const url = 'redis-cluster://:hunter@2@n1:7000';
    const message = (() => {
      try {
        parseRedisTarget(url);
        return 'parsed';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message).toMatch(/host 1 of the host list/);
    expect(message).not.toMatch(/hunter|2@n1/);
  });
});

describe('redis key prefix', () => {
  it('recognises hash tags the way Redis Cluster does', () => {
    expect(hasHashTag('{gantry}')).toBe(true);
    expect(hasHashTag('acme:{q}:x')).toBe(true);
    expect(hasHashTag('gantry')).toBe(false);
    expect(hasHashTag('{}gantry')).toBe(false); // empty tag: the whole key is hashed
    expect(hasHashTag('}gantry{')).toBe(false);
  });

  it('wraps the prefix on a cluster only, once', () => {
    expect(redisKeyPrefix('gantry', 'cluster')).toBe('{gantry}');
    expect(redisKeyPrefix('{gantry}', 'cluster')).toBe('{gantry}');
    expect(redisKeyPrefix('acme:{gantry}', 'cluster')).toBe('acme:{gantry}');
    expect(redisKeyPrefix('gantry', 'standalone')).toBe('gantry');
    expect(redisKeyPrefix('gantry', 'sentinel')).toBe('gantry');
  });

  it('is applied to a loaded environment, and REDIS_URL errors name the variable', () => {
    const load = (env: Record<string, string>) => withRedisKeyPrefix(parseEnv(commonEnvSchema, env));
    expect(load({}).GANTRY_QUEUE_PREFIX).toBe('gantry');
    expect(load({ REDIS_URL: 'redis-sentinel://s1/m' }).GANTRY_QUEUE_PREFIX).toBe('gantry');
    expect(load({ REDIS_URL: 'redis-cluster://n1:7000', GANTRY_QUEUE_PREFIX: 'acme' }).GANTRY_QUEUE_PREFIX).toBe('{acme}');
    expect(() => load({ REDIS_URL: 'redis-cluster://:secret@n1:7000/4' })).toThrow(/REDIS_URL: redis-cluster:\/\/ takes no path/);
    expect(() => load({ REDIS_URL: 'redis-cluster://:secret@n1:7000/4' })).not.toThrow(/secret/);
  });
});
